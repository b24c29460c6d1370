"""How long `online report` takes over a large store (issue 11's target: 1,000,000 predictions in 30 s).

    python -m supportability.benchmarks.online_report [--rows 1000000] [--store sqlite:///.cache/bench/online-1m.db]
        [--registry .cache/bench/online-registry] [--out .cache/bench/online-report]

Fills the store once with simulated, calibrated predictions and their outcomes (online/synthetic.py),
and the registry with a manifest per simulated version (target and drift reference), both kept
between runs; then times `write_online_report` over all of it, and prints JSON: the row count, the
fill time (when it filled), the time to read the frame alone, and the whole report's time. The
command line's time over the same store, start-up included:

    time supportability online report --store sqlite:///.cache/bench/online-1m.db \
        --registry .cache/bench/online-registry --out .cache/bench/online-report

Predictions go in through `SqlStore.log_predictions`; outcomes straight into the outcomes table with
SQLAlchemy Core (one INSERT per batch): `record_outcomes` checks and merges every outcome one by
one, which at a million rows is a bench of its own (RecordOutcome's, in bench/).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import MetaData, Table, insert

from supportability.online.sql_store import SqlStore
from supportability.online.synthetic import SimulationConfig, logged_predictions, reference_manifest, simulate
from supportability.registry import Registry

CHUNK = 100_000


def fill(store: SqlStore, rows: int, config: SimulationConfig | None = None) -> None:
    """Add `rows` simulated predictions with outcomes, in chunks (each its own seed and stretch of time)."""
    config = config or SimulationConfig()
    outcomes = Table("outcomes", MetaData(), autoload_with=store.engine)
    chunks = -(-rows // CHUNK)
    days = config.days / chunks
    for chunk in range(chunks):
        n = min(CHUNK, rows - chunk * CHUNK)
        sim = simulate(
            replace(config, n=n, seed=config.seed + chunk, start=config.start + chunk * days * 86_400, days=days)
        )
        store.log_predictions(logged_predictions(sim))
        done = np.flatnonzero(sim.has_outcome)
        stamps = [datetime.fromtimestamp(t, UTC) for t in sim.record_time[done]]
        with store.engine.begin() as connection:
            connection.execute(
                insert(outcomes),
                [
                    {
                        "prediction_id": sim.prediction_id[i],
                        "resolved_queue": sim.resolved_queue[i],
                        "escalated": bool(sim.escalated[i]),
                        "final_urgency": "normal",
                        "csat_rating": "bad" if sim.csat_bad[i] else "good",
                        "resolution_hours": float(sim.resolution_hours[i]),
                        "occur_time": stamp,
                        "outside_label_set": bool(sim.outside_label_set[i]),
                        "record_time": stamp,
                        "update_time": stamp,
                    }
                    for i, stamp in zip(done.tolist(), stamps, strict=True)
                ],
            )


def registry_for(path: Path, config: SimulationConfig) -> Registry:
    """A registry holding a manifest for each simulated version (the report reads only manifests)."""
    registry = Registry(path)
    for version in config.versions:
        manifest = registry.versions_dir / version / "manifest.json"
        if not manifest.is_file():
            manifest.parent.mkdir(parents=True, exist_ok=True)
            manifest.write_text(json.dumps(reference_manifest(config, version)))
    return registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--store", default="sqlite:///.cache/bench/online-1m.db")
    parser.add_argument("--out", default=".cache/bench/online-report")
    parser.add_argument("--registry", default=".cache/bench/online-registry")
    args = parser.parse_args()

    from supportability.online.report import write_online_report

    config = SimulationConfig()
    store = SqlStore(args.store)
    result: dict[str, object] = {"store": args.store}
    logged, _ = store.count()
    if logged < args.rows:
        started = time.perf_counter()
        fill(store, args.rows - logged, replace(config, seed=1000 + logged // CHUNK))
        result["fill_seconds"] = round(time.perf_counter() - started, 1)
    result["predictions"], result["outcomes"] = store.count()
    started = time.perf_counter()
    frame = store.frame()
    result["frame_seconds"] = round(time.perf_counter() - started, 2)
    del frame
    registry = registry_for(Path(args.registry), config)
    started = time.perf_counter()
    path = write_online_report(store, registry, args.out)
    result["report_seconds"] = round(time.perf_counter() - started, 2)
    result["report"] = str(path)
    store.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
