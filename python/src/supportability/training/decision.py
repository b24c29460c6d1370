"""The auto-route threshold with a guarantee, and the out-of-scope threshold, from held-out scores.

Auto-route: the threshold is the lowest top-probability at which a one-sided Clopper–Pearson lower
confidence bound (at `confidence_level`) on the precision of the held-out cases at or above it
reaches the target. Thresholds are tested from the highest down, on a grid of coverage steps, and
the search stops at the first that fails (fixed-sequence testing, as in Learn-then-Test: Angelopoulos
et al., 2021), so the bound holds for the threshold chosen, not only for one fixed in advance;
scanning every threshold and keeping the lowest that passes would keep the luckiest of thousands.
The sequence starts where a model making half the allowed errors would pass (`_first_count`), and
at 10% coverage at the earliest.

Out of scope: the threshold on the model's in-scope score (models/scope.py) is the
(1 - in_scope_coverage) quantile of the score over held-out in-scope cases.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np

from supportability.metrics import clopper_pearson_lower as precision_lower_bound

MIN_AUTO_ROUTED = 30  # the decision threshold must auto-route at least this many held-out cases
GRID_STEPS = 100  # thresholds tested: one per 1% of held-out coverage
# The sequence starts at this coverage at the least: the synthetic data's labels are ~3% noise even
# among the most confident cases (held-out precision 0.968 over the top 158 of 5,100, whose bound,
# 0.935, would end a sequence started there, though the top 800 reach a bound of 0.967).
START_COVERAGE = 0.1


class DecisionSettings(Protocol):
    """What the choices read: TrainConfig and NeuralConfig both have it."""

    @property
    def target_precision(self) -> float: ...
    @property
    def confidence_level(self) -> float: ...
    @property
    def in_scope_coverage(self) -> float: ...
    @property
    def scope_score(self) -> str: ...
    @property
    def oos_label(self) -> str | None: ...


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen threshold and what the held-out cases say about it (stored with the model)."""

    threshold: float
    promised: bool  # False: no threshold's lower bound reached the target; every case goes to a human
    target_precision: float
    confidence_level: float
    held_out_cases: int
    auto_routed: int  # held-out cases at or above the threshold
    precision: float | None  # their precision (the point estimate)
    precision_lower_bound: float | None  # its one-sided Clopper–Pearson bound at confidence_level

    def state(self) -> dict:
        return asdict(self)


def choose_threshold(
    confidence: np.ndarray, correct: np.ndarray, target_precision: float, confidence_level: float
) -> ThresholdChoice:
    """The lowest threshold on `confidence` whose held-out lower precision bound reaches the target
    (see the module docstring); 1.0 with promised=False when there is none."""
    n = len(confidence)
    order = np.argsort(-confidence, kind="stable")
    sorted_confidence = confidence[order]
    hits = np.cumsum(correct[order])
    candidates = _candidates(sorted_confidence, target_precision, confidence_level)
    passed = precision_lower_bound(hits[candidates], candidates + 1, confidence_level) >= target_precision
    failures = np.flatnonzero(~passed)
    run = len(candidates) if len(failures) == 0 else failures[0]  # the first failure ends the sequence
    if run == 0:
        return ThresholdChoice(1.0, False, target_precision, confidence_level, n, 0, None, None)
    i = int(candidates[run - 1])
    return ThresholdChoice(
        threshold=float(sorted_confidence[i]),
        promised=True,
        target_precision=target_precision,
        confidence_level=confidence_level,
        held_out_cases=n,
        auto_routed=i + 1,
        precision=float(hits[i] / (i + 1)),
        precision_lower_bound=float(precision_lower_bound(hits[i], i + 1, confidence_level)),
    )


def _first_count(target_precision: float, confidence_level: float) -> int:
    """Where the sequence starts: the fewest cases at which a model making half the errors the
    target allows would pass (160 for a 0.9 target, 350 for 0.95, at 95% confidence). Starting
    lower, one unlucky error among the first dozens of cases would end the sequence at once."""
    n = MIN_AUTO_ROUTED
    while n < 1_000_000:
        if (
            precision_lower_bound(n - math.floor(n * (1 - target_precision) / 2), n, confidence_level)
            >= target_precision
        ):
            return n
        n = math.ceil(n * 1.05)
    return n


def _candidates(sorted_confidence: np.ndarray, target_precision: float, confidence_level: float) -> np.ndarray:
    """The thresholds tested, in order, as positions in the descending confidences: one per
    1/GRID_STEPS of coverage, from `_first_count` cases or START_COVERAGE on.

    The grid depends on the confidences only, never on which cases are correct, so testing it in
    sequence keeps the guarantee; steps of 1% of the cases (not every case) keep one early error
    among the first few dozen cases from ending the sequence before it has started."""
    n = len(sorted_confidence)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    smallest = max(_first_count(target_precision, confidence_level), math.ceil(START_COVERAGE * n))
    counts = np.unique(np.maximum(np.ceil(np.arange(1, GRID_STEPS + 1) * n / GRID_STEPS), smallest).astype(np.int64))
    counts = counts[counts <= n]
    # A threshold admits every case tied with it: move each position to the end of its run of ties.
    ends = np.searchsorted(-sorted_confidence, -sorted_confidence[counts - 1], side="right") - 1
    return np.unique(ends)


def scope_threshold(in_scope_scores: np.ndarray, coverage: float) -> float:
    """The score at or above which `coverage` of the held-out in-scope cases (at least one) lie."""
    return float(np.quantile(in_scope_scores, 1.0 - coverage, method="lower"))
