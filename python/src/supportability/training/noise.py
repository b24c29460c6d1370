"""Training through noisy labels: flag the labels confident learning doubts, weigh those rows in the
heads' fits, and choose how on validation data (`TrainConfig.noisy_labels`, `train --noisy-labels`).

Modes, per class task (routing, urgency):
- none: every row weighs 1.
- drop: a flagged row weighs 0.
- downweight: a flagged row weighs the calibrated out-of-fold probability of its own label.
- relabel: a flagged row is fitted on its calibrated out-of-fold probabilities instead of its label
  (soft labels, training/soft_labels.py). Not among auto's candidates: through the trainer it loses
  today (below), because C is chosen on log loss against the noisy labels.
- auto: whichever of none, drop and downweight has the best held-out top-1 accuracy (below), per task.

The flags: cleanlab's confident learning (Northcutt et al., JAIR 2021) on calibrated out-of-fold
probabilities of every non-test row, cross-fitted in the trainer's folds (crossfit.class_out_of_fold);
the test rows are never scored, flagged or looked at. The weights reach only the fits of the heads'
weights (trainer.train's `weights`): the regularisation, calibrators and thresholds are chosen on
every held-out row with its given label, because served probabilities are judged against given
labels. Removing the flagged rows from the data instead let the calibrators see cleaned labels and
broke calibration (synthetic data at 15% noise: routing ECE 0.153).

Judging the modes (auto): on the held-out fold (fold 0, the calibration fold), by top-1 accuracy
against its given labels, the flagged ones included, each candidate's flags cross-fitted in the
other folds alone and its model fitted on them, so that the held-out labels decide nothing about
which rows are weighed. Judged out of fold with the flags of every fold instead, each fold's
labels had helped flag the rows its model was fitted without: drop gained 0.2 points there on the
synthetic data and lost 0.3 (0.8 against the clean labels) on its test split. With no clean
labels, the noisy ones still rank the modes: when noise replaces a label by a uniformly drawn
class with probability e (the synthetic generator's noise), the expected accuracy against noisy
labels is (1 - e) * clean + e / K, strictly increasing in the clean accuracy, and under other
class-conditional noise it is nearly so. Agreement with confident predictions, the alternative,
favours whichever mode is most like the model that made the flags. The record gives each mode's
accuracy and its paired difference from none with a 95% interval.

Measured (benchmarks/noisy_labels.py; 30,000 synthetic cases at 15% label noise, seed 7, load
average 4-7): 4,450 of the 25,500 non-test routing labels flagged (9,019 urgency). On the held-out
fold drop and downweight lost 0.31 and 0.29 points of routing top-1 against none, so auto kept
none, and the test figures are none's: clean-label top-1 0.8891, ECE 0.0183. Drop forced (what
judging out of fold chose for routing): clean-label top-1 -0.84 points [-1.35, -0.34],
given-label -0.31 [-0.73, +0.11], routing ECE 0.0198, urgency ECE 0.0443 (none: 0.0293). Confident learning's flags (the
audit's: precision 0.71 at recall 0.80) take out clean but ambiguous cases with the noise, and a
logistic model fitted on uniformly noisy labels already ranks the classes as the clean ones would.
BANKING77 (train.csv as `train --data` trains it): 195 of the 8,503 non-test rows flagged; on the
held-out fold drop lost 0.66 points and downweight 0.26, so auto kept none (test top-1 0.9104);
drop forced: test top-1 0.9058, -0.45 points [-0.90, -0.00].

How much room there is (synthetic, 30,000 cases at 15% noise, seed 7, 4,500 test cases; the routing
head alone; paired bootstrap 95% intervals against training on everything, clean-label top-1 0.8889):
the generator's Bayes rule scores 0.9091, +2.0 points [1.4, 2.6], but an oracle that drops exactly
the rows whose label came from the noise gains only +0.53 [+0.09, +0.98] with C chosen on held-out
accuracy among 0.02, 0.03, 0.06 (seed 11: +0.31 [-0.16, +0.78]): the gap is the finite sample's, not
the noise's, and no cleaning reaches the issue's +1 point. With C chosen the same way: relabel +0.60
[+0.18, +1.02] (seed 11: +0.64 [+0.24, +1.07]), drop +0.42 [-0.04, +0.84], dropping only flags whose
label the probabilities doubt at >= 0.9 +0.47 [+0.02, +0.91], a forward-corrected loss (the
generator's uniform noise at 0.15) +0.31 [-0.04, +0.64], label smoothing 0.1 (more of the same
uniform noise) -0.04 [-0.44, +0.36]. Through the trainer, which chooses C on held-out log loss against
the given labels, relabel loses instead: -0.42 [-0.90, +0.05] (C grid 0.01, 0.03; routing ECE 0.0167,
urgency ECE 0.0394 against none's 0.0183 and 0.0293), -0.58 [-1.02, -0.14] with 0.01, 0.02, 0.03, 0.06.
A fit on cleaned or soft labels is more confident than the given labels allow, the log loss against
them punishes it, and the smallest C wins (the same fit scores 0.8873 at C 0.01, 0.8953 at 0.03):
this, not the flags, is what costs drop and relabel their gain here.

The final model's fits weigh the flags of one cross-fit of every non-test row: a fold's fit, whose
scores choose the calibrators, weighs rows whose flags came from fits that saw that fold's labels.
Nested cross-fitting would remove that at four times the fits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from supportability.data.dataset import LabeledCases
from supportability.models.calibration import choose_multiclass
from supportability.models.heads import case_text
from supportability.models.linear import LinearSupportModel
from supportability.training.crossfit import best_logistic, class_columns, class_out_of_fold
from supportability.training.soft_labels import SoftLabels
from supportability.training.trainer import (
    C_GRIDS,
    CLASS_LABELS,
    HeldOutScores,
    Splits,
    TrainConfig,
    fit_features,
    split,
    train_scored,
)

MODES = ("none", "drop", "downweight", "relabel", "auto")
# What auto chooses among, in this order (ties: the earlier); relabel waits for C chosen on accuracy.
CANDIDATES = ("none", "drop", "downweight")
Z95 = 1.959964  # two-sided 95% normal quantile


@dataclass(frozen=True)
class NoisyLabelWeights:
    """Sample weights per class task (one per row of the data; test rows weigh 1 and are never
    fitted), the soft labels of the relabelled rows, and, for the manifest, what was flagged and
    chosen on which figures."""

    weights: dict[str, np.ndarray]
    soft_labels: dict[str, SoftLabels]
    record: dict[str, Any]


def flag_label_issues(labels: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flagged per case, confident joint): cleanlab's confident learning, pruning by noise rate,
    on calibrated out-of-fold probabilities. Needs the `audit` extra (cleanlab)."""
    from cleanlab.count import compute_confident_joint
    from cleanlab.filter import find_label_issues

    confident = compute_confident_joint(labels, probabilities)
    flagged = find_label_issues(labels, probabilities, confident_joint=confident, n_jobs=1)
    return np.asarray(flagged, dtype=bool), confident


