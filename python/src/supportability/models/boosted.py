"""The boosted kind: gradient-boosted trees (XGBoost) for the account-context tasks, stacked on the
linear text model.

Escalation, CSAT risk, urgency and resolution time depend on the account context through thresholds
and interactions (an enterprise plan with many disputes; failed payouts that matter only above a
volume) that a model linear in its features cannot express. Each of those tasks gets a booster over
the context features plus the linear model's raw scores of every head (stacking; trained on the
linear model's out-of-fold scores, see training/boosted.py). Routing, articles and the auto-route
decision stay the linear model's, so the boosted kind fills the same score row and `HeadsModel`
calibrates and post-processes it as it does every kind's.

Each booster's margins fill its task's columns: the logit of a binary task, the class logits of
urgency, and for the resolution time the 0.5 and 0.9 quantiles of log-hours, written as the
(median, spread) pair of the linear head: spread = (q90 - q50) / z90.

A batch goes through XGBoost's `inplace_predict`. A single case, the serving hot path, goes through
`Forest`: every booster's trees as flat numpy arrays, walked one level at a time for all trees at
once, because XGBoost's per-call overhead alone is a few hundred microseconds. The two agree to
float32 rounding (tests/ml/test_boosted.py). Explanations are XGBoost's exact tree SHAP values
(`pred_contribs`). Each booster is stored in XGBoost's JSON format (one checksummed file per task,
never pickle) beside the linear model's arrays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from supportability.domain import Case
from supportability.models import linear
from supportability.models.api import CaseResult, ModelInfo
from supportability.models.calibration import Temperature
from supportability.models.heads import (
    BINARY_TARGETS,
    EXPLAIN_TOP,
    Z90,
    Articles,
    Explanations,
    Head,
    HeadsModel,
    dump_heads,
    load_heads,
)
from supportability.models.scope import OutOfScope

FORMAT = "boosted-support-model/1"


def booster_outputs(head: Head) -> int:
    """How many margins a task's booster returns: one per column, two quantiles for the resolution time."""
    return head.stop - head.start


def margins_to_columns(task: str, margins: np.ndarray) -> np.ndarray:
    """A booster's margins (cases, outputs) -> its head's raw score columns."""
    if task == "resolution_time":  # (q50, q90) of log-hours -> (median, spread) as the linear head has them
        return np.stack([margins[:, 0], (margins[:, 1] - margins[:, 0]) / Z90], axis=1)
    return margins


def stacked_feature_names(text: linear.LinearSupportModel) -> list[str]:
    """The boosters' inputs: the context features, then the text model's raw score of each head column."""
    names = list(text.context.names)
    for task, head in text.heads.items():
        if task == "resolution_time":
            names += ["text_model.resolution_time.log_hours", "text_model.resolution_time.spread"]
        elif head.stop - head.start == 1:
            names.append(f"text_model.{task}")
        else:
            names += [f"text_model.{task}={label}" for label in head.labels]
    return names


def stacked_features(x_context: np.ndarray, text_scores: np.ndarray, columns: int) -> np.ndarray:
    """The boosters' input rows: context features, then the text model's first `columns` raw scores (its heads')."""
    return np.hstack([x_context, text_scores[:, :columns]]).astype(np.float32)


