"""BANKING77 benchmark: the routing model on real customer-service queries.

Trains the routing model through the user-data loader on train.csv (10% of it held out to choose
the calibrator and the decision threshold, then the heads are refitted on all of train.csv with
those choices kept: `refit_on_all`), evaluates on test.csv, and prints top-1, ECE, training
time and prediction latency as JSON. The data stays where it is (default:
<repo>/../shared/datasets/banking77); it is never copied into the repository.

    python -m supportability.evaluation.banking77 [--dataset DIR] [--registry DIR]

Dataset: Casanueva et al., "Efficient Intent Detection with Dual Sentence Encoders" (PolyAI, 2020), CC BY 4.0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from supportability.data.loaders import load_cases
from supportability.evaluation.evaluate import evaluate
from supportability.training.trainer import Splits, TrainConfig, train

MAPPING = {"body": "text", "queue": "category"}
DEFAULTS = {"channel": "web_form"}
CONFIG = TrainConfig(text_weighting="tfidf", word_ngrams=3, char_ngrams=(2, 5), min_df=2, c_multiclass=(20.0,),
                     calibration_fraction=0.1, target_precision=0.95, refit_on_all=True)


def default_dataset() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "buf.yaml").exists():
            return parent.parent / "shared" / "datasets" / "banking77"
    return Path("../shared/datasets/banking77")


def run(dataset: Path, registry: str | None = None) -> dict:
    train_data, _ = load_cases(dataset / "train.csv", columns=MAPPING, defaults=DEFAULTS)
    test_data, _ = load_cases(dataset / "test.csv", columns=MAPPING, defaults=DEFAULTS)
    rng = np.random.default_rng(CONFIG.seed)
    order = rng.permutation(len(train_data))
    n_held = int(len(order) * CONFIG.calibration_fraction)
    splits = Splits(train=np.sort(order[n_held:]), calibration=np.sort(order[:n_held]), test=np.zeros(0, dtype=int))
    started = time.monotonic()
    model, _ = train(train_data, CONFIG, splits=splits)
    seconds = time.monotonic() - started
    evaluation = evaluate(model, test_data)
    single = [test_data.cases[i] for i in range(200)]
    model.predict(single[:5])
    t0 = time.perf_counter()
    for case in single:
        model.predict([case])
    single_ms = (time.perf_counter() - t0) / len(single) * 1e3
    t0 = time.perf_counter()
    model.predict(test_data.cases[:1000])
    batch_ms = (time.perf_counter() - t0) * 1e3
    result = {
        "dataset": str(dataset),
        "train_cases": len(splits.train), "calibration_cases": len(splits.calibration),
        "refit_on_all": CONFIG.refit_on_all, "fitted_cases": splits.fitted_count(CONFIG), "test_cases": len(test_data),
        "top1_accuracy": evaluation.get("routing", "top1_accuracy"),
        "top3_accuracy": evaluation.get("routing", "top3_accuracy"),
        "ece": evaluation.get("routing", "ece"),
        "ece_uncalibrated": evaluation.get("routing", "ece_uncalibrated"),
        "calibrator": model.heads["routing"].calibrator.method,
        "temperature": model.heads["routing"].calibrator.t,
        "decision_coverage": evaluation.get("decision", "coverage"),
        "decision_precision": evaluation.get("decision", "precision"),
        "train_seconds": round(seconds, 1),
        "predict_ms_single_case": round(single_ms, 3),
        "predict_ms_1000_batch": round(batch_ms, 1),
        "text_features": model.featurizer.n_features,
    }
    if registry:
        from supportability.registry import DataSummary, Registry

        result["version"] = Registry(registry).register(
            model, data=DataSummary(str(dataset / "train.csv"), splits.fitted_count(CONFIG), train_data.fingerprint()),
            metrics=evaluation.metrics)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=default_dataset())
    parser.add_argument("--registry", default=None, help="Also register the trained model here (not promoted).")
    args = parser.parse_args(argv)
    if not (args.dataset / "train.csv").is_file():
        print(f"BANKING77 not found at {args.dataset}; skipping", file=sys.stderr)
        return 0
    print(json.dumps(run(args.dataset, args.registry), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
