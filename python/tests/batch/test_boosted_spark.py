"""Distributed training of the boosted kind with xgboost.spark in the shared local[2] session: more
workers than task slots fail at once; two workers train a model that registers, loads and serves."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from supportability.data.generator import GeneratorConfig, generate
from supportability.registry import Registry
from supportability.training.distributed import SparkFit, TooManyWorkers, task_slots
from supportability.training.pipeline import train_and_register
from supportability.training.trainer import TrainConfig


def test_more_workers_than_task_slots_fail_before_any_stage_starts(spark: Any) -> None:
    assert task_slots(spark) == 2
    started = time.monotonic()
    with pytest.raises(TooManyWorkers, match=r"3 xgboost\.spark workers asked for.*local\[2\]\) has 2 task slots"):
        SparkFit(spark, workers=3)
    assert time.monotonic() - started < 30  # it fails on the driver; a barrier stage would wait for ever
    with pytest.raises(ValueError, match="at least 1"):
        SparkFit(spark, workers=0)


def test_two_workers_train_a_boosted_model_that_serves_like_a_local_one(spark: Any, tmp_path) -> None:
    data = generate(GeneratorConfig(n_cases=800, seed=21, interactions=1.0))
    # Routing and escalation only: one booster (three fits on Spark) keeps the test short.
    data = dataclasses.replace(data, labels={k: data.labels[k] for k in ("queue", "escalated")})
    registry = tmp_path / "registry"
    fit = SparkFit(spark, workers=2)
    version = train_and_register(
        data, registry, config=TrainConfig(seed=21, folds=2), kind="boosted", report=False, booster_fit=fit
    )
    manifest = Registry(registry).manifest(version)
    assert manifest["training_config"]["boosting"]["engine"] == "xgboost.spark on local[2], 2 workers"
    assert "booster.escalation.json" in manifest["artifacts"]
    model = Registry(registry).load(version)
    assert model.info.kind == "boosted" and set(model.info.tasks) >= {"routing", "escalation"}
    results = model.predict(data.cases[:30])
    assert all(0 < r.escalation < 1 for r in results)
    assert len({round(r.escalation, 6) for r in results}) > 5  # the trees split the cases
    (one,) = model.predict(data.cases[:1], explain=True)
    assert one.escalation == pytest.approx(results[0].escalation, abs=1e-5)
    assert {task for task, _, _ in one.explanations} >= {"routing", "escalation"}
