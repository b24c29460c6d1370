"""The model registry: one directory per version, a manifest with checksums, an atomic promoted pointer.

Layout under the registry path:

    versions/<version>/manifest.json   version, created time, data summary, tasks, label sets, feature
                                       schema, metrics, library versions, sha256 + size of every artifact,
                                       and the drift reference (when training made one)
    versions/<version>/model.json      the model's structure (vocabulary, heads, calibrators)
    versions/<version>/arrays.npz      its weights (numpy arrays; loaded with allow_pickle=False)
    versions/<version>/<file>          further artifacts of some model kinds (the teacher's encoder.onnx)
    versions/<version>/report/         the evaluation report (HTML, PNG, metrics.json), when evaluated
    promoted.json                      {"version": ..., "history": [previous promoted versions]}

A version directory is written under a temporary name and renamed into place, and promoted.json is
replaced with os.replace, so a reader (a polling server) never sees a half-written state. Loading
verifies every artifact's checksum before parsing it, and refuses a format it does not know.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import logging
import os
import platform
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from supportability.models import kinds
from supportability.models.api import ModelInfo, SupportModel

if TYPE_CHECKING:  # reading manifests needs no model code (the log writer's process reads only those)
    from supportability.models.heads import HeadsModel

log = logging.getLogger(__name__)
MANIFEST_FORMAT = 1
MODEL_NAME = "support-cases"
REQUIRED_ARTIFACTS = ("model.json", "arrays.npz")  # every kind; some add files (kinds.py)


class RegistryError(Exception):
    """Base class of registry errors."""


class ModelNotFoundError(RegistryError):
    """The requested version (or any promoted version) does not exist."""


class ArtifactError(RegistryError):
    """A version's files are missing, tampered with, or in a format this code cannot read."""


@dataclass(frozen=True)
class UnreadableVersion:
    """A version directory whose manifest cannot be read: listed apart so it is seen, not hidden."""

    version: str
    error: str


@dataclass(frozen=True)
class DataSummary:
    source: str
    case_count: int
    fingerprint: str


