"""Test helpers: run a real server in a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from supportability.online.store import LoggedPrediction


class ServerProcess:
    """`python -m supportability serve` on 127.0.0.1:0, for as long as the `with` block.

    with ServerProcess(registry) as server:
        Client(server.target).predict_case(...)
    """

    def __init__(self, registry: str | os.PathLike[str], *args: str, start_timeout: float = 60.0) -> None:
        self.registry = str(registry)
        self.args = args
        self.start_timeout = start_timeout
        self.target = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="supportability-server-")
        self.log_path = Path(self._dir.name) / "server.log"

    def __enter__(self) -> ServerProcess:
        ready = Path(self._dir.name) / "ready"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "supportability",
                "serve",
                "--address",
                "127.0.0.1:0",
                "--registry",
                self.registry,
                "--ready-file",
                str(ready),
                # Each test server gets an online store of its own unless the test names one.
                *([] if "--store" in self.args else ["--store", f"sqlite:///{self._dir.name}/online.db"]),
                *self.args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.start_timeout
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start; its log:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        self.target = ready.read_text()
        return self

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`; returns the exit code."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def metrics_text(self) -> str:
        """The server's Prometheus page, on the port its "serving" log line names (with --metrics-address)."""
        serving = next(
            json.loads(line) for line in self.log_path.read_text().splitlines() if '"message": "serving"' in line
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{serving['metrics_port']}/metrics", timeout=5) as page:
            return page.read().decode()

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed, no handler runs."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._log.close()
        self._dir.cleanup()


class McpHttpProcess:
    """`python -m supportability mcp --transport http` on 127.0.0.1:0, for as long as the `with` block.

    with McpHttpProcess("--target", server.target) as mcp:
        mcp.url  # http://127.0.0.1:PORT/mcp
    """

    def __init__(self, *args: str, start_timeout: float = 60.0) -> None:
        self.args = args
        self.start_timeout = start_timeout
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="supportability-mcp-")
        self.log_path = Path(self._dir.name) / "mcp.log"

    def __enter__(self) -> McpHttpProcess:
        ready = Path(self._dir.name) / "ready"
        self._log = open(self.log_path, "wb")
        command = ["mcp", "--transport=http", "--port=0", f"--ready-file={ready}", *self.args]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "supportability", *command],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.start_timeout
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the MCP server did not start; its log:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        self.url = ready.read_text()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._dir.cleanup()


def registry_with_twins(source: Path, root: Path, *suffixes: str) -> list[str]:
    """A registry at `root` holding `source`'s promoted version, promoted, and a byte-identical copy
    of it under the version's name + each suffix (cheaper than training again). Returns the
    versions, the original first."""
    from supportability.registry import Registry

    original = Registry(source).promoted_version()
    assert original is not None, f"no promoted model in {source}"
    versions = [original, *(original + suffix for suffix in suffixes)]
    for version in versions:
        shutil.copytree(source / "versions" / original, root / "versions" / version)
        manifest = root / "versions" / version / "manifest.json"
        manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"version": version}))
    Registry(root).promote(original)
    return versions


def logged_prediction(n: int, **fields: Any) -> LoggedPrediction:
    """A plausible logged prediction numbered `n` (its id, case and minute follow from it), for store
    tests; `fields` overrides any column."""
    defaults: dict[str, Any] = {
        "prediction_id": f"01900000-0000-7000-8000-{n:012d}",
        "case_id": f"case-{n}",
        "model_version": "v1",
        "predict_time": datetime(2026, 12, 1, 9, n % 60, tzinfo=UTC),
        "latency_ms": 0.4,
        "routing": (("payouts", 0.8), ("disputes", 0.15), ("refunds", 0.05)),
        "escalation_probability": 0.3,
        "urgency_level": "high",
        "csat_risk_probability": 0.2,
        "resolution_p50_hours": 4.0,
        "resolution_p90_hours": 20.0,
        "decision_action": "auto_route",
        "decision_confidence": 0.8,
        "decision_threshold": 0.6,
        "inputs": {"channel": "email", "body_chars": 120},
        "case_text": None,
        "prediction": b"",
    }
    return LoggedPrediction(**(defaults | fields))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A throwaway PostgreSQL 15 (Debian's package) in a temporary directory, on a free loopback port.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user the
    package creates.

    with PostgresServer() as pg:
        engine = create_engine(pg.url("mydb"))
    """

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="supportability-pg-")
        self.data = Path(self._dir.name) / "data"
        self.port = free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self._as, *command], check=False, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self._dir.name} -c listen_addresses=127.0.0.1"
        log = str(Path(self._dir.name) / "log")
        self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def stop(self) -> None:
        self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> PostgresServer:
        if self._as:
            shutil.chown(self._dir.name, "postgres")
        self._run(str(self.BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped by the test
            self.stop()
        self._dir.cleanup()


PREDICTION_ID_FIELD = "predictionId"  # as proto3 JSON names it


def assert_close(expected: Any, actual: Any, *, abs_tol: float = 1e-9, where: str = "") -> None:
    """Assert two messages (or their proto3-JSON dicts) are equal, numbers to within `abs_tol`.

    Floating-point results may differ in the last bits between processes, languages and batch
    sizes (summation order); everything else must match exactly, but `predictionId`: the service
    mints a new one for every prediction, so two predictions of one case never share it.
    """
    if isinstance(expected, Message):
        expected = json_format.MessageToDict(expected)
    if isinstance(actual, Message):
        actual = json_format.MessageToDict(actual)
    if isinstance(expected, float) or isinstance(actual, float):
        assert math.isclose(expected, actual, rel_tol=0, abs_tol=abs_tol), f"{where}: {expected} != {actual}"
    elif isinstance(expected, dict) and isinstance(actual, dict):
        expected, actual = ({k: v for k, v in d.items() if k != PREDICTION_ID_FIELD} for d in (expected, actual))
        assert expected.keys() == actual.keys(), f"{where}: fields {sorted(expected)} != {sorted(actual)}"
        for key in expected:
            assert_close(expected[key], actual[key], abs_tol=abs_tol, where=f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        assert len(expected) == len(actual), f"{where}: {len(expected)} items != {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_close(e, a, abs_tol=abs_tol, where=f"{where}[{i}]")
    else:
        assert expected == actual, f"{where}: {expected!r} != {actual!r}"