@dataclass
class Forest:
    """Every booster's trees in flat arrays (a leaf points to itself), with the output each tree adds to.

    `margins` walks all trees one level at a time: at each node, go left when x[feature] < threshold,
    in float32 as XGBoost compares. The stacked features are never missing (the context encoder fills
    every column), so XGBoost's default direction for missing values is not needed.
    """

    feature: np.ndarray  # (nodes,) int
    threshold: np.ndarray  # (nodes,) float32
    left: np.ndarray  # (nodes,) int
    right: np.ndarray  # (nodes,) int
    value: np.ndarray  # (nodes,) float64: a leaf's value, 0 elsewhere
    roots: np.ndarray  # (trees,) int
    output: np.ndarray  # (trees,) int: the position in the concatenated outputs of every booster
    bias: np.ndarray  # (outputs,): the margin a booster adds to its trees' sum (its base score)
    depth: int

    @classmethod
    def of(cls, boosters: Sequence[xgb.Booster], n_features: int) -> Forest:
        parts: dict[str, list] = {k: [] for k in ("feature", "threshold", "left", "right", "value", "roots", "output")}
        offset, first_output, depth = 0, 0, 0
        for booster in boosters:
            model = json.loads(bytes(booster.save_raw("json")))["learner"]["gradient_booster"]["model"]
            for tree, target in zip(model["trees"], model["tree_info"], strict=True):
                left = np.asarray(tree["left_children"], dtype=np.int64)
                right = np.asarray(tree["right_children"], dtype=np.int64)
                leaf = left < 0
                own = np.arange(len(left))
                parts["feature"].append(np.where(leaf, 0, np.asarray(tree["split_indices"], dtype=np.int64)))
                parts["threshold"].append(np.asarray(tree["split_conditions"], dtype=np.float32))
                parts["left"].append(np.where(leaf, own, left) + offset)
                parts["right"].append(np.where(leaf, own, right) + offset)
                parts["value"].append(np.where(leaf, np.asarray(tree["split_conditions"], dtype=np.float64), 0.0))
                parts["roots"].append(np.array([offset]))
                parts["output"].append(np.array([first_output + int(target)]))
                depth = max(depth, _depth(left, right))
                offset += len(left)
            first_output += int(
                booster.inplace_predict(np.zeros((1, n_features), np.float32), predict_type="margin").size
            )
        forest = cls(
            **{k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in parts.items()},
            bias=np.zeros(first_output),
            depth=depth,
        )
        forest.threshold = forest.threshold.astype(np.float32)
        # The base score, in margin space whatever the objective: XGBoost's margin minus the trees' sum.
        zeros = np.zeros((1, n_features), np.float32)
        margins = np.concatenate([b.inplace_predict(zeros, predict_type="margin").reshape(-1) for b in boosters])
        forest.bias = margins - forest.margins(zeros[0])
        return forest

    def margins(self, x: np.ndarray) -> np.ndarray:
        """One case's margins of every booster, concatenated."""
        x = x.astype(np.float32, copy=False)
        node = self.roots
        for _ in range(self.depth):
            node = np.where(x[self.feature[node]] < self.threshold[node], self.left[node], self.right[node])
        return np.bincount(self.output, weights=self.value[node], minlength=len(self.bias)) + self.bias


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """The number of edges on a tree's longest root-to-leaf path."""
    depth, level = 0, np.array([0])
    while True:
        level = np.concatenate([left[level], right[level]])
        level = level[level >= 0]
        if not len(level):
            return depth
        depth += 1


