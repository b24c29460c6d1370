"""Training through noisy labels (`train --noisy-labels`, training/noise.py): the sample weights reach
only the fits of the class heads' weights, in the rows each fit learns from; the manifest records the
mode, the flags and the validation figures of the choice; bad values are refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from supportability.cli import main
from supportability.data.generator import GeneratorConfig, generate
from supportability.registry import Registry
from supportability.training import crossfit, trainer
from supportability.training.noise import CANDIDATES, noisy_label_weights, train_through_noise
from supportability.training.trainer import TrainConfig, split, train

NOISY = GeneratorConfig(n_cases=1_500, seed=5, label_noise=0.2)
CONFIG = TrainConfig(seed=5, folds=3)


@pytest.fixture(scope="module")
def noisy_data():
    return generate(NOISY)


def test_weights_reach_only_the_rows_each_fit_learns_from(noisy_data, monkeypatch) -> None:
    splits = split(noisy_data, CONFIG)
    # A weight per row that names the row: every fit's sample weights say which rows it learnt from.
    tag = 1.0 + np.arange(len(noisy_data)) / 1e6
    fitted: list[set[int]] = []
    held_out_weighed: list[bool] = []

    def rows_of(sample_weight: np.ndarray | None) -> set[int]:
        assert sample_weight is not None, "a routing fit without the routing weights"
        return set(np.rint((sample_weight - 1.0) * 1e6).astype(int).tolist())

    def best_logistic(max_iter, grid, x, y, x_held, y_held, sample_weight=None):
        if x.shape[0] == len(splits.train) and y.max() > 3:  # the routing head (urgency has 4 classes)
            fitted.append(rows_of(sample_weight))
            held_out_weighed.append(x_held.shape[0] != len(splits.calibration))
        return crossfit.best_logistic(max_iter, grid, x, y, x_held, y_held, sample_weight)

    def refit(clf, x, y, scale, sample_weight=None):
        if len(clf.classes_) > 4:
            fitted.append(rows_of(sample_weight))
        return crossfit.refit(clf, x, y, scale, sample_weight)

    monkeypatch.setattr(trainer, "best_logistic", best_logistic)
    monkeypatch.setattr(trainer, "refit", refit)
    train(noisy_data, CONFIG, splits=splits, weights={"routing": tag})

    pool = set(splits.train.tolist()) | set(splits.calibration.tolist())
    assert splits.folds is not None
    expected = [pool - set(fold.tolist()) for fold in splits.folds] + [pool]  # each fold's fit, then the final
    assert sorted(map(sorted, fitted)) == sorted(map(sorted, expected))  # never a test row or the fold scored
    assert held_out_weighed == [False]  # the regularisation is judged on the whole held-out fold


def test_weights_of_test_rows_change_nothing_and_other_tasks_are_refused(noisy_data) -> None:
    splits = split(noisy_data, CONFIG)
    ones = np.ones(len(noisy_data))
    odd = ones.copy()
    odd[splits.test] = 0.0  # test rows are never fitted, whatever they weigh
    a, _ = train(noisy_data, CONFIG, splits=splits, weights={"routing": ones})
    b, _ = train(noisy_data, CONFIG, splits=splits, weights={"routing": odd})
    np.testing.assert_array_equal(a.w_text, b.w_text)
    assert a.heads["routing"].calibrator == b.heads["routing"].calibrator
    with pytest.raises(ValueError, match="escalation"):
        train(noisy_data, CONFIG, splits=splits, weights={"escalation": ones})


def test_drop_zeroes_the_flagged_rows_and_auto_records_its_figures(noisy_data) -> None:
    splits = split(noisy_data, CONFIG)
    dropped = noisy_label_weights(noisy_data, splits, dataclasses.replace(CONFIG, noisy_labels="drop"))
    routing = dropped.weights["routing"]
    task = dropped.record["tasks"]["routing"]
    assert task["chosen"] == "drop" and 0 < task["flagged"] == int((routing == 0).sum()) < len(noisy_data) / 2
    assert np.all(routing[splits.test] == 1.0)  # test rows are never flagged
    # The flags are mostly the generator's noise (chance: about a fifth of the rows).
    noise = noisy_data.truth["routing_noise"][routing == 0]
    assert noise.mean() > 0.5

    model, _, record, _ = train_through_noise(noisy_data, dataclasses.replace(CONFIG, noisy_labels="auto"))
    assert record is not None and set(record["tasks"]) == {"routing", "urgency"}
    for chosen in record["tasks"].values():
        assert chosen["chosen"] in CANDIDATES and set(chosen["validation"]) == set(CANDIDATES)
        best = max(f["top1_accuracy"] for f in chosen["validation"].values())
        assert chosen["validation"][chosen["chosen"]]["top1_accuracy"] == best
        assert chosen["validation"]["none"]["difference"] == 0.0
    assert "routing" in model.heads


def test_bad_modes_are_refused(noisy_data) -> None:
    with pytest.raises(ValueError, match="noisy_labels 'sometimes'"):
        train_through_noise(noisy_data, dataclasses.replace(CONFIG, noisy_labels="sometimes"))
    two_folds = dataclasses.replace(CONFIG, noisy_labels="auto", folds=2)
    with pytest.raises(ValueError, match="3 folds"):
        noisy_label_weights(noisy_data, split(noisy_data, two_folds), two_folds)
    runner = CliRunner()
    bad = runner.invoke(main, ["train", "--cases", "300", "--noisy-labels", "sometimes"])
    assert bad.exit_code == 2 and "sometimes" in bad.output
    neural = runner.invoke(main, ["train", "--cases", "300", "--noisy-labels", "drop", "--model", "student"])
    assert neural.exit_code == 1 and "--noisy-labels drop weighs the linear kind" in neural.output


def test_the_manifest_records_the_mode_and_the_choice(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    result = CliRunner().invoke(
        main,
        [
            "train",
            "--cases",
            "1500",
            "--seed",
            "5",
            "--folds",
            "3",
            "--noisy-labels",
            "auto",
            "--registry",
            str(registry),
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = Registry(registry).manifest(Registry(registry).promoted_version())
    settings = manifest["training_config"]
    assert settings["noisy_labels"] == "auto"
    choice = settings["noisy_labels_choice"]
    assert choice["requested"] == "auto" and "given labels" in choice["judged_on"]
    assert {"routing", "urgency"} <= set(choice["tasks"])
    assert all(set(t["validation"]) == set(CANDIDATES) for t in choice["tasks"].values())
