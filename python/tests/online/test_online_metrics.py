"""The metric functions the online side added to supportability.metrics: intervals, estimates, PSI."""

from __future__ import annotations

import numpy as np
import pytest

from supportability import metrics as m


def test_the_wilson_interval_has_its_textbook_values():
    assert m.wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    low, high = m.wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)  # never the Wald interval's [0, 0]
    assert all(np.isnan(m.wilson_interval(0, 0)))


@pytest.mark.parametrize("p", [0.5, 0.9, 0.97])
@pytest.mark.parametrize("n", [40, 400])
def test_the_wilson_interval_covers_the_truth_about_95_percent_of_the_time(p, n):
    successes = np.random.default_rng(1).binomial(n, p, 2_000)
    covered = np.mean([lo <= p <= hi for lo, hi in (m.wilson_interval(k, n) for k in successes)])
    assert 0.92 <= covered <= 0.985


def test_the_expected_accuracy_of_calibrated_confidences_covers_the_realised_one():
    rng = np.random.default_rng(2)
    covered = 0
    for _ in range(200):
        p = rng.uniform(0.3, 1.0, 500)
        realised = (rng.uniform(size=500) < p).mean()  # calibrated: right with probability p
        estimate, low, high = m.expected_accuracy(p)
        assert estimate == pytest.approx(p.mean())
        covered += low <= realised <= high
    assert covered >= 180
    assert all(np.isnan(m.expected_accuracy(np.array([]))))


def test_psi_is_zero_for_the_same_distribution_and_grows_with_the_shift():
    e = np.array([0.25, 0.25, 0.25, 0.25])
    assert m.population_stability_index(e, e) == 0.0
    small = m.population_stability_index(e, np.array([0.3, 0.25, 0.25, 0.2]))
    large = m.population_stability_index(e, np.array([0.7, 0.1, 0.1, 0.1]))
    assert 0 < small < 0.1 and large > 0.25
    assert np.isfinite(m.population_stability_index(e, np.array([1.0, 0.0, 0.0, 0.0])))  # empty bins: floored
