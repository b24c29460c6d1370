"""Drift: how far live inputs and predictions have moved from the version's training reference.

The measure is the population stability index (PSI) per input (features/summary.py's categorical
and numeric inputs) and per prediction output (the top-1 queue's distribution, the top-1 and the
escalation probabilities), over the bins the reference fixed (evaluation/reference.py). Reading:

    PSI < 0.10          stable
    0.10 <= PSI < 0.25  moderate: worth a look
    PSI >= 0.25         shift: the version now sees traffic unlike its training data

The reference is the manifest's "drift_reference"; a version registered before it existed has
none, and its drift result says so instead of failing. PSI from a small sample is biased upwards
(by about (bins - 1) / n), so fewer than MIN_DRIFT_CASES predictions give no score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from supportability.evaluation import reference as ref
from supportability.metrics import population_stability_index
from supportability.online.store import OutcomeFrame

STABLE_BELOW = 0.10
SHIFT_FROM = 0.25
MIN_DRIFT_CASES = 200
NO_REFERENCE = "no reference in this version's manifest"


def level(psi: float) -> str:
    """The reading of a PSI value: "stable", "moderate" or "shift"."""
    return "stable" if psi < STABLE_BELOW else "moderate" if psi < SHIFT_FROM else "shift"


@dataclass(frozen=True, slots=True)
class DriftScore:
    name: str
    group: str  # "input" or "output"
    psi: float | None  # None when there is too little data or nothing to compare with
    level: str  # stable | moderate | shift | "" when psi is None
    n: int
    note: str = ""


@dataclass(frozen=True)
class Drift:
    """The drift of one version's traffic; `note` says why there are no scores, when there are none."""

    version: str
    n: int
    scores: tuple[DriftScore, ...] = ()
    note: str = ""

    @property
    def worst(self) -> DriftScore | None:
        scored = [s for s in self.scores if s.psi is not None]
        return max(scored, key=lambda s: s.psi or 0.0) if scored else None


@dataclass(frozen=True)
class DriftColumns:
    """The compared values of every prediction of a frame, as columns (made once, sliced per version)."""

    inputs: dict[str, ref.Column]
    outputs: dict[str, ref.Column]


def drift_columns(frame: OutcomeFrame) -> DriftColumns:
    routing = frame.routing
    return DriftColumns(
        inputs=ref.input_columns(frame.inputs),
        outputs={
            "top1_queue": ref.encode(r[0][0] if r else "" for r in routing),
            "top1_probability": np.array([r[0][1] if r else np.nan for r in routing], dtype=float),
            "escalation_probability": frame.escalation_probability,
        },
    )


def _thin(name: str, group: str, n: int) -> DriftScore:
    return DriftScore(name, group, None, "", n, f"not enough data: {n} values, {MIN_DRIFT_CASES} needed")


def _score(name: str, group: str, column: ref.Column, summary: Mapping[str, Any] | None) -> DriftScore:
    n = len(column)
    if summary is None:
        return DriftScore(name, group, None, "", n, "not in the reference")
    if isinstance(column, ref.Categories) != (summary.get("kind") == "categorical"):
        return DriftScore(name, group, None, "", n, f"the reference holds it as {summary.get('kind')}")
    if isinstance(column, ref.Categories):
        if n < MIN_DRIFT_CASES:
            return _thin(name, group, n)
        categories = list(summary["proportions"])
        actual = ref.categorical_proportions(column, categories)
        expected = np.append([summary["proportions"][c] for c in categories], 0.0)  # nothing unseen in it
    else:
        present = int(np.isfinite(column).sum())
        if present < MIN_DRIFT_CASES:
            return _thin(name, group, present)
        actual = ref.numeric_proportions(column, summary["edges"])
        expected = np.asarray(summary["proportions"], dtype=float)
    psi = population_stability_index(expected, actual)
    return DriftScore(name, group, psi, level(psi), n)


def _take(column: ref.Column, rows: np.ndarray) -> ref.Column:
    return column.take(rows) if isinstance(column, ref.Categories) else column[rows]


def drift(
    version: str, columns: DriftColumns, rows: np.ndarray | Sequence[int], reference: Mapping[str, Any] | None
) -> Drift:
    """PSI of every input and output of the predictions `rows` against `reference` (None: no scores)."""
    rows = np.asarray(rows, dtype=np.int64)
    if not reference:
        return Drift(version, len(rows), note=NO_REFERENCE)
    inputs, outputs = reference.get("inputs", {}), reference.get("outputs", {})
    scores = [_score(name, "input", _take(c, rows), inputs.get(name)) for name, c in columns.inputs.items()]
    scores += [_score(name, "output", _take(c, rows), outputs.get(name)) for name, c in columns.outputs.items()
               if name in outputs]  # fmt: skip
    return Drift(version, len(rows), tuple(scores))
