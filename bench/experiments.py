"""`make bench`: what experiments cost PredictCase, over a real socket (ghz), side by side.

    .venv/bin/python bench/experiments.py [--registry var/registry] [--seconds 4]

Four `supportability serve` processes, each on its own copy of the promoted version, all with the
prediction log on: no experiment; an A/B test whose arms are that model and a byte-identical twin
split 99/1 (every call is assigned, and almost every call runs the same model, so what differs is
the assignment); the same split 50/50 (what an A/B test costs, two models' memory included); and
a shadow experiment (the twin scores every case in the shadow process). Each is measured at
concurrency 1 in turn, each turn starting one target later, ALTERNATIONS times: each ratio is of
figures taken seconds apart (on this shared machine single runs swing by 10-20%), and every target
takes every place in the order once. Per target: calls/s, p50, p99, and the server's CPU per call
(its process tree: the log writer and the shadow process included), which other load on the
machine disturbs less. Prints a table and writes JSON to .cache/bench/experiments-serving.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import ghz
import targets
import tools
from supportability.client import Client
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.store import ExperimentStore
from supportability.registry import Registry
from supportability.testing import registry_with_twins
from supportability.v1 import prediction_service_pb2

BENCH_DIR = Path(__file__).resolve().parent
REPO = Path(os.environ.get("SUPPORTABILITY_ROOT") or BENCH_DIR.parent)
CACHE = REPO / ".cache"
WORKDIR = CACHE / "bench" / "experiments"
VECTORS = REPO / "tests" / "vectors" / "cases.json"
ALTERNATIONS = 4  # one per target: each takes every place in the order once
MERCHANTS = 2_000  # distinct units in the request file (ghz cycles through it)
TARGETS = {  # name -> (mode, weight of the original; the twin gets the rest)
    "none": ("", 1.0),
    "ab_99_1": ("ab", 0.99),
    "ab_50_50": ("ab", 0.5),
    "shadow": ("shadow", 1.0),
}


def _registry(source: Path, name: str, mode: str, weight: float) -> Path:
    """A registry holding the promoted version and a byte-identical twin, with `mode` running."""
    root = WORKDIR / f"registry-{name}"
    shutil.rmtree(root, ignore_errors=True)
    original, twin = registry_with_twins(source, root, "-twin")
    if mode:
        experiments = ExperimentStore(Registry(root))
        arms = [Arm(original, weight), Arm(twin, round(1 - weight, 12))]
        experiments.create(new_experiment(f"bench-{name}", arms, unit="merchant_id", mode=mode))
        experiments.move(f"bench-{name}", "start")
    return root


def _requests() -> list[prediction_service_pb2.PredictCaseRequest]:
    """The golden cases, each sent by MERCHANTS merchants in turn (the assignment unit)."""
    golden = targets.golden_requests(VECTORS)
    requests = []
    for i in range(MERCHANTS):
        request = prediction_service_pb2.PredictCaseRequest()
        request.CopyFrom(golden[i % len(golden)])
        request.support_case.account.merchant_id = f"acct_{i}"
        request.ClearField("request_id")
        requests.append(request)
    return requests


def _shadows_stored(name: str) -> int:
    with contextlib.closing(sqlite3.connect(WORKDIR / f"{name}-online.db")) as db:
        return int(db.execute("SELECT count(*) FROM shadow_predictions").fetchone()[0])


def _wait_for_shadows(address: str, request: prediction_service_pb2.PredictCaseRequest) -> None:
    """The shadow process drops jobs until its models are loaded: call until one is stored."""
    deadline = time.monotonic() + 120
    with Client(address, timeout=10) as client:
        while _shadows_stored("shadow") == 0:
            assert time.monotonic() < deadline, "the shadow process never stored a prediction"
            client.predict_case(request)
            time.sleep(0.3)


def _figures(m: ghz.Measurement) -> dict[str, float | None]:
    return {"calls_per_second": m.calls_per_second, "p50_ms": m.p50_ms, "p99_ms": m.p99_ms,
            "errors": sum(m.errors.values()), "server_cpu_ms_per_call": m.server_cpu_ms_per_call}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="per measured run")
    parser.add_argument("--registry", type=Path, default=REPO / "var" / "registry")
    args = parser.parse_args()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    ghz_binary = tools.ensure_ghz(CACHE)
    requests = _requests()
    load = targets.predict_load(requests, WORKDIR)
    runs: dict[str, list[dict[str, float | None]]] = {name: [] for name in TARGETS}
    answered = 0
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(targets.service(_registry(args.registry, name, *setting), WORKDIR,
                                                             name=name))
                   for name, setting in TARGETS.items()}  # fmt: skip
        _wait_for_shadows(servers["shadow"].address, requests[0])
        before = _shadows_stored("shadow")
        names = list(servers)
        for turn in range(ALTERNATIONS):
            # Each turn starts one target later: a run always follows another's tail (the log's group
            # commit, the shadow's last batch), and no target should always follow the same one.
            for name in names[turn % len(names):] + names[:turn % len(names)]:
                server = servers[name]
                print(f"bench: PredictCase, experiment {name}, concurrency 1 ({turn + 1})", file=sys.stderr)
                m = ghz.measure(ghz_binary, name, server.address, load, server.cpu_seconds, concurrency=1,
                                seconds=args.seconds, warmup_calls=200)
                runs[name].append(_figures(m))
                if name == "shadow":
                    answered += m.calls + 200
        time.sleep(1.0)  # the shadow process lingers before it scores a batch
        stored = _shadows_stored("shadow") - before
    results = {"runs": runs, "summary": summary(runs), "shadow_kept_up": {"answered": answered, "stored": stored},
               "load_average": os.getloadavg()}
    print(render(results))
    out = CACHE / "bench" / "experiments-serving.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {out}")
    return 1 if any(r["errors"] for rs in runs.values() for r in rs) else 0


def summary(runs: dict[str, list[dict[str, float | None]]]) -> dict[str, dict[str, float]]:
    """Per target the median over alternations of each figure, and each experiment's ratio to none."""
    def median(name: str, figure: str) -> float:
        return statistics.median(float(r[figure] or 0.0) for r in runs[name])

    figures = ("calls_per_second", "p50_ms", "p99_ms", "server_cpu_ms_per_call")
    out = {name: {f: median(name, f) for f in figures} for name in runs}
    for name in runs:
        if name != "none":
            out[name] |= {f"{f}_vs_none": out[name][f] / out["none"][f] - 1 for f in figures}
    return out