def train_through_noise(
    data: LabeledCases, config: TrainConfig, progress: Callable[[str], None] | None = None
) -> tuple[LinearSupportModel, Splits, dict[str, Any] | None, HeldOutScores]:
    """`trainer.train_scored` with `config.noisy_labels` applied: (model, splits, the record of the
    choice (None for mode none), the held-out scores)."""
    if config.noisy_labels not in MODES:
        raise ValueError(f"noisy_labels {config.noisy_labels!r}: expected one of {', '.join(MODES)}")
    splits = split(data, config)
    if config.noisy_labels == "none":
        model, splits, held = train_scored(data, config, progress, splits)
        return model, splits, None, held
    weighed = noisy_label_weights(data, splits, config, progress)
    model, splits, held = train_scored(data, config, progress, splits, weighed.weights, weighed.soft_labels)
    return model, splits, weighed.record, held


def noisy_label_weights(
    data: LabeledCases, splits: Splits, config: TrainConfig, progress: Callable[[str], None] | None = None
) -> NoisyLabelWeights:
    """The sample weights of `config.noisy_labels` for each class task the data has, from the
    non-test rows of `splits` cross-fitted in its folds (see the module docstring)."""
    step = progress or (lambda _message: None)
    mode = config.noisy_labels
    if mode not in MODES or mode == "none":
        raise ValueError(f"noisy_labels {mode!r}: expected one of {', '.join(MODES[1:])}")
    if splits.folds is None or len(splits.folds) < 2:
        raise ValueError("noisy-label weighting needs cross-fitting folds (TrainConfig.folds >= 2)")
    if mode == "auto" and len(splits.folds) < 3:
        raise ValueError("noisy_labels auto needs 3 folds or more: the held-out one and two to flag the rest in")
    rows = np.concatenate([splits.train, splits.calibration])  # the trainer's pool, in its order
    position = np.empty(len(data), dtype=np.int64)
    position[rows] = np.arange(len(rows))
    folds = [position[fold] for fold in splits.folds]
    pool = data.subset(rows)
    step("featurising for the label audit")
    featurizer, context = fit_features(pool, config)  # as the trainer's cross-fitting does
    text = featurizer.transform([case_text(c) for c in pool.cases])
    x = sp.hstack([text, sp.csr_matrix(context.transform(pool.cases))], format="csr")
    grid = config.c_multiclass or C_GRIDS[(config.text_weighting, "multiclass")]
    weights: dict[str, np.ndarray] = {}
    soft_labels: dict[str, SoftLabels] = {}
    record: dict[str, Any] = {"requested": mode, "judged_on": _JUDGED_ON, "flags": _FLAGS, "tasks": {}}
    for task, key in CLASS_LABELS.items():
        if key not in data.labels:
            continue
        classes = tuple(sorted(set(pool.labels[key].tolist())))
        if len(classes) < 2:
            continue
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[v] for v in pool.labels[key]])

        step(f"flagging doubtful {task} labels")
        flags = _flags(x, y, folds, grid, len(classes), config)
        figures: dict[str, dict[str, Any]] = {}
        chosen = mode
        if mode == "auto":
            step(f"choosing how to weigh the {task} flags on the held-out fold")
            figures = _validate(x, y, folds, grid, len(classes), config)
            chosen = max(CANDIDATES, key=lambda name: (figures[name]["top1_accuracy"], -CANDIDATES.index(name)))
        flagged = flags.flagged
        full = np.ones(len(data))
        full[rows] = flags.weights(chosen)
        weights[task] = full
        if chosen == "relabel":
            soft_labels[task] = SoftLabels(rows[flagged], classes, flags.probabilities[flagged])
        record["tasks"][task] = {
            "chosen": chosen,
            "flagged": int(flagged.sum()),
            "rows": len(y),
            "weight_of_flagged_rows": float(full[rows][flagged].sum()),
            **({"validation": figures} if figures else {}),
        }
    return NoisyLabelWeights(weights, soft_labels, record)


