"""Off-policy evaluation on simulated logs whose truth is known: every estimator through the same
contract, interval coverage over seeded runs, clipping, and the safe answer on thin data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from supportability.experiments import ope

ARMS = np.array(["a", "b", "c"], dtype=object)
LOGGING = np.array([0.80, 0.15, 0.05])  # the split the traffic was served under
CONTEXT_SHARE = np.array([0.4, 0.3, 0.2, 0.1])
# P(reward | arm, context): the candidate "c" is best in some contexts, worst in others.
RATES = np.array([[0.60, 0.55, 0.50, 0.45], [0.50, 0.60, 0.55, 0.40], [0.70, 0.40, 0.65, 0.30]])
TRUTH = {arm: float(RATES[i] @ CONTEXT_SHARE) for i, arm in enumerate(ARMS)}


def logged(n: int, seed: int) -> ope.Feedback:
    rng = np.random.default_rng(seed)
    contexts = rng.choice(4, n, p=CONTEXT_SHARE)
    actions = rng.choice(3, n, p=LOGGING)
    rewards = (rng.uniform(size=n) < RATES[actions, contexts]).astype(float)
    return ope.Feedback(ARMS[actions], LOGGING[actions], rewards, contexts)


@pytest.mark.parametrize("estimator", ope.ESTIMATORS, ids=lambda e: e.name)
def test_every_estimator_is_close_to_the_truth_on_a_large_log(estimator: ope.Estimator) -> None:
    data = logged(200_000, seed=1)
    q = ope.reward_model(data, "c") if estimator.needs_reward_model else None
    # 10,000 rows served the candidate: a standard error of about 0.005; three of them allowed.
    assert estimator.estimate(data, "c", q) == pytest.approx(TRUTH["c"], abs=0.015)


def test_the_intervals_cover_the_truth_in_at_least_90_percent_of_runs() -> None:
    runs = 100  # the coverage's standard error is about 2 points at 100 runs
    covered = {e.name: 0 for e in ope.ESTIMATORS}
    for seed in range(runs):
        # The bootstrap seed differs from the data's: one stream for both would resample along the draws.
        for result in ope.evaluate(logged(5_000, seed), "c", bootstrap=200, seed=10_000 + seed):
            assert result.low is not None and result.high is not None
            covered[result.estimator] += result.low <= TRUTH["c"] <= result.high
    assert all(count / runs >= 0.9 for count in covered.values()), covered


def test_clipping_bounds_the_weights() -> None:
    data = logged(10_000, seed=2)
    clipped, unclipped = ope.IPS(clip=5.0), ope.IPS()
    assert clipped.estimate(data, "c", None) < unclipped.estimate(data, "c", None)  # 1/0.05 = 20 counted as 5


def test_a_candidate_that_hardly_served_gets_no_estimate() -> None:
    data = logged(200, seed=3)
    results = ope.evaluate(data.take(np.flatnonzero(data.actions != "c")), "c", bootstrap=10)
    assert all(r.value is None and "not enough data" in r.note for r in results)


@pytest.mark.parametrize(
    ("propensities", "rewards", "message"),
    [([0.0], [1.0], "propensities"), ([0.5], [2.0], "rewards"), ([0.5, 0.5], [1.0], "differ in length")],
)
def test_bad_feedback_is_refused(propensities: list[float], rewards: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ope.Feedback(np.array(["a"], dtype=object), np.array(propensities), np.array(rewards), np.array([0]))


def test_snips_without_the_candidate_is_nan_not_an_error() -> None:
    data = logged(100, seed=4)
    assert math.isnan(ope.SNIPS().estimate(data.take(np.flatnonzero(data.actions == "a")), "c", None))
