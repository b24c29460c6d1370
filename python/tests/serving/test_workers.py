"""`serve --workers N`: processes sharing one port, spread by connection, metrics per worker,
readiness, graceful shutdown of all, and a dead worker ending the service."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from supportability.client import Client
from supportability.testing import ServerProcess
from supportability.v1 import support_case_pb2 as sc

CASE = sc.SupportCase(subject="Payout missing", body="Our payout did not arrive this week.", channel=sc.CHANNEL_EMAIL)
CALLS = 60
# With SO_REUSEPORT the kernel hashes each connection to a worker: 16 connections all land on
# one of 2 workers with probability 2 * 2**-16.
CONNECTIONS = 16


def _log_entries(server: ServerProcess, message: str) -> list[dict]:
    lines = server.log_path.read_text().splitlines()
    return [entry for line in lines if line.startswith("{") and (entry := json.loads(line))["message"] == message]


def _served_calls(metrics_port: int) -> float:
    """PredictCase calls answered OK, as one worker's /metrics counts them."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as page:
        text = page.read().decode()
    counted = 'supportability_rpc_calls_total{code="OK",method="PredictCase"} '
    return next((float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(counted)), 0.0)


@pytest.fixture(scope="module")
def two_workers(registry_path: Path):
    with ServerProcess(registry_path, "--workers", "2", "--store", "none", "--metrics-address", "127.0.0.1:0") as s:
        yield s


def _workers(server: ServerProcess) -> dict[int, int]:
    """pid -> metrics port of each worker, from their "serving" log lines."""
    return {entry["pid"]: entry["metrics_port"] for entry in _log_entries(server, "serving")}


def test_ready_only_once_every_worker_serves(two_workers: ServerProcess) -> None:
    workers = _workers(two_workers)  # read once the parent's ready file exists
    assert len(workers) == 2
    assert set(_log_entries(two_workers, "workers serving")[0]["pids"]) == set(workers)


def test_a_pool_of_connections_spreads_calls_over_every_worker(two_workers: ServerProcess) -> None:
    ports = list(_workers(two_workers).values())
    before = [_served_calls(port) for port in ports]
    with Client(two_workers.target, connections=CONNECTIONS) as client:
        for _ in range(CALLS):
            client.predict_case(CASE)
    served = [_served_calls(port) - b for port, b in zip(ports, before, strict=True)]
    assert sum(served) == CALLS  # each call counted once, by the worker that answered it
    assert all(n > 0 for n in served), served


def test_one_connection_reaches_one_worker(two_workers: ServerProcess) -> None:
    ports = list(_workers(two_workers).values())
    before = [_served_calls(port) for port in ports]
    with Client(two_workers.target) as client:
        for _ in range(CALLS):
            client.predict_case(CASE)
    served = sorted(_served_calls(port) - b for port, b in zip(ports, before, strict=True))
    assert served == [0, CALLS]


def test_sigterm_stops_every_worker_gracefully(registry_path: Path) -> None:
    with ServerProcess(registry_path, "--workers", "2", "--store", "none") as server:
        pids = list(_workers(server))
        assert Client(server.target).predict_case(CASE).prediction.routing.top_queues
        assert server.stop() == 0
        assert all(not _alive(pid) for pid in pids)
        assert len(_log_entries(server, "shutting down")) == 2  # each worker's own graceful shutdown


def test_a_worker_that_dies_ends_the_service_with_an_error(registry_path: Path) -> None:
    with ServerProcess(registry_path, "--workers", "2", "--store", "none") as server:
        victim, survivor = list(_workers(server))
        os.kill(victim, signal.SIGKILL)  # as the OOM killer would
        assert server.process is not None
        assert server.process.wait(30) == 1
        died = _log_entries(server, "worker exited")
        assert [(e["pid"], e["exit_code"]) for e in died] == [(victim, -signal.SIGKILL)]
        assert not _alive(survivor)


def test_workers_must_be_at_least_one(registry_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="--workers must be at least 1"),
        ServerProcess(registry_path, "--workers", "0"),
    ):
        pass


def _alive(pid: int) -> bool:
    """Whether `pid` still runs after up to 5 s (a zombie, dead but not yet reaped, does not)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True
