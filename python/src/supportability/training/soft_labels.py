"""Soft labels for a logistic fit: rows whose one given label is replaced by a distribution over the classes.

The cross-entropy of a row against a distribution t is the t-weighted sum of its cross-entropies
against each class, so a soft row is fitted as one copy of the row per class, each weighing the
row's weight times t[k]; scikit-learn's LogisticRegression, which takes sample weights but not soft
targets, then fits them exactly. Classes below MIN_SHARE are left out (and the rest rescaled to the
row's weight), which keeps the copies to about three per row on the synthetic data's 12 queues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_SHARE = 0.01  # classes a soft label gives less than this are left out of the row's copies


@dataclass(frozen=True)
class SoftLabels:
    """Distributions over `classes` (label values) for some rows of the data."""

    rows: np.ndarray  # rows of the data
    classes: tuple[str, ...]
    probabilities: np.ndarray  # (len(rows), len(classes)), each row summing to 1

    def encoded(self, rows_of_data: np.ndarray, classes: tuple[str, ...]) -> SoftRows:
        """The same, for a fit whose rows are the data's `rows_of_data` and whose class indices follow
        `classes`: a distribution per fitted row (NaN where the row keeps its label). A class the fit
        does not know loses its share to the others."""
        column = {c: k for k, c in enumerate(classes)}
        known = [k for k, c in enumerate(self.classes) if c in column]
        target = np.full((len(rows_of_data), len(classes)), np.nan)
        position = {int(r): i for i, r in enumerate(rows_of_data)}
        at = np.array([position.get(int(r), -1) for r in self.rows], dtype=np.int64)
        shares = self.probabilities[:, known]
        inside = (at >= 0) & (shares.sum(axis=1) > 0)  # a row with no known class left keeps its label
        shares = shares[inside]
        target[at[inside]] = 0.0
        target[np.ix_(at[inside], [column[self.classes[k]] for k in known])] = shares
        return SoftRows(target)


@dataclass(frozen=True)
class SoftRows:
    """Soft labels aligned with a fit's rows and class indices (NaN rows keep their given label)."""

    target: np.ndarray  # (rows of the fit, classes)

    def expand(self, rows: np.ndarray, y: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, labels, weights) to fit for `rows`: a row with its label `y` and `weight`, or a soft row
        once per class it gives MIN_SHARE or more, its weight shared in proportion."""
        soft = ~np.isnan(self.target[rows, 0])
        hard = rows[~soft]
        shares = np.where(self.target[rows[soft]] >= MIN_SHARE, self.target[rows[soft]], 0.0)
        shares /= shares.sum(axis=1, keepdims=True)
        which, label = np.nonzero(shares)
        copies = rows[soft][which]
        return (
            np.concatenate([hard, copies]),
            np.concatenate([y[hard], label]),
            np.concatenate([weight[hard], weight[copies] * shares[which, label]]),
        )
