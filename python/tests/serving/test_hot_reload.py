"""Hot reload: promoting another version swaps it in with zero failed calls, and a broken
artifact is rejected while the previous version keeps serving."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from supportability.client import Client
from supportability.errors import SupportabilityError
from supportability.registry import Registry
from supportability.testing import ServerProcess, registry_with_twins
from supportability.v1 import support_case_pb2 as sc

CASE = sc.SupportCase(subject="Card reader offline", body="The terminal will not connect.", channel=sc.CHANNEL_PHONE)


@pytest.fixture
def two_versions(registry_path: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of the registry holding the promoted version and a byte-identical twin under a
    new version name (cheaper than training twice; the swap is what is under test)."""
    registry = tmp_path / "registry"
    original, twin = registry_with_twins(registry_path, registry, "-twin")
    return registry, original, twin


class _Caller(threading.Thread):
    """Predicts in a loop until stopped (bounded), recording versions seen and failures."""

    def __init__(self, target: str) -> None:
        super().__init__(daemon=True)
        self.client = Client(target, retries=False)
        self.stop_event = threading.Event()
        self.versions: list[str] = []
        self.failures: list[SupportabilityError] = []

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            try:
                self.versions.append(self.client.predict_case(CASE).prediction.model_version)
            except SupportabilityError as exc:
                self.failures.append(exc)

    def __enter__(self) -> _Caller:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        self.join(10)

    def wait_for_version(self, version: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not (self.versions and self.versions[-1] == version):
            assert time.monotonic() < deadline, f"still serving {self.versions[-1:]} instead of {version}"
            time.sleep(0.05)


def test_promotion_swaps_versions_without_failed_calls(two_versions: tuple[Path, str, str]) -> None:
    registry, original, twin = two_versions
    with ServerProcess(registry, "--reload-interval-seconds", "0.1") as server, _Caller(server.target) as caller:
        caller.wait_for_version(original)
        Registry(registry).promote(twin)
        caller.wait_for_version(twin)
        Registry(registry).rollback()
        caller.wait_for_version(original)
        assert not caller.failures
        assert {original, twin} <= set(caller.versions)


def test_broken_artifact_is_rejected_and_the_old_version_keeps_serving(two_versions: tuple[Path, str, str]) -> None:
    registry, original, twin = two_versions
    with ServerProcess(registry, "--reload-interval-seconds", "0.1") as server:
        with _Caller(server.target) as caller:
            caller.wait_for_version(original)
            with open(registry / "versions" / twin / "arrays.npz", "ab") as artifact:
                artifact.write(b"tampered")
            # What a bad deploy does: point at a version whose artifact no longer verifies.
            (registry / "promoted.json").write_text(json.dumps({"version": twin, "history": [original]}))
            time.sleep(1.0)  # ten reload checks
        assert not caller.failures
        assert set(caller.versions) == {original}
        server.stop()
        assert "checksum mismatch" in server.log_path.read_text()


def test_not_serving_until_a_model_is_promoted(two_versions: tuple[Path, str, str], tmp_path: Path) -> None:
    source, original, _ = two_versions
    empty = tmp_path / "empty-registry"
    empty.mkdir()
    with ServerProcess(empty, "--reload-interval-seconds", "0.1") as server:
        with grpc.insecure_channel(server.target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            request = health_pb2.HealthCheckRequest(service="supportability.v1.PredictionService")
            assert health.Check(request, timeout=5).status == health_pb2.HealthCheckResponse.NOT_SERVING
            with pytest.raises(SupportabilityError) as caught:
                Client(server.target, retries=False).predict_case(CASE)
            assert (caught.value.code, caught.value.reason) == (grpc.StatusCode.UNAVAILABLE, "MODEL_NOT_LOADED")
            shutil.copytree(source / "versions", empty / "versions")
            Registry(empty).promote(original)
            deadline = time.monotonic() + 20
            while health.Check(request, timeout=5).status != health_pb2.HealthCheckResponse.SERVING:
                assert time.monotonic() < deadline, "never became SERVING"
                time.sleep(0.05)
        assert Client(server.target).predict_case(CASE).prediction.model_version == original


def test_a_request_can_name_a_version_other_than_the_promoted_one(two_versions: tuple[Path, str, str]) -> None:
    from supportability.serving import Predictor
    from supportability.v1 import prediction_service_pb2 as ps

    registry, original, twin = two_versions
    predictor = Predictor(registry)
    named = predictor.predict_case(ps.PredictCaseRequest(support_case=CASE, model_version=twin))
    default = predictor.predict_case(ps.PredictCaseRequest(support_case=CASE))
    assert (named.prediction.model_version, default.prediction.model_version) == (twin, original)


def test_every_worker_swaps_versions(two_versions: tuple[Path, str, str]) -> None:
    """With --workers, each worker checks the registry on its own; a pool of connections reaches all."""
    registry, original, twin = two_versions
    args = ("--workers", "2", "--store", "none", "--reload-interval-seconds", "0.1")
    with ServerProcess(registry, *args) as server, Client(server.target, connections=16) as client:
        assert {client.predict_case(CASE).prediction.model_version for _ in range(32)} == {original}
        Registry(registry).promote(twin)
        deadline = time.monotonic() + 20
        while {client.predict_case(CASE).prediction.model_version for _ in range(32)} != {twin}:
            assert time.monotonic() < deadline, "some worker still serves the old version"
        lines = server.log_path.read_text().splitlines()
        swapped = [line for line in lines if twin in line and "serving model version" in line]
        assert len(swapped) == 2, swapped
