"""An experiment's readout: per arm, the online loop's outcome metrics, each treatment against the
control with an anytime-valid confidence sequence, the sample-ratio check, and a verdict.

Units, not predictions, are what was randomised: a merchant with forty cases is one draw. So each
arm's mean is a ratio over units (sum of values / number of values) and its variance is the
cluster-robust delta-method one; with one case per unit (unit = case_id) it is the usual one.
Comparing several treatments with one control splits α among them (Bonferroni). Given the
pre-period's predictions, each comparison is also CUPED-adjusted (cuped.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from supportability.experiments import cuped, sequential, srm
from supportability.experiments.definition import Experiment
from supportability.experiments.outcome_metrics import METRICS, PRIMARY
from supportability.online.store import OutcomeFrame

MIN_UNITS = 30  # per arm; fewer and the delta method's normal approximation means nothing


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of one arm: the mean over its rows, how many rows and units, and its variance."""

    value: float | None
    rows: int
    units: int
    variance: float | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: str
    arm: str  # the treatment, compared with the experiment's control
    difference: sequential.Interval | None  # treatment - control, anytime-valid at the split α
    note: str = ""
    cuped: bool = False  # adjusted by the pre-period covariate


@dataclass(frozen=True)
class Readout:
    experiment: Experiment
    predictions: Mapping[str, int]  # per arm
    units: Mapping[str, int]
    metrics: Mapping[str, Mapping[str, Metric]]  # metric -> arm -> figure
    comparisons: tuple[Comparison, ...]
    sample_ratio: srm.SampleRatio
    primary: str  # the metric the verdict reads
    bypassed: int  # predictions of the experiment's units whose request named a version
    verdict: str
    # With a pre-period, the comparisons again with CUPED (cuped.py); None where it could not adjust.
    adjusted: tuple[Comparison, ...] = ()


def ratio_metric(values: np.ndarray, units: np.ndarray) -> Metric:
    """The mean of `values` with its cluster-robust variance, clustering by `units`."""
    rows = len(values)
    if rows == 0:
        return Metric(None, 0, 0, None, f"not enough data: 0 units, {MIN_UNITS} needed")
    _, index = np.unique(units, return_inverse=True)
    sums, counts = np.bincount(index, weights=values), np.bincount(index).astype(float)
    k = len(sums)
    mean = float(sums.sum() / counts.sum())
    if k < MIN_UNITS:
        return Metric(mean, rows, k, None, f"not enough data: {k} units, {MIN_UNITS} needed")
    residual = sums - mean * counts
    variance = float((residual**2).sum() / (k * (k - 1)) / counts.mean() ** 2)
    return Metric(mean, rows, k, variance)


def _compare(metric: str, arm: str, treated: Metric, control: Metric, e: Experiment, alpha: float) -> Comparison:
    if treated.variance is None or control.variance is None or treated.value is None or control.value is None:
        return Comparison(metric, arm, None, treated.note or control.note)
    interval = sequential.confidence_sequence(
        treated.value - control.value,
        treated.variance + control.variance,
        treated.units + control.units,
        alpha=alpha,
        tuning_n=e.tuning_units,
    )
    return Comparison(metric, arm, interval)


