"""An experiment as the registry keeps it: arms (model versions with weights), the assignment
unit, the mode, and its lifecycle (draft -> running <-> paused -> stopped).

Everything here is a pure function of the values given: `store.py` reads and writes the files,
and the registry's versions are checked there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from supportability.experiments import assignment

UNITS = ("merchant_id", "case_id")
MODES = ("ab", "shadow", "bandit")
# The bandit's binary reward, read from the stored outcome of each served prediction.
REWARDS = ("routing_correct", "auto_route_accepted", "csat_good")
DRAFT, RUNNING, PAUSED, STOPPED = "draft", "running", "paused", "stopped"
# What each command may start from: stopping is final, so a stopped experiment's readout stays put.
TRANSITIONS = {"start": ((DRAFT, PAUSED), RUNNING), "pause": ((RUNNING,), PAUSED), "stop": ((RUNNING, PAUSED), STOPPED)}
WEIGHT_TOLERANCE = 1e-9
FORMAT = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ExperimentError(Exception):
    """A refused experiment or command; `field` names the offending input when there is one.

    `precondition` distinguishes a request that is well formed but conflicts with the state
    (FAILED_PRECONDITION: another experiment runs on the unit, a stopped one cannot start) from
    bad input (INVALID_ARGUMENT)."""

    def __init__(self, message: str, *, field: str = "", precondition: bool = False) -> None:
        super().__init__(message)
        self.field, self.precondition = field, precondition

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self),), {"field": self.field, "precondition": self.precondition}


@dataclass(frozen=True, slots=True)
class Arm:
    version: str  # a model version of the registry; also the arm's name in the assignment hash
    weight: float  # the share of units; a shadow's is 0 (it never answers)


@dataclass(frozen=True, slots=True)
class Transition:
    state: str
    time: datetime


@dataclass(frozen=True)
class Experiment:
    name: str
    unit: str
    mode: str
    arms: tuple[Arm, ...]  # the first is the control: the readout compares the others with it
    salt: str  # defaults to the name; a new salt reshuffles every unit
    state: str = DRAFT
    reward: str = "routing_correct"  # the bandit's
    alpha: float = 0.05
    tuning_units: int = 5_000  # where the confidence sequence is narrowest (sequential.py)
    algorithm_version: int = assignment.ALGORITHM_VERSION
    history: tuple[Transition, ...] = field(default_factory=tuple)
    weights_time: datetime | None = None  # when a bandit update last set the weights

    @property
    def weights(self) -> dict[str, float]:
        return {arm.version: arm.weight for arm in self.arms}

    @property
    def control(self) -> str:
        return self.arms[0].version

    @property
    def shadows(self) -> tuple[str, ...]:
        """In shadow mode, the versions scored beside the primary and never served."""
        return tuple(a.version for a in self.arms if a.weight == 0) if self.mode == "shadow" else ()

    @property
    def start_time(self) -> datetime | None:
        """When it first ran: the readout's window starts there."""
        return next((t.time for t in self.history if t.state == RUNNING), None)

    def moved(self, command: str, now: datetime) -> Experiment:
        """The experiment after `start`, `pause` or `stop`; refuses a move its state does not allow."""
        sources, target = TRANSITIONS[command]
        if self.state not in sources:
            raise ExperimentError(
                f"experiment {self.name} is {self.state}: `{command}` needs a {' or '.join(sources)} experiment",
                precondition=True,
            )
        return replace(self, state=target, history=(*self.history, Transition(target, now)))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "name": self.name,
            "unit": self.unit,
            "mode": self.mode,
            "arms": [{"version": a.version, "weight": a.weight} for a in self.arms],
            "salt": self.salt,
            "state": self.state,
            "reward": self.reward,
            "alpha": self.alpha,
            "tuning_units": self.tuning_units,
            "algorithm_version": self.algorithm_version,
            "history": [{"state": t.state, "time": t.time.isoformat()} for t in self.history],
            "weights_time": None if self.weights_time is None else self.weights_time.isoformat(),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Experiment:
        if value.get("format") != FORMAT or value.get("algorithm_version") != assignment.ALGORITHM_VERSION:
            raise ExperimentError(
                f"experiment {value.get('name')!r}: format {value.get('format')!r}, assignment algorithm "
                f"{value.get('algorithm_version')!r} (this code reads format {FORMAT}, algorithm "
                f"{assignment.ALGORITHM_VERSION})"
            )
        return cls(
            name=value["name"],
            unit=value["unit"],
            mode=value["mode"],
            arms=tuple(Arm(a["version"], float(a["weight"])) for a in value["arms"]),
            salt=value["salt"],
            state=value["state"],
            reward=value["reward"],
            alpha=float(value["alpha"]),
            tuning_units=int(value["tuning_units"]),
            algorithm_version=int(value["algorithm_version"]),
            history=tuple(Transition(t["state"], datetime.fromisoformat(t["time"])) for t in value["history"]),
            weights_time=datetime.fromisoformat(value["weights_time"]) if value.get("weights_time") else None,
        )


