"""The whole pipeline in one call: data -> train -> evaluate -> register (-> promote)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable

from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation.evaluate import evaluate
from supportability.registry import DataSummary, Registry
from supportability.training.trainer import TrainConfig, train

DEFAULT_CASES = 30_000


def train_and_register(data: LabeledCases, registry_path: str | os.PathLike[str], *,
                       config: TrainConfig = TrainConfig(), promote: bool = True, report: bool = True,
                       progress: Callable[[str], None] | None = None) -> str:
    """Train on `data`, evaluate on its newest cases, register the version (with its report) and
    optionally promote it. Returns the version."""
    step = progress or (lambda _msg: None)
    started = time.monotonic()
    model, splits = train(data, config, progress=step)
    step("evaluating")
    evaluation = evaluate(model, data.subset(splits.test))
    evaluation.add("training", "seconds", time.monotonic() - started)
    registry = Registry(registry_path)
    with tempfile.TemporaryDirectory() as report_dir:
        if report:
            step("writing the report")
            from supportability.evaluation.report import write_report

            write_report(evaluation, report_dir, title=f"Evaluation on {len(splits.test)} held-out cases",
                         data_source=data.source)
        version = registry.register(
            model, data=DataSummary(data.source, splits.fitted_count(config), data.fingerprint()),
            metrics=evaluation.metrics, report_dir=report_dir if report else None,
            training_config=dataclasses.asdict(config))
    if promote:
        registry.promote(version)
    step(f"registered {version}" + (" (promoted)" if promote else ""))
    return version


def train_default(registry_path: str | os.PathLike[str], *, seed: int = 7, progress: bool = False,
                  n_cases: int = DEFAULT_CASES, report: bool = True) -> str:
    """Generate the default synthetic data, train every task, calibrate, evaluate, register and promote.

    Returns the promoted version. About half a minute on 2 cores at the default size; tests pass a
    small `n_cases`.
    """
    say = (lambda msg: print(f"[train_default] {msg}", flush=True)) if progress else None
    if say:
        say(f"generating {n_cases} synthetic cases (seed {seed})")
    data = generate(GeneratorConfig(n_cases=n_cases, seed=seed))
    return train_and_register(data, registry_path, config=TrainConfig(seed=seed), report=report, progress=say)
