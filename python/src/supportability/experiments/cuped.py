"""CUPED (Deng, Xu, Kohavi and Walker, 2013): less variance from a pre-period covariate, so an A/B
test decides sooner on the same traffic.

The covariate of a unit is its value of the same metric over its cases before the experiment
started (a merchant's routing accuracy last fortnight predicts this fortnight's). A readout's
metric is a ratio over units, so what is adjusted is its linearisation (Deng, Knoblich and Lu,
2018): per unit z = m + (sum - m x count) / mean count, whose mean is the metric and whose sample
variance / units is readout.ratio_metric's variance. Then

    adjusted mean of an arm = mean(z) - θ (mean(x) of the arm - mean(x) over both arms)

with one θ = cov(z, x) / var(x), within arms and pooled over them, so the adjustment cannot favour
either arm, and variance var(z - θ x) / units. Units with no pre-period case get the mean
covariate, which adjusts nothing. Without any pre-period case (unit = case_id, a new deployment)
there is nothing to adjust with and the caller keeps the unadjusted comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from supportability.experiments import sequential
from supportability.online.store import OutcomeFrame

MIN_COVERED = 0.1  # the share of units with pre-period cases below which CUPED is not worth its θ
# A metric as outcome_metrics.METRICS gives it: which rows count, and each row's value.
Select = Callable[[OutcomeFrame], tuple[np.ndarray, np.ndarray]]


def unit_values(frame: OutcomeFrame, rows: np.ndarray, select: Select) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(units, linearised values z, counted cases) of a metric over `rows`, per unit with a counted case."""
    counted, values = select(frame)
    keep = rows & counted
    units, index = np.unique(frame.unit_id[keep], return_inverse=True)
    sums, counts = np.bincount(index, weights=values[keep]), np.bincount(index).astype(float)
    if not len(units):
        return units, sums, counts
    mean = sums.sum() / counts.sum()
    return units, mean + (sums - mean * counts) / counts.mean(), counts


def covariates(pre: OutcomeFrame, select: Select) -> dict[str, float]:
    """Each unit's pre-period value of a metric (units with a counted pre-period case only)."""
    counted, values = select(pre)
    units, index = np.unique(pre.unit_id[counted], return_inverse=True)
    sums, counts = np.bincount(index, weights=values[counted]), np.bincount(index)
    return {str(u): float(s / n) for u, s, n in zip(units, sums, counts, strict=True) if u}


def adjusted_difference(
    frame: OutcomeFrame,
    pre: OutcomeFrame,
    select: Select,
    arms: tuple[np.ndarray, np.ndarray],
    *,
    alpha: float,
    tuning_n: float,
    min_units: int,
) -> sequential.Interval | None:
    """The CUPED-adjusted difference (treated - control) of a metric, with its anytime-valid interval;
    `arms` are the (treated, control) rows of `frame`. None when an arm has fewer than `min_units`
    units, or too few units have a pre-period case."""
    x_of: Mapping[str, float] = covariates(pre, select)
    sides = [unit_values(frame, rows, select) for rows in arms]
    if any(len(units) < min_units for units, _, _ in sides):
        return None
    known = [np.array([u in x_of for u in units], dtype=bool) for units, _, _ in sides]
    if sum(int(k.sum()) for k in known) < MIN_COVERED * sum(len(k) for k in known):
        return None
    pooled = float(np.mean([x_of[u] for (units, _, _), k in zip(sides, known, strict=True) for u in units[k]]))
    xs = [np.array([x_of.get(u, pooled) for u in units]) for units, _, _ in sides]
    centred = [(z - z.mean(), x - x.mean()) for (_, z, _), x in zip(sides, xs, strict=True)]
    spread = sum(float((dx**2).sum()) for _, dx in centred)
    theta = sum(float((dz * dx).sum()) for dz, dx in centred) / spread if spread > 0 else 0.0
    overall = float(np.concatenate(xs).mean())
    means, variances = [], []
    for (_, z, _), x in zip(sides, xs, strict=True):
        means.append(float(z.mean() - theta * (x.mean() - overall)))
        variances.append(float(np.var(z - theta * x, ddof=1) / len(z)))
    units = len(sides[0][0]) + len(sides[1][0])
    return sequential.confidence_sequence(
        means[0] - means[1], variances[0] + variances[1], units, alpha=alpha, tuning_n=tuning_n
    )
