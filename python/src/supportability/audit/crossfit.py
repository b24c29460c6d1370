"""Out-of-fold calibrated probabilities of a label: every case scored by a model that never saw it.

Confident learning needs them: a model that trained on a case has partly learnt its label, wrong or
not. The folds come from training/folds.py, so near-duplicates share a fold (a paraphrase in the
training part would vouch for a wrong label). Each fold is scored by a logistic regression on the
training pipeline's features, fitted on the other folds, with the regularisation chosen on the
first fold's held-out log loss; one temperature calibrator (models/calibration.py, chosen by
cross-fitting on the out-of-fold scores) then makes the scores probabilities.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from supportability.data.dataset import LabeledCases
from supportability.models.calibration import Temperature, choose_multiclass, softmax
from supportability.models.heads import case_text
from supportability.training.folds import assign_folds
from supportability.training.trainer import C_GRIDS, TrainConfig, fit_features

FOLDS = 5
MIN_CASES_PER_FOLD = 10  # below that a fold's model has too little to learn from to judge anyone's label
ABSENT_LOGIT = -30.0  # a class the fold's training part lacks


class CrossFitError(ValueError):
    """The data cannot be cross-fitted (too few cases, groups or classes)."""


@dataclass(frozen=True)
class OutOfFold:
    """Calibrated out-of-fold probabilities of one label column."""

    classes: tuple[str, ...]
    labels: np.ndarray  # class index per case
    probabilities: np.ndarray  # (cases, classes)
    calibrator: Temperature
    c: float  # the inverse L2 strength chosen


@dataclass(frozen=True)
class Features:
    """The training pipeline's features of every case, and the folds they are cross-fitted in."""

    x: sp.csr_matrix
    folds: list[np.ndarray]


def features(data: LabeledCases, groups: np.ndarray, config: TrainConfig, folds: int = FOLDS) -> Features:
    """Featurise every case as `train` would (the vocabulary sees no label) and deal the near-duplicate
    groups into `folds` folds of about equal size."""
    if len(data) < folds * MIN_CASES_PER_FOLD:
        raise CrossFitError(
            f"{len(data)} cases are too few to cross-fit: at least {folds * MIN_CASES_PER_FOLD} are needed"
        )
    if int(groups.max()) + 1 < folds:
        raise CrossFitError(f"only {int(groups.max()) + 1} distinct texts: at least {folds} are needed to cross-fit")
    featurizer, context = fit_features(data, config)
    text = featurizer.transform([case_text(c) for c in data.cases])
    x = sp.hstack([text, sp.csr_matrix(context.transform(data.cases))], format="csr")
    sizes = [len(data) // folds + (k < len(data) % folds) for k in range(folds)]
    return Features(x, assign_folds(groups, sizes, config.seed))


def out_of_fold(
    feats: Features, values: Sequence[str], config: TrainConfig, classes: tuple[str, ...] | None = None
) -> OutOfFold:
    """Calibrated out-of-fold probabilities of the label `values` (one per case)."""
    classes = classes or tuple(sorted(set(values)))
    if len(classes) < 2:
        raise CrossFitError(f"the label has one class ({classes[0]!r}): there is nothing to tell apart")
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[v] for v in values])
    grid = config.c_multiclass or C_GRIDS[(config.text_weighting, "multiclass")]
    first, rest = feats.folds[0], np.setdiff1d(np.arange(len(y)), feats.folds[0], assume_unique=True)
    logits = np.empty((len(y), len(classes)))
    best, best_loss = None, np.inf
    clf = LogisticRegression(max_iter=config.max_iter, tol=1e-4, warm_start=True)
    for c in sorted(grid):  # ascending, each warm-started from the last (as the trainer does)
        clf.set_params(C=c).fit(feats.x[rest], y[rest])
        fold_logits = _logits(clf, feats.x[first], len(classes))
        loss = -np.mean(np.log(np.clip(softmax(fold_logits)[np.arange(len(first)), y[first]], 1e-15, 1)))
        if loss < best_loss:
            best, best_loss, logits[first] = copy.deepcopy(clf), loss, fold_logits
    assert best is not None
    for fold in feats.folds[1:]:
        others = np.setdiff1d(np.arange(len(y)), fold, assume_unique=True)
        refitted = copy.deepcopy(best)
        refitted.set_params(warm_start=np.array_equal(np.unique(y[others]), best.classes_))
        logits[fold] = _logits(refitted.fit(feats.x[others], y[others]), feats.x[fold], len(classes))
    calibrator, _ = choose_multiclass(logits, y, config.seed)
    return OutOfFold(classes, y, calibrator(logits), calibrator, float(best.C))


def _logits(clf: LogisticRegression, x: sp.csr_matrix, n_classes: int) -> np.ndarray:
    """Logits over every class; a class the fit never saw gets ABSENT_LOGIT."""
    out = np.full((x.shape[0], n_classes), ABSENT_LOGIT)
    raw = clf.decision_function(x)
    if raw.ndim == 1:  # two classes: scikit-learn returns the positive class's logit only
        raw = np.stack([np.zeros_like(raw), raw], axis=1)
    out[:, clf.classes_] = raw
    return out
