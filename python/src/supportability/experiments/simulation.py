"""Experiments whose truth is known: the online loop's simulated log (online/synthetic.py), with
units placed by the real assignment and one arm made better by a known amount.

Each prediction belongs to a merchant (several cases each). The treatment's top-1 queue is made
right in a `lift` share of the cases where the control's would be wrong, so its true routing
accuracy is higher by `lift` x (1 - the control's accuracy). `drop_share` loses that share of one
arm's logged predictions, the fault the sample-ratio check exists to catch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from supportability.experiments import assignment, bandit
from supportability.experiments.definition import Experiment
from supportability.experiments.readout import frame_rows
from supportability.online.store import OutcomeFrame
from supportability.online.synthetic import SimulationConfig, simulate, to_frame


@dataclass(frozen=True)
class SimulatedExperiment:
    frame: OutcomeFrame  # as the store would return it: outcomes only where they arrived
    true_accuracy: dict[str, float]  # per arm, over every prediction, labelled or not


def simulate_experiment(
    experiment: Experiment,
    *,
    n: int = 20_000,
    merchants: int = 4_000,
    lift: float = 0.0,
    treated: str = "",
    drop_share: float = 0.0,
    seed: int = 0,
) -> SimulatedExperiment:
    """A log of `n` predictions of `experiment`; `treated` (default: the second arm) gets the lift."""
    rng = np.random.default_rng(seed + 1_000_003)
    sim = simulate(SimulationConfig(n=n, seed=seed, versions=(experiment.control,)))
    units = np.array([f"acct_{u}" for u in rng.integers(0, merchants, n)], dtype=object)
    placed = {u: assignment.assign(experiment.salt, experiment.weights, u) for u in set(units.tolist())}
    arms = np.array([placed[u] for u in units.tolist()], dtype=object)
    treated = treated or experiment.arms[1].version
    top1 = np.array([r[0][0] for r in sim.routing], dtype=object)
    fixed = (arms == treated) & (sim.resolved_queue != top1) & (rng.uniform(size=n) < lift)
    resolved = np.where(fixed, top1, sim.resolved_queue).astype(object)
    sim = dataclasses.replace(sim, resolved_queue=resolved, model_version=arms)
    correct = resolved == top1
    truth = {a.version: float(correct[arms == a.version].mean()) for a in experiment.arms if a.weight > 0}
    frame = dataclasses.replace(
        to_frame(sim),
        experiment=np.full(n, experiment.name, dtype=object),
        arm=arms,
        propensity=np.array([experiment.weights[a] for a in arms.tolist()]),
        unit_id=units,
    )
    keep = ~((arms == treated) & (rng.uniform(size=n) < drop_share))
    return SimulatedExperiment(frame_rows(frame, keep), truth)


@dataclass(frozen=True)
class BanditRun:
    regret: np.ndarray  # per batch: the reward lost against always serving the best arm
    lowest_weight: np.ndarray  # per batch: the smallest arm weight the bandit served with


def simulate_bandit(rates: list[float], *, batches: int, per_batch: int, seed: int = 0) -> BanditRun:
    """Batched Thompson sampling on arms of known reward rates; a batch's rewards arrive after it,
    so they count from the next update (the delay of the stored outcomes)."""
    rng = np.random.default_rng(seed)
    arms = [f"arm{i}" for i in range(len(rates))]
    truth = np.array(rates)
    counts = dict.fromkeys(arms, (0, 0))
    regret, lowest = np.zeros(batches), np.zeros(batches)
    for batch in range(batches):
        weights = np.array(list(bandit.thompson_weights(counts, rng=rng).values()))
        lowest[batch] = weights.min()
        served = rng.choice(len(arms), size=per_batch, p=weights / weights.sum())
        regret[batch] = float((truth.max() - truth[served]).sum())
        won = rng.uniform(size=per_batch) < truth[served]
        for i, arm in enumerate(arms):
            s, n = counts[arm]
            counts[arm] = (s + int(won[served == i].sum()), n + int((served == i).sum()))
    return BanditRun(regret, lowest)
