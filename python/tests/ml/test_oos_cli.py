"""`train --data --oos-label` and `evaluate --data --oos-label` through the CLI, on a CSV whose
out-of-scope examples are the cases of one queue renamed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from supportability.cli import main
from supportability.data.generator import GeneratorConfig, generate
from supportability.data.io import write_cases

OOS = "not_ours"


def _csv(path: Path, n_cases: int, seed: int) -> Path:
    """Generated cases as CSV, with the queue `billing` renamed OOS."""
    raw = path.with_suffix(".raw.csv")
    write_cases(generate(GeneratorConfig(n_cases=n_cases, seed=seed)), str(raw))
    with raw.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["queue"] = OOS if row["queue"] == "billing" else row["queue"]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_out_of_scope_examples_are_trained_on_and_evaluated(tmp_path: Path) -> None:
    train_file, test_file = _csv(tmp_path / "train.csv", 2_000, 3), _csv(tmp_path / "test.csv", 600, 4)
    registry = str(tmp_path / "registry")
    runner = CliRunner()
    trained = runner.invoke(
        main, ["train", "--data", str(train_file), "--registry", registry, "--oos-label", OOS, "--folds", "3"]
    )
    assert trained.exit_code == 0, trained.output
    assert "decision:" in trained.output  # the threshold with its bound, or that none can promise the target
    out = tmp_path / "report"
    evaluated = runner.invoke(
        main, ["evaluate", "--registry", registry, "--data", str(test_file), "--oos-label", OOS, "--out", str(out)]
    )
    assert evaluated.exit_code == 0, evaluated.output
    metrics = {(m["task"], m["name"]): m["value"] for m in json.loads((out / "metrics.json").read_text())["metrics"]}
    assert metrics[("out_of_scope", "auroc")] > 0.8  # trained on examples of it
    assert metrics[("out_of_scope", "auto_routed_share")] < 0.2
    assert (out / "out_of_scope.png").is_file()

    wrong = runner.invoke(main, ["evaluate", "--registry", registry, "--data", str(test_file), "--oos-label", "nope"])
    assert wrong.exit_code != 0 and "no case in" in wrong.output
