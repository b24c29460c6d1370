"""Experiments on a real server: hot-reloaded from the registry, each response names its experiment
and arm (the arm the documented hash gives), a named version bypasses the experiment and is logged
so, a case without the unit field is INVALID_ARGUMENT, and a version that fails to load is dropped
with no failed call. The log holds the assignment with its propensity."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import grpc
import pytest

from supportability.client import Client
from supportability.errors import SupportabilityError
from supportability.experiments import assignment
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.store import ExperimentStore
from supportability.online.sql_store import SqlStore
from supportability.registry import Registry
from supportability.testing import ServerProcess
from supportability.v1 import model_service_pb2
from supportability.v1 import support_case_pb2 as sc


def _case(merchant: str) -> sc.SupportCase:
    return sc.SupportCase(
        subject="Payout has not arrived",
        body="Our weekly payout is late again.",
        channel=sc.CHANNEL_EMAIL,
        account=sc.AccountContext(merchant_id=merchant),
    )


@pytest.fixture
def registry(registry_path: Path, tmp_path: Path) -> tuple[Registry, list[str]]:
    """A copy of the registry with the promoted version, a byte-identical twin under a new name,
    and a third copy whose weights were tampered with (it fails its checksum)."""
    root = tmp_path / "registry"
    original = Registry(registry_path).promoted_version()
    assert original is not None
    versions = [original, f"{original}-twin", f"{original}-broken"]
    for version in versions:
        shutil.copytree(registry_path / "versions" / original, root / "versions" / version)
        manifest_path = root / "versions" / version / "manifest.json"
        manifest_path.write_text(json.dumps(json.loads(manifest_path.read_text()) | {"version": version}))
    with (root / "versions" / versions[2] / "arrays.npz").open("ab") as f:
        f.write(b"tampered")
    Registry(root).promote(original)
    return Registry(root), versions


def _wait_live(client: Client, name: str, timeout: float = 20) -> model_service_pb2.Experiment:
    deadline = time.monotonic() + timeout
    while True:
        experiment = client.get_experiment(name).experiment
        if any(arm.active for arm in experiment.arms):
            return experiment
        assert time.monotonic() < deadline, "the server never picked the experiment up"
        time.sleep(0.05)


def test_an_experiment_assigns_serves_and_logs(registry: tuple[Registry, list[str]], tmp_path: Path) -> None:
    reg, (original, twin, broken) = registry
    store_url = f"sqlite:///{tmp_path}/online.db"
    experiments = ExperimentStore(reg)
    arms = [Arm(original, 0.4), Arm(twin, 0.3), Arm(broken, 0.3)]
    experiments.create(new_experiment("routing-ab", arms, unit="merchant_id", mode="ab"))
    server = ServerProcess(reg.path, "--reload-interval-seconds", "0.1", "--store", store_url)
    with server, Client(server.target, retries=False) as client:
        assert client.get_experiment("routing-ab").experiment.state == model_service_pb2.EXPERIMENT_STATE_DRAFT
        experiments.move("routing-ab", "start")
        live = _wait_live(client, "routing-ab")
        assert [(a.version, a.active) for a in live.arms] == [(original, True), (twin, True), (broken, False)]

        served = {}
        for i in range(300):  # no call fails: the broken arm's units go to the others
            merchant = f"acct_{i}"
            prediction = client.predict_case(_case(merchant)).prediction
            assert prediction.experiment.experiment == "routing-ab"
            assert prediction.experiment.arm == prediction.model_version
            served[merchant] = prediction.model_version
        expected = {m: assignment.assign("routing-ab", {original: 0.4, twin: 0.3}, m) for m in served}
        assert served == expected
        assert set(served.values()) == {original, twin}

        bypass = client.predict_case(_case("acct_1"), model_version=twin).prediction
        assert (bypass.model_version, bypass.experiment.experiment, bypass.experiment.arm) == (
            twin,
            "routing-ab",
            "",
        )

        with pytest.raises(SupportabilityError) as missing:
            client.predict_case(_case(""))
        assert missing.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in missing.value.violations] == ["support_case.account.merchant_id"]
        assert "experiment routing-ab assigns by merchant_id" in missing.value.violations[0].description

        with pytest.raises(SupportabilityError) as unknown:
            client.get_experiment("nope")
        assert unknown.value.code == grpc.StatusCode.NOT_FOUND and unknown.value.reason == "EXPERIMENT_NOT_FOUND"

        experiments.move("routing-ab", "pause")
        deadline = time.monotonic() + 20
        while client.predict_case(_case("acct_9")).prediction.HasField("experiment"):
            assert time.monotonic() < deadline, "a paused experiment kept assigning"
            time.sleep(0.05)
    store = SqlStore(store_url)
    try:
        frame = store.frame()
    finally:
        store.close()
    logged = {
        (u, a, p) for e, u, a, p in zip(frame.experiment, frame.unit_id, frame.arm, frame.propensity, strict=True) if a
    }
    assert {(u, a) for u, a, _ in logged} == set(served.items())
    assert {round(p, 6) for _, a, p in logged} == {round(0.4 / 0.7, 6), round(0.3 / 0.7, 6)}
    bypassed = [
        (u, m)
        for e, a, u, m in zip(frame.experiment, frame.arm, frame.unit_id, frame.model_version, strict=True)
        if e and not a
    ]
    assert bypassed == [("acct_1", twin)]


def test_a_shadow_scores_off_the_request_path_in_its_own_process(
    registry: tuple[Registry, list[str]], tmp_path: Path
) -> None:
    reg, (original, twin, _) = registry
    store_url = f"sqlite:///{tmp_path}/online.db"
    experiments = ExperimentStore(reg)
    experiments.create(new_experiment("shadow-1", [Arm(original, 1.0), Arm(twin, 0.0)], unit="case_id", mode="shadow"))
    experiments.move("shadow-1", "start")
    server = ServerProcess(reg.path, "--reload-interval-seconds", "0.1", "--store", store_url)
    with server, Client(server.target, retries=False) as client:
        _wait_live(client, "shadow-1")
        served = []
        for i in range(50):
            case = _case(f"acct_{i}")
            case.case_id = f"case-{i}"
            prediction = client.predict_case(case).prediction
            assert prediction.model_version == original
            assert not prediction.HasField("experiment")  # a shadow changes nothing the caller sees
            served.append(prediction)
    store = SqlStore(store_url)  # the server stopped: the shadow process stored what it had queued
    try:
        for prediction in served:
            [shadow] = store.shadow_predictions(prediction.prediction_id)
            assert (shadow.model_version, shadow.experiment) == (twin, "shadow-1")
            assert shadow.routing[0][0] == prediction.routing.top_queues[0].queue  # the twin: the same answer
            logged = store.prediction_record(prediction_id=prediction.prediction_id).prediction
            assert (logged.experiment, logged.arm) == ("shadow-1", original)
    finally:
        store.close()
