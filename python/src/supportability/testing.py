"""Test helpers: run a real server in a subprocess on a free loopback port."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message


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

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self._log.close()
        self._dir.cleanup()


def assert_close(expected: Any, actual: Any, *, abs_tol: float = 1e-9, where: str = "") -> None:
    """Assert two messages (or their proto3-JSON dicts) are equal, numbers to within `abs_tol`.

    Floating-point results may differ in the last bits between processes, languages and batch
    sizes (summation order); everything else must match exactly.
    """
    if isinstance(expected, Message):
        expected = json_format.MessageToDict(expected)
    if isinstance(actual, Message):
        actual = json_format.MessageToDict(actual)
    if isinstance(expected, float) or isinstance(actual, float):
        assert math.isclose(expected, actual, rel_tol=0, abs_tol=abs_tol), f"{where}: {expected} != {actual}"
    elif isinstance(expected, dict) and isinstance(actual, dict):
        assert expected.keys() == actual.keys(), f"{where}: fields {sorted(expected)} != {sorted(actual)}"
        for key in expected:
            assert_close(expected[key], actual[key], abs_tol=abs_tol, where=f"{where}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        assert len(expected) == len(actual), f"{where}: {len(expected)} items != {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_close(e, a, abs_tol=abs_tol, where=f"{where}[{i}]")
    else:
        assert expected == actual, f"{where}: {expected!r} != {actual!r}"
