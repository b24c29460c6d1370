"""Off-policy evaluation: how serving one arm to everyone would have done, from traffic logged
under the experiment's split, using the logged propensities (the arm's weight when it served).

Three estimators behind one interface, each run through the same tests (tests/experiments/test_ope.py):

- IPS: the mean of w·r, with w = 1[served the candidate] / propensity, clipped at `clip`;
- SNIPS: Σ w·r / Σ w, self-normalised: less variance, a little bias;
- doubly robust: q(x, candidate) + w·(r - q(x, candidate)), with q a reward model fitted on the
  same data (the mean reward per arm and context cell, shrunk towards the arm's mean); unbiased
  if either the propensities or q are right.

Clipping trades variance for bias (a weight above `clip` counts as `clip`). Intervals are
percentile bootstraps over predictions, refitting q in each replicate, seedable. Open Bandit
Pipeline's estimators are the same formulas; they are a few lines each here, with explicit
arguments and one input check, rather than a dependency (and its pins) for three formulas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from supportability.experiments.outcome_metrics import METRICS, PRIMARY
from supportability.online.store import OutcomeFrame

PRIOR_STRENGTH = 10.0  # pseudo-observations pulling a context cell's mean towards its arm's mean
MIN_CANDIDATE_ROWS = 30


@dataclass(frozen=True)
class Feedback:
    """Logged bandit feedback, one entry per served prediction with a known reward."""

    actions: np.ndarray  # str: the arm that served
    propensities: np.ndarray  # float in (0, 1]: its probability under the logging split
    rewards: np.ndarray  # float in [0, 1]
    contexts: np.ndarray  # int: the code of a context cell (e.g. the channel), for the reward model

    def __post_init__(self) -> None:
        n = len(self.actions)
        if not len(self.propensities) == len(self.rewards) == len(self.contexts) == n:
            raise ValueError("feedback columns differ in length")
        if n and not ((self.propensities > 0) & (self.propensities <= 1)).all():
            raise ValueError("propensities must be in (0, 1]: a served arm had some chance of serving")
        if n and not ((self.rewards >= 0) & (self.rewards <= 1)).all():
            raise ValueError("rewards must be in [0, 1]")

    def __len__(self) -> int:
        return len(self.actions)

    def take(self, index: np.ndarray) -> Feedback:
        return Feedback(self.actions[index], self.propensities[index], self.rewards[index], self.contexts[index])


def reward_model(data: Feedback, candidate: str) -> np.ndarray:
    """q(x_i, candidate) per entry: the candidate's mean reward in x_i's cell, shrunk to its overall mean."""
    mine = data.actions == candidate
    overall = float(data.rewards[mine].mean()) if mine.any() else float(data.rewards.mean() if len(data) else 0.0)
    cells = int(data.contexts.max()) + 1 if len(data) else 0
    sums = np.bincount(data.contexts[mine], weights=data.rewards[mine], minlength=cells)
    counts = np.bincount(data.contexts[mine], minlength=cells)
    means: np.ndarray = (sums + PRIOR_STRENGTH * overall) / (counts + PRIOR_STRENGTH)
    return np.asarray(means[data.contexts], dtype=float)


class Estimator(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def needs_reward_model(self) -> bool:
        """Whether `estimate` needs `q`: a declared capability, not an isinstance test."""
        ...

    def estimate(self, data: Feedback, candidate: str, q: np.ndarray | None) -> float:
        """The candidate's value; `q` is `reward_model(data, candidate)` when `needs_reward_model`."""
        ...


def _weights(data: Feedback, candidate: str, clip: float) -> np.ndarray:
    return np.minimum(np.where(data.actions == candidate, 1.0 / data.propensities, 0.0), clip)


@dataclass(frozen=True)
class IPS:
    clip: float = math.inf
    name: str = "ips"
    needs_reward_model: bool = False

    def estimate(self, data: Feedback, candidate: str, q: np.ndarray | None) -> float:
        return float((_weights(data, candidate, self.clip) * data.rewards).mean())


@dataclass(frozen=True)
class SNIPS:
    clip: float = math.inf
    name: str = "snips"
    needs_reward_model: bool = False

    def estimate(self, data: Feedback, candidate: str, q: np.ndarray | None) -> float:
        w = _weights(data, candidate, self.clip)
        return float((w * data.rewards).sum() / w.sum()) if w.sum() > 0 else math.nan


@dataclass(frozen=True)
class DoublyRobust:
    clip: float = math.inf
    name: str = "dr"
    needs_reward_model: bool = True

    def estimate(self, data: Feedback, candidate: str, q: np.ndarray | None) -> float:
        assert q is not None, "doubly robust needs the reward model"
        w = _weights(data, candidate, self.clip)
        return float((q + w * (data.rewards - q)).mean())


ESTIMATORS: tuple[Estimator, ...] = (IPS(clip=100.0), SNIPS(clip=100.0), DoublyRobust(clip=100.0))


@dataclass(frozen=True, slots=True)
class OffPolicyEstimate:
    estimator: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    note: str = ""


def _value(estimator: Estimator, data: Feedback, candidate: str) -> float:
    q = reward_model(data, candidate) if estimator.needs_reward_model else None
    return estimator.estimate(data, candidate, q)


def evaluate(
    data: Feedback,
    candidate: str,
    estimators: Sequence[Estimator] = ESTIMATORS,
    *,
    bootstrap: int = 500,
    alpha: float = 0.05,
    seed: int = 0,
) -> list[OffPolicyEstimate]:
    """Each estimator's value of always serving `candidate`, with a percentile bootstrap interval."""
    served = int((data.actions == candidate).sum())
    if served < MIN_CANDIDATE_ROWS:
        note = f"not enough data: the candidate served {served} logged predictions, {MIN_CANDIDATE_ROWS} needed"
        return [OffPolicyEstimate(e.name, None, None, None, len(data), note) for e in estimators]
    rng = np.random.default_rng(seed)
    replicates = [rng.integers(0, len(data), len(data)) for _ in range(bootstrap)]
    out = []
    for estimator in estimators:
        draws = np.array([_value(estimator, data.take(index), candidate) for index in replicates])
        draws = draws[np.isfinite(draws)]
        low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        out.append(
            OffPolicyEstimate(estimator.name, _value(estimator, data, candidate), float(low), float(high), len(data))
        )
    return out


def feedback(frame: OutcomeFrame, experiment: str, reward: str) -> Feedback:
    """The experiment's served predictions with a known reward (`reward` as a bandit's), by channel."""
    counted, values = METRICS[PRIMARY[reward]](frame)
    rows = (frame.experiment == experiment) & (frame.arm != "") & counted & np.isfinite(frame.propensity)
    channels = [str(frame.inputs[i].get("channel", "")) for i in np.flatnonzero(rows)]
    _, contexts = np.unique(np.array(channels, dtype=object), return_inverse=True)
    return Feedback(frame.arm[rows], frame.propensity[rows], values[rows], contexts.astype(np.int64))
