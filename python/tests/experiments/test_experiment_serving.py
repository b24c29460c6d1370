"""Experiments on a real server: hot-reloaded from the registry, each response names its experiment
and arm (the arm the documented hash gives), a named version bypasses the experiment and is logged
so, a case without the unit field is INVALID_ARGUMENT, and a version that fails to load is dropped
with no failed call. The log holds the assignment with its propensity."""

from __future__ import annotations

import time
from pathlib import Path

import grpc
import pytest

from supportability.client import Client
from supportability.errors import SupportabilityError
from supportability.experiments import assignment, bandit
from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.store import ExperimentStore
from supportability.online.sql_store import SqlStore
from supportability.registry import Registry
from supportability.testing import ServerProcess, registry_with_twins
from supportability.v1 import model_service_pb2, outcome_pb2
from supportability.v1 import support_case_pb2 as sc


def _case(merchant: str, case_id: str = "") -> sc.SupportCase:
    return sc.SupportCase(
        case_id=case_id,
        subject="Payout has not arrived",
        body="Our weekly payout is late again.",
        channel=sc.CHANNEL_EMAIL,
        account=sc.AccountContext(merchant_id=merchant),
    )


def _running(reg: Registry, name: str, arms: list[Arm], unit: str, mode: str) -> ExperimentStore:
    """The registry's experiments, with `name` created and started."""
    experiments = ExperimentStore(reg)
    experiments.create(new_experiment(name, arms, unit=unit, mode=mode))
    experiments.move(name, "start")
    return experiments


@pytest.fixture
def registry(registry_path: Path, tmp_path: Path) -> tuple[Registry, list[str]]:
    """A copy of the registry with the promoted version, a byte-identical twin under a new name,
    and a third copy whose weights were tampered with (it fails its checksum)."""
    root = tmp_path / "registry"
    versions = registry_with_twins(registry_path, root, "-twin", "-broken")
    with (root / "versions" / versions[2] / "arrays.npz").open("ab") as f:
        f.write(b"tampered")
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


def _wait_shadow_ready(client: Client, store_url: str, timeout: float = 30) -> None:
    """The shadow process starts when the experiment loads and drops jobs until its models are
    loaded: send cases until one's shadow prediction is stored."""
    store, deadline = SqlStore(store_url), time.monotonic() + timeout
    try:
        while True:
            prediction_id = client.predict_case(_case("acct_warm", "case-warm")).prediction.prediction_id
            time.sleep(0.2)
            if store.shadow_predictions(prediction_id):
                return
            assert time.monotonic() < deadline, "the shadow process never stored a prediction"
    finally:
        store.close()


def test_a_shadow_scores_off_the_request_path_in_its_own_process(
    registry: tuple[Registry, list[str]], tmp_path: Path
) -> None:
    reg, (original, twin, _) = registry
    store_url = f"sqlite:///{tmp_path}/online.db"
    _running(reg, "shadow-1", [Arm(original, 1.0), Arm(twin, 0.0)], "case_id", "shadow")
    server = ServerProcess(reg.path, "--reload-interval-seconds", "0.1", "--store", store_url)
    with server, Client(server.target, retries=False) as client:
        _wait_live(client, "shadow-1")
        _wait_shadow_ready(client, store_url)
        served = []
        for i in range(50):
            prediction = client.predict_case(_case(f"acct_{i}", f"case-{i}")).prediction
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


