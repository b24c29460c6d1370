"""The boosted kind against the linear one and the Bayes limit, with and without the generator's
threshold and interaction effects; its single-case latency; and distributed against single-node
booster training.

    python -m supportability.benchmarks.boosted [--cases 100000] [--interactions 0,1]
        [--distributed-cases 1000000] [--master local[2]] [--workers 2] [--out PATH]

Per strength of `interactions` (generator.py, step 4): synthetic data, the boosted kind trained as
`supportability train --model boosted` trains it (which trains the linear model on the way, so the
two are compared on one split), then on the test split AUROC and ECE of escalation and CSAT risk for
linear, boosted and the true probabilities (Bayes), with paired bootstrap 95% intervals of each
model's AUROC gap to Bayes. Beside them a ceiling: xgboost with the boosted kind's settings on the
context features, starting from the generator's true logit without the effects (what the stacked
text scores would be if the linear model were exact), so that the gap splits into what the trees
miss and what the text scores miss. Then single-case `predict` latency of both models (benchmarks/latency.py:
p50 of the quietest of 5 rounds). Last, one escalation booster fitted on `--distributed-cases`
stacked rows (context features + the linear model's scores) for a fixed number of rounds, with
xgboost on this machine and with xgboost.spark on `--master`, one after the other; the Spark
session's start-up is reported apart. `--distributed-cases 0` skips it. Prints JSON, with the load
average before and after: on a shared machine, read the ratios measured side by side.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from supportability.benchmarks import write_results
from supportability.benchmarks.latency import measure
from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig, generate
from supportability.metrics import auroc, binary_ece
from supportability.models.boosted import BoostedSupportModel, stacked_features
from supportability.training.boosted import MAX_ROUNDS, PARAMS, fit_local, objective, train_boosted
from supportability.training.trainer import Splits, TrainConfig

TASKS = {"escalation": "escalated", "csat_risk": "csat_negative"}
BOOTSTRAP = 500  # paired resamples of the test split for the AUROC gaps' intervals
DISTRIBUTED_ROUNDS = 100  # boosting rounds of the timed fits (fixed, so both engines do the same work)


def _gap_interval(y: np.ndarray, model: np.ndarray, bayes: np.ndarray, seed: int) -> list[float]:
    """Paired bootstrap 95% interval of AUROC(Bayes) - AUROC(model) on the same resampled cases."""
    rng = np.random.default_rng(seed)
    gaps = []
    for _ in range(BOOTSTRAP):
        rows = rng.integers(0, len(y), len(y))
        if 0 < y[rows].sum() < len(rows):
            gaps.append(auroc(bayes[rows], y[rows]) - auroc(model[rows], y[rows]))
    low, high = np.percentile(gaps, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def compare(cases: int, interactions: float, seed: int) -> tuple[dict[str, Any], BoostedSupportModel, list]:
    """(the figures, the trained model, test cases) at one strength of the interaction effects."""
    config = GeneratorConfig(n_cases=cases, seed=seed, interactions=interactions)
    data = generate(config)
    started = time.perf_counter()
    model, splits = train_boosted(data, TrainConfig(seed=seed))
    seconds = time.perf_counter() - started
    bounds = ceiling(config, data, splits, model)
    test = data.subset(splits.test)
    boosted = model.probabilities(model.raw_scores(test.cases)[0])
    linear = model.text.probabilities(model.text.raw_scores(test.cases)[0])
    figures: dict[str, Any] = {"interactions": interactions, "test_cases": len(test), "training_seconds": seconds}
    for task, label in TASKS.items():
        y, bayes = test.labels[label].astype(int), test.truth[task]
        row: dict[str, Any] = {"bayes_auroc": round(auroc(bayes, y), 4), "bayes_ece": round(binary_ece(bayes, y), 4)}
        for name, p in (("linear", linear[task]), ("boosted", boosted[task])):
            row[f"{name}_auroc"] = round(auroc(p, y), 4)
            row[f"{name}_ece"] = round(binary_ece(p, y), 4)
            row[f"{name}_auroc_gap_to_bayes"] = round(row["bayes_auroc"] - row[f"{name}_auroc"], 4)
            row[f"{name}_auroc_gap_95ci"] = _gap_interval(y, p, bayes, seed)
        figures[task] = row | bounds[task]
    figures["boosted_rounds"] = {task: b.num_boosted_rounds() for task, b in model.boosters.items()}
    return figures, model, test.cases


def ceiling(config: GeneratorConfig, data: LabeledCases, splits: Splits, model: BoostedSupportModel) -> dict[str, Any]:
    """Test-split AUROC of xgboost on the context features with the generator's true logit without the
    threshold and interaction effects as its base margin: only the effects are left to the trees. The
    cases are the same at any strength (the effects change labels, not cases). Rounds by early
    stopping on fold 0, the rest of the training and calibration cases fitting, as the trainer does."""
    assert splits.folds is not None  # the boosted kind's splits always have folds
    plain = generate(dataclasses.replace(config, interactions=0.0)).truth
    noise = config.label_noise
    fitting = np.setdiff1d(np.concatenate([splits.train, splits.calibration]), splits.folds[0])
    x = model.text.context.transform(data.cases)
    out: dict[str, Any] = {}
    for task in TASKS:
        p = np.clip((plain[task] - noise / 2) / (1 - noise), 1e-12, 1 - 1e-12)  # the logistic part, noise removed
        base = np.log(p / (1 - p))
        params, y = objective(task, data, model.heads[task], config.seed)
        held = splits.folds[0]
        booster = fit_local(
            params, x[fitting], y[fitting], MAX_ROUNDS, (x[held], y[held]), base_margin=(base[fitting], base[held])
        )
        test = splits.test
        p_test = booster.predict(xgb.DMatrix(x[test], base_margin=base[test]))
        y_test, bayes = y[test].astype(int), data.truth[task][test]
        out[task] = {
            "ceiling_auroc": round(auroc(p_test, y_test), 4),
            "ceiling_auroc_gap_to_bayes": round(auroc(bayes, y_test) - auroc(p_test, y_test), 4),
            "ceiling_auroc_gap_95ci": _gap_interval(y_test, p_test, bayes, config.seed),
        }
    return out


def distributed(model: BoostedSupportModel, cases: int, seed: int, master: str, workers: int) -> dict[str, Any]:
    """One escalation booster on `cases` stacked rows: xgboost here, then xgboost.spark on `master`."""
    from supportability.batch import spark
    from supportability.training.distributed import SparkFit

    data = generate(GeneratorConfig(n_cases=cases, seed=seed + 1, interactions=1.0))
    text_scores, (_, x_context) = model.text.raw_scores(data.cases)
    x = stacked_features(x_context, text_scores, model.stacked_columns)
    params, y = objective("escalation", data, model.heads["escalation"], seed)
    started = time.perf_counter()
    fit_local(params, x, y, DISTRIBUTED_ROUNDS)
    local_seconds = time.perf_counter() - started
    started = time.perf_counter()
    session = spark.session(master, "supportability-bench-boosted")
    try:
        session.range(1).count()  # the JVM and a first job
        start_seconds = time.perf_counter() - started
        fit = SparkFit(session, workers)
        started = time.perf_counter()
        fit(params, x, y, DISTRIBUTED_ROUNDS)
        spark_seconds = time.perf_counter() - started
    finally:
        session.stop()
    return {
        "cases": cases,
        "features": int(x.shape[1]),
        "rounds": DISTRIBUTED_ROUNDS,
        "params": PARAMS,
        "single_node_seconds": round(local_seconds, 2),
        "spark_session_start_seconds": round(start_seconds, 2),
        "spark_seconds": round(spark_seconds, 2),
        "spark_over_single_node": round(spark_seconds / local_seconds, 2),
        "engine": fit.description,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)  # where the trees close the gap (python/README.md)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--interactions", default="0,1", help="strengths of the interaction effects to compare")
    parser.add_argument("--repeat", type=int, default=2_000, help="single-case calls to time per model")
    parser.add_argument("--distributed-cases", type=int, default=1_000_000, help="0: skip the training-time runs")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"cases": args.cases, "load_average_before": os.getloadavg(), "comparisons": []}
    model: BoostedSupportModel | None = None
    cases: list = []
    for strength in (float(s) for s in args.interactions.split(",")):
        figures, model, cases = compare(args.cases, strength, args.seed)
        result["comparisons"].append(figures)
        print(json.dumps(figures), flush=True)
    if model is not None:  # the last strength's models (with interactions, by default)
        result["single_case"] = {
            "boosted": measure(model, cases, args.repeat),
            "linear": measure(model.text, cases, args.repeat),
        }
        if args.distributed_cases:
            result["distributed_training"] = distributed(
                model, args.distributed_cases, args.seed, args.master, args.workers
            )
    result["load_average_after"] = os.getloadavg()
    print(json.dumps(result, indent=2))
    write_results(args.out, result)


if __name__ == "__main__":
    main()