# Recorded in each manifest: what the model's numbers came from (the optional extras when installed).
LIBRARIES = ("numpy", "scipy", "scikit-learn", "supportability", "torch", "onnxruntime", "tokenizers", "xgboost-cpu")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):  # an optional extra not installed
            versions[package] = metadata.version(package)
    return versions


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json_atomic(path: Path, value: Any) -> None:
    """Write JSON to a temporary file, fsync it, and rename it over `path`: readers see old or new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(value, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _info_from_manifest(manifest: dict) -> ModelInfo:
    return ModelInfo(
        name=manifest["name"],
        version=manifest["version"],
        tasks=tuple(manifest["tasks"]),
        label_sets={k: tuple(v) for k, v in manifest["label_sets"].items()},
        created_time=datetime.fromisoformat(manifest["created_time"]),
        data_source=manifest["data"]["source"],
        data_case_count=int(manifest["data"]["case_count"]),
        data_fingerprint=manifest["data"]["fingerprint"],
        metrics=[(m["task"], m["name"], float(m["value"]), m.get("slice", "")) for m in manifest["metrics"]],
        kind=kinds.kind_of(manifest.get("model_format", "linear")),
    )


class Registry:
    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.versions_dir = self.path / "versions"
        self.pointer = self.path / "promoted.json"

    # ---- reading ----------------------------------------------------------------------------
    def manifest(self, version: str) -> dict:
        path = self.versions_dir / version / "manifest.json"
        if not _safe_name(version) or not path.is_file():
            raise ModelNotFoundError(f"model version {version!r} not found in registry {self.path}")
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise ArtifactError(f"{path}: unreadable manifest: {e}") from e

    def info(self, version: str) -> ModelInfo:
        return _info_from_manifest(self.manifest(version))

    def list(self) -> list[ModelInfo]:
        """Every registered version whose manifest reads, newest first (see `scan` for the others)."""
        return self.scan()[0]

    def scan(self) -> tuple[builtins.list[ModelInfo], builtins.list[UnreadableVersion]]:
        """The readable versions, newest first, and the unreadable ones (each logged as a warning)."""
        infos: builtins.list[ModelInfo] = []
        unreadable: builtins.list[UnreadableVersion] = []
        if not self.versions_dir.is_dir():
            return infos, unreadable
        for entry in self.versions_dir.iterdir():
            if entry.name.startswith(".") or not (entry / "manifest.json").is_file():
                continue  # staging directories of a registration in progress
            try:
                infos.append(self.info(entry.name))
            except (RegistryError, KeyError, ValueError) as exc:
                log.warning("unreadable model version manifest", extra={"model_version": entry.name, "error": str(exc)})
                unreadable.append(UnreadableVersion(entry.name, f"{type(exc).__name__}: {exc}"))
        infos.sort(key=lambda i: (i.created_time, i.version), reverse=True)
        return infos, sorted(unreadable, key=lambda u: u.version)

    def _pointer(self) -> dict:
        try:
            return json.loads(self.pointer.read_text())
        except FileNotFoundError:
            return {"version": None, "history": []}
        except ValueError as e:
            raise ArtifactError(f"{self.pointer}: unreadable promoted pointer: {e}") from e

    def promoted_version(self) -> str | None:
        return self._pointer().get("version")

    def load(self, version: str | None = None) -> SupportModel:
        """Load a version (None = the promoted one), verifying every checksum before parsing anything."""
        if version is None:
            version = self.promoted_version()
            if version is None:
                raise ModelNotFoundError(f"no promoted model version in registry {self.path}")
        manifest = self.manifest(version)
        if manifest.get("format") != MANIFEST_FORMAT:
            raise ArtifactError(
                f"model version {version}: manifest format {manifest.get('format')!r} is not "
                f"supported (this code reads format {MANIFEST_FORMAT})"
            )
        directory = self.versions_dir / version
        artifacts = manifest.get("artifacts", {})
        for name in sorted({*REQUIRED_ARTIFACTS, *artifacts}):
            expected = artifacts.get(name, {}).get("sha256")
            path = directory / name
            if expected is None or not _safe_name(name) or not path.is_file():
                raise ArtifactError(f"model version {version}: artifact {name} is missing")
            actual = _sha256(path)
            if actual != expected:
                raise ArtifactError(
                    f"model version {version}: checksum mismatch for {name} "
                    f"(manifest {expected[:12]}…, file {actual[:12]}…): refusing to load it"
                )
        files = {name: directory / name for name in artifacts if name not in REQUIRED_ARTIFACTS}
        try:
            state = json.loads((directory / "model.json").read_text())
            with np.load(directory / "arrays.npz", allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            model = kinds.load(state, arrays, files)
        except (ValueError, KeyError, OSError, ImportError) as e:
            raise ArtifactError(f"model version {version}: cannot read the model: {e}") from e
        model.info = _info_from_manifest(manifest)
        return model

    # ---- writing ----------------------------------------------------------------------------
    def register(
        self,
        model: HeadsModel,
        *,
        data: DataSummary,
        metrics: Sequence[tuple[str, str, float, str]] = (),
        report_dir: str | os.PathLike[str] | None = None,
        training_config: dict | None = None,
        drift_reference: dict | None = None,
    ) -> str:
        """Store a trained model as a new version and return the version (not promoted).

        `drift_reference` (evaluation/reference.py) goes into the manifest for the online drift
        panel; versions registered without one still load, and the panel says it has none.
        """
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        created = datetime.now(UTC).replace(microsecond=0)
        version = f"{created:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        staging = Path(tempfile.mkdtemp(dir=self.versions_dir, prefix=f".{version}."))
        try:
            state, arrays, files = kinds.dump(model)
            (staging / "model.json").write_text(json.dumps(state, ensure_ascii=False))
            np.savez(staging / "arrays.npz", **arrays)  # type: ignore[arg-type]  # numpy stubs: **kwds typed as bool
            for name, content in files.items():
                (staging / name).write_bytes(content)
            if report_dir is not None:
                shutil.copytree(report_dir, staging / "report")
            manifest = {
                "format": MANIFEST_FORMAT,
                "name": MODEL_NAME,
                "version": version,
                "created_time": created.isoformat(),
                "model_format": state["format"],
                "data": {"source": data.source, "case_count": data.case_count, "fingerprint": data.fingerprint},
                "tasks": list(model.tasks),
                "label_sets": {
                    h.task: list(h.labels) for h in model.heads.values() if h.task in ("routing", "urgency")
                },
                "feature_schema": model.feature_schema(),
                "decision": {
                    "threshold": model.decision_threshold,
                    "target_precision": model.decision_target_precision,
                    # How the threshold was chosen: held-out cases, precision, its bound, the split.
                    "estimate": model.decision_estimate,
                    "out_of_scope": model.out_of_scope.state() if model.out_of_scope is not None else None,
                },
                "training_config": training_config or {},
                "metrics": [{"task": t, "name": n, "value": float(v), "slice": s} for t, n, v, s in metrics],
                "library_versions": library_versions(),
                **({"drift_reference": drift_reference} if drift_reference is not None else {}),
                "artifacts": {
                    name: {"sha256": _sha256(staging / name), "bytes": (staging / name).stat().st_size}
                    for name in (*REQUIRED_ARTIFACTS, *files)
                },
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
            os.rename(staging, self.versions_dir / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return version

    def set_metrics(
        self,
        version: str,
        metrics: Sequence[tuple[str, str, float, str]],
        report_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """Replace a version's metrics (and report) after a later evaluation; artifacts are untouched."""
        manifest = self.manifest(version)
        manifest["metrics"] = [{"task": t, "name": n, "value": float(v), "slice": s} for t, n, v, s in metrics]
        directory = self.versions_dir / version
        if report_dir is not None:
            target = directory / "report"
            if Path(report_dir).resolve() != target.resolve():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(report_dir, target)
        write_json_atomic(directory / "manifest.json", manifest)

    def promote(self, version: str) -> None:
        """Make `version` the one served by default; the previous one goes onto the rollback history."""
        self.load(version)  # refuse to promote what could not be served
        pointer = self._pointer()
        if pointer.get("version") == version:
            return
        history = list(pointer.get("history", []))
        if pointer.get("version"):
            history.append(pointer["version"])
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            self.pointer, {"version": version, "history": history, "updated_time": datetime.now(UTC).isoformat()}
        )

    def rollback(self) -> str:
        """Promote the previously promoted version again; returns it."""
        pointer = self._pointer()
        history = list(pointer.get("history", []))
        if not history:
            raise ModelNotFoundError(f"nothing to roll back to in registry {self.path}")
        previous = history.pop()
        self.load(previous)
        write_json_atomic(
            self.pointer, {"version": previous, "history": history, "updated_time": datetime.now(UTC).isoformat()}
        )
        return previous


def _safe_name(name: str) -> bool:
    """Version and artifact names are file names: no separators, no hidden or parent entries."""
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")
