"""Many simulated experiments, looked at daily, for the benchmark and the tests: how often each
readout declares a difference, and when.

Each run serves `per_day` new units per arm per day with a binary outcome of the arm's rate,
arriving after an exponential delay (the online loop's outcomes come late). At the end of each
day, the outcomes that have arrived are read two ways: the confidence sequence (sequential.py) and
the naive fixed-n 95% interval a team would compute if it ignored its own peeking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supportability.experiments import sequential

Z95 = 1.959963984540054
DAY_HOURS = 24.0


@dataclass(frozen=True)
class Peeking:
    """Per run, the first day (1-based) each readout excluded 0, or 0 if it never did."""

    sequential_day: np.ndarray
    naive_day: np.ndarray
    days: int

    def rate(self, which: str, by_day: int | None = None) -> float:
        """The share of runs that declared a difference by `by_day` (default: the last day)."""
        day = self.sequential_day if which == "sequential" else self.naive_day
        limit = by_day or self.days
        return float(((day > 0) & (day <= limit)).mean())


def _daily_counts(rng: np.random.Generator, rate: float, days: int, per_day: int, delay_hours: float) -> np.ndarray:
    """(successes, arrived) at the end of each day, as an array of shape (days, 2)."""
    n = days * per_day
    served = np.repeat(np.arange(days), per_day) * DAY_HOURS + rng.uniform(0, DAY_HOURS, n)
    arrival = served + rng.exponential(delay_hours, n) if delay_hours > 0 else served
    order = np.argsort(arrival)
    wins = np.cumsum(rng.uniform(size=n) < rate)  # the outcome of the k-th arrival
    arrived = np.searchsorted(arrival[order], (np.arange(days) + 1) * DAY_HOURS)
    successes = np.where(arrived > 0, wins[np.maximum(arrived - 1, 0)], 0)
    return np.stack([successes, arrived], axis=1).astype(float)


def simulate_peeking(
    runs: int,
    *,
    days: int = 30,
    per_day: int = 200,
    rate_a: float = 0.6,
    rate_b: float = 0.6,
    delay_hours: float = 30.0,
    alpha: float = 0.05,
    tuning_n: float = sequential.DEFAULT_TUNING_N,
    seed: int = 0,
) -> Peeking:
    rng = np.random.default_rng(seed)
    first_seq, first_naive = np.zeros(runs, dtype=int), np.zeros(runs, dtype=int)
    for run in range(runs):
        a = _daily_counts(rng, rate_a, days, per_day, delay_hours)
        b = _daily_counts(rng, rate_b, days, per_day, delay_hours)
        with np.errstate(invalid="ignore", divide="ignore"):
            pa, pb = a[:, 0] / a[:, 1], b[:, 0] / b[:, 1]
            variance = pa * (1 - pa) / a[:, 1] + pb * (1 - pb) / b[:, 1]
        difference = pb - pa
        for day in range(days):
            if not (a[day, 1] > 1 and b[day, 1] > 1 and np.isfinite(variance[day])):
                continue
            units = int(a[day, 1] + b[day, 1])
            width = sequential.half_width(float(variance[day]), units, alpha=alpha, tuning_n=tuning_n)
            if not first_seq[run] and abs(difference[day]) > width:
                first_seq[run] = day + 1
            if not first_naive[run] and abs(difference[day]) > Z95 * np.sqrt(variance[day]):
                first_naive[run] = day + 1
    return Peeking(first_seq, first_naive, days)
