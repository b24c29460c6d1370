"""The auto-route threshold's Clopper–Pearson guarantee, on a simulation whose truth is known."""

from __future__ import annotations

import numpy as np

from supportability.training.decision import choose_threshold, precision_lower_bound, scope_threshold

TARGET, LEVEL = 0.9, 0.95


def _true_precision(threshold: float) -> float:
    """Confidence ~ U(0.5, 1) and P(correct | c) = c: precision above t is E[c | c >= t] = (1 + t) / 2."""
    return (1 + max(threshold, 0.5)) / 2


def _simulate(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    confidence = rng.uniform(0.5, 1.0, n)
    return confidence, rng.uniform(size=n) < confidence


def test_the_bound_holds_for_the_chosen_threshold_at_least_at_its_confidence_level():
    rng = np.random.default_rng(3)
    held, promised = [], []
    for _ in range(300):
        choice = choose_threshold(*_simulate(rng, 2_000), TARGET, LEVEL)
        promised.append(choice.promised)
        # Nothing promised, nothing auto-routed: no broken promise.
        held.append(not choice.promised or _true_precision(choice.threshold) >= TARGET)
        assert not choice.promised or choice.precision_lower_bound <= choice.precision
    # 300 runs: a 95% guarantee gives at least ~0.93 with high probability.
    assert np.mean(held) >= 0.93
    assert np.mean(promised) >= 0.95  # and the guarantee is not bought by promising nothing


def test_a_threshold_on_the_point_estimate_breaks_the_promise_about_half_the_time():
    """What the bound is for: the lowest threshold whose held-out precision merely reaches the target."""
    rng = np.random.default_rng(4)
    held = []
    for _ in range(300):
        confidence, correct = _simulate(rng, 2_000)
        order = np.argsort(-confidence)
        precision = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
        ok = np.flatnonzero(precision >= TARGET)
        held.append(_true_precision(confidence[order][ok[-1]]) >= TARGET)
    assert np.mean(held) < 0.7


def test_no_threshold_is_promised_when_the_model_is_not_good_enough():
    rng = np.random.default_rng(5)
    confidence = rng.uniform(0.5, 1.0, 500)
    correct = rng.uniform(size=500) < 0.8  # 80% precision whatever the threshold
    choice = choose_threshold(confidence, correct, TARGET, LEVEL)
    assert not choice.promised and choice.threshold == 1.0 and choice.auto_routed == 0


def test_too_few_cases_promise_nothing_even_when_all_are_right():
    choice = choose_threshold(np.linspace(0.9, 1.0, 20), np.ones(20, bool), TARGET, LEVEL)
    assert not choice.promised


def test_the_clopper_pearson_bound_matches_its_closed_form_when_every_case_is_right():
    # With n successes of n, the one-sided lower bound is (1 - level) ** (1 / n).
    assert np.isclose(precision_lower_bound(100, 100, LEVEL), 0.05 ** (1 / 100))
    assert precision_lower_bound(0, 10, LEVEL) == 0.0


def test_the_scope_threshold_keeps_the_asked_share_of_in_scope_cases():
    scores = np.random.default_rng(6).normal(size=10_000)
    assert abs(np.mean(scores >= scope_threshold(scores, 0.95)) - 0.95) < 0.001
