"""`make bench`, the overload half: PredictCase at 200 concurrent callers, far past what the
server can answer, beside the bare grpcio server under the same load.

The targets: the bare server, the service with its defaults, and the service with
--max-concurrent-streams (--streams), which makes ghz's one connection hold its calls beyond that
many in the client instead of queueing them in the server. For each: a reference run at
concurrency 8 (its peak calls/s and p99), then ghz with 200 callers whose calls carry a deadline
(--deadline-ms). What the starved client sees and what the server did are counted apart, because
ghz shares the machine's cores with the servers:

- client side (ghz): calls answered OK in time, refused (RESOURCE_EXHAUSTED), timed out, and the
  p50/p99 latency of the calls answered OK (the admitted ones);
- server side (the service's own /metrics, scraped before and after): calls admitted, shed (by
  deadline, by concurrency) and completed OK. Completed OK minus the client's OK is work that was
  finished after its caller had given up. The bare server has no metrics: only its client side.

Goodput is completed OK calls/s at 200 callers over the peak calls/s at concurrency 8.

    .venv/bin/python bench/overload.py [--seconds 10] [--callers 200] [--deadline-ms 100] [--streams 16]
                                       [--workers 1 [--connections 16]]

Prints a table and writes it as JSON to .cache/bench/overload.json; exits 1 if a target fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc

import ghz
import targets
import tools
from processes import Server

BENCH_DIR = Path(__file__).resolve().parent
REPO = Path(os.environ.get("SUPPORTABILITY_ROOT") or BENCH_DIR.parent)
CACHE = REPO / ".cache"
WORKDIR = CACHE / "bench" / "overload"
VECTORS = REPO / "tests" / "vectors" / "cases.json"
REFERENCE_CONCURRENCY = 8
WARMUP_CALLS = 200
# The service's counters, as /metrics names them, and the short names the report uses.
COUNTERS = {
    "supportability_calls_admitted_total": "admitted",
    'supportability_load_shed_total{reason="deadline"}': "shed_deadline",
    'supportability_load_shed_total{reason="concurrency"}': "shed_concurrency",
    'supportability_rpc_calls_total{code="OK",method="PredictCase"}': "completed_ok",
}


@dataclass(frozen=True)
class Overload:
    target: str
    peak_calls_per_second: float  # at the reference concurrency
    peak_p99_ms: float | None
    callers: int
    deadline_ms: int
    seconds: float  # of the overload run
    client_statuses: dict[str, int]  # what ghz saw, by status
    admitted_p50_ms: float | None  # latency of the calls answered OK, as ghz saw it
    admitted_p99_ms: float | None
    server_counts: dict[str, float] | None  # the service's own counters over the run; None for the bare server
    server_cpu_seconds: float

    @property
    def server_ok_per_second(self) -> float:
        ok = self.server_counts["completed_ok"] if self.server_counts else self.client_statuses.get("OK", 0)
        return ok / self.seconds if self.seconds else 0.0

    @property
    def goodput(self) -> float:
        return self.server_ok_per_second / self.peak_calls_per_second if self.peak_calls_per_second else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="about how long each measured run lasts")
    parser.add_argument("--callers", type=int, default=200, help="concurrent ghz callers of the overload run")
    parser.add_argument("--deadline-ms", type=int, default=100, help="each overload call's deadline")
    parser.add_argument("--streams", type=int, default=16,
                        help="--max-concurrent-streams of the third target; 0: no third target")
    parser.add_argument("--workers", type=int, default=1, help="the service's --workers")
    parser.add_argument("--connections", type=int, default=1,
                        help="ghz connections (with --workers, several: each reaches one worker)")
    parser.add_argument("--registry", type=Path, default=REPO / "var" / "registry")
    args = parser.parse_args()

    WORKDIR.mkdir(parents=True, exist_ok=True)
    ghz_binary = tools.ensure_ghz(CACHE)
    requests = targets.golden_requests(VECTORS)
    load = targets.predict_load(requests, WORKDIR)
    context = {"python": platform.python_version(), "grpcio": grpc.__version__, "cpus": os.cpu_count(),
               "loadavg_at_start": os.getloadavg(), "workers": args.workers, "connections": args.connections}
    results, failures = [], []
    options = ("--metrics-address", "127.0.0.1:0", "--workers", str(args.workers))
    with contextlib.ExitStack() as stack:
        running = {"service": stack.enter_context(targets.service(args.registry, WORKDIR, *options))}
        reply = targets.capture_reply(running["service"].address, requests[0])
        running = {"bare": stack.enter_context(targets.constant_server(reply, WORKDIR)), **running}
        if args.streams:
            name = f"streams{args.streams}"
            running[name] = stack.enter_context(targets.service(
                args.registry, WORKDIR, *options, "--max-concurrent-streams", str(args.streams), name=name))
        for name, server in running.items():
            print(f"bench: {name}, concurrency {REFERENCE_CONCURRENCY} then {args.callers} callers", file=sys.stderr)
            try:
                results.append(measure(ghz_binary, name, server, load, args, counted=name != "bare"))
            except Exception as exc:  # reported; the other targets still run
                failures.append(f"{name}: {exc}")
    context["loadavg_at_end"] = os.getloadavg()
    print(render(results, context))
    for failure in failures:
        print(f"FAILED: {failure}")
    out = WORKDIR.parent / "overload.json"
    out.write_text(json.dumps({"context": context, "results": [asdict(r) | {"goodput": r.goodput} for r in results],
                               "failures": failures}, indent=2) + "\n")
    print(f"\nwritten to {out}")
    return 1 if failures else 0


def measure(ghz_binary: Path, name: str, server: Server, load: ghz.Load, args: argparse.Namespace,
            counted: bool) -> Overload:
    reference = ghz.measure(ghz_binary, name, server.address, load, server.cpu_seconds,
                            concurrency=REFERENCE_CONCURRENCY, seconds=args.seconds, warmup_calls=WARMUP_CALLS,
                            connections=min(args.connections, REFERENCE_CONCURRENCY))
    # A timed run (not a number of calls: under overload most calls end early, refused or late);
    # ghz cancels the calls in flight when the time is up, which shows as "Canceled".
    before = server_counts(server) if counted else None
    cpu_before = server.cpu_seconds()
    report = ghz.run(ghz_binary, server.address, load, args.callers, ["--duration", f"{args.seconds}s"],
                     timeout=10 * args.seconds + 120, call_timeout=f"{args.deadline_ms}ms",
                     connections=args.connections)
    cpu = server.cpu_seconds() - cpu_before
    after = server_counts(server) if counted else None
    p50, p99 = ok_latency_ms(report, (50, 99))
    return Overload(
        target=name, peak_calls_per_second=reference.calls_per_second, peak_p99_ms=reference.p99_ms,
        callers=args.callers, deadline_ms=args.deadline_ms, seconds=report["total"] / 1e9,
        client_statuses=report.get("statusCodeDistribution") or {}, admitted_p50_ms=p50, admitted_p99_ms=p99,
        server_counts={k: after[k] - before[k] for k in after} if after and before else None,
        server_cpu_seconds=cpu,
    )


def ok_latency_ms(report: dict, percentiles: tuple[int, ...]) -> list[float | None]:
    """Percentiles of the latency of calls answered OK (ghz's own distribution mixes in the refused)."""
    latencies = sorted(d["latency"] / ghz.NANOS_PER_MS for d in report.get("details") or () if d["status"] == "OK")
    if not latencies:
        return [None for _ in percentiles]
    return [latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] for p in percentiles]


