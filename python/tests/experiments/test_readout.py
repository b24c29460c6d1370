"""The A/B readout on simulated experiments whose truth is known: the right verdict when one arm is
better, "keep running" on an A/A test, the SRM flag when an arm's logs are lost, and unit clustering."""

from __future__ import annotations

import numpy as np
import pytest

from supportability.experiments import readout
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.simulation import simulate_experiment

EXPERIMENT = new_experiment("routing-ab", [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit="merchant_id", mode="ab")


def test_a_better_arm_wins_and_its_interval_covers_the_truth() -> None:
    sim = simulate_experiment(EXPERIMENT, n=20_000, lift=0.3, seed=1)
    r = readout.read(EXPERIMENT, sim.frame)
    assert r.verdict.startswith("v-new beats the control v-old on routing accuracy")
    [c] = [c for c in r.comparisons if c.metric == "routing_accuracy"]
    assert c.difference is not None
    truth = sim.true_accuracy["v-new"] - sim.true_accuracy["v-old"]
    assert c.difference.low <= truth <= c.difference.high
    assert not r.sample_ratio.flagged


def test_an_a_a_test_says_keep_running() -> None:
    r = readout.read(EXPERIMENT, simulate_experiment(EXPERIMENT, n=20_000, lift=0.0, seed=2).frame)
    assert r.verdict.startswith("keep running")
    assert {m: set(per_arm) for m, per_arm in r.metrics.items()}["csat_good"] == {"v-old", "v-new"}


def test_lost_logs_of_one_arm_are_flagged_and_block_the_verdict() -> None:
    # Unit-level SRM: merchants whose every case was lost vanish from the arm's count.
    sim = simulate_experiment(EXPERIMENT, n=20_000, merchants=20_000, drop_share=0.1, lift=0.3, seed=3)
    r = readout.read(EXPERIMENT, sim.frame)
    assert r.sample_ratio.flagged
    assert r.verdict.startswith("sample ratio mismatch")


def test_a_thin_experiment_says_not_enough_data() -> None:
    r = readout.read(EXPERIMENT, simulate_experiment(EXPERIMENT, n=40, merchants=20, seed=4).frame)
    assert "not enough data" in r.verdict


def test_clustered_units_widen_the_variance() -> None:
    """Forty identical cases of one merchant are one draw, not forty."""
    rng = np.random.default_rng(0)
    per_unit = rng.binomial(1, 0.5, 200).astype(float)
    values = np.repeat(per_unit, 40)
    clustered = readout.ratio_metric(values, np.repeat(np.arange(200), 40))
    independent = readout.ratio_metric(values, np.arange(len(values)))
    assert clustered.variance is not None and independent.variance is not None
    assert clustered.variance == pytest.approx(40 * independent.variance, rel=0.05)
    assert clustered.units == 200 and clustered.rows == 8_000


def test_requests_that_named_their_version_are_counted_apart() -> None:
    sim = simulate_experiment(EXPERIMENT, n=2_000, seed=5)
    arm = sim.frame.arm.copy()
    arm[:100] = ""  # the request named model_version: logged in the experiment, with no arm
    frame = type(sim.frame)(**{**sim.frame.__dict__, "arm": arm})
    r = readout.read(EXPERIMENT, frame)
    assert r.bypassed == 100
    assert sum(r.predictions.values()) == 1_900
