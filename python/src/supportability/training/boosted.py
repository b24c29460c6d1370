"""Training the boosted kind (models/boosted.py): an XGBoost booster per account-context task, on the
context features plus the linear text model's out-of-fold scores (stacking).

1. The linear model is trained as for the linear kind (trainer.py), keeping the out-of-fold raw scores
   its cross-fitting gives every non-test case (trainer.train_scored).
2. A booster's input rows are [context features, the linear model's raw score of every head column]:
   out-of-fold scores in training, the final linear model's when serving. Its heads were refitted on
   every non-test case, as each out-of-fold score came from heads fitted on the other folds.
3. The number of rounds is chosen by early stopping on fold 0 (the calibration fold) with the booster
   fitted on the other folds, as the linear heads' regularisation is chosen on fold 0.
4. Cross-fitting, as for the linear heads: each other fold gets margins from a booster fitted on the
   rest with those rounds, and the calibrator is chosen on every non-test case's out-of-fold margins.
5. The final booster is fitted on every non-test case.

A mild optimism remains, as in any stacking on cross-fitted scores: the linear heads that scored one
fold were fitted on the others, whose boosters then learn from those scores. The fits run on this
machine (`fit_local`) or on Spark (training/distributed.py), through one signature (`BoosterFit`).
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

import numpy as np
import xgboost as xgb

from supportability.data.dataset import LabeledCases
from supportability.domain import URGENCY_LEVELS
from supportability.models.boosted import BoostedSupportModel, booster_outputs, margins_to_columns, stacked_features
from supportability.models.heads import Head
from supportability.training.trainer import (
    BINARY_LABELS,
    HeldOutScores,
    Progress,
    Splits,
    TrainConfig,
    calibrate,
    train_scored,
)

BOOSTED_TASKS = ("escalation", "csat_risk", "urgency", "resolution_time")  # routing stays the text model's
# Shallow trees and a moderate learning rate: the account context has a handful of thresholds and
# two-way interactions, and the stacked text scores carry the rest. Names valid for xgboost.train
# and xgboost.spark alike.
PARAMS: dict[str, Any] = {
    "max_depth": 4,
    "learning_rate": 0.1,
    "min_child_weight": 5.0,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "tree_method": "hist",
    "max_bin": 256,
}
MAX_ROUNDS = 1_000
EARLY_STOPPING_ROUNDS = 30  # rounds without improvement of the held-out loss before stopping


class BoosterFit(Protocol):
    """Fit one booster: `params` (PARAMS and the task's objective) for `rounds` rounds, or with early
    stopping on `early_stop` = (x, y) held out, returning the booster cut at its best round."""

    def __call__(
        self,
        params: dict[str, Any],
        x: np.ndarray,
        y: np.ndarray,
        rounds: int,
        early_stop: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> xgb.Booster: ...


def best_rounds(booster: xgb.Booster) -> xgb.Booster:
    """The booster up to its best round when early stopping recorded one."""
    best = booster.attr("best_iteration")
    return booster[: int(best) + 1] if best is not None else booster


def fit_local(
    params: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    rounds: int,
    early_stop: tuple[np.ndarray, np.ndarray] | None = None,
    base_margin: tuple[np.ndarray, np.ndarray | None] | None = None,
) -> xgb.Booster:
    """A booster fitted with `xgboost.train` on this machine's cores. `base_margin`: each row's starting
    margin, of `x` and of the early-stop rows (benchmarks/boosted.py's ceiling starts from the true logit)."""
    margin, stop_margin = base_margin or (None, None)
    evals = (
        [(xgb.DMatrix(early_stop[0], label=early_stop[1], base_margin=stop_margin), "held_out")]
        if early_stop is not None
        else []
    )
    booster = xgb.train(
        params,
        xgb.DMatrix(x, label=y, base_margin=margin),
        rounds,
        evals=evals,
        early_stopping_rounds=EARLY_STOPPING_ROUNDS if evals else None,
        verbose_eval=False,
    )
    return best_rounds(booster)


def objective(task: str, data: LabeledCases, head: Head, seed: int) -> tuple[dict[str, Any], np.ndarray]:
    """(booster parameters, labels) of a task."""
    params = {**PARAMS, "seed": seed}
    if task in BINARY_LABELS:
        return {**params, "objective": "binary:logistic", "eval_metric": "logloss"}, data.labels[
            BINARY_LABELS[task]
        ].astype(np.float32)
    if task == "urgency":
        index = {level: k for k, level in enumerate(head.labels)}
        y = np.array([index[v] for v in data.labels["urgency"]], dtype=np.float32)
        return {**params, "objective": "multi:softprob", "num_class": len(URGENCY_LEVELS), "eval_metric": "mlogloss"}, y
    if task == "resolution_time":
        log_hours = np.log(np.maximum(data.labels["resolution_hours"].astype(float), 1e-3)).astype(np.float32)
        return {**params, "objective": "reg:quantileerror", "quantile_alpha": [0.5, 0.9]}, log_hours
    raise ValueError(f"no booster objective for task {task!r}")


def margins(booster: xgb.Booster, x: np.ndarray) -> np.ndarray:
    return booster.inplace_predict(x, predict_type="margin").reshape(len(x), -1)


def train_boosted(
    data: LabeledCases,
    config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
    fit: BoosterFit = fit_local,
) -> tuple[BoostedSupportModel, Splits]:
    """The linear text model, then a booster per account-context task (see the module docstring).
    Returns the model (without `info`) and the splits used."""
    model, splits, _ = train_boosted_scored(data, config, progress, fit)
    return model, splits


def train_boosted_scored(
    data: LabeledCases,
    config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
    fit: BoosterFit = fit_local,
) -> tuple[BoostedSupportModel, Splits, HeldOutScores]:
    """`train_boosted`, and every non-test case's out-of-fold scores (the boosted columns' margins
    from boosters fitted on the other folds), which its calibrators were chosen on."""
    step = progress or (lambda _msg: None)
    text, splits, held = train_scored(data, config, progress=step)
    if splits.folds is None or len(splits.folds) < 2:
        raise ValueError("the boosted kind is trained on cross-fitted scores: give splits with folds")
    fold_of = np.empty(len(data), dtype=np.int64)
    for k, rows in enumerate(splits.folds):
        fold_of[rows] = k
    fold = fold_of[held.rows]
    pool = data.subset(held.rows)
    stacked = max(h.stop for h in text.heads.values())
    x = stacked_features(text.context.transform(pool.cases), held.scores, stacked)
    scores = held.scores.copy()  # the boosted columns become out-of-fold margins below
    boosters: dict[str, xgb.Booster] = {}
    heads = copy.deepcopy(text.heads)
    for task in (t for t in BOOSTED_TASKS if t in heads):
        step(f"boosting {task}")
        head = heads[task]
        params, y = objective(task, pool, head, config.seed)
        out_of_fold = np.empty((len(x), booster_outputs(head)))
        first = fold == 0
        chosen = fit(params, x[~first], y[~first], MAX_ROUNDS, early_stop=(x[first], y[first]))
        rounds = chosen.num_boosted_rounds()
        out_of_fold[first] = margins(chosen, x[first])
        for k in range(1, len(splits.folds)):
            rows = fold == k
            out_of_fold[rows] = margins(fit(params, x[~rows], y[~rows], rounds), x[rows])
        scores[:, head.start : head.stop] = margins_to_columns(task, out_of_fold)
        step(f"boosting {task} on every non-test case ({rounds} rounds)")
        boosters[task] = fit(params, x, y, rounds)
    model = BoostedSupportModel(
        text=text,
        boosters=boosters,
        heads=heads,
        articles=text.articles,
        decision_threshold=text.decision_threshold,
        decision_target_precision=text.decision_target_precision,
        decision_estimate=text.decision_estimate,
        out_of_scope=text.out_of_scope,
    )
    step("calibrating the boosted tasks on out-of-fold margins")
    calibrate(model, pool, config.seed, scores, tasks=boosters)
    return model, splits, HeldOutScores(held.rows, scores)