def test_a_batch_is_assigned_case_by_case_and_each_case_is_logged(
    registry: tuple[Registry, list[str]], tmp_path: Path
) -> None:
    reg, (original, twin, _) = registry
    store_url = f"sqlite:///{tmp_path}/online.db"
    _running(reg, "batch-ab", [Arm(original, 0.5), Arm(twin, 0.5)], "case_id", "ab")
    cases = [_case(f"acct_{i % 7}", f"case-{i}") for i in range(200)]
    server = ServerProcess(reg.path, "--reload-interval-seconds", "0.1", "--store", store_url)
    with server, Client(server.target, retries=False) as client:
        _wait_live(client, "batch-ab")
        predictions = client.batch_predict_cases(cases).predictions
        served = {p.case_id: p.model_version for p in predictions}
        assert [p.case_id for p in predictions] == [c.case_id for c in cases]  # the order is kept
        assert all((p.experiment.experiment, p.experiment.arm) == ("batch-ab", p.model_version) for p in predictions)
        assert served == {c: assignment.assign("batch-ab", {original: 0.5, twin: 0.5}, c) for c in served}
        assert set(served.values()) == {original, twin}  # both arms in one batch

        bypass = client.batch_predict_cases(cases[:3], model_version=twin).predictions
        assert {(p.model_version, p.experiment.arm) for p in bypass} == {(twin, "")}

        unassignable = list(cases[:5])
        unassignable[3] = _case("acct_3")  # no case id: the unit this experiment assigns by
        with pytest.raises(SupportabilityError) as missing:
            client.batch_predict_cases(unassignable)
        assert missing.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in missing.value.violations] == ["support_cases[3].case_id"]
    store = SqlStore(store_url)
    try:
        frame = store.frame()
    finally:
        store.close()
    rows = list(zip(frame.experiment, frame.unit_id, frame.arm, frame.propensity, frame.model_version, strict=True))
    assert len(rows) == 203  # one row per case; the refused batch logged nothing
    assert {u: a for e, u, a, p, m in rows if a} == served
    assert {(e, p) for e, u, a, p, m in rows if a} == {("batch-ab", 0.5)}
    assert [(e, u, m) for e, u, a, p, m in rows if not a] == [("batch-ab", f"case-{i}", twin) for i in range(3)]


def test_the_server_updates_a_bandit_from_the_stored_outcomes_counting_each_once(
    registry: tuple[Registry, list[str]], tmp_path: Path
) -> None:
    reg, (original, twin, _) = registry
    store_url = f"sqlite:///{tmp_path}/online.db"
    experiments = _running(reg, "bandit-1", [Arm(original, 0.5), Arm(twin, 0.5)], "case_id", "bandit")
    server = ServerProcess(
        reg.path, "--reload-interval-seconds", "0.1", "--store", store_url, "--bandit-update-interval-seconds", "0.5"
    )
    with server, Client(server.target, retries=False) as client:
        _wait_live(client, "bandit-1")
        outcomes, served = [], {original: 0, twin: 0}
        for i in range(120):
            p = client.predict_case(_case(f"acct_{i}", f"case-{i}")).prediction
            served[p.model_version] += 1
            # The twin's top queue turns out right, the original's wrong (its second choice was).
            right = p.routing.top_queues[0 if p.model_version == twin else 1].queue
            outcomes.append(outcome_pb2.Outcome(prediction_id=p.prediction_id, resolved_queue=right))
        deadline = time.monotonic() + 20
        while True:  # the log is written off the request path
            try:
                client.get_prediction_record(prediction_id=outcomes[-1].prediction_id)
                break
            except SupportabilityError:
                assert time.monotonic() < deadline, "the predictions were never logged"
                time.sleep(0.05)
        client.batch_record_outcomes(outcomes)
        client.batch_record_outcomes(outcomes)  # sent twice: stored once
        deadline = time.monotonic() + 20
        while (weights := {a.version: a.weight for a in client.get_experiment("bandit-1").experiment.arms})[twin] < 0.9:
            assert time.monotonic() < deadline, f"the server never updated the bandit: {weights}"
            time.sleep(0.1)
        assert weights[original] >= 0.01 - 1e-9 and sum(weights.values()) == pytest.approx(1)
    assert experiments.get("bandit-1").weights_time is not None
    store = SqlStore(store_url)
    try:
        counts = bandit.rewards(experiments.get("bandit-1"), store.frame())
    finally:
        store.close()
    assert counts == {original: (0, served[original]), twin: (served[twin], served[twin])}
