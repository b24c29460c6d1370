"""Fixtures shared by the Python tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def registry_path() -> Path:
    """The registry with a trained, promoted default model (`make model` builds it; trained
    here when missing so `pytest` also works on its own). Tests must not modify it: copy it."""
    path = Path(os.environ.get("SUPPORTABILITY_REGISTRY", ROOT / "var" / "registry"))
    from supportability.registry import Registry
    from supportability.training import train_default

    if Registry(path).promoted_version() is None:
        train_default(path)
    return path


@pytest.fixture(scope="session")
def golden_requests() -> list:
    import json

    from google.protobuf import json_format

    from supportability.v1 import prediction_service_pb2

    document = json.loads((ROOT / "tests" / "vectors" / "cases.json").read_text())
    assert document["specVersion"].split(".")[0] == "1", "these tests check spec version 1.x of the vectors"
    vectors = document["vectors"]
    return [json_format.ParseDict(v["request"], prediction_service_pb2.PredictCaseRequest()) for v in vectors]


@pytest.fixture(scope="module")
def server(registry_path: Path):
    """A real server on a free loopback port, serving the promoted model, for one test module."""
    from supportability.testing import ServerProcess

    with ServerProcess(registry_path) as running:
        yield running
