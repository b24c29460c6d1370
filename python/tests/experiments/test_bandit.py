"""Thompson sampling on simulated arms whose reward rates are known: the floor always holds, traffic
moves to the best arm, regret grows sublinearly, and a duplicated outcome changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from supportability.experiments import bandit
from supportability.experiments.definition import Arm, ExperimentError, new_experiment
from supportability.experiments.simulation import simulate_bandit, simulate_experiment
from supportability.experiments.store import ExperimentStore
from supportability.experiments.updates import update_bandits
from supportability.online.sql_store import SqlStore
from supportability.registry import Registry


def test_no_data_splits_evenly() -> None:
    weights = bandit.thompson_weights({"a": (0, 0), "b": (0, 0)}, rng=np.random.default_rng(0))
    assert weights == pytest.approx({"a": 0.5, "b": 0.5}, abs=0.02)


def test_a_clear_loser_keeps_exactly_the_floor() -> None:
    weights = bandit.thompson_weights({"a": (900, 1000), "b": (100, 1000), "c": (500, 1000)})
    assert weights["b"] == pytest.approx(0.01) and weights["c"] == pytest.approx(0.01)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_a_floor_above_the_traffic_is_refused() -> None:
    with pytest.raises(ValueError, match="more than all the traffic"):
        bandit.thompson_weights({str(i): (0, 0) for i in range(200)})


def test_regret_grows_sublinearly_and_the_floor_holds() -> None:
    run = simulate_bandit([0.60, 0.55, 0.50], batches=60, per_batch=200, seed=3)
    regret = run.regret
    assert run.lowest_weight.min() >= 0.01 - 1e-12
    first, last = regret[:20].sum(), regret[-20:].sum()
    assert last < first / 2  # the regret per batch falls: cumulative regret bends over
    uniform = (0.60 - np.mean([0.60, 0.55, 0.50])) * 200 * 60
    assert regret.sum() < uniform / 3


def test_an_update_reads_stored_outcomes_once() -> None:
    experiment = new_experiment(
        "bandit-1", [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit="case_id", mode="bandit", reward="routing_correct"
    )
    frame = simulate_experiment(experiment, n=4_000, merchants=4_000, lift=0.5, seed=2).frame
    counts = bandit.rewards(experiment, frame)
    assert counts["v-new"][0] / counts["v-new"][1] > counts["v-old"][0] / counts["v-old"][1]
    updated = bandit.update(experiment, frame, rng=np.random.default_rng(0))
    assert updated.weights["v-new"] > 0.9 and updated.weights["v-old"] >= 0.01
    assert sum(updated.weights.values()) == pytest.approx(1.0, abs=1e-12)
    # The same outcome twice is one stored row; an update is a function of the rows, so it is unchanged.
    again = bandit.update(updated, frame, rng=np.random.default_rng(0))
    assert again.weights == updated.weights


def test_only_a_bandit_is_updated() -> None:
    ab = new_experiment("ab", [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit="case_id", mode="ab")
    frame = simulate_experiment(ab, n=100, seed=1).frame
    with pytest.raises(ExperimentError, match="not a bandit"):
        bandit.update(ab, frame)


def test_the_server_side_batch_updates_each_running_bandit_once_per_interval(tmp_path: Path) -> None:
    for version in ("v-old", "v-new"):
        (tmp_path / "versions" / version).mkdir(parents=True)
        (tmp_path / "versions" / version / "manifest.json").write_text(json.dumps({"version": version}))
    experiments = ExperimentStore(Registry(tmp_path))
    arms = [Arm("v-old", 0.5), Arm("v-new", 0.5)]
    experiments.create(new_experiment("b1", arms, unit="case_id", mode="bandit"))
    experiments.create(new_experiment("ab", arms, unit="merchant_id", mode="ab"))
    for name in ("b1", "ab"):
        experiments.move(name, "start")
    store = SqlStore(f"sqlite:///{tmp_path}/online.db")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        assert [e.name for e in update_bandits(experiments, store, 60, now)] == ["b1"]
        assert experiments.get("b1").weights_time == now
        assert update_bandits(experiments, store, 60, now + timedelta(seconds=59)) == []  # not due yet
        assert len(update_bandits(experiments, store, 60, now + timedelta(seconds=60))) == 1
    finally:
        store.close()
    assert experiments.get("ab").weights == {"v-old": 0.5, "v-new": 0.5}  # only bandits move
