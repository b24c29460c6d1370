"""Assignment: the shared test vectors, uniformity (χ² over 100,000 ids), stickiness and ramp safety."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from supportability.experiments import assignment

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "assignment.json"
SPEC_MAJOR = "1"  # the spec version of the vectors these tests check
IDS = [f"acct_{i}" for i in range(100_000)]


def _document() -> dict[str, Any]:
    document = json.loads(VECTORS.read_text())
    assert document["specVersion"].split(".")[0] == SPEC_MAJOR, document["specVersion"]
    assert document["algorithmVersion"] == assignment.ALGORITHM_VERSION
    return document


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per vector, named by its inputs, as GrowthBook's cases.json drives its tests."""
    for section in ("draws", "assignments"):
        if section[:-1] + "_vector" in metafunc.fixturenames:
            vectors = _document()[section]
            ids = [f"{v['salt']}:{v.get('arm', '')}:{v['unitId']}" for v in vectors]
            metafunc.parametrize(section[:-1] + "_vector", vectors, ids=ids)


def test_draw_matches_the_vector(draw_vector: dict[str, Any]) -> None:
    v = draw_vector
    assert assignment.bucket(v["salt"], v["arm"], v["unitId"]) == int(v["bucket"])
    assert assignment.draw(v["salt"], v["arm"], v["unitId"]) == v["draw"]


def test_assignment_matches_the_vector(assignment_vector: dict[str, Any]) -> None:
    v = assignment_vector
    assert assignment.assign(v["salt"], dict(map(tuple, v["arms"])), v["unitId"]) == v["arm"]


def test_the_vectors_cover_every_arm_of_a_split() -> None:
    """The vectors would pass an implementation that always returned the first arm, unless they cover others."""
    served = {v["arm"] for v in _document()["assignments"]}
    assert {"control", "treatment", "v1", "v2", "v3"} <= served


def test_buckets_are_uniform_over_100000_ids() -> None:
    counts = Counter(assignment.bucket("exp", "arm", unit) * 100 >> 53 for unit in IDS)  # 100 equal bins
    assert len(counts) == 100
    assert stats.chisquare([counts[b] for b in range(100)]).pvalue > 0.001


@pytest.mark.parametrize("weights", [{"a": 0.5, "b": 0.5}, {"a": 0.2, "b": 0.3, "c": 0.5}, {"a": 0.01, "b": 0.99}])
def test_the_split_follows_the_weights(weights: dict[str, float]) -> None:
    counts = Counter(assignment.assign("exp-split", weights, unit) for unit in IDS)
    expected = [weights[arm] * len(IDS) for arm in weights]
    assert stats.chisquare([counts[arm] for arm in weights], expected).pvalue > 0.001


def test_assignment_is_sticky_and_depends_on_the_salt() -> None:
    weights = {"a": 0.5, "b": 0.5}
    first = [assignment.assign("exp-1", weights, unit) for unit in IDS[:2000]]
    assert first == [assignment.assign("exp-1", weights, unit) for unit in IDS[:2000]]
    other = [assignment.assign("exp-2", weights, unit) for unit in IDS[:2000]]
    agree = sum(a == b for a, b in zip(first, other, strict=True)) / 2000
    assert 0.45 < agree < 0.55  # a new salt reshuffles: independent of the old split


def test_raising_an_arm_moves_units_only_into_it() -> None:
    before = {"a": 0.6, "b": 0.1, "c": 0.3}
    after = {"a": 0.6 * 0.5 / 0.9, "b": 0.5, "c": 0.3 * 0.5 / 0.9}  # b ramps to 50%, the others shrink in proportion
    moves = Counter((assignment.assign("ramp", before, u), assignment.assign("ramp", after, u)) for u in IDS[:20_000])
    moved = {pair: n for pair, n in moves.items() if pair[0] != pair[1]}
    assert set(moved) == {("a", "b"), ("c", "b")}
    assert sum(moved.values()) == pytest.approx(0.4 * 20_000, rel=0.05)  # only as many as the ramp needs


def test_dropping_an_arm_moves_only_its_units() -> None:
    full = {"a": 0.5, "b": 0.3, "c": 0.2}
    without_b = {"a": 0.5, "b": 0.0, "c": 0.2}
    for unit in IDS[:20_000]:
        was = assignment.assign("drop", full, unit)
        now = assignment.assign("drop", without_b, unit)
        assert was in (now, "b")  # a unit of another arm never moves


def test_no_arm_with_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="positive weight"):
        assignment.assign("exp", {"a": 0.0}, "acct_1")


@pytest.mark.parametrize("name", ["", "has:colon"])
def test_names_with_the_separator_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="must be non-empty"):
        assignment.check_name(name, "arm")
