"""CUPED: merchants that route well before an experiment route well during it, so adjusting by the
pre-period narrows the interval a lot; the adjusted estimate stays on the true lift, A/A tests stay
quiet, and without a pre-period nothing is adjusted."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from supportability.experiments import readout
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.simulation import simulate_experiment
from supportability.online.store import OutcomeFrame

EXPERIMENT = new_experiment("ab-cuped", [Arm("v-old", 0.5), Arm("v-new", 0.5)], unit="merchant_id", mode="ab")
MERCHANTS = 600


def _with_quality(frame: OutcomeFrame, quality: dict[str, float], lift: float, seed: int) -> OutcomeFrame:
    """Each case routed right with its merchant's probability (plus `lift` on v-new); else its
    second queue is the one it resolved in."""
    rng = np.random.default_rng(seed)
    chance = np.array([quality[u] for u in frame.unit_id]) + lift * (frame.arm == "v-new")
    right = rng.uniform(size=len(frame)) < chance
    resolved = [r[0][0] if ok else r[1][0] for r, ok in zip(frame.routing, right, strict=True)]
    return dataclasses.replace(frame, resolved_queue=np.array(resolved, dtype=object),
                               outside_label_set=np.zeros(len(frame), dtype=bool),
                               has_outcome=np.ones(len(frame), dtype=bool))  # fmt: skip


@functools.cache
def _logs() -> tuple[OutcomeFrame, OutcomeFrame]:
    """The cases of the experiment and of the fortnight before it (their outcomes are drawn per test)."""
    during = simulate_experiment(EXPERIMENT, n=6_000, merchants=MERCHANTS, seed=1).frame
    return during, simulate_experiment(EXPERIMENT, n=12_000, merchants=MERCHANTS, seed=2).frame


def _periods(lift: float, seed: int) -> tuple[OutcomeFrame, OutcomeFrame]:
    """The two periods' outcomes for merchants of a fresh quality each (drawn from `seed`)."""
    rng = np.random.default_rng(seed)
    quality = {f"acct_{u}": float(q) for u, q in enumerate(rng.uniform(0.2, 0.95, MERCHANTS))}
    during, before = _logs()
    return _with_quality(during, quality, lift, seed + 1), _with_quality(before, quality, 0.0, seed + 2)


def _primary(comparisons: tuple[readout.Comparison, ...]) -> readout.Comparison:
    return next(c for c in comparisons if c.metric == "routing_accuracy")


def test_the_pre_period_narrows_the_interval_and_keeps_the_lift() -> None:
    during, before = _periods(lift=0.04, seed=3)
    r = readout.read(EXPERIMENT, during, before)
    plain, adjusted = _primary(r.comparisons).difference, _primary(r.adjusted).difference
    assert plain is not None and adjusted is not None
    assert adjusted.high - adjusted.low < 0.8 * (plain.high - plain.low)
    assert adjusted.low < 0.04 < adjusted.high
    if adjusted.excludes_zero:
        assert "CUPED-adjusted" in r.verdict


def test_aa_tests_with_cuped_stay_quiet() -> None:
    flagged = 0
    for seed in range(20):
        during, before = _periods(lift=0.0, seed=100 + seed)
        d = _primary(readout.read(EXPERIMENT, during, before).adjusted).difference
        assert d is not None
        flagged += d.excludes_zero
    assert flagged <= 1  # α = 0.05, and a confidence sequence is conservative at a single look


def test_without_a_pre_period_nothing_is_adjusted() -> None:
    during, before = _periods(lift=0.04, seed=5)
    empty = readout.frame_rows(before, np.zeros(len(before), dtype=bool))
    r = readout.read(EXPERIMENT, during, empty)
    assert all(c.difference is None and c.note.startswith("not adjusted") for c in r.adjusted)
    assert r.verdict == readout.read(EXPERIMENT, during).verdict