@dataclass
class BoostedSupportModel(HeadsModel):
    text: linear.LinearSupportModel  # routing, articles and the decision; its raw scores feed the boosters
    boosters: dict[str, xgb.Booster]  # task -> booster, in the order of `Forest.output`
    heads: dict[str, Head]
    articles: Articles | None = None
    decision_threshold: float | None = None
    decision_target_precision: float | None = None
    decision_estimate: dict | None = None
    out_of_scope: OutOfScope | None = None
    info: ModelInfo = field(default=None)  # type: ignore[assignment]  # set by the registry or trainer
    kind = "boosted"

    def __post_init__(self) -> None:
        # Predictions on one thread: a request is a few rows and the server scales by processes. On a
        # busy machine XGBoost's OpenMP pool costs far more than it saves (one row's margin: 43 ms with
        # the default threads against 0.15 ms on one, at load 15 on 2 cores).
        for booster in self.boosters.values():
            booster.set_param({"nthread": 1})
        self.stacked_columns = max((h.stop for h in self.text.heads.values()), default=0)
        self.feature_names = stacked_feature_names(self.text)
        self.forest = Forest.of(list(self.boosters.values()), len(self.feature_names))
        self._outputs = []  # (task, head, first output, outputs): where each booster's margins go
        first = 0
        for task in self.boosters:
            width = booster_outputs(self.heads[task])
            self._outputs.append((task, self.heads[task], first, first + width))
            first += width

    def feature_schema(self) -> dict:
        return {
            **self.text.feature_schema(),
            "boosted": {task: {"trees": booster.num_boosted_rounds()} for task, booster in self.boosters.items()},
            "stacked_features": self.feature_names,
        }

    def raw_scores(self, cases: Sequence[Case], now: datetime | None = None) -> tuple[np.ndarray, Any]:
        text_scores, text_state = self.text.raw_scores(cases, now)
        features = stacked_features(text_state[1], text_scores, self.stacked_columns)
        scores = text_scores.copy()
        if len(cases) == 1:
            margins = self.forest.margins(features[0])[None, :]
            for task, head, lo, hi in self._outputs:
                scores[:, head.start : head.stop] = margins_to_columns(task, margins[:, lo:hi])
        else:
            for task, head, _, _ in self._outputs:
                margins = self.boosters[task].inplace_predict(features, predict_type="margin")
                scores[:, head.start : head.stop] = margins_to_columns(task, margins.reshape(len(cases), -1))
        return scores, (text_scores, text_state, features)

    def explain(self, i: int, scores: np.ndarray, state: Any, result: CaseResult) -> Explanations:
        """The text model's attributions for routing and the decision; tree SHAP values for the boosted tasks
        (for urgency, of the predicted level relative to the average level, as the linear heads explain)."""
        text_scores, text_state, features = state
        explanations = self.text.explain(i, text_scores[i], text_state, result)
        row = xgb.DMatrix(features[i : i + 1])
        boosted: dict[str, tuple[str, list[tuple[str, float]]]] = {}
        for task, head, _, _ in self._outputs:
            contributions = self.boosters[task].predict(row, pred_contribs=True)[0]  # (outputs?, features + bias)
            if task == "resolution_time":
                values, target = contributions[0], "p50_hours"  # the median's log-hours
            elif contributions.ndim == 1:
                values, target = contributions, BINARY_TARGETS.get(task, task)
            else:
                k = int(np.argmax(scores[head.start : head.stop]))
                assert isinstance(head.calibrator, Temperature)  # a class head's
                values = (contributions[k] - contributions.mean(axis=0)) / head.calibrator.t
                target = head.labels[k]
            values = values[:-1]  # the last column is the bias
            top = np.lexsort((np.arange(len(values)), -np.abs(values)))[:EXPLAIN_TOP]
            boosted[task] = (target, [(self.feature_names[k], float(values[k])) for k in top if values[k] != 0])
        return [(task, *boosted[task]) if task in boosted else (task, target, f) for task, target, f in explanations]


# ---- storage: the text model's JSON + arrays, and each booster in XGBoost's JSON (no pickle) ---------------
def _file(task: str) -> str:
    return f"booster.{task}.json"


def dump_model(model: BoostedSupportModel) -> tuple[dict, dict[str, np.ndarray], dict[str, bytes]]:
    text_state, text_arrays, _ = linear.dump_model(model.text)
    arrays = {f"text.{name}": value for name, value in text_arrays.items()}
    state = {
        "format": FORMAT,
        "text": text_state,
        "boosters": [{"task": task, "file": _file(task)} for task in model.boosters],
        **dump_heads(model, arrays),
    }
    files = {_file(task): bytes(booster.save_raw("json")) for task, booster in model.boosters.items()}
    return state, arrays, files


def load_model(state: dict, arrays: Any, files: dict[str, Path]) -> BoostedSupportModel:
    boosters = {}
    for entry in state["boosters"]:
        if entry["file"] not in files:
            raise ValueError(f"a boosted version needs the artifact {entry['file']}")
        booster = xgb.Booster()
        booster.load_model(bytearray(files[entry["file"]].read_bytes()))  # the JSON bytes as read and verified
        boosters[entry["task"]] = booster
    prefix = "text."
    text = linear.load_model(state["text"], {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)})
    return BoostedSupportModel(text=text, boosters=boosters, **load_heads(state, arrays))