@dataclass(frozen=True)
class _Flags:
    probabilities: np.ndarray  # calibrated out-of-fold probabilities
    labels: np.ndarray
    flagged: np.ndarray

    def weights(self, mode: str) -> np.ndarray:
        if mode == "drop":
            return np.where(self.flagged, 0.0, 1.0)
        if mode == "downweight":
            return np.where(self.flagged, self.probabilities[np.arange(len(self.labels)), self.labels], 1.0)
        return np.ones(len(self.labels))


def _flags(
    x: sp.csr_matrix, y: np.ndarray, folds: list[np.ndarray], grid: Sequence[float], n: int, config: TrainConfig
) -> _Flags:
    """Confident learning's flags on `y`, from calibrated probabilities cross-fitted in `folds`."""
    logits = class_out_of_fold(x, y, folds, grid, n, config.max_iter).logits
    calibrator, _ = choose_multiclass(logits, y, config.seed)
    probabilities = calibrator(logits)
    return _Flags(probabilities, y, flag_label_issues(y, probabilities)[0])


def _validate(
    x: sp.csr_matrix, y: np.ndarray, folds: list[np.ndarray], grid: Sequence[float], n: int, config: TrainConfig
) -> dict[str, dict[str, Any]]:
    """Each candidate's top-1 accuracy on the held-out fold (folds[0]) against its given labels, its
    flags cross-fitted in the other folds alone and its model fitted on them: the held-out labels
    decide nothing about which rows are weighed (see the module docstring)."""
    held = folds[0]
    rest = np.setdiff1d(np.arange(len(y)), held, assume_unique=True)
    flags = _flags(x[rest], y[rest], [np.searchsorted(rest, fold) for fold in folds[1:]], grid, n, config)
    right = {}
    for name in CANDIDATES:
        clf = best_logistic(config.max_iter, grid, x[rest], y[rest], x[held], y[held], flags.weights(name))
        weights, bias = class_columns(clf, n)
        right[name] = (x[held] @ weights + bias).argmax(axis=1) == y[held]
    return {name: _accuracy(right[name], right["none"]) for name in CANDIDATES}


_JUDGED_ON = (
    "top-1 accuracy on the held-out fold (fold 0) against its given labels (flagged ones included), "
    "with flags and fits from the other folds only; difference: paired, from none, with a 95% normal interval"
)
_FLAGS = "cleanlab confident learning (prune by noise rate) on temperature-calibrated out-of-fold probabilities"


def _accuracy(right: np.ndarray, baseline: np.ndarray) -> dict[str, Any]:
    """Top-1 accuracy, and its paired difference from the baseline's on the same rows with a 95% interval."""
    difference = right.astype(float) - baseline.astype(float)
    half = Z95 * float(difference.std(ddof=1)) / np.sqrt(len(difference)) if len(difference) > 1 else float("nan")
    mean = float(difference.mean())
    return {
        "top1_accuracy": float(right.mean()),
        "difference": mean,
        "difference_ci95": [mean - half, mean + half],
    }
