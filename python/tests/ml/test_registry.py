"""The registry: register/load round trip, listing, promotion and rollback, tamper detection."""

from __future__ import annotations

import json

import numpy as np
import pytest

from supportability.models.api import ModelInfo
from supportability.registry import ArtifactError, DataSummary, ModelNotFoundError, Registry

DATA = DataSummary("synthetic:test", 100, "f" * 64)


@pytest.fixture
def registry(tmp_path):
    return Registry(tmp_path / "registry")


def test_round_trip_predicts_identically(registry, small_model, small_data):
    model, _ = small_model
    version = registry.register(model, data=DATA, metrics=[("routing", "top1_accuracy", 0.5, "")])
    loaded = registry.load(version)
    cases = small_data.cases[:20]
    assert [r.routing for r in loaded.predict(cases)] == [r.routing for r in model.predict(cases)]
    assert loaded.predict(cases[:1], explain=True)[0] == model.predict(cases[:1], explain=True)[0]
    info = loaded.info
    assert isinstance(info, ModelInfo) and info.version == version
    assert info.metrics == [("routing", "top1_accuracy", 0.5, "")]
    assert info.label_sets["routing"] == model.heads["routing"].labels
    assert set(info.tasks) == {
        "routing",
        "urgency",
        "escalation",
        "csat_risk",
        "resolution_time",
        "articles",
        "decision",
    }


def test_manifest_records_checksums_and_library_versions(registry, small_model):
    version = registry.register(small_model[0], data=DATA)
    manifest = registry.manifest(version)
    assert set(manifest["artifacts"]) == {"model.json", "arrays.npz"}
    assert all(len(a["sha256"]) == 64 for a in manifest["artifacts"].values())
    assert {"python", "numpy", "scipy", "scikit-learn"} <= set(manifest["library_versions"])
    assert manifest["data"] == {"source": DATA.source, "case_count": DATA.case_count, "fingerprint": DATA.fingerprint}
    assert "account.disputes_30d" in manifest["feature_schema"]["context"]


def test_tampered_artifact_is_refused(registry, small_model):
    version = registry.register(small_model[0], data=DATA)
    path = registry.versions_dir / version / "model.json"
    state = json.loads(path.read_text())
    state["decision"]["threshold"] = 0.0  # a plausible, well-formed, malicious edit
    path.write_text(json.dumps(state))
    with pytest.raises(ArtifactError, match=r"checksum mismatch for model\.json"):
        registry.load(version)
    with pytest.raises(ArtifactError):
        registry.promote(version)


def test_missing_artifact_and_unknown_format_are_refused(registry, small_model):
    version = registry.register(small_model[0], data=DATA)
    (registry.versions_dir / version / "arrays.npz").unlink()
    with pytest.raises(ArtifactError, match=r"arrays\.npz is missing"):
        registry.load(version)
    other = registry.register(small_model[0], data=DATA)
    manifest_path = registry.versions_dir / other / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="format 99 is not supported"):
        registry.load(other)


def test_unknown_versions(registry, small_model):
    with pytest.raises(ModelNotFoundError, match="no promoted model version"):
        registry.load()
    with pytest.raises(ModelNotFoundError, match="not found"):
        registry.load("nope")
    with pytest.raises(ModelNotFoundError):
        registry.load("../../etc")
    with pytest.raises(ModelNotFoundError, match="nothing to roll back"):
        registry.rollback()


def test_promote_and_rollback(registry, small_model):
    first = registry.register(small_model[0], data=DATA)
    second = registry.register(small_model[0], data=DATA)
    assert registry.promoted_version() is None
    registry.promote(first)
    registry.promote(second)
    assert registry.promoted_version() == second
    assert registry.load().info.version == second
    assert registry.rollback() == first
    assert registry.promoted_version() == first
    with pytest.raises(ModelNotFoundError):
        registry.rollback()
    assert [i.version for i in registry.list()][:2] == sorted([first, second], reverse=True)
    assert not list(registry.path.glob(".*.tmp")), "atomic writes leave no temp files behind"


def test_arrays_are_not_pickles(registry, small_model):
    version = registry.register(small_model[0], data=DATA)
    with np.load(registry.versions_dir / version / "arrays.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


def test_an_unknown_model_kind_or_an_artifact_outside_the_version_is_refused(registry, small_model):
    import hashlib

    version = registry.register(small_model[0], data=DATA)
    directory = registry.versions_dir / version
    state = json.loads((directory / "model.json").read_text())
    state["format"] = "quantum-support-model/1"
    (directory / "model.json").write_text(json.dumps(state))
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["artifacts"]["model.json"]["sha256"] = hashlib.sha256((directory / "model.json").read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="unknown model kind 'quantum'"):
        registry.load(version)
    manifest["artifacts"]["../../promoted.json"] = {"sha256": "0" * 64}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"promoted\.json is missing"):
        registry.load(version)


def test_an_unreadable_manifest_is_logged_and_listed_apart(registry, small_model, caplog):
    from click.testing import CliRunner

    from supportability.cli import main

    good = registry.register(small_model[0], data=DATA)
    broken = registry.register(small_model[0], data=DATA)
    (registry.versions_dir / broken / "manifest.json").write_text("{ not json")
    with caplog.at_level("WARNING", logger="supportability.registry.store"):
        infos, unreadable = registry.scan()
    assert [i.version for i in infos] == [good]
    assert [u.version for u in unreadable] == [broken]
    assert any(r.model_version == broken for r in caplog.records)
    assert [i.version for i in registry.list()] == [good]
    listing = CliRunner().invoke(main, ["models", "list", "--registry", str(registry.path)])
    assert listing.exit_code == 0
    assert f"! {broken}  unreadable manifest: " in listing.output
