"""`ExperimentStore`: experiments as files beside the model versions, written as promotion is.

    <registry>/experiments/<name>.json   one experiment (definition.Experiment.to_json)
    <registry>/experiments/.lock         held while a command checks and writes (flock)

Each file is replaced atomically (registry.write_json_atomic), so a polling server reads the old
experiment or the new one, never half of one. A command that is refused writes nothing: the
running experiment is left as it was.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from supportability.experiments.definition import RUNNING, Experiment, ExperimentError
from supportability.registry import ModelNotFoundError, Registry, RegistryError, write_json_atomic

log = logging.getLogger(__name__)


class ExperimentNotFound(ExperimentError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no experiment named {name!r}", field="name")
        self.name = name

    def __reduce__(self) -> tuple[type[ExperimentNotFound], tuple[str]]:
        return type(self), (self.name,)


class ExperimentStore:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.path = registry.path / "experiments"

    # -- reading --------------------------------------------------------------------------------

    def list(self) -> builtins.list[Experiment]:
        """Every readable experiment, by name; an unreadable file is logged and left out."""
        out = []
        for file in sorted(self.path.glob("*.json")) if self.path.is_dir() else ():
            try:
                out.append(Experiment.from_json(json.loads(file.read_text())))
            except (OSError, ValueError, KeyError, TypeError, ExperimentError) as exc:
                log.warning("unreadable experiment", extra={"file": str(file), "error": str(exc)})
        return out

    def get(self, name: str) -> Experiment:
        file = self.path / f"{name}.json"
        if "/" in name or name.startswith(".") or not file.is_file():
            raise ExperimentNotFound(name)
        try:
            return Experiment.from_json(json.loads(file.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ExperimentError(f"{file}: unreadable experiment: {exc}") from exc

    def running(self) -> builtins.list[Experiment]:
        return [e for e in self.list() if e.state == RUNNING]

    # -- writing --------------------------------------------------------------------------------

    def create(self, experiment: Experiment) -> Experiment:
        """Store a new draft experiment whose every arm is a registered version."""
        with self._locked():
            if (self.path / f"{experiment.name}.json").exists():
                raise ExperimentError(f"experiment {experiment.name} already exists", field="name", precondition=True)
            self._check_versions(experiment)
            self._write(experiment)
        return experiment

    def move(self, name: str, command: str, now: datetime | None = None) -> Experiment:
        """`start`, `pause` or `stop` an experiment. Starting checks that its versions still exist
        and that no other experiment runs on the same unit (one assignment per unit and request)."""
        with self._locked():
            experiment = self.get(name)
            moved = experiment.moved(command, now or datetime.now(UTC))
            if moved.state == RUNNING:
                self._check_versions(moved)
                clash = [e.name for e in self.running() if e.unit == moved.unit and e.name != moved.name]
                if clash:
                    raise ExperimentError(
                        f"experiment {clash[0]} already runs on unit {moved.unit}: stop or pause it before "
                        f"starting {moved.name}",
                        precondition=True,
                    )
            self._write(moved)
        return moved

    def update(self, name: str, change: Callable[[Experiment], Experiment | None]) -> Experiment | None:
        """Apply `change` to the stored experiment and write what it returns (None: write nothing),
        all under the lock, so a check inside `change` holds against every other process."""
        with self._locked():
            changed = change(self.get(name))
            if changed is not None:
                self._write(changed)
            return changed

    def save(self, experiment: Experiment) -> None:
        """Replace an existing experiment (the bandit's new weights)."""
        with self._locked():
            self.get(experiment.name)
            self._write(experiment)

    def _check_versions(self, experiment: Experiment) -> None:
        for arm in experiment.arms:
            try:
                self.registry.manifest(arm.version)
            except ModelNotFoundError:
                raise ExperimentError(
                    f"arm {arm.version}: no such model version in registry {self.registry.path}", field="arm"
                ) from None
            except RegistryError as exc:
                raise ExperimentError(f"arm {arm.version}: {exc}", field="arm") from exc

    def _write(self, experiment: Experiment) -> None:
        write_json_atomic(self.path / f"{experiment.name}.json", experiment.to_json())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One command at a time across processes: check-then-write must not interleave."""
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
