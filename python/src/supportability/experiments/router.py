"""`Router`: the running experiments as the predictor uses them, reloaded beside promotion.

`reload` (off the request path, on the registry-watch thread) reads the running experiments and
loads every arm's model. A version that fails to load is dropped from assignment and logged once;
its units go to the remaining arms by their weights (the assignment scheme moves no other unit),
so no call fails. `route` (on the request path) is a few hashes and a dict lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from supportability.experiments import assignment
from supportability.experiments.definition import Experiment
from supportability.experiments.store import ExperimentStore
from supportability.models import SupportModel
from supportability.online.store import Assignment
from supportability.registry import ArtifactError, ModelNotFoundError

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PLACED_UNITS = 100_000


class MissingUnit(Exception):
    """The case lacks the field a running experiment assigns by."""

    def __init__(self, experiment: str, unit: str) -> None:
        super().__init__(f"required while experiment {experiment} assigns by {unit}")
        self.experiment, self.unit = experiment, unit

    def __reduce__(self) -> tuple[type[MissingUnit], tuple[str, str]]:
        return type(self), (self.experiment, self.unit)


@dataclass(frozen=True, slots=True)
class Routed:
    assignment: Assignment
    model: SupportModel | None  # None: the request named its version, which answers instead
    shown: bool = True  # the response names the experiment and arm (not a shadow's: it changes nothing)
    shadows: tuple[str, ...] = ()  # versions to score the case with off the request path


@dataclass(frozen=True)
class Live:
    """A running experiment with the models of its loadable arms."""

    experiment: Experiment
    models: Mapping[str, SupportModel]  # the arms that loaded
    weights: Mapping[str, float]  # the serving arms that loaded, renormalised to sum to 1
    # Units seen lately and where they went: merchants come back, and a look-up replaces a SHA-256
    # and a logarithm per arm. A new Live (a reload that changed the experiment) starts empty.
    placed: dict[str, Routed] = field(default_factory=dict)

    @property
    def shadows(self) -> tuple[str, ...]:
        """The shadow versions that loaded."""
        return tuple(v for v in self.experiment.shadows if v in self.models)


class Router:
    def __init__(self, store: ExperimentStore) -> None:
        self.store = store
        self._live: tuple[Live, ...] = ()
        self._failed: set[tuple[str, str]] = set()  # (experiment, version) already logged

    @property
    def live(self) -> tuple[Live, ...]:
        return self._live

    def model(self, version: str) -> SupportModel | None:
        """A loaded arm's model by version (what the in-process shadow scorer scores with)."""
        return next((live.models[version] for live in self._live if version in live.models), None)

    def reload(self, load: Callable[[str], SupportModel]) -> None:
        """Re-read the running experiments; `load(version)` gives an arm's model (or raises)."""
        current = {live.experiment.name: live for live in self._live}
        fresh = []
        # The earliest started takes a case that two experiments (on different units) could assign.
        for experiment in sorted(self.store.running(), key=lambda e: (e.start_time or _EPOCH, e.name)):
            old = current.get(experiment.name)
            models = dict(old.models) if old is not None else {}
            for arm in experiment.arms:
                if arm.version not in models:
                    model = self._load(experiment.name, arm.version, load)
                    if model is not None:
                        models[arm.version] = model
            loaded = {a.version: a.weight for a in experiment.arms if a.version in models and a.weight > 0}
            total = sum(loaded.values())
            if total == 0:
                log.error("experiment has no loadable serving arm", extra={"experiment": experiment.name})
                continue
            weights = {version: weight / total for version, weight in loaded.items()}
            unchanged = old is not None and old.experiment == experiment and old.weights == weights
            fresh.append(old if old is not None and unchanged else Live(experiment, models, weights))
        self._live = tuple(fresh)  # one reference swap: in-flight calls keep what they took

    def _load(self, name: str, version: str, load: Callable[[str], SupportModel]) -> SupportModel | None:
        try:
            return load(version)
        except (ArtifactError, ModelNotFoundError) as exc:
            if (name, version) not in self._failed:
                self._failed.add((name, version))
                log.error(
                    "experiment arm dropped: its version does not load",
                    extra={"experiment": name, "model_version": version, "error": str(exc)},
                )
            return None

    def route(self, units: Mapping[str, str], requested_version: str = "") -> Routed | None:
        """Where a case goes: None when no experiment runs; the arm's model and the assignment
        otherwise. `units` gives the case's unit fields (merchant_id, case_id); a request that
        names its version is not assigned, only logged as bypassing the experiment."""
        for live in self._live:
            experiment = live.experiment
            unit_id = units.get(experiment.unit, "")
            if requested_version:
                return Routed(Assignment(experiment.name, None, None, unit_id), None, experiment.mode != "shadow")
            if not unit_id:
                raise MissingUnit(experiment.name, experiment.unit)
            routed = live.placed.get(unit_id)
            if routed is None:
                arm = assignment.assign(experiment.salt, live.weights, unit_id)
                routed = Routed(
                    Assignment(experiment.name, arm, live.weights[arm], unit_id),
                    live.models[arm],
                    shown=experiment.mode != "shadow",
                    shadows=live.shadows,
                )
                if len(live.placed) >= PLACED_UNITS:
                    live.placed.clear()  # bounded memory; the hash gives the same answer again
                live.placed[unit_id] = routed
            return routed
        return None