def read(experiment: Experiment, frame: OutcomeFrame, pre: OutcomeFrame | None = None) -> Readout:
    """The readout of `experiment` from a frame of logged predictions (any window; others are ignored).

    `pre`, the predictions logged before the experiment started, gives each unit its pre-period
    covariate: the comparisons are then also CUPED-adjusted, and the verdict reads the adjusted
    one wherever there is one."""
    mine = frame.experiment == experiment.name
    served = mine & (frame.arm != "")
    arms = [a.version for a in experiment.arms if a.weight > 0]
    by_arm = {arm: served & (frame.arm == arm) for arm in arms}
    units = {arm: len(np.unique(frame.unit_id[rows])) for arm, rows in by_arm.items()}
    metrics: dict[str, dict[str, Metric]] = {}
    for name, select in METRICS.items():
        counted, values = select(frame)
        metrics[name] = {
            arm: ratio_metric(values[rows & counted], frame.unit_id[rows & counted]) for arm, rows in by_arm.items()
        }
    treatments = [arm for arm in arms if arm != experiment.control]
    alpha = experiment.alpha / max(len(treatments), 1)
    comparisons = tuple(
        _compare(name, arm, per_arm[arm], per_arm[experiment.control], experiment, alpha)
        for name, per_arm in metrics.items()
        for arm in treatments
    )
    adjusted = () if pre is None else tuple(_adjusted(c, frame, pre, by_arm, experiment, alpha) for c in comparisons)
    ratio = srm.sample_ratio(units, {arm: experiment.weights[arm] for arm in arms})
    primary = PRIMARY[experiment.reward]
    if adjusted:  # the verdict reads the adjusted comparison wherever there is one
        judged = [a if a.difference is not None else c for c, a in zip(comparisons, adjusted, strict=True)]
    else:
        judged = list(comparisons)
    return Readout(
        experiment=experiment,
        predictions={arm: int(rows.sum()) for arm, rows in by_arm.items()},
        units=units,
        metrics=metrics,
        comparisons=comparisons,
        sample_ratio=ratio,
        primary=primary,
        bypassed=int((mine & (frame.arm == "")).sum()),
        verdict=verdict(experiment, [c for c in judged if c.metric == primary], ratio, alpha),
        adjusted=adjusted,
    )


def _adjusted(
    c: Comparison, frame: OutcomeFrame, pre: OutcomeFrame, by_arm: dict[str, np.ndarray], e: Experiment, alpha: float
) -> Comparison:
    arms = (by_arm[c.arm], by_arm[e.control])
    interval = cuped.adjusted_difference(
        frame, pre, METRICS[c.metric], arms, alpha=alpha, tuning_n=e.tuning_units, min_units=MIN_UNITS
    )
    note = "" if interval is not None else "not adjusted: too few units with pre-period cases, or too few units"
    return Comparison(c.metric, c.arm, interval, note, cuped=True)


def verdict(experiment: Experiment, primary: list[Comparison], ratio: srm.SampleRatio, alpha: float) -> str:
    """One line: which arm wins on the primary metric, by how much, at what confidence; or keep running."""
    if ratio.flagged:
        return (
            f"sample ratio mismatch (χ² p = {ratio.p_value:.2g} < {srm.SRM_P_VALUE}): the assignment or the "
            "logging is broken; do not read this experiment"
        )
    decided = [c for c in primary if c.difference is not None and c.difference.excludes_zero]
    if not decided:
        thin = next((c.note for c in primary if c.difference is None), "")
        return "keep running: " + (thin or f"no arm differs from the control {experiment.control} yet")
    best = max(decided, key=lambda c: c.difference.estimate if c.difference else 0.0)
    d = best.difference
    assert d is not None
    metric = best.metric.replace("_", " ")
    confidence = f"{1 - alpha:.1%} anytime-valid interval [{d.low:+.4f}, {d.high:+.4f}]"
    confidence += ", CUPED-adjusted" if best.cuped else ""
    if d.estimate > 0:
        return f"{best.arm} beats the control {experiment.control} on {metric} by {d.estimate:+.4f} ({confidence})"
    return f"the control {experiment.control} beats {best.arm} on {metric} by {-d.estimate:+.4f} ({confidence})"


def frame_rows(frame: OutcomeFrame, keep: np.ndarray) -> OutcomeFrame:
    """The frame's rows where `keep` is true."""
    index = np.flatnonzero(keep)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(frame):
        column = getattr(frame, f.name)
        values[f.name] = [column[i] for i in index] if isinstance(column, list) else column[index]
    return OutcomeFrame(**values)
