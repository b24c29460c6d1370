"""Thompson sampling across model versions, updated in batches from the stored outcomes.

Each arm's binary reward (the experiment's `reward`: routing correct, auto-route accepted, CSAT
good) has a Beta(1 + successes, 1 + failures) posterior. An arm's new weight is the probability
that it is the best, estimated over `draws` joint posterior draws (Monte Carlo), then lifted so
that every arm keeps at least `floor` of the traffic:

    weight = floor + (1 - arms x floor) x P(best)

The weights go into the experiment's file and the servers assign with them (assignment.py); the
weight an arm had when it served a case is the propensity logged with the prediction, which is
what off-policy evaluation needs.

A batch recomputes the posterior from every stored outcome of the experiment, not from the
outcomes that arrived since the last batch: the store keeps one merged outcome per prediction, so
an outcome sent twice is one row, and an outcome that arrives late simply joins the next batch.
Nothing is accumulated, so nothing can be counted twice. The serving process runs a batch every
`bandit_update_interval_seconds` (updates.py); `experiments update` runs one by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from supportability.experiments.definition import RUNNING, Arm, Experiment, ExperimentError
from supportability.experiments.outcome_metrics import METRICS, PRIMARY
from supportability.online.store import OutcomeFrame

FLOOR = 0.01
DRAWS = 10_000


def rewards(experiment: Experiment, frame: OutcomeFrame) -> dict[str, tuple[int, int]]:
    """(successes, trials) per arm: the experiment's served predictions whose reward is known."""
    counted, values = METRICS[PRIMARY[experiment.reward]](frame)
    served = (frame.experiment == experiment.name) & counted
    out = {}
    for arm in experiment.arms:
        rows = served & (frame.arm == arm.version)
        out[arm.version] = (int(values[rows].sum()), int(rows.sum()))
    return out


def thompson_weights(
    counts: Mapping[str, tuple[int, int]],
    *,
    floor: float = FLOOR,
    draws: int = DRAWS,
    rng: np.random.Generator | None = None,
) -> dict[str, float]:
    """Each arm's probability of being the best under its Beta posterior, floored at `floor`."""
    arms = list(counts)
    if floor * len(arms) > 1:
        raise ValueError(f"a floor of {floor} for {len(arms)} arms is more than all the traffic")
    rng = rng or np.random.default_rng()
    successes = np.array([counts[a][0] for a in arms], dtype=float)
    failures = np.array([counts[a][1] - counts[a][0] for a in arms], dtype=float)
    samples = rng.beta(1 + successes, 1 + failures, size=(draws, len(arms)))
    best = np.bincount(samples.argmax(axis=1), minlength=len(arms)) / draws
    weights = floor + (1 - floor * len(arms)) * best
    return {arm: float(w) for arm, w in zip(arms, weights, strict=True)}


def update(
    experiment: Experiment,
    frame: OutcomeFrame,
    *,
    floor: float = FLOOR,
    rng: np.random.Generator | None = None,
    now: datetime | None = None,
) -> Experiment:
    """The bandit with weights from every stored outcome of its served predictions, stamped `now`."""
    if experiment.mode != "bandit":
        raise ExperimentError(f"experiment {experiment.name} is an {experiment.mode} experiment, not a bandit")
    weights = thompson_weights(rewards(experiment, frame), floor=floor, rng=rng)
    total = sum(weights.values())  # 1 up to rounding; the definition checks the sum to 1e-9
    return replace(
        experiment,
        arms=tuple(Arm(a.version, weights[a.version] / total) for a in experiment.arms),
        weights_time=now or datetime.now(UTC),
    )


def due(experiment: Experiment, now: datetime, interval_seconds: float) -> bool:
    """Whether a running bandit's weights are older than `interval_seconds` (or were never updated)."""
    last = experiment.weights_time
    return (
        experiment.mode == "bandit"
        and experiment.state == RUNNING
        and (last is None or (now - last).total_seconds() >= interval_seconds)
    )
