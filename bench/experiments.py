"""`make bench`: what experiments cost PredictCase, in-process, with the server's own code.

    .venv/bin/python bench/experiments.py [--registry var/registry] [--calls 2000]

Four predictors over copies of the promoted version, timed in interleaved rounds (the best round
of each), per call so the p99 is there too: no experiment; an A/B test whose arms are the model
and a byte-identical twin (so only the assignment differs); a shadow on a thread (what an
in-process `Predictor` does); and a shadow in a process of its own (what the server does). Also
the assignment hash alone. Prints JSON and writes it to .cache/bench/experiments-serving.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from supportability.experiments import assignment
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.store import ExperimentStore
from supportability.online.sql_store import SqlStore
from supportability.registry import Registry
from supportability.serving.predictor import Predictor
from supportability.serving.shadow_process import ShadowProcess
from supportability.v1 import prediction_service_pb2
from supportability.v1 import support_case_pb2 as sc

ROOT = Path(__file__).resolve().parent.parent


def _twin_registry(registry_path: Path, root: Path, names: tuple[str, ...]) -> str:
    """Copy the promoted version into `root` under each of `names` (suffixes); returns its version."""
    original = Registry(registry_path).promoted_version()
    assert original is not None, f"no promoted model in {registry_path}"
    for version in (original, *(f"{original}-{name}" for name in names)):
        shutil.copytree(registry_path / "versions" / original, root / "versions" / version)
        manifest = json.loads((root / "versions" / version / "manifest.json").read_text())
        (root / "versions" / version / "manifest.json").write_text(json.dumps(manifest | {"version": version}))
    Registry(root).promote(original)
    return original


def serving_cost(registry_path: Path, calls: int = 2_000) -> dict[str, Any]:
    """In-process PredictCase on the promoted model with no experiment, with an A/B test whose arms
    are that model and a byte-identical twin (so only the assignment differs), and with a shadow
    (the twin scoring every case on the shadow thread). Interleaved rounds, the best of each: the
    machine's other load falls on all three alike. Per-call latencies give the p99."""
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        original = _twin_registry(registry_path, Path(a), ("twin",))
        _twin_registry(registry_path, Path(b), ("shadow",))
        plain = Predictor(Path(a))  # loads before the experiment exists and never reloads
        ab_store = ExperimentStore(Registry(Path(a)))
        ab_store.create(
            new_experiment("bench", [Arm(original, 0.5), Arm(f"{original}-twin", 0.5)], unit="merchant_id", mode="ab")
        )
        ab_store.move("bench", "start")
        ab = Predictor(Path(a))
        shadow_store = ExperimentStore(Registry(Path(b)))
        arms = [Arm(original, 1.0), Arm(f"{original}-shadow", 0.0)]
        shadow_store.create(new_experiment("shadow", arms, unit="merchant_id", mode="shadow"))
        shadow_store.move("shadow", "start")
        shadowed = Predictor(Path(b))  # the shadow on a thread (in-process users)
        in_process = Predictor(Path(b))  # the shadow in a process of its own (what the server does)
        in_process.shadows = ShadowProcess(b, f"sqlite:///{b}/online.db")
        requests = [
            prediction_service_pb2.PredictCaseRequest(
                support_case=sc.SupportCase(
                    subject="Payout has not arrived",
                    body="Our weekly payout is late.",
                    account=sc.AccountContext(merchant_id=f"acct_{i}"),
                )
            )
            for i in range(calls)
        ]

        def timed(predictor: Predictor) -> np.ndarray:
            out = np.empty(calls)
            for i, request in enumerate(requests):
                started = time.perf_counter()
                predictor.predict_case(request)
                out[i] = time.perf_counter() - started
            return out * 1e6

        rounds = [(timed(plain), timed(ab), timed(shadowed), timed(in_process)) for _ in range(5)][1:]
        shadowed.shadows.close()
        in_process.shadows.close()
        mean = [min(float(r[k].mean()) for r in rounds) for k in range(4)]
        p99 = [min(float(np.quantile(r[k], 0.99)) for r in rounds) for k in range(4)]
        store = SqlStore(f"sqlite:///{b}/online.db")
        with store.engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM shadow_predictions")).scalar()
        store.close()
        weights = {original: 0.5, f"{original}-twin": 0.5}
        started = time.perf_counter()
        for i in range(calls):
            assignment.assign("bench", weights, f"acct_{i}")
        hash_us = (time.perf_counter() - started) / calls * 1e6
    return {
        "predict_case_mean_us": {"none": mean[0], "ab": mean[1], "shadow_thread": mean[2], "shadow_process": mean[3]},
        "predict_case_p99_us": {"none": p99[0], "ab": p99[1], "shadow_thread": p99[2], "shadow_process": p99[3]},
        "assignment_mean_overhead_share": mean[1] / mean[0] - 1,
        "shadow_process_p99_overhead_share": p99[3] / p99[0] - 1,
        "shadow_thread_p99_overhead_share": p99[2] / p99[0] - 1,
        "assign_alone_us": hash_us,
        "shadow_thread_counts": dataclasses.asdict(shadowed.shadows.counts),
        "shadow_process_dropped_full": in_process.shadows.counts.dropped_full,
        "shadow_process_stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=Path, default=ROOT / "var" / "registry")
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()
    results = serving_cost(args.registry, args.calls)
    out = ROOT / ".cache" / "bench" / "experiments-serving.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
