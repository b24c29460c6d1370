"""Experiments as registry files: the bad-input rules, the lifecycle, one running experiment per
unit, and a refused command leaving the running experiment as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportability.experiments.definition import (
    PAUSED,
    RUNNING,
    STOPPED,
    Arm,
    Experiment,
    ExperimentError,
    new_experiment,
    parse_arm,
)
from supportability.experiments.store import ExperimentNotFound, ExperimentStore
from supportability.registry import Registry

VERSIONS = ("v-old", "v-new", "v-other")


@pytest.fixture
def store(tmp_path: Path) -> ExperimentStore:
    """A registry whose versions have manifests (all an experiment checks) and no models."""
    for version in VERSIONS:
        (tmp_path / "versions" / version).mkdir(parents=True)
        (tmp_path / "versions" / version / "manifest.json").write_text(json.dumps({"version": version}))
    return ExperimentStore(Registry(tmp_path))


def _ab(name: str = "routing-ab", unit: str = "merchant_id", *arms: Arm) -> Experiment:
    return new_experiment(name, list(arms) or [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit=unit, mode="ab")


@pytest.mark.parametrize(
    ("arms", "mode", "message"),
    [
        ([Arm("v-old", 0.5), Arm("v-new", 0.4)], "ab", "sum to 0.9, not 1"),
        ([Arm("v-old", 1.0)], "ab", "at least 2 versions"),
        ([Arm("v-old", 0.5), Arm("v-old", 0.5)], "ab", "listed twice"),
        ([Arm("v-old", 1.5), Arm("v-new", -0.5)], "ab", "not between 0 and 1"),
        ([Arm("v-old", 1.0), Arm("v-new", 0.0)], "ab", "at least 2 arms need a weight"),
        ([Arm("v-old", 0.5), Arm("v-new", 0.5)], "shadow", "serves its first arm only"),
    ],
)
def test_bad_arms_are_refused(arms: list[Arm], mode: str, message: str) -> None:
    with pytest.raises(ExperimentError, match=message) as caught:
        new_experiment("bad", arms, unit="case_id", mode=mode)
    assert caught.value.field == "arm" and not caught.value.precondition


@pytest.mark.parametrize(
    ("name", "unit", "mode", "field"),
    [("bad name", "case_id", "ab", "name"), ("x", "account_id", "ab", "unit"), ("x", "case_id", "split", "mode")],
)
def test_bad_names_units_and_modes_are_refused(name: str, unit: str, mode: str, field: str) -> None:
    with pytest.raises(ExperimentError) as caught:
        new_experiment(name, [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit=unit, mode=mode)
    assert caught.value.field == field


@pytest.mark.parametrize("text", ["v-old", "v-old=", "=0.5", "v-old=half", "v-old=nan"])
def test_an_arm_must_be_version_equals_weight(text: str) -> None:
    with pytest.raises(ExperimentError, match="expected VERSION=WEIGHT"):
        parse_arm(text)


def test_a_shadow_serves_its_first_arm() -> None:
    e = new_experiment("shadow", [Arm("v-old", 1.0), Arm("v-new", 0.0)], unit="case_id", mode="shadow")
    assert e.shadows == ("v-new",) and e.salt == "shadow"


def test_an_unknown_version_is_refused_and_nothing_is_written(store: ExperimentStore) -> None:
    with pytest.raises(ExperimentError, match="arm v-missing: no such model version"):
        store.create(_ab("x", "case_id", Arm("v-old", 0.5), Arm("v-missing", 0.5)))
    assert store.list() == []


def test_the_lifecycle_round_trips_through_the_file(store: ExperimentStore) -> None:
    store.create(_ab())
    t0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert store.move("routing-ab", "start", t0).state == RUNNING
    assert store.move("routing-ab", "pause").state == PAUSED
    assert store.move("routing-ab", "start").state == RUNNING
    stopped = store.move("routing-ab", "stop")
    assert stopped.state == STOPPED and stopped.start_time == t0
    assert store.get("routing-ab") == stopped
    with pytest.raises(ExperimentError, match="is stopped: `start` needs a draft or paused") as caught:
        store.move("routing-ab", "start")
    assert caught.value.precondition


def test_a_second_experiment_on_a_running_unit_cannot_start(store: ExperimentStore) -> None:
    store.create(_ab("first"))
    running = store.move("first", "start")
    store.create(_ab("second", "merchant_id", Arm("v-old", 0.5), Arm("v-other", 0.5)))
    with pytest.raises(ExperimentError, match="experiment first already runs on unit merchant_id") as caught:
        store.move("second", "start")
    assert caught.value.precondition
    assert store.get("first") == running and store.get("second").state == "draft"  # both untouched
    store.create(_ab("by-case", "case_id"))
    assert store.move("by-case", "start").state == RUNNING  # another unit: no clash


def test_the_same_name_twice_is_refused(store: ExperimentStore) -> None:
    store.create(_ab())
    with pytest.raises(ExperimentError, match="already exists"):
        store.create(_ab())


def test_an_unknown_experiment_is_not_found(store: ExperimentStore) -> None:
    for name in ("missing", "../versions/v-old/manifest"):
        with pytest.raises(ExperimentNotFound):
            store.get(name)


def test_an_unreadable_file_is_left_out_of_the_list(store: ExperimentStore) -> None:
    store.create(_ab())
    (store.path / "broken.json").write_text("{not json")
    assert [e.name for e in store.list()] == ["routing-ab"]
