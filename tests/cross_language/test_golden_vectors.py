"""The same golden cases through the Python, Java and Ruby clients against one real server:
every client must see the same queues, probabilities (to 1e-6) and model version."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from supportability.client import Client
from supportability.testing import ServerProcess, assert_close
from supportability.v1 import prediction_service_pb2

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "cases.json"
REGISTRY = Path(os.environ.get("SUPPORTABILITY_REGISTRY", ROOT / "var" / "registry"))
JAVA_CLASSPATH = ROOT / "clients" / "java" / "client" / "target" / "classpath.txt"
RUNNERS = {
    "java": lambda: ["java", "-cp", JAVA_CLASSPATH.read_text().strip(), "dev.supportability.client.tools.GoldenVectors"],
    "ruby": lambda: ["ruby", str(ROOT / "clients" / "ruby" / "bin" / "supportability-golden-vectors")],
}


SPEC_MAJOR = "1"  # the golden-vector spec version these tests check


def _vectors() -> list[dict[str, Any]]:
    document = json.loads(VECTORS.read_text())
    assert document["specVersion"].split(".")[0] == SPEC_MAJOR, document["specVersion"]
    return document["vectors"]


@pytest.fixture(scope="module")
def server():
    with ServerProcess(REGISTRY) as running:
        yield running


@pytest.fixture(scope="module")
def python_predictions(server: ServerProcess) -> dict[str, dict[str, Any]]:
    out = {}
    with Client(server.target) as client:
        for vector in _vectors():
            request = json_format.ParseDict(vector["request"], prediction_service_pb2.PredictCaseRequest())
            response = client.send(request)
            out[vector["name"]] = json_format.MessageToDict(response.prediction)
    return out


def test_python_client_predicts_every_vector(python_predictions: dict[str, dict[str, Any]]) -> None:
    for name, prediction in python_predictions.items():
        assert prediction["routing"]["topQueues"], name
        assert prediction["modelVersion"], name


@pytest.mark.parametrize("language", sorted(RUNNERS))
def test_client_matches_python(language: str, server: ServerProcess, python_predictions: dict[str, dict[str, Any]],
                               tmp_path: Path) -> None:
    out = tmp_path / f"{language}.jsonl"
    subprocess.run([*RUNNERS[language](), server.target, str(VECTORS), str(out)], check=True, timeout=180)
    lines = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    assert [line["name"] for line in lines] == [v["name"] for v in _vectors()]
    for line in lines:
        assert_close(python_predictions[line["name"]], line["prediction"], abs_tol=1e-6,
                     where=f"{language}:{line['name']}")
