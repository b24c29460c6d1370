"""A shadow experiment's readout: each shadow version against the served one on the same cases,
so on the same outcomes.

A shadow scored exactly the cases the primary served, and its predictions are stored under the
served predictions' ids; joined by id, each case's outcome judges both versions. The comparison is
therefore paired: the difference of the two means, with a cluster-robust (by unit) delta-method
variance of the pair, and an anytime-valid confidence sequence (a shadow's report is looked at
while it runs). Only what a prediction alone decides is compared: routing accuracy, decision
precision and coverage, escalation catch rate. CSAT and whether an auto-route stuck depend on what
the caller was served, which the shadow never was. Agreement with the primary (the same top
queue, the same decision) needs no outcome, so it is there from the first case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from supportability.experiments import sequential
from supportability.experiments.definition import Experiment
from supportability.experiments.outcome_metrics import METRICS
from supportability.experiments.readout import MIN_UNITS, Metric, frame_rows, ratio_metric
from supportability.online.store import OutcomeFrame, ShadowFrame

COMPARED = ("routing_accuracy", "decision_precision", "decision_coverage", "escalation_catch_rate")
PRIMARY = {"routing_correct": "routing_accuracy"}  # the others are outcomes of serving; see above
DEFAULT_PRIMARY = "routing_accuracy"


@dataclass(frozen=True, slots=True)
class Paired:
    metric: str
    served: Metric  # the primary's figure on the cases the shadow scored
    shadow: Metric
    difference: sequential.Interval | None  # shadow - served, anytime-valid at the split α
    note: str = ""


@dataclass(frozen=True)
class ShadowComparison:
    version: str
    served_version: str
    cases: int  # served predictions this shadow also scored
    top_queue_agreement: float | None
    decision_agreement: float | None
    metrics: Mapping[str, Paired]


def paired_difference(
    served: tuple[np.ndarray, np.ndarray], shadow: tuple[np.ndarray, np.ndarray], units: np.ndarray
) -> tuple[float, float, int] | None:
    """(shadow mean - served mean, its variance, units) of two ratio metrics on the same rows.

    Each is (which rows count, each row's value). Per unit the two linearised residuals are taken
    together, so what the versions share (the case, its outcome) cancels out of the variance.
    None on thin data (fewer than MIN_UNITS units, or no counted row on a side)."""
    (counted_a, values_a), (counted_b, values_b) = served, shadow
    keep = counted_a | counted_b
    if not keep.any():
        return None
    _, index = np.unique(units[keep], return_inverse=True)

    def sums(counted: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = counted[keep].astype(float)
        return np.bincount(index, weights=c * values[keep]), np.bincount(index, weights=c)

    (a, n), (b, m) = sums(counted_a, values_a), sums(counted_b, values_b)
    k = len(a)
    if k < MIN_UNITS or n.sum() == 0 or m.sum() == 0:
        return None
    mean_a, mean_b = a.sum() / n.sum(), b.sum() / m.sum()
    residual = (b - mean_b * m) / m.mean() - (a - mean_a * n) / n.mean()
    return float(mean_b - mean_a), float((residual**2).sum() / (k * (k - 1))), k


def shadow_view(served: OutcomeFrame, shadows: ShadowFrame, at: np.ndarray) -> OutcomeFrame:
    """The served rows with the shadow's answers in place of the primary's (`at`: the shadow row of each)."""
    return dataclasses.replace(
        served,
        model_version=shadows.model_version[at],
        routing=[shadows.routing[i] for i in at],
        decision_action=shadows.decision_action[at],
        escalation_probability=shadows.escalation_probability[at],
    )


def compare(experiment: Experiment, frame: OutcomeFrame, shadows: ShadowFrame) -> tuple[ShadowComparison, ...]:
    """Each shadow version of `experiment` against the primary, on the served cases it scored."""
    versions = experiment.shadows
    alpha = experiment.alpha / max(len(versions), 1)  # Bonferroni across the shadows
    served_rows = (frame.experiment == experiment.name) & (frame.arm != "")
    out = []
    for version in versions:
        mine = np.flatnonzero(shadows.model_version == version)
        position = {pid: int(i) for pid, i in zip(shadows.prediction_id[mine], mine, strict=True)}
        rows = served_rows & np.array([pid in position for pid in frame.prediction_id], dtype=bool)
        served = frame_rows(frame, rows)
        shadow = shadow_view(served, shadows, np.array([position[p] for p in served.prediction_id], dtype=int))
        metrics = {name: _paired(name, served, shadow, experiment, alpha) for name in COMPARED}
        out.append(
            ShadowComparison(
                version=version,
                served_version=experiment.control,
                cases=len(served),
                top_queue_agreement=_share([_top(r) for r in served.routing], [_top(r) for r in shadow.routing]),
                decision_agreement=_share(list(served.decision_action), list(shadow.decision_action)),
                metrics=metrics,
            )
        )
    return tuple(out)


def _paired(name: str, served: OutcomeFrame, shadow: OutcomeFrame, e: Experiment, alpha: float) -> Paired:
    a, b = METRICS[name](served), METRICS[name](shadow)
    figures = [ratio_metric(values[counted], served.unit_id[counted]) for counted, values in (a, b)]
    paired = paired_difference(a, b, served.unit_id)
    if paired is None:
        note = figures[0].note or figures[1].note or f"not enough data: {MIN_UNITS} units needed"
        return Paired(name, figures[0], figures[1], None, note)
    estimate, variance, units = paired
    interval = sequential.confidence_sequence(estimate, variance, units, alpha=alpha, tuning_n=e.tuning_units)
    return Paired(name, figures[0], figures[1], interval)


def _top(routing: tuple[tuple[str, float], ...]) -> str:
    return routing[0][0] if routing else ""


def _share(left: list[str], right: list[str]) -> float | None:
    pairs = [(x, y) for x, y in zip(left, right, strict=True) if x and y]
    return sum(x == y for x, y in pairs) / len(pairs) if pairs else None


def verdict(experiment: Experiment, comparisons: tuple[ShadowComparison, ...]) -> str:
    """One line on the primary metric: which shadow beats the served version, by how much; or keep running."""
    metric = PRIMARY.get(experiment.reward, DEFAULT_PRIMARY)
    alpha = experiment.alpha / max(len(comparisons), 1)
    decided = [
        (c, p.difference)
        for c in comparisons
        if (p := c.metrics[metric]).difference is not None and p.difference.excludes_zero
    ]
    if not decided:
        thin = next((c.metrics[metric].note for c in comparisons if c.metrics[metric].difference is None), "")
        return "keep running: " + (thin or f"no shadow differs from the served {experiment.control} yet")
    c, d = max(decided, key=lambda pair: pair[1].estimate)
    confidence = f"{1 - alpha:.1%} anytime-valid interval [{d.low:+.4f}, {d.high:+.4f}], same cases"
    what = metric.replace("_", " ")
    if d.estimate > 0:
        return f"shadow {c.version} beats the served {c.served_version} on {what} by {d.estimate:+.4f} ({confidence})"
    return f"the served {c.served_version} beats shadow {c.version} on {what} by {-d.estimate:+.4f} ({confidence})"
