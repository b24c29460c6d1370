"""The whole pipeline in one call: data -> train -> evaluate (+ drift reference) -> register (-> promote)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation.evaluate import evaluate
from supportability.evaluation.reference import drift_reference
from supportability.models.heads import HeadsModel
from supportability.registry import DataSummary, Registry
from supportability.training.neural_config import NeuralConfig
from supportability.training.noise import train_through_noise
from supportability.training.trainer import NO_TEST_SPLIT, HeldOutScores, TrainConfig

if TYPE_CHECKING:
    from supportability.training.boosted import BoosterFit

DEFAULT_CASES = 30_000


def train_and_register(
    data: LabeledCases,
    registry_path: str | os.PathLike[str],
    *,
    config: TrainConfig = TrainConfig(),
    promote: bool = True,
    report: bool = True,
    progress: Callable[[str], None] | None = None,
    kind: str = "linear",
    neural: NeuralConfig | None = None,
    teacher_version: str | None = None,
    booster_fit: BoosterFit | None = None,
) -> str:
    """Train a model of `kind` (linear, boosted, teacher or student) on `data`, evaluate it on the test
    split (without one, `config.test_fraction` 0: on the held-out scores its choices were made on),
    register the version (with its report) and optionally promote it. A student learns from the
    registered teacher `teacher_version` when given; a boosted model's boosters are fitted by
    `booster_fit` (default: on this machine; training/distributed.py fits them on Spark). Returns the version."""
    step = progress or (lambda _msg: None)
    started = time.monotonic()
    registry = Registry(registry_path)
    model: HeadsModel
    held: HeldOutScores | None = None  # out-of-fold scores (None: the model's own on the calibration fold)
    if kind == "linear":
        model, splits, noisy, held = train_through_noise(data, config, progress=step)
        fitted, settings = splits.fitted_count(config), dataclasses.asdict(config)
        if noisy:
            settings["noisy_labels_choice"] = noisy  # what was flagged, chosen, and on which figures
    elif kind == "boosted":
        from supportability.training import boosted

        fit = booster_fit or boosted.fit_local
        model, splits, held = boosted.train_boosted_scored(data, config, progress=step, fit=fit)
        fitted = splits.fitted_count(config)
        engine = getattr(booster_fit, "description", "xgboost.train on this machine")
        settings = {**dataclasses.asdict(config), "boosting": {**boosted.PARAMS, "engine": engine}}
    else:
        from supportability.training import neural as trainers

        neural = neural or NeuralConfig()
        checkpoints = Path(registry_path) / ".checkpoints"
        if kind == "teacher":
            model, splits, history = trainers.train_teacher(data, neural, checkpoint_root=checkpoints, progress=step)
        elif kind == "student":
            teacher = registry.load(teacher_version) if teacher_version else None
            # The registry returns the serving Protocol; every kind it stores is a HeadsModel.
            assert teacher is None or isinstance(teacher, HeadsModel)
            model, splits, history = trainers.train_student(
                data, neural, teacher=teacher, checkpoint_root=checkpoints, progress=step
            )
        else:
            raise ValueError(f"unknown model kind {kind!r}")
        fitted = len(splits.train)
        settings = {**dataclasses.asdict(neural), "teacher_version": teacher_version, "epochs": history}
    step("evaluating")
    if len(splits.test):
        judged = f"Evaluation on {len(splits.test)} held-out test cases"
        evaluation = evaluate(model, data.subset(splits.test))
    elif held is not None:  # no test split: the cross-fitted scores are the held-out estimate
        judged = f"Out-of-fold evaluation on {len(held.rows)} cases (no test split; see the manifest)"
        evaluation = evaluate(model, data.subset(held.rows), scores=held.scores)
        settings["evaluation"] = NO_TEST_SPLIT
    else:  # no test split, no cross-fitting (neural kinds): the calibration fold never trained the model
        judged = f"Evaluation on the {len(splits.calibration)} cases of the calibration fold (no test split)"
        evaluation = evaluate(model, data.subset(splits.calibration))
        settings["evaluation"] = (
            "none: no test split; the held-out figures are on the calibration fold, which the model never "
            "trained on but whose scores chose the calibrators and thresholds"
        )
    reference = drift_reference(model, data.subset(splits.train).cases, data.subset(splits.calibration).cases)
    evaluation.add("training", "seconds", time.monotonic() - started)
    with tempfile.TemporaryDirectory() as report_dir:
        if report:
            step("writing the report")
            from supportability.evaluation.report import write_report

            write_report(
                evaluation,
                report_dir,
                title=judged,
                data_source=data.source,
            )
        version = registry.register(
            model,
            data=DataSummary(data.source, fitted, data.fingerprint()),
            metrics=evaluation.metrics,
            report_dir=report_dir if report else None,
            training_config=settings,
            drift_reference=reference,
        )
    if promote:
        registry.promote(version)
    step(f"registered {version}" + (" (promoted)" if promote else ""))
    return version


def train_default(
    registry_path: str | os.PathLike[str],
    *,
    seed: int = 7,
    progress: bool = False,
    n_cases: int = DEFAULT_CASES,
    report: bool = True,
) -> str:
    """Generate the default synthetic data, train every task, calibrate, evaluate, register and promote.

    Returns the promoted version. About half a minute on 2 cores at the default size; tests pass a
    small `n_cases`.
    """
    say = (lambda msg: print(f"[train_default] {msg}", flush=True)) if progress else None
    if say:
        say(f"generating {n_cases} synthetic cases (seed {seed})")
    data = generate(GeneratorConfig(n_cases=n_cases, seed=seed))
    return train_and_register(data, registry_path, config=TrainConfig(seed=seed), report=report, progress=say)