def render(results: dict) -> str:
    s, kept = results["summary"], results["shadow_kept_up"]
    lines = ["", "experiments: PredictCase at concurrency 1 over loopback, medians of "
             f"{ALTERNATIONS} alternations (load average {' '.join(f'{x:.2f}' for x in results['load_average'])})",
             f"  {'':10} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server CPU ms/call':>19}   vs none: "
             "p50, p99, CPU/call"]  # fmt: skip
    for name, f in s.items():
        versus = "" if name == "none" else (f"   {f['p50_ms_vs_none']:+7.1%} {f['p99_ms_vs_none']:+7.1%} "
                                            f"{f['server_cpu_ms_per_call_vs_none']:+7.1%}")  # fmt: skip
        lines.append(f"  {name:10} {f['calls_per_second']:9.0f} {f['p50_ms']:8.3f} {f['p99_ms']:8.3f} "
                     f"{f['server_cpu_ms_per_call']:19.3f}{versus}")  # fmt: skip
    lines.append(f"  targets: assignment (ab_99_1) adds <= 2% to PredictCase's cost; with a shadow on, the "
                 f"primary's p99 rises <= 10%. The shadow process stored {kept['stored']:,} shadow predictions "
                 f"for the {kept['answered']:,} calls the shadow server answered.")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
