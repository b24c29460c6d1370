"""The sample-ratio-mismatch check: do the arms' unit counts fit the weights they were given?

A mismatch means the assignment or the logging is broken (an arm's predictions dropped, a bot
hitting one arm), and no readout of such an experiment can be trusted. Pearson's χ² test of the
observed counts against the weights, flagged at p < 0.001 as GrowthBook and Optimizely do: with
daily looks over weeks, a looser threshold would cry wolf on healthy experiments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats

SRM_P_VALUE = 0.001


@dataclass(frozen=True, slots=True)
class SampleRatio:
    """The check's result: `flagged` when p < SRM_P_VALUE; `note` says why there is no p-value."""

    observed: Mapping[str, int]
    expected_share: Mapping[str, float]
    chi2: float | None
    p_value: float | None
    flagged: bool
    note: str = ""


def sample_ratio(observed: Mapping[str, int], weights: Mapping[str, float]) -> SampleRatio:
    """χ² goodness of fit of `observed` unit counts per arm to `weights` (arms of weight 0 left out)."""
    arms = [arm for arm, weight in weights.items() if weight > 0]
    total_weight = sum(weights[arm] for arm in arms)
    share = {arm: weights[arm] / total_weight for arm in arms}
    counts = {arm: int(observed.get(arm, 0)) for arm in arms}
    n = sum(counts.values())
    if len(arms) < 2:
        return SampleRatio(counts, share, None, None, False, "one arm: nothing to compare")
    if min(share[arm] * n for arm in arms) < 5:  # χ²'s approximation needs about 5 expected per arm
        return SampleRatio(counts, share, None, None, False, f"not enough data: {n} units")
    result = stats.chisquare([counts[arm] for arm in arms], [share[arm] * n for arm in arms])
    p_value = float(result.pvalue)
    return SampleRatio(counts, share, float(result.statistic), p_value, p_value < SRM_P_VALUE)
