"""The online loop under failure, on a real server: kill -9 loses no acknowledged outcome, a
retried outcome is stored once, and a stopped database degrades the OutcomeService only."""

from __future__ import annotations

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from supportability.client import Client
from supportability.errors import SupportabilityError
from supportability.online.sql_store import SqlStore
from supportability.testing import PostgresServer, ServerProcess, free_port
from supportability.v1.outcome_pb2 import Outcome
from supportability.v1.support_case_pb2 import CHANNEL_EMAIL, SupportCase

OUTCOME_SERVICE = "supportability.v1.OutcomeService"
CLIENTS = 8


def _predict(client: Client, n: int, prefix: str) -> list[str]:
    cases = [
        SupportCase(case_id=f"{prefix}-{i}", subject="Payout missing", body=f"payout {i} late", channel=CHANNEL_EMAIL)
        for i in range(n)
    ]
    ids: list[str] = []
    for start in range(0, n, 500):
        ids += [p.prediction_id for p in client.batch_predict_cases(cases[start : start + 500]).predictions]
    return ids


def _outcome(prediction_id: str, i: int) -> Outcome:
    # Several fields per outcome, so a torn write would show as a row missing some of them.
    return Outcome(
        prediction_id=prediction_id,
        resolved_queue=f"queue-{i % 7}",
        escalated=i % 2 == 0,
        resolution_hours=float(i),
        csat_score=1 + i % 5,
    )


def _wait_logged(client: Client, prediction_id: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.get_prediction_record(prediction_id=prediction_id)
            return
        except SupportabilityError:
            assert time.monotonic() < deadline, "the prediction was never logged"
            time.sleep(0.05)


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def _health(target: str, service: str) -> int:
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def test_kill_9_loses_no_acknowledged_outcome(registry_path, store_url):
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    with ServerProcess(registry_path, "--store", store_url) as server:
        client = Client(server.target, retries=False, timeout=5)
        ids = _predict(client, 4_000, "kill")
        shares = [ids[k::CLIENTS] for k in range(CLIENTS)]

        def record(share: list[str]) -> None:
            own = Client(server.target, retries=False, timeout=5)
            for prediction_id in share:
                i = ids.index(prediction_id)
                try:
                    own.record_outcome(_outcome(prediction_id, i))
                except SupportabilityError:
                    return  # the server died: this one was not acknowledged
                with lock:
                    acknowledged[prediction_id] = i

        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(record, share) for share in shares]
            deadline = time.monotonic() + 30
            while len(acknowledged) < 300 and time.monotonic() < deadline:
                time.sleep(0.05)
            server.kill()  # mid-stream, with writes in flight
            for f in futures:
                f.result()
    assert 300 <= len(acknowledged) < len(ids), "the kill did not land mid-stream"
    store = SqlStore(store_url)
    try:
        frame = store.frame()
        stored = {pid: k for k, pid in enumerate(frame.prediction_id) if frame.has_outcome[k]}
        missing = set(acknowledged) - set(stored)
        assert not missing, f"{len(missing)} acknowledged outcomes lost"
        for prediction_id, i in acknowledged.items():
            k = stored[prediction_id]
            expected = _outcome(prediction_id, i)
            assert frame.resolved_queue[k] == expected.resolved_queue
            assert frame.escalated[k] == float(expected.escalated)
            assert frame.resolution_hours[k] == expected.resolution_hours
            assert frame.csat_bad[k] == float(expected.csat_score <= 2)
    finally:
        store.close()
    # A restarted server reads the same store (SQLite recovers its WAL) and answers for them.
    with ServerProcess(registry_path, "--store", store_url) as server:
        client = Client(server.target)
        some = list(acknowledged)[:50]
        assert all(
            client.get_prediction_record(prediction_id=p).prediction_record.HasField("recorded_outcome") for p in some
        )


def test_the_same_outcome_sent_20_times_at_once_is_stored_once(registry_path, store_url):
    metrics_port = free_port()
    with ServerProcess(registry_path, "--store", store_url, "--metrics-address", f"127.0.0.1:{metrics_port}") as server:
        client = Client(server.target)
        [prediction_id] = _predict(client, 1, "dup")
        outcome = Outcome(prediction_id=prediction_id, resolved_queue="payouts", escalated=True)
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda _: client.record_outcome(outcome).recorded_outcome, range(20)))
        assert all(a == answers[0] for a in answers)
        conflicting = Outcome(prediction_id=prediction_id, resolved_queue="refunds")
        with pytest.raises(SupportabilityError) as caught:
            client.record_outcome(conflicting)
        assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert caught.value.reason == "OUTCOME_CONFLICT" and caught.value.metadata["field"] == "resolved_queue"
        record = client.get_prediction_record(prediction_id=prediction_id).prediction_record
        assert len(record.revisions) == 1
        assert record.recorded_outcome.outcome.resolved_queue == "payouts"
        # The writer reports each commit's groups with the round's results: all 21 calls, in fewer commits.
        metrics = _metrics(metrics_port)
        assert "supportability_outcome_commit_groups_sum 21.0" in metrics


def test_a_stopped_database_degrades_outcomes_not_predictions(registry_path, postgres: PostgresServer):
    url = postgres.create_database("degraded")
    metrics_port = free_port()
    with ServerProcess(registry_path, "--store", url, "--metrics-address", f"127.0.0.1:{metrics_port}") as server:
        client = Client(server.target, retries=False, timeout=10)
        [prediction_id] = _predict(client, 1, "down")
        _wait_logged(client, prediction_id)  # the log is written off the request path
        assert _health(server.target, OUTCOME_SERVICE) == health_pb2.HealthCheckResponse.SERVING
        postgres.stop()
        try:
            assert _predict(client, 3, "while-down")  # predictions are still served
            with pytest.raises(SupportabilityError) as caught:
                client.record_outcome(Outcome(prediction_id=prediction_id, escalated=True))
            assert caught.value.code == grpc.StatusCode.UNAVAILABLE
            assert caught.value.reason == "STORE_UNAVAILABLE"
            assert _health(server.target, OUTCOME_SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING
            assert _health(server.target, "") == health_pb2.HealthCheckResponse.SERVING
            assert "supportability_store_up 0.0" in _metrics(metrics_port)
        finally:
            postgres.start()
        deadline = time.monotonic() + 20
        while _health(server.target, OUTCOME_SERVICE) != health_pb2.HealthCheckResponse.SERVING:
            assert time.monotonic() < deadline, "the store did not come back without a restart"
            time.sleep(0.2)
        stored = client.record_outcome(Outcome(prediction_id=prediction_id, escalated=True)).recorded_outcome
        assert stored.outcome.escalated
        assert "supportability_store_up 1.0" in _metrics(metrics_port)
        assert "online store unavailable" in server.log_path.read_text()
