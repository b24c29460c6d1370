"""Training through noisy labels (`train --noisy-labels`): test figures of each mode against training on everything.

Synthetic data (`data generate --label-noise 0.15`, trained as `train` trains synthetic data: word
counts): routing top-1 against the given labels and against the latent topic (the clean label), and
ECE, per mode, with the paired difference from mode none on the same test cases (95% interval).
BANKING77 (train.csv trained as `train --data` trains it, test.csv only reported on): the same
without clean labels. Mode auto makes its choice on out-of-fold figures of the training file's
non-test rows (training/noise.py); the record of that choice is printed and kept in the results.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from supportability.benchmarks import banking77, write_results
from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation.evaluate import evaluate
from supportability.models.linear import LinearSupportModel
from supportability.training.noise import MODES, Z95, train_through_noise
from supportability.training.trainer import TrainConfig, data_config

MODES_RUN = ("none", "auto")  # default: training on everything, and the choice made on validation


def run_mode(data: LabeledCases, test: LabeledCases | None, config: TrainConfig, mode: str) -> dict[str, Any]:
    """Train `data` with `mode` and judge the model on `test` (default: the split's test rows)."""
    say(f"training with --noisy-labels {mode} on {len(data)} cases")
    started = time.monotonic()
    model, splits, record, _ = train_through_noise(data, dataclasses.replace(config, noisy_labels=mode))
    seconds = time.monotonic() - started
    judged = test if test is not None else data.subset(splits.test)
    metrics = {(task, name): value for task, name, value, slice_ in evaluate(model, judged).metrics if not slice_}
    figures = {
        f"{task}.{name}": metrics.get((task, name))
        for task, name in (
            ("routing", "top1_accuracy"),
            ("routing", "clean_top1_accuracy"),
            ("routing", "ece"),
            ("urgency", "top1_accuracy"),
            ("urgency", "ece"),
        )
        if (task, name) in metrics
    }
    return {"figures": figures, "choice": record, "seconds": seconds, "_right": _right(model, judged)}


def _right(model: LinearSupportModel, test: LabeledCases) -> dict[str, np.ndarray]:
    """Per test case: is the routing top-1 the given label; the latent topic (synthetic data)."""
    scores, _ = model.raw_scores(test.cases)
    labels = np.array(model.heads["routing"].labels, dtype=object)
    top = labels[model.probabilities(scores)["routing"].argmax(axis=1)]
    right = {"given": top == test.labels["queue"]}
    if "topic" in test.truth:
        right["clean"] = top == test.truth["topic"]
    return right


def compare(data: LabeledCases, test: LabeledCases | None, config: TrainConfig, modes: tuple[str, ...]) -> dict:
    """Every mode's figures, and each one's paired difference from none (which is always run)."""
    runs = {mode: run_mode(data, test, config, mode) for mode in ("none", *[m for m in modes if m != "none"])}
    base = runs["none"].pop("_right")
    for mode, result in runs.items():
        if mode == "none":
            continue
        right = result.pop("_right")
        result["difference_from_none"] = {kind: _paired(right[kind], base[kind]) for kind in base}
    return runs


def _paired(right: np.ndarray, base: np.ndarray) -> dict[str, float]:
    difference = right.astype(float) - base.astype(float)
    half = Z95 * float(difference.std(ddof=1)) / np.sqrt(len(difference))
    return {
        "difference": float(difference.mean()),
        "low": float(difference.mean() - half),
        "high": float(difference.mean() + half),
    }


def say(message: str) -> None:
    print(f"[noisy labels] {message}", file=sys.stderr, flush=True)


def _print(name: str, runs: dict) -> None:
    for mode, result in runs.items():
        cells = " ".join(f"{k}={v:.4f}" for k, v in result["figures"].items() if v is not None)
        print(f"{name:10} {mode:10} {cells} ({result['seconds']:.0f} s)")
        for kind, d in result.get("difference_from_none", {}).items():
            print(f"{'':21} {kind} top-1 vs none: {d['difference']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]")
        for task, chosen in ((result["choice"] or {}).get("tasks") or {}).items():
            figures = " ".join(f"{m}={f['top1_accuracy']:.4f}" for m, f in chosen.get("validation", {}).items())
            print(
                f"{'':21} {task}: {chosen['flagged']} of {chosen['rows']} flagged; chose {chosen['chosen']} {figures}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default=",".join(MODES_RUN), help="modes beside none (default: %(default)s)")
    parser.add_argument("--cases", type=int, default=30_000, help="synthetic cases (default: %(default)s)")
    parser.add_argument("--label-noise", type=float, default=0.15, help="synthetic label noise (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dataset", type=Path, default=banking77.default_dataset(), help="BANKING77 folder")
    parser.add_argument("--skip", default="", help="synthetic and/or banking77, comma-separated")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    modes = tuple(m for m in args.modes.split(",") if m)
    if set(modes) - set(MODES):
        parser.error(f"--modes: expected some of {', '.join(MODES)}")
    results: dict[str, Any] = {}
    if "synthetic" not in args.skip:
        data = generate(GeneratorConfig(n_cases=args.cases, seed=args.seed, label_noise=args.label_noise))
        # What `train` uses for synthetic data, whose test split the figures are measured on.
        config = data_config("counts", char_ngrams=False, seed=args.seed, test_fraction=TrainConfig.test_fraction)
        results["synthetic"] = {"source": data.source, **compare(data, None, config, modes)}
        _print("synthetic", {k: v for k, v in results["synthetic"].items() if k != "source"})
    if "banking77" not in args.skip:
        if (args.dataset / "train.csv").is_file():
            train_data, test_data = banking77.read(args.dataset)
            config = dataclasses.replace(banking77.CONFIG, seed=args.seed)
            results["banking77"] = compare(train_data, test_data, config, modes)
            _print("banking77", results["banking77"])
        else:
            say(f"BANKING77 not found at {args.dataset}; skipping")
    write_results(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
