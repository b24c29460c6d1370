"""Online metrics on simulated logs whose truth is known (online/synthetic.py: calibrated by construction)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from supportability.online.evaluation import DAY, HOUR, evaluate
from supportability.online.synthetic import SimulationConfig, routing_probabilities, simulate, to_frame


@pytest.fixture(scope="module")
def large():
    sim = simulate(SimulationConfig(n=40_000, seed=5, versions=("v1",), outside_share=0.0))
    return sim, evaluate(to_frame(sim), {"v1": 0.85}).overall[0]


def _true_precision(config: SimulationConfig) -> float:
    """E[top-1 probability | auto-routed] over the simulation's population, from 400,000 draws."""
    p1 = routing_probabilities(np.random.default_rng(99), config, 400_000).max(axis=1)
    return float(p1[p1 >= config.threshold].mean())


def test_the_live_precision_interval_covers_the_truth():
    config = SimulationConfig(n=2_000, versions=("v1",), outside_share=0.0)
    truth = _true_precision(config)
    covered = 0
    runs = 80
    for seed in range(runs):
        d = evaluate(to_frame(simulate(dataclasses.replace(config, seed=seed))), {"v1": 0.5}, buckets=False)
        precision = d.overall[0].decision.precision
        assert precision.n > 200 and precision.low is not None and precision.high is not None
        covered += precision.low <= truth <= precision.high
    assert covered >= 70, f"a 95% interval covered the truth in {covered} of {runs} runs"


def test_a_broken_promise_is_flagged_only_when_the_upper_bound_is_below_it(large):
    sim, e = large
    truth = _true_precision(sim.config)  # about 0.89
    assert e.decision.precision.low < truth < e.decision.precision.high
    frame = to_frame(sim)
    assert evaluate(frame, {"v1": 0.97}, buckets=False).overall[0].decision.below_target
    assert not evaluate(frame, {"v1": 0.85}, buckets=False).overall[0].decision.below_target
    assert not evaluate(frame, {}, buckets=False).overall[0].decision.below_target  # no target: no alarm


def test_the_label_free_estimate_matches_the_realised_accuracy(large):
    sim, e = large
    r = e.routing
    # Where outcomes exist, the estimate sits beside the realised accuracy, within sampling error.
    assert abs(r.estimated_top1_labelled.value - r.top1.value) < 3 * np.sqrt(0.25 / r.top1.n) * 1.5
    # Where they have not arrived, it covers what the hidden outcomes will say.
    waiting = ~sim.has_outcome
    top1 = np.array([row[0][0] for row in sim.routing], dtype=object)
    realised = float((sim.resolved_queue[waiting] == top1[waiting]).mean())
    assert r.estimated_top1.n == waiting.sum()
    assert r.estimated_top1.low <= realised <= r.estimated_top1.high
    # And the decision's label-free precision covers the auto-routed cases still waiting.
    auto = waiting & (sim.decision_action == "auto_route")
    realised_precision = float((sim.resolved_queue[auto] == top1[auto]).mean())
    assert e.decision.estimated_precision.low <= realised_precision <= e.decision.estimated_precision.high


def test_calibrated_outputs_have_a_small_ece_and_overconfident_ones_a_large_one(large):
    sim, e = large
    assert e.routing.ece.value < 0.02
    assert len(e.routing.reliability.confidence) > 5
    assert sum(e.routing.reliability.count) == e.routing.ece.n
    sharpened = [tuple((q, p**0.5) for q, p in row) for row in sim.routing]  # claims more than it knows
    worse = evaluate(dataclasses.replace(to_frame(sim), routing=sharpened), buckets=False).overall[0]
    assert worse.routing.ece.value > 0.1
    assert worse.routing.estimated_top1_labelled.value > worse.routing.top1.value + 0.1


def test_label_coverage_delay_and_the_other_tasks(large):
    sim, e = large
    assert abs(e.labels.coverage.value - 0.8) < 0.01
    assert e.labels.delay_median_hours.value == pytest.approx(30 * np.log(2), rel=0.05)  # exponential, mean 30 h
    assert e.labels.delay_p90_hours.value == pytest.approx(30 * np.log(10), rel=0.05)
    p = sim.escalation_probability[sim.has_outcome]
    assert e.escalation.brier.value == pytest.approx(float(np.mean(p * (1 - p))), abs=0.005)  # calibrated
    assert 0.6 < e.escalation.auroc.value < 0.85 and 0.6 < e.csat.auroc.value < 0.85
    assert abs(e.resolution.p90_coverage.value - 0.9) < 0.01  # the p90 is the true 90th percentile
    assert e.resolution.pinball_p90_hours.value < e.resolution.pinball_p50_hours.value
    assert e.routing.top3.value > e.routing.top1.value


def test_outcomes_outside_the_label_set_are_counted_and_left_out():
    sim = simulate(SimulationConfig(n=5_000, seed=2, versions=("v1",), outside_share=0.2))
    r = evaluate(to_frame(sim), buckets=False).overall[0].routing
    assert r.outside_label_set / r.labelled == pytest.approx(0.2, abs=0.02)
    assert r.top1.n == r.labelled - r.outside_label_set
    # Left out, they do not drag the accuracy down: it stays near the calibrated expectation.
    assert abs(r.top1.value - r.estimated_top1_labelled.value) < 0.03


def test_a_thin_window_says_so_instead_of_raising():
    frame = to_frame(simulate(SimulationConfig(n=12, seed=3, versions=("v1",))))
    e = evaluate(frame, {"v1": 0.9}).overall[0]
    for figure in (e.routing.top1, e.routing.ece, e.decision.precision, e.escalation.auroc, e.labels.coverage):
        assert figure.value is None and figure.note.startswith("not enough data")
    assert not e.decision.below_target
    empty = evaluate(to_frame(simulate(SimulationConfig(n=0))))
    assert empty.overall == () and empty.windows == ()


def test_windows_are_utc_buckets_per_version():
    sim = simulate(SimulationConfig(n=6_000, seed=4, days=4.0))
    e = evaluate(to_frame(sim))
    assert e.bucket_seconds == DAY and {o.version for o in e.overall} == {"sim-a", "sim-b"}
    assert sum(w.predictions for w in e.windows) == len(sim)
    assert all(w.window.start % DAY == 0 and w.window.label.startswith("2026-11-0") for w in e.windows)
    assert len({w.window.start for w in e.windows}) == 4
    short = evaluate(to_frame(simulate(SimulationConfig(n=2_000, seed=4, days=0.5))))
    assert short.bucket_seconds == HOUR and len({w.window.start for w in short.windows}) == 12
