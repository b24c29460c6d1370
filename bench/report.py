"""The bench's results: one table for people, the same figures as JSON for tools."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ghz import Measurement
from tools import MLSERVER_VERSION

BARE, SERVICE, BATCH, MLSERVER = "bare", "service", "batch", "mlserver"
# `serve --workers 1` and `--workers 2` driven over several connections (the kernel spreads
# connections, not calls, over the workers), measured at concurrency 8 only.
ONE_WORKER, TWO_WORKERS = "one_worker", "two_workers"
WORKERS_CONNECTIONS = 8
CONCURRENCIES = (1, 8)  # sequential callers, and a busy client's worth
LABELS = {
    BARE: "bare grpcio, constant reply",
    SERVICE: "service PredictCase",
    BATCH: "service BatchPredictCases x1000",
    MLSERVER: f"MLServer {MLSERVER_VERSION} ModelInfer",
    ONE_WORKER: f"--workers 1, {WORKERS_CONNECTIONS} connections",
    TWO_WORKERS: f"--workers 2, {WORKERS_CONNECTIONS} connections",
}
SERVER_LABELS = {SERVICE: "service", BARE: "bare grpcio server", MLSERVER: f"MLServer {MLSERVER_VERSION}",
                 TWO_WORKERS: "service --workers 2"}
MIB = 1024 * 1024


def _calls_per_second(m: Measurement) -> float:
    return m.calls_per_second


def _calls_per_cpu_second(m: Measurement) -> float:
    """Throughput per CPU-second the server used."""
    return 1000 / m.server_cpu_ms_per_call if m.server_cpu_ms_per_call else 0.0


@dataclass(frozen=True)
class ServerFigures:
    name: str
    ready_seconds: float  # spawn to ready
    rss_bytes: int  # after its load


@dataclass(frozen=True)
class ClientRun:
    name: str
    command: list[str]
    returncode: int | None  # None: timed out
    output: str


@dataclass
class Report:
    settings: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)  # versions, load average, model descriptions
    measurements: list[Measurement] = field(default_factory=list)
    servers: list[ServerFigures] = field(default_factory=list)
    clients: list[ClientRun] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def find(self, target: str, concurrency: int) -> Measurement | None:
        return next((m for m in self.measurements if m.target == target and m.concurrency == concurrency), None)

    def ratio(self, numerator: str, denominator: str, concurrency: int,
              metric: Callable[[Measurement], float] = _calls_per_second) -> float | None:
        top, bottom = self.find(numerator, concurrency), self.find(denominator, concurrency)
        if top is None or bottom is None or not metric(bottom):
            return None
        return metric(top) / metric(bottom)

    def ratios(self) -> dict[str, dict[int, float | None]]:
        """calls/s ratios, and the same per CPU-second the servers used: what the calls/s ratio would
        be if each server had a core to itself, which other work on the machine disturbs less."""
        return {f"{kind}: {SERVER_LABELS[numerator]} / {SERVER_LABELS[denominator]}":
                {c: self.ratio(numerator, denominator, c, metric) for c in CONCURRENCIES}
                for kind, metric in (("calls/s", _calls_per_second), ("calls/CPU-s", _calls_per_cpu_second))
                for numerator, denominator in ((SERVICE, BARE), (SERVICE, MLSERVER))}

    def workers_ratios(self) -> dict[str, float | None]:
        """--workers 2 against --workers 1 at concurrency 8: calls/s, and calls per CPU-second
        (what the ratio would be with a core per worker and the load generator elsewhere)."""
        return {"calls/s": self.ratio(TWO_WORKERS, ONE_WORKER, 8),
                "calls/CPU-s": self.ratio(TWO_WORKERS, ONE_WORKER, 8, _calls_per_cpu_second)}

    def target_checks(self) -> list[tuple[str, str, bool | None]]:
        """Issue #17's targets: (what, measured, met); met is None when it could not be measured."""
        checks: list[tuple[str, str, bool | None]] = []
        for c, floor in ((1, 0.8), (8, 0.7)):
            r = self.ratio(SERVICE, BARE, c)
            checks.append((f"PredictCase >= {floor:.0%} of bare calls/s (c={c})", _fmt(r, "x"),
                           None if r is None else r >= floor))
        for c in CONCURRENCIES:
            r = self.ratio(SERVICE, MLSERVER, c)
            checks.append((f"PredictCase >= 2x MLServer calls/s (c={c})", _fmt(r, "x"), None if r is None else r >= 2))
        single = self.find(SERVICE, 1)
        p99 = single.p99_ms if single else None
        checks.append(("PredictCase p99 at c=1 <= 2 ms", _fmt(p99, " ms"), None if p99 is None else p99 <= 2))
        batch = self.find(BATCH, 8)
        rate = batch.cases_per_second if batch else None
        checks.append(("BatchPredictCases >= 25,000 cases/s (c=8)", _fmt(rate, " cases/s", 0),
                       None if rate is None else rate >= 25_000))
        service = next((s for s in self.servers if s.name == SERVICE), None)
        rss = service.rss_bytes / MIB if service else None  # one worker, with its log writer process
        checks.append(("service RSS per worker <= 250 MB", _fmt(rss, " MiB", 0), None if rss is None else rss <= 250))
        ready = service.ready_seconds if service else None
        checks.append(("service ready <= 3 s after start", _fmt(ready, " s", 2), None if ready is None else ready <= 3))
        return checks

    def to_json(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "context": self.context,
            "measurements": [dict(dataclasses.asdict(m), label=LABELS[m.target], calls_per_second=m.calls_per_second,
                                  cases_per_second=m.cases_per_second, server_cpu_percent=m.server_cpu_percent,
                                  server_cpu_ms_per_call=m.server_cpu_ms_per_call, ghz_cpu_percent=m.ghz_cpu_percent) for m in self.measurements],
            "ratios": {name: {f"c{c}": v for c, v in by_c.items()} for name, by_c in self.ratios().items()},
            "workers_2_over_1_c8": self.workers_ratios(),
            "servers": [dataclasses.asdict(s) for s in self.servers],
            "clients": [dataclasses.asdict(c) for c in self.clients],
            "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in self.target_checks()],
            "failures": self.failures,
        }

    def render(self) -> str:
        lines = [f"{'target':<34}{'conc':>5}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cases/s':>10}"
                 f"{'srv CPU':>9}{'ms/call':>9}{'ghz CPU':>9}  errors"]
        order = list(LABELS)
        for m in sorted(self.measurements, key=lambda m: (order.index(m.target), m.concurrency)):
            errors = ", ".join(f"{k}: {v}" for k, v in m.errors.items()) or "0"
            cases = f"{m.cases_per_second:>10,.0f}" if m.cases_per_call > 1 else f"{'':>10}"
            lines.append(f"{LABELS[m.target]:<34}{m.concurrency:>5}{m.calls_per_second:>10,.0f}"
                         f"{_fmt(m.p50_ms):>9}{_fmt(m.p99_ms):>9}{cases}"
                         f"{m.server_cpu_percent:>8.0f}%{m.server_cpu_ms_per_call:>9.3f}{m.ghz_cpu_percent:>8.0f}%  {errors}")
        lines += ["", f"{'ratio':<48}{'c=1':>8}{'c=8':>8}"]
        for name, by_c in self.ratios().items():
            lines.append(f"{name:<48}" + "".join(f"{_fmt(v, 'x'):>8}" for v in by_c.values()))
        for kind, value in self.workers_ratios().items():
            lines.append(f"{kind + ': --workers 2 / --workers 1':<48}{'':>8}{_fmt(value, 'x'):>8}")
        lines += ["", f"{'server':<34}{'ready s':>8}{'RSS MiB':>9}"]
        for s in self.servers:
            lines.append(f"{SERVER_LABELS[s.name]:<34}{s.ready_seconds:>8.2f}{s.rss_bytes / MIB:>9.0f}")
        lines += ["", "issue #17 targets:"]
        for target, measured, met in self.target_checks():
            verdict = {True: "met", False: "NOT met", None: "not measured"}[met]
            lines.append(f"  {target:<48}{measured:>16}  {verdict}")
        for client in self.clients:
            status = "timed out" if client.returncode is None else f"exit {client.returncode}"
            lines += ["", f"client bench {client.name} ({status}): {' '.join(client.command)}", client.output.rstrip()]
        if self.failures:
            lines += ["", "FAILURES:"] + [f"  {f}" for f in self.failures]
        return "\n".join(lines)


def _fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}{unit}"
