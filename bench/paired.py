"""Ratios of figures measured side by side, in alternating rounds, with their 95% intervals.

On this shared two-core machine a single run swings by 10-20%; pairing each round's two figures,
taken seconds apart, cancels most of what the rest of the machine does to both.
"""

from __future__ import annotations

import math
import statistics

from scipy import stats


def paired_interval(values: list[float], baseline: list[float], level: float = 0.95) -> list[float] | None:
    """The interval of value / baseline - 1 from runs paired by round: a t interval on the logarithms of
    the rounds' ratios (ratios of times are skewed; their logarithms much less). None below two rounds."""
    logs = [math.log(v / b) for v, b in zip(values, baseline, strict=True) if v > 0 and b > 0]
    if len(logs) < 2:
        return None
    centre, half = statistics.fmean(logs), _t_half_width(logs, level)
    return [math.exp(centre - half) - 1, math.exp(centre + half) - 1]


def paired_difference(values: list[float], baseline: list[float], level: float = 0.95) -> tuple[float, list[float] | None]:
    """The mean of value - baseline over rounds, with its t interval (None below two rounds)."""
    differences = [v - b for v, b in zip(values, baseline, strict=True)]
    mean = statistics.fmean(differences)
    if len(differences) < 2:
        return mean, None
    half = _t_half_width(differences, level)
    return mean, [mean - half, mean + half]


def _t_half_width(sample: list[float], level: float) -> float:
    """Half the width of the t interval of the sample's mean."""
    return float(stats.t.ppf((1 + level) / 2, len(sample) - 1)) * statistics.stdev(sample) / math.sqrt(len(sample))


def verdict(ratio: float, interval: list[float] | None, limit: float, *, floor: bool = False) -> str:
    """Met when the whole interval is within the limit (at most `limit`, or at least it with `floor`),
    missed when all of it is beyond."""
    shown = f"{ratio:+.1%}" + ("" if interval is None else f" (95% CI {interval[0]:+.1%} to {interval[1]:+.1%})")
    if interval is None:
        return f"{shown}: one round, no interval"
    low, high = (-interval[1], -interval[0]) if floor else (interval[0], interval[1])
    bound = -limit if floor else limit
    if high <= bound:
        return f"{shown}: met"
    if low > bound:
        return f"{shown}: missed"
    return f"{shown}: not settled (the interval spans the limit; more rounds or a quieter machine)"