def parse_arm(text: str) -> Arm:
    """`VERSION=WEIGHT`, as the CLI's --arm takes it."""
    version, sep, weight = text.rpartition("=")
    try:
        value = float(weight)
    except ValueError:
        value = math.nan
    if not sep or not version or not math.isfinite(value):
        raise ExperimentError(f"--arm {text!r}: expected VERSION=WEIGHT, e.g. 20261201T101500Z-a1b2c3=0.5", field="arm")
    return Arm(version, value)


def new_experiment(
    name: str,
    arms: Sequence[Arm],
    *,
    unit: str,
    mode: str,
    salt: str = "",
    reward: str = "routing_correct",
    alpha: float = 0.05,
) -> Experiment:
    """A draft experiment, or ExperimentError naming the first problem (versions are checked by the store)."""
    if not _NAME.fullmatch(name):
        raise ExperimentError(
            f"experiment name {name!r}: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field="name",
        )
    for value, allowed, what in ((unit, UNITS, "unit"), (mode, MODES, "mode"), (reward, REWARDS, "reward")):
        if value not in allowed:
            raise ExperimentError(f"{what} {value!r}: expected one of {', '.join(allowed)}", field=what)
    _check_arms(arms, mode)
    if not 0 < alpha < 1:
        raise ExperimentError(f"alpha {alpha}: must be between 0 and 1", field="alpha")
    salt = salt or name
    try:
        assignment.check_name(salt, "salt")
    except ValueError as exc:
        raise ExperimentError(str(exc), field="salt") from exc
    return Experiment(name=name, unit=unit, mode=mode, arms=tuple(arms), salt=salt, reward=reward, alpha=alpha)


def _check_arms(arms: Sequence[Arm], mode: str) -> None:
    if len(arms) < 2:
        raise ExperimentError(f"{len(arms)} arm(s): an experiment compares at least 2 versions", field="arm")
    versions = [a.version for a in arms]
    if len(set(versions)) != len(versions):
        raise ExperimentError(f"arms {versions}: a version is listed twice", field="arm")
    for arm in arms:
        if not 0 <= arm.weight <= 1:
            raise ExperimentError(f"arm {arm.version}: weight {arm.weight} is not between 0 and 1", field="arm")
    total = sum(a.weight for a in arms)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise ExperimentError(f"arm weights sum to {total:g}, not 1: {', '.join(map(str, versions))}", field="arm")
    serving = [a for a in arms if a.weight > 0]
    if mode == "shadow" and (len(serving) != 1 or serving[0] is not arms[0]):
        raise ExperimentError(
            "a shadow experiment serves its first arm only: give it weight 1 and every shadow weight 0",
            field="arm",
        )
    if mode != "shadow" and len(serving) < 2:
        raise ExperimentError(f"{mode} experiment: at least 2 arms need a weight above 0", field="arm")
