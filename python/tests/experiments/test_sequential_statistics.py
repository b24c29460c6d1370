"""The readout's statistics on simulations whose truth is known: the SRM check's flag rates, and
the confidence sequence's coverage under daily peeking (where a fixed-n interval fails)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from supportability.experiments import peeking, sequential, srm


def test_srm_flags_a_52_48_split_at_20000_units() -> None:
    result = srm.sample_ratio({"a": 10_400, "b": 9_600}, {"a": 0.5, "b": 0.5})
    assert result.flagged and result.p_value is not None and result.p_value < 1e-6


def test_srm_flags_few_balanced_runs() -> None:
    rng = np.random.default_rng(13)
    counts = rng.binomial(20_000, 0.5, size=20_000)
    flagged = sum(srm.sample_ratio({"a": int(c), "b": 20_000 - int(c)}, {"a": 0.5, "b": 0.5}).flagged for c in counts)
    assert flagged / len(counts) <= 0.002  # 0.1% expected; 40 of 20,000 would be 4 standard errors out


def test_srm_uses_the_weights_and_ignores_arms_of_weight_zero() -> None:
    assert not srm.sample_ratio({"a": 9_000, "b": 1_000, "c": 7}, {"a": 0.9, "b": 0.1, "c": 0.0}).flagged
    assert srm.sample_ratio({"a": 5_000, "b": 5_000}, {"a": 0.9, "b": 0.1}).flagged


def test_srm_on_thin_data_says_so() -> None:
    result = srm.sample_ratio({"a": 3, "b": 1}, {"a": 0.5, "b": 0.5})
    assert not result.flagged and result.p_value is None and "not enough data" in result.note


def test_peeking_daily_keeps_the_false_positive_rate_under_alpha() -> None:
    result = peeking.simulate_peeking(1_000, days=30, per_day=100, seed=5)
    assert result.rate("sequential") <= 0.05
    assert result.rate("naive") > 0.1  # the contrast that motivates it: peeking at a fixed-n interval


def test_a_real_difference_is_found_and_early_looks_are_honest() -> None:
    result = peeking.simulate_peeking(200, days=30, per_day=200, rate_a=0.60, rate_b=0.66, seed=6)
    assert result.rate("sequential") > 0.8
    assert result.rate("sequential", by_day=3) < result.rate("sequential")


def test_the_sequence_finds_a_real_difference() -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    a, b = rng.binomial(1, 0.30, n).mean(), rng.binomial(1, 0.36, n).mean()
    interval = sequential.confidence_sequence(b - a, a * (1 - a) / n + b * (1 - b) / n, 2 * n)
    assert interval.excludes_zero and interval.low > 0


def test_the_sequence_is_wider_than_the_fixed_n_interval_and_narrows() -> None:
    fixed = 1.959964 * math.sqrt(0.5)
    widths = [sequential.half_width(0.5 / n, n) * math.sqrt(n) for n in (100, 1_000, 10_000)]
    assert all(w > fixed for w in widths)
    assert sequential.half_width(0.25 / 100, 100) > sequential.half_width(0.25 / 10_000, 10_000)


def test_no_units_means_an_unbounded_interval() -> None:
    assert sequential.half_width(0.1, 0) == math.inf


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_rho_is_positive(alpha: float) -> None:
    assert sequential.rho_squared(alpha, 1_000) > 0