def server_counts(server: Server) -> dict[str, float]:
    """The service's counters summed over its workers (each has a /metrics port of its own)."""
    ports = [json.loads(line)["metrics_port"] for line in server.log_path.read_text().splitlines()
             if line.startswith("{") and '"message": "serving"' in line]
    counts = dict.fromkeys(COUNTERS.values(), 0.0)
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as page:
            for line in page.read().decode().splitlines():
                name, _, value = line.rpartition(" ")
                if name in COUNTERS:
                    counts[COUNTERS[name]] += float(value)
    return counts


def render(results: list[Overload], context: dict) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    lines = [f"{'target':<9} {'c=8 calls/s':>11} {'c=8 p99':>8} | {'ok/s':>7} {'refused/s':>9} {'late/s':>7} "
             f"{'ok p50':>7} {'ok p99':>7} | {'srv ok/s':>8} {'admitted':>8} {'shed':>7} {'goodput':>7} "
             f"{'cpu ms/ok':>9}"]
    for r in results:
        s, c = r.seconds or 1.0, r.client_statuses
        counts = r.server_counts
        admitted = f"{counts['admitted']:.0f}" if counts else "-"
        shed = f"{counts['shed_deadline'] + counts['shed_concurrency']:.0f}" if counts else "-"
        ok_calls = counts["completed_ok"] if counts else c.get("OK", 0)
        lines.append(
            f"{r.target:<9} {r.peak_calls_per_second:>11.0f} {ms(r.peak_p99_ms):>8} | {c.get('OK', 0) / s:>7.0f} "
            f"{(c.get('ResourceExhausted', 0) + c.get('Unavailable', 0)) / s:>9.0f} "
            f"{c.get('DeadlineExceeded', 0) / s:>7.0f} "
            f"{ms(r.admitted_p50_ms):>7} {ms(r.admitted_p99_ms):>7} | {r.server_ok_per_second:>8.0f} "
            f"{admitted:>8} {shed:>7} "
            f"{r.goodput:>7.2f} {1000 * r.server_cpu_seconds / ok_calls if ok_calls else 0:>9.3f}")
    callers = results[0].callers if results else 0
    deadline = results[0].deadline_ms if results else 0
    lines.append(
        f"\n{callers} callers, {deadline} ms deadlines; ok/refused/late per second as ghz saw them (refused: "
        "RESOURCE_EXHAUSTED, or UNAVAILABLE for a stream refused over the limit; late: DEADLINE_EXCEEDED), "
        "ok p50/p99 in ms over the calls answered OK; srv ok/s, admitted and shed as the service counted them; "
        "goodput: srv ok/s over c=8 calls/s. "
        f"{context['cpus']} CPUs shared by ghz and the servers; Python {context['python']}, grpcio "
        f"{context['grpcio']}, service workers {context['workers']}; load average "
        f"{'/'.join(f'{v:.2f}' for v in context['loadavg_at_start'])} at start, "
        f"{'/'.join(f'{v:.2f}' for v in context['loadavg_at_end'])} at end.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
