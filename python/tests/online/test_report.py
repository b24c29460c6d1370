"""The online report from a real (temporary) SQLite store, and the `online` commands."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from supportability.cli import main
from supportability.cli.options import parse_age, parse_since
from supportability.online.drift import NO_REFERENCE
from supportability.online.report import write_online_report
from supportability.online.sql_store import SqlStore
from supportability.online.synthetic import (
    SimulationConfig,
    logged_predictions,
    outcome_writes,
    reference_manifest,
    simulate,
)
from supportability.registry import Registry

CONFIG = SimulationConfig(n=1_500, seed=8, versions=("v-new", "v-old"), days=2.0)


def _registry(path: Path) -> Registry:
    """v-new has a drift reference and a promise it keeps; v-old's manifest predates drift references."""
    registry = Registry(path)
    for version, manifest in (
        ("v-new", reference_manifest(CONFIG, "v-new", target_precision=0.8)),
        ("v-old", reference_manifest(CONFIG, "v-old", target_precision=0.99, with_reference=False)),
    ):
        (registry.versions_dir / version).mkdir(parents=True)
        (registry.versions_dir / version / "manifest.json").write_text(json.dumps(manifest))
    return registry


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> tuple[str, Registry]:
    """A store holding the simulation's predictions and, through record_outcomes, its arrived outcomes."""
    root = tmp_path_factory.mktemp("online")
    url = f"sqlite:///{root}/online.db"
    store = SqlStore(url)
    sim = simulate(CONFIG)
    store.log_predictions(logged_predictions(sim))
    results = store.record_outcomes([[write] for write in outcome_writes(sim)])
    assert all(isinstance(r, list) for r in results)
    store.close()
    return url, _registry(root / "registry")


def test_the_report_names_every_panel_and_writes_its_plots(filled, tmp_path):
    url, registry = filled
    store = SqlStore(url)
    try:
        path = write_online_report(store, registry, tmp_path / "report")
    finally:
        store.close()
    page = path.read_text()
    for panel in (
        "Label coverage and delay",
        "Routing: top-1/top-3, calibration and label-free estimates",
        "Decision: live precision and coverage against the target",
        "Escalation, CSAT and resolution time",
        "Drift against the training reference",
        "label-free estimate",
        "ECE of the top-1 probability",
        html.escape(NO_REFERENCE),  # v-old's manifest has none
        "v-old: the live decision precision",  # its promise (0.99) is broken
    ):
        assert panel in page, panel
    assert "v-new: the live decision precision" not in page
    for image in ("coverage_delay.png", "accuracy.png", "decision_precision.png", "reliability_v-new.png",
                  "reliability_v-old.png", "drift_v-new.png"):  # fmt: skip
        assert (path.parent / image).stat().st_size > 1_000, image
        assert f'src="{image}"' in page
    assert not (path.parent / "drift_v-old.png").exists()
    metrics = json.loads((path.parent / "metrics.json").read_text())
    assert metrics["predictions"] == CONFIG.n and [o["version"] for o in metrics["overall"]] == ["v-new", "v-old"]
    assert metrics["bucket_seconds"] == 3600 and len(metrics["windows"]) > 40
    old = metrics["overall"][1]
    assert old["decision"]["below_target"] and old["decision"]["target_precision"] == 0.99
    assert metrics["drift"][1]["note"] == NO_REFERENCE and metrics["drift"][0]["scores"]


def test_a_version_filter_and_an_empty_window_still_write_a_report(filled, tmp_path):
    url, registry = filled
    store = SqlStore(url)
    try:
        one = write_online_report(store, registry, tmp_path / "one", version="v-new")
        none = write_online_report(store, registry, tmp_path / "none", since=datetime.now(UTC) + timedelta(days=1))
    finally:
        store.close()
    assert [o["version"] for o in json.loads((one.parent / "metrics.json").read_text())["overall"]] == ["v-new"]
    assert "0 predictions" in none.read_text()


def test_the_online_commands(filled, tmp_path):
    url, _ = filled
    runner = CliRunner()
    registry = tmp_path / "registry"
    _registry(registry)
    out = tmp_path / "cli-report"
    result = runner.invoke(main, ["online", "report", "--store", url, "--registry", str(registry), "--since", "3650d",
                                  "--version", "v-new", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert runner.invoke(main, ["online", "upgrade", "--store", url]).exit_code == 0
    copy = tmp_path / "copy.db"
    copy.write_bytes(Path(url.removeprefix("sqlite:///")).read_bytes())
    result = runner.invoke(main, ["online", "prune", "--store", f"sqlite:///{copy}", "--older-than", "1d"])
    assert result.exit_code == 0 and f"deleted {CONFIG.n:,} predictions" in result.output
    missing = runner.invoke(main, ["online", "report", "--store", f"sqlite:///{tmp_path}/none.db"])
    assert missing.exit_code != 0 and "no online store" in missing.output
    bad = runner.invoke(main, ["online", "report", "--store", url, "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since" in bad.output


def test_ages_and_since():
    assert parse_age("90d") == timedelta(days=90) and parse_age("1.5h") == timedelta(minutes=90)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 11, 24, tzinfo=UTC)
    assert parse_since("2026-11-03") == datetime(2026, 11, 3, tzinfo=UTC)
    with pytest.raises(ValueError, match="neither an age"):
        parse_since("last week")
