"""Runs ghz against one target and reduces its JSON report to the figures the bench prints."""

from __future__ import annotations

import json
import math
import resource
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import Message

NANOS_PER_MS = 1e6


@dataclass(frozen=True)
class Load:
    """What ghz sends: one RPC, described by a protoset, with requests used round-robin."""

    call: str  # "package.Service.Method"
    protoset: Path  # a FileDescriptorSet holding the call's types
    requests: Path  # varint-delimited serialized requests (ghz -B)
    cases_per_call: int = 1


@dataclass(frozen=True)
class Measurement:
    target: str
    concurrency: int
    calls: int  # successful calls
    errors: dict[str, int]  # status or error text -> count, over the measured window
    seconds: float
    p50_ms: float | None
    p99_ms: float | None
    cases_per_call: int
    # CPU used during the measured run, to tell who was the bottleneck on a small shared machine.
    server_cpu_seconds: float
    ghz_cpu_seconds: float

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def cases_per_second(self) -> float:
        return self.calls_per_second * self.cases_per_call

    @property
    def server_cpu_percent(self) -> float:
        return 100 * self.server_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms_per_call(self) -> float:
        """Less sensitive to other work on the machine than calls/s: a starved server waits, it does not burn."""
        return 1000 * self.server_cpu_seconds / self.calls if self.calls else 0.0

    @property
    def ghz_cpu_percent(self) -> float:
        return 100 * self.ghz_cpu_seconds / self.seconds if self.seconds else 0.0


def write_requests(requests: Iterable[Message], path: Path) -> Path:
    """Requests in ghz's binary format: each prefixed with its length as a varint."""
    with path.open("wb") as out:
        for request in requests:
            data = request.SerializeToString()
            out.write(_varint(len(data)) + data)
    return path


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def measure(ghz: Path, target: str, address: str, load: Load, server_cpu: Callable[[], float], *,
            concurrency: int, seconds: float, warmup_calls: int, warmup_load: Load | None = None,
            max_calls: int | None = None, connections: int = 1) -> Measurement:
    """A warm-up run (discarded: connection set-up, lazy imports, caches), then a measured run.

    The measured run is a fixed number of calls, sized from the warm-up's rate to last about
    `seconds`: a --duration run cancels the calls in flight when time is up, and ghz counts
    those as errors. Writes that must not repeat warm up on requests of their own
    (`warmup_load`) and are capped at the distinct requests they have (`max_calls`).
    """
    warmup = run(ghz, address, warmup_load or load, concurrency,
                 ["--total", str(max(warmup_calls, concurrency))], timeout=120, connections=connections)
    calls = max(10 * concurrency, math.ceil(warmup["rps"] * seconds))
    if max_calls is not None:
        calls = min(calls, max_calls)
    server_cpu_before, ghz_cpu_before = server_cpu(), _children_cpu_seconds()
    report = run(ghz, address, load, concurrency, ["--total", str(calls)], timeout=6 * seconds + 60,
                 connections=connections)
    server_cpu_seconds, ghz_cpu_seconds = server_cpu() - server_cpu_before, _children_cpu_seconds() - ghz_cpu_before
    statuses = report.get("statusCodeDistribution") or {}
    errors = {status: n for status, n in statuses.items() if status != "OK"}
    errors.update(report.get("errorDistribution") or {})
    latencies = {d["percentage"]: d["latency"] / NANOS_PER_MS for d in report.get("latencyDistribution") or []}
    return Measurement(
        target=target,
        concurrency=concurrency,
        calls=statuses.get("OK", 0),
        errors=errors,
        seconds=report["total"] / 1e9,
        p50_ms=latencies.get(50),
        p99_ms=latencies.get(99),
        cases_per_call=load.cases_per_call,
        server_cpu_seconds=server_cpu_seconds,
        ghz_cpu_seconds=ghz_cpu_seconds,
    )


def _children_cpu_seconds() -> float:
    """CPU time of this process's finished children: ghz is the only one that ends meanwhile."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(ghz: Path, address: str, load: Load, concurrency: int, extra: list[str], timeout: float,
        call_timeout: str = "20s", connections: int = 1) -> dict:
    """One ghz run's JSON report; `timeout` bounds the run, `call_timeout` is each call's deadline.
    One connection unless told: a server with --workers needs several to reach them all."""
    command = [
        str(ghz), "--insecure", "--protoset", str(load.protoset), "--call", load.call,
        "--binary-file", str(load.requests), "--concurrency", str(concurrency), "--connections", str(connections),
        # The requests are fixed bytes: skip ghz's per-call templating, which costs client CPU.
        "--disable-template-functions", "--disable-template-data",
        "--timeout", call_timeout, "--format", "json", *extra, address,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"ghz failed ({result.returncode}): {result.stderr.strip() or result.stdout[:2000]}")
    return json.loads(result.stdout)
