"""Shared fixtures: small synthetic data and one small trained model per test session (a few seconds)."""

from __future__ import annotations

import pytest

from supportability.data.generator import GeneratorConfig, generate
from supportability.training.trainer import TrainConfig, train

SMALL = GeneratorConfig(n_cases=2_000, seed=11)


@pytest.fixture(scope="session")
def small_data():
    return generate(SMALL)


@pytest.fixture(scope="session")
def small_model(small_data):
    model, splits = train(small_data, TrainConfig(seed=11))
    return model, splits
