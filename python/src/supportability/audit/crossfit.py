"""Out-of-fold calibrated probabilities of a label: every case scored by a model that never saw it.

Confident learning needs them: a model that trained on a case has partly learnt its label, wrong or
not. The folds come from training/folds.py, so near-duplicates share a fold (a paraphrase in the
training part would vouch for a wrong label). Each fold is scored as the trainer scores its folds
(training/crossfit.py): a logistic regression on the training pipeline's features, fitted on the
other folds, with the regularisation chosen on the first fold's held-out log loss; one temperature
calibrator (models/calibration.py, chosen by cross-fitting on the out-of-fold scores) then makes
the scores probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from supportability.data.dataset import LabeledCases
from supportability.models.calibration import Temperature, choose_multiclass
from supportability.models.heads import case_text
from supportability.training.crossfit import class_out_of_fold
from supportability.training.folds import assign_folds
from supportability.training.trainer import C_GRIDS, TrainConfig, fit_features

FOLDS = 5
MIN_CASES_PER_FOLD = 10  # below that a fold's model has too little to learn from to judge anyone's label


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
    scored = class_out_of_fold(feats.x, y, feats.folds, grid, len(classes), config.max_iter)
    calibrator, _ = choose_multiclass(scored.logits, y, config.seed)
    return OutOfFold(classes, y, calibrator(scored.logits), calibrator, scored.c)
