"""Reflection as grpcurl sees it: every service listed, a method of each described, a call made.

grpcurl is the Go tool users reach for first; `tools/setup-go.sh` installs it (pinned, from the Go
module proxy) into .cache/bin, and this module runs the script itself so `pytest` alone works.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from google.protobuf import json_format

from supportability.client import Client
from supportability.testing import ServerProcess, assert_close
from supportability.v1 import support_case_pb2 as sc

ROOT = Path(__file__).resolve().parents[3]
# A method of every service the server offers, health and reflection included.
METHODS = {
    "supportability.v1.PredictionService": "PredictCase",
    "supportability.v1.ModelService": "GetModel",
    "supportability.v1.OutcomeService": "RecordOutcome",
    "grpc.health.v1.Health": "Check",
    "grpc.reflection.v1alpha.ServerReflection": "ServerReflectionInfo",
}


@pytest.fixture(scope="module")
def grpcurl() -> Path:
    subprocess.run(["bash", str(ROOT / "tools" / "setup-go.sh")], check=True, timeout=600)
    return ROOT / ".cache" / "bin" / "grpcurl"


def _run(grpcurl: Path, server: ServerProcess, *after: str, flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`grpcurl -plaintext [flags] ADDRESS [after...]`."""
    command = [str(grpcurl), "-plaintext", *flags, server.target, *after]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_list_shows_every_service(grpcurl: Path, server: ServerProcess) -> None:
    listed = _run(grpcurl, server, "list")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) >= set(METHODS)


@pytest.mark.parametrize(("service", "method"), sorted(METHODS.items()))
def test_describe_resolves_a_method_of_each_service(grpcurl: Path, server: ServerProcess, service: str, method: str):
    described = _run(grpcurl, server, "describe", f"{service}.{method}")
    assert described.returncode == 0, described.stderr
    assert described.stdout.startswith(f"{service}.{method} is a method:"), described.stdout
    assert f"rpc {method} (" in described.stdout


def test_describe_still_refuses_what_does_not_exist(grpcurl: Path, server: ServerProcess) -> None:
    for symbol in ("supportability.v1.PredictionService.NoSuchMethod", "supportability.v1.NoSuchService.Call"):
        described = _run(grpcurl, server, "describe", symbol)
        assert described.returncode != 0
        assert "Symbol not found" in described.stderr, described.stderr


def test_invoke_predict_case_with_only_a_subject_and_a_body(grpcurl: Path, server: ServerProcess) -> None:
    case = {"subject": "Payout missing", "body": "Our payout did not arrive this week."}
    request = json.dumps({"supportCase": case, "requestId": "grpcurl-1"})
    invoked = _run(grpcurl, server, "supportability.v1.PredictionService/PredictCase", flags=("-d", request))
    assert invoked.returncode == 0, invoked.stderr
    response = json.loads(invoked.stdout)  # grpcurl prints the proto field names
    assert response["request_id"] == "grpcurl-1"
    with Client(server.target) as client:
        expected = client.predict_case(sc.SupportCase(**case)).prediction
    served = response["prediction"]
    assert served.pop("prediction_id") != expected.prediction_id  # minted anew for every prediction
    expected.ClearField("prediction_id")
    assert_close(json_format.MessageToDict(expected, preserving_proto_field_name=True), served)
