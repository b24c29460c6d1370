"""`make bench`, the online half: what the prediction log costs PredictCase, and durable outcome
writes on SQLite and on PostgreSQL, all in one run on loopback.

- PredictCase with the prediction log on and off: two servers up side by side, measured in
  alternation (ALTERNATIONS times each) at concurrency 1 and 8, so the ratio is of figures taken
  seconds apart; on this shared machine single runs swing by 10-20%. The ratio is of the medians,
  its 95% interval from the rounds' paired ratios (bench/paired.py); the verdict says met only
  when the whole interval is within the target. Then the log's row count
  against the calls the log-on server answered: the log kept up (nothing dropped) or not.
- RecordOutcome at concurrency 8 (ghz), each call a new outcome for a distinct logged
  prediction, so every call is a real durable write; the warm-up writes outcomes of its own.
- BatchRecordOutcomes of 1,000 distinct outcomes at concurrency 4 (ghz): outcomes/s and p99.
- The same two on a throwaway PostgreSQL 15 (synchronous_commit on, fsync on).

    .venv/bin/python bench/online.py [--seconds 10] [--registry var/registry]

Prints a table and writes it as JSON to .cache/bench/online.json; exits 1 if a figure is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import ghz
import targets
import tools
from paired import paired_interval, verdict
from protoset import file_descriptor_set
from supportability.client import Client
from supportability.testing import PostgresServer
from supportability.v1 import outcome_pb2, outcome_service_pb2, support_case_pb2

BENCH_DIR = Path(__file__).resolve().parent
REPO = Path(os.environ.get("SUPPORTABILITY_ROOT") or BENCH_DIR.parent)
CACHE = REPO / ".cache"
WORKDIR = CACHE / "bench" / "online"
VECTORS = REPO / "tests" / "vectors" / "cases.json"
RECORD_OUTCOME = "supportability.v1.OutcomeService.RecordOutcome"
WARMUP_OUTCOMES = 500
BATCH_SIZE = 1_000
BATCH_RECORD_OUTCOMES = "supportability.v1.OutcomeService.BatchRecordOutcomes"
BATCH_CONCURRENCY = 4
BATCH_WARMUP = 4  # batches
BATCH_MEASURED = 40
ALTERNATIONS = 6  # off, on, off, on, ... per concurrency: pairs for the ratio's interval


def _predictions(address: str, prefix: str, count: int) -> None:
    """Log `count` predictions with case ids prefix-0 ... (batches of 1,000), and wait until logged."""
    case = support_case_pb2.SupportCase(subject="Payout missing", body="Our payout did not arrive.",
                                        channel=support_case_pb2.CHANNEL_EMAIL)
    with Client(address, timeout=60) as client:
        for start in range(0, count, BATCH_SIZE):
            batch = []
            for i in range(start, min(start + BATCH_SIZE, count)):
                c = support_case_pb2.SupportCase()
                c.CopyFrom(case)
                c.case_id = f"{prefix}-{i}"
                batch.append(c)
            client.batch_predict_cases(batch)
            # The log is written off the request path, and drops what overflows its queue: let
            # each batch reach the store before the next.
            _wait_logged(client, batch[-1].case_id)


def _wait_logged(client: Client, case_id: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            client.get_prediction_record(case_id=case_id)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _outcome(case_id: str, i: int) -> outcome_pb2.Outcome:
    return outcome_pb2.Outcome(case_id=case_id, resolved_queue="payouts", escalated=i % 3 == 0,
                               resolution_hours=1.5 + i % 40, csat_score=1 + i % 5)


def _outcome_loads(prefix: str, count: int) -> tuple[ghz.Load, ghz.Load]:
    """(warm-up, measured) RecordOutcome requests over distinct cases."""
    protoset = WORKDIR / "outcomes.protoset"
    protoset.write_bytes(file_descriptor_set(outcome_service_pb2.DESCRIPTOR).SerializeToString())

    def requests(first: int, last: int, name: str) -> Path:
        return ghz.write_requests((outcome_service_pb2.RecordOutcomeRequest(outcome=_outcome(f"{prefix}-{i}", i))
                                   for i in range(first, last)), WORKDIR / name)

    return (ghz.Load(RECORD_OUTCOME, protoset, requests(0, WARMUP_OUTCOMES, f"{prefix}-warmup.bin")),
            ghz.Load(RECORD_OUTCOME, protoset, requests(WARMUP_OUTCOMES, count, f"{prefix}-measured.bin")))


def _batch_loads(prefix: str, first: int) -> tuple[ghz.Load, ghz.Load]:
    """(warm-up, measured) BatchRecordOutcomes requests of BATCH_SIZE distinct outcomes each."""
    protoset = WORKDIR / "outcomes.protoset"

    def batches(start: int, count: int, name: str) -> Path:
        requests = (outcome_service_pb2.BatchRecordOutcomesRequest(outcomes=[
            _outcome(f"{prefix}-{i}", i) for i in range(first + b * BATCH_SIZE, first + (b + 1) * BATCH_SIZE)])
            for b in range(start, start + count))  # fmt: skip
        return ghz.write_requests(requests, WORKDIR / name)

    return (ghz.Load(BATCH_RECORD_OUTCOMES, protoset, batches(0, BATCH_WARMUP, f"{prefix}-batch-warmup.bin"),
                     cases_per_call=BATCH_SIZE),
            ghz.Load(BATCH_RECORD_OUTCOMES, protoset, batches(BATCH_WARMUP, BATCH_MEASURED, f"{prefix}-batch.bin"),
                     cases_per_call=BATCH_SIZE))


def _figures(m: ghz.Measurement) -> dict[str, float | None]:
    return {"calls_per_second": m.calls_per_second, "p50_ms": m.p50_ms, "p99_ms": m.p99_ms,
            "errors": sum(m.errors.values()), "server_cpu_ms_per_call": m.server_cpu_ms_per_call}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--registry", type=Path, default=REPO / "var" / "registry")
    args = parser.parse_args()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    ghz_binary = tools.ensure_ghz(CACHE)
    predict = targets.predict_load(targets.golden_requests(VECTORS), WORKDIR)
    results: dict[str, dict] = {"prediction_log": {}, "outcomes": {}}
    failures: list[str] = []

    with contextlib.ExitStack() as stack:
        on = stack.enter_context(targets.service(args.registry, WORKDIR, name="log-on"))
        off = stack.enter_context(targets.service(args.registry, WORKDIR, "--no-log-predictions", name="log-off"))
        answered = 0
        for concurrency in (1, 8):
            runs = results["prediction_log"].setdefault(f"c{concurrency}", {"log_off": [], "log_on": []})
            for turn in range(ALTERNATIONS):
                for name, server in (("log_off", off), ("log_on", on)):
                    print(f"bench: PredictCase {name} at concurrency {concurrency} ({turn + 1})", file=sys.stderr)
                    m = ghz.measure(ghz_binary, name, server.address, predict, server.cpu_seconds,
                                    concurrency=concurrency, seconds=args.seconds / 2, warmup_calls=200)
                    runs[name].append(_figures(m))
                    if name == "log_on":
                        answered += m.calls + 200  # the warm-up's calls are logged too
        time.sleep(1.0)  # the log lingers up to 0.25 s before its group commit
        with sqlite3.connect(WORKDIR / "log-on-online.db") as log:
            logged = log.execute("SELECT count(*) FROM predictions").fetchone()[0]
        results["prediction_log"]["kept_up"] = {"answered": answered, "logged": logged}

        pg = stack.enter_context(PostgresServer())
        stores = {"sqlite": None, "postgresql": pg.create_database("bench")}
        for backend, store in stores.items():
            server = stack.enter_context(targets.service(args.registry, WORKDIR, name=f"outcomes-{backend}", store=store))
            needed = WARMUP_OUTCOMES + 40_000
            batch_first = needed
            total = needed + (BATCH_WARMUP + BATCH_MEASURED) * BATCH_SIZE
            print(f"bench: logging {total} predictions on {backend}", file=sys.stderr)
            _predictions(server.address, backend, total)
            warmup, measured = _outcome_loads(backend, needed)
            print(f"bench: RecordOutcome on {backend} at concurrency 8", file=sys.stderr)
            m = ghz.measure(ghz_binary, f"record-{backend}", server.address, measured, server.cpu_seconds,
                            concurrency=8, seconds=args.seconds, warmup_calls=WARMUP_OUTCOMES, warmup_load=warmup,
                            max_calls=needed - WARMUP_OUTCOMES)
            results["outcomes"][backend] = {"record_outcome_c8": _figures(m)}
            if m.errors:
                failures.append(f"RecordOutcome on {backend}: {m.errors}")
            print(f"bench: BatchRecordOutcomes x{BATCH_SIZE} on {backend}", file=sys.stderr)
            warmup, measured = _batch_loads(backend, batch_first)
            m = ghz.measure(ghz_binary, f"batch-{backend}", server.address, measured, server.cpu_seconds,
                            concurrency=BATCH_CONCURRENCY, seconds=args.seconds, warmup_calls=BATCH_WARMUP,
                            warmup_load=warmup, max_calls=BATCH_MEASURED)
            results["outcomes"][backend]["batch_record_outcomes"] = _figures(m) | {
                "outcomes_per_second": m.cases_per_second}
            if m.errors:
                failures.append(f"BatchRecordOutcomes on {backend}: {m.errors}")

    print(render(results))
    (WORKDIR.parent / "online.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {WORKDIR.parent / 'online.json'}")
    return 1 if failures else 0


def render(results: dict) -> str:
    lines = ["", "online: the prediction log's cost (PredictCase calls/s, log on / off, measured in alternation)"]
    for level in ("c1", "c8"):
        runs = results["prediction_log"][level]

        def figures(name: str, figure: str) -> list[float]:
            return [float(r[figure] or 0.0) for r in runs[name]]

        on, off = figures("log_on", "calls_per_second"), figures("log_off", "calls_per_second")
        ratio = statistics.median(on) / statistics.median(off) - 1
        cpu_on, cpu_off = figures("log_on", "server_cpu_ms_per_call"), figures("log_off", "server_cpu_ms_per_call")
        cpu = statistics.median(cpu_on) / statistics.median(cpu_off) - 1
        lines.append(f"  {level}: calls/s on {statistics.median(on):6.0f} off {statistics.median(off):6.0f} (medians), "
                     f"on/off - 1 = {verdict(ratio, paired_interval(on, off), -0.05, floor=True)} (target >= -5%)")
        lines.append(f"       server CPU per call on/off - 1 = {cpu:+.1%} (95% CI "
                     f"{' to '.join(f'{x:+.1%}' for x in paired_interval(cpu_on, cpu_off) or [])}); "
                     f"rounds on: {' '.join(f'{x:.0f}' for x in on)}; off: {' '.join(f'{x:.0f}' for x in off)}")
    kept = results["prediction_log"]["kept_up"]
    lines.append(f"  the log kept {kept['logged']} of the {kept['answered']} predictions the log-on server answered")
    lines.append("online: durable outcome writes")
    for backend, figures in results["outcomes"].items():
        r, b = figures["record_outcome_c8"], figures["batch_record_outcomes"]
        lines.append(f"  {backend:10} RecordOutcome c=8 {r['calls_per_second']:8.0f} calls/s  p50 {r['p50_ms']:.2f} ms  "
                     f"p99 {r['p99_ms']:.2f} ms   BatchRecordOutcomes x{BATCH_SIZE} {b['outcomes_per_second']:8.0f} "
                     f"outcomes/s  p99 {b['p99_ms']:.0f} ms")
    lines.append("  targets (SQLite): RecordOutcome >= 1,500 calls/s at c=8; BatchRecordOutcomes >= 20,000 outcomes/s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
