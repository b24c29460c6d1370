"""The shadow readout: a shadow judged against the served version on the same cases. An identical
shadow differs by exactly 0; a better one is found better by about its true margin; the paired
variance matches a bootstrap over units (and is far below the unpaired one)."""

from __future__ import annotations

import numpy as np
import pytest

from supportability.experiments import readout, shadow_readout
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.outcome_metrics import METRICS
from supportability.experiments.simulation import simulate_experiment
from supportability.online.store import OutcomeFrame, ShadowFrame

EXPERIMENT = new_experiment("shadow-1", [Arm("v-old", 1.0), Arm("v-new", 0.0)], unit="merchant_id", mode="shadow")


def _served(n: int = 6_000, seed: int = 4) -> OutcomeFrame:
    return simulate_experiment(EXPERIMENT, n=n, merchants=1_500, seed=seed).frame


def shadow_of(frame: OutcomeFrame, fix: float, seed: int = 0) -> ShadowFrame:
    """The served answers, except that the shadow puts the right queue first on a `fix` share of
    the served routing errors whose outcome is known (what a better version would do)."""
    rng = np.random.default_rng(seed)
    routing = list(frame.routing)
    for i, (r, queue) in enumerate(zip(frame.routing, frame.resolved_queue, strict=True)):
        if queue and r and r[0][0] != queue and rng.uniform() < fix:
            routing[i] = ((queue, 0.9), *(q for q in r if q[0] != queue))
    return ShadowFrame(
        prediction_id=frame.prediction_id.copy(),
        model_version=np.full(len(frame), "v-new", dtype=object),
        routing=routing,
        decision_action=frame.decision_action.copy(),
        escalation_probability=frame.escalation_probability.copy(),
    )


def test_an_identical_shadow_differs_by_exactly_nothing() -> None:
    frame = _served()
    [c] = shadow_readout.compare(EXPERIMENT, frame, shadow_of(frame, fix=0.0))
    assert c.cases == len(frame) and c.top_queue_agreement == 1.0 and c.decision_agreement == 1.0
    for p in c.metrics.values():
        assert p.difference is not None and p.difference.estimate == 0 and p.difference.high - p.difference.low == 0
    assert shadow_readout.verdict(EXPERIMENT, (c,)).startswith("keep running")


def test_a_better_shadow_is_found_better_by_its_margin_on_the_same_cases() -> None:
    frame = _served()
    [c] = shadow_readout.compare(EXPERIMENT, frame, shadow_of(frame, fix=0.3))
    accuracy = c.metrics["routing_accuracy"]
    assert accuracy.served.value is not None and accuracy.shadow.value is not None
    margin = accuracy.shadow.value - accuracy.served.value
    assert margin > 0.03
    d = accuracy.difference
    assert d is not None and d.estimate == pytest.approx(margin) and d.low > 0
    assert c.metrics["decision_coverage"].difference.estimate == 0  # type: ignore[union-attr]
    assert shadow_readout.verdict(EXPERIMENT, (c,)).startswith(
        "shadow v-new beats the served v-old on routing accuracy"
    )


def test_the_paired_variance_matches_a_bootstrap_over_units_and_is_below_the_unpaired_one() -> None:
    frame = _served(seed=9)
    shadow = shadow_of(frame, fix=0.3, seed=1)
    served_view = frame
    shadow_view = shadow_readout.shadow_view(frame, shadow, np.arange(len(frame)))
    a, b = METRICS["routing_accuracy"](served_view), METRICS["routing_accuracy"](shadow_view)
    paired = shadow_readout.paired_difference(a, b, frame.unit_id)
    assert paired is not None
    _, variance, _ = paired
    units, index = np.unique(frame.unit_id, return_inverse=True)
    rng = np.random.default_rng(0)
    draws = []
    for _ in range(400):  # resample merchants, the randomised unit
        weight = np.bincount(rng.integers(0, len(units), len(units)), minlength=len(units))[index]
        means = [(w := weight * c).dot(v) / w.sum() for c, v in (a, b)]
        draws.append(means[1] - means[0])
    assert variance == pytest.approx(np.var(draws, ddof=1), rel=0.25)
    unpaired = [readout.ratio_metric(v[c], frame.unit_id[c]).variance for c, v in (a, b)]
    assert variance < 0.5 * sum(u for u in unpaired if u is not None)


def test_thin_data_reads_keep_running() -> None:
    frame = _served(n=20)
    [c] = shadow_readout.compare(EXPERIMENT, frame, shadow_of(frame, fix=1.0))
    assert c.metrics["routing_accuracy"].difference is None
    assert "not enough data" in shadow_readout.verdict(EXPERIMENT, (c,))
