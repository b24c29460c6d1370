"""Near-duplicate texts that carry different labels: at most one label of such a group can be right
for all of it, whatever the model says.

The groups are training/folds.py's (MinHash of word 1-2-grams), the same the cross-fitting folds
keep together. Within a group that disagrees, the label most of its cases carry is suggested for
the rest (a tie goes to the label with the higher mean out-of-fold probability over the group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Larger groups are chains of merely similar texts (templated messages link into groups of thousands
# on the synthetic data), not copies of one case: their labels may rightly differ.
MAX_GROUP = 20


@dataclass(frozen=True)
class Conflict:
    """A group of near-duplicate texts with more than one label."""

    members: tuple[int, ...]  # case positions
    majority: int  # the suggested class index
    agreement: float  # share of the group that carries it


def conflicts(groups: np.ndarray, labels: np.ndarray, probabilities: np.ndarray) -> list[Conflict]:
    """Every near-duplicate group of at most MAX_GROUP cases whose cases carry different labels, largest first."""
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    found = []
    for members in np.split(order, bounds):
        if not 2 <= len(members) <= MAX_GROUP or len(set(labels[members].tolist())) < 2:
            continue
        counts = np.bincount(labels[members], minlength=probabilities.shape[1])
        tied = np.flatnonzero(counts == counts.max())
        majority = int(tied[probabilities[np.ix_(members, tied)].mean(axis=0).argmax()])
        found.append(Conflict(tuple(int(i) for i in members), majority, float(counts[majority] / len(members))))
    return sorted(found, key=lambda c: (-len(c.members), c.members[0]))


def dissenters(found: Sequence[Conflict], labels: np.ndarray) -> list[tuple[int, int, float]]:
    """(case, suggested class, share of its group that carries that class) for each case of a
    conflicting group whose label is not the group's majority."""
    return [(i, c.majority, c.agreement) for c in found for i in c.members if labels[i] != c.majority]
