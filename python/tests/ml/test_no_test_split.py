"""`train --data` keeps no internal test split by default: the final model is fitted on every row,
and the report's figures are the out-of-fold scores the held-out choices were made on, never the
final model's scores on rows it trained on. `--test-fraction` keeps the old split."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from supportability.cli import main
from supportability.data.generator import GeneratorConfig, generate
from supportability.data.io import write_cases
from supportability.evaluation.evaluate import evaluate
from supportability.registry import Registry
from supportability.training.trainer import NO_TEST_SPLIT, data_config, split, train_scored


def test_every_case_is_fitted_and_judged_out_of_fold(small_data) -> None:
    config = data_config("counts", char_ngrams=False, seed=11, folds=3)
    model, splits, held = train_scored(small_data, config)

    assert len(splits.test) == 0 and splits.method["test"] == NO_TEST_SPLIT
    assert splits.fitted_count(config) == len(small_data)
    assert np.array_equal(np.sort(held.rows), np.arange(len(small_data)))
    assert model.decision_estimate is not None and model.decision_estimate["held_out"]["test"] == NO_TEST_SPLIT

    judged = small_data.subset(held.rows)
    out_of_fold = evaluate(model, judged, scores=held.scores).get("routing", "top1_accuracy")
    in_sample = evaluate(model, judged).get("routing", "top1_accuracy")
    assert out_of_fold is not None and in_sample is not None
    assert out_of_fold < in_sample  # the final model has seen every row: its own scores would flatter it


def test_a_size_zero_test_split_takes_no_group(small_data) -> None:
    undated = dataclasses.replace(
        small_data, cases=[dataclasses.replace(c, create_time=None) for c in small_data.cases]
    )
    splits = split(undated, data_config("counts", char_ngrams=False, seed=11))
    assert len(splits.test) == 0
    assert sum(len(fold) for fold in splits.folds or []) == len(undated)


def _train(registry: str, train_file: Path, *options: str) -> dict:
    trained = CliRunner().invoke(
        main, ["train", "--data", str(train_file), "--registry", registry, "--folds", "3", "--no-char-ngrams", *options]
    )
    assert trained.exit_code == 0, trained.output
    return Registry(registry).manifest(Registry(registry).promoted_version())


def test_train_data_fits_every_row_unless_asked_for_a_test_split(tmp_path: Path) -> None:
    train_file = tmp_path / "train.csv"
    write_cases(generate(GeneratorConfig(n_cases=1_000, seed=5)), str(train_file))

    manifest = _train(str(tmp_path / "all"), train_file)
    assert manifest["data"]["case_count"] == 1_000
    assert manifest["training_config"]["test_fraction"] == 0.0
    assert manifest["training_config"]["evaluation"] == NO_TEST_SPLIT
    assert manifest["decision"]["estimate"]["held_out"]["test"] == NO_TEST_SPLIT
    report = Path(tmp_path / "all" / "versions" / manifest["version"] / "report")
    assert "Out-of-fold evaluation on 1000 cases" in (report / "report.html").read_text()
    assert json.loads((report / "metrics.json").read_text())["case_count"] == 1_000

    kept = _train(str(tmp_path / "kept"), train_file, "--test-fraction", "0.15")
    assert kept["data"]["case_count"] == 1_000 - 150
    assert "evaluation" not in kept["training_config"]
