"""Shadows: the caller's response is byte-identical with and without one, both predictions are
stored under one prediction id, and a failing, slow or flooded shadow never reaches the primary."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

from supportability.experiments.definition import Arm, new_experiment
from supportability.experiments.shadow import CHUNK, ShadowJob, ShadowScorer
from supportability.experiments.store import ExperimentStore
from supportability.models import SupportModel
from supportability.online.loop import open_loop
from supportability.online.sql_store import SqlStore
from supportability.online.store import ShadowPrediction
from supportability.registry import Registry
from supportability.serving import predictor as predictor_module
from supportability.serving import shadow_process
from supportability.serving.predictor import Predictor
from supportability.serving.shadow_process import ShadowProcess
from supportability.testing import registry_with_twins
from supportability.v1 import prediction_pb2, prediction_service_pb2
from supportability.v1 import support_case_pb2 as sc

REQUEST = prediction_service_pb2.PredictCaseRequest(
    request_id="00000000-0000-4000-8000-000000000001",
    support_case=sc.SupportCase(
        case_id="case-1",
        subject="Payout has not arrived",
        body="Our weekly payout is late again.",
        channel=sc.CHANNEL_EMAIL,
        account=sc.AccountContext(merchant_id="acct_1"),
    ),
)
FIXED_ID = uuid.UUID("01900000-0000-7000-8000-000000000001")


@pytest.fixture
def registry(registry_path: Path, tmp_path: Path) -> tuple[Registry, str, str]:
    root = tmp_path / "registry"
    original, shadow = registry_with_twins(registry_path, root, "-shadow")
    return Registry(root), original, shadow


def test_the_response_is_byte_identical_and_both_predictions_are_stored(
    registry: tuple[Registry, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, original, shadow = registry
    monkeypatch.setattr(predictor_module, "new_prediction_ids", lambda n: [str(FIXED_ID)] * n)  # what differs per call
    online = open_loop(f"sqlite:///{tmp_path}/online.db", reg)
    predictor = Predictor(reg, online=online)
    try:
        without = predictor.predict_case(REQUEST).SerializeToString()
        experiments = ExperimentStore(reg)
        arms = [Arm(original, 1.0), Arm(shadow, 0.0)]
        experiments.create(new_experiment("shadow-1", arms, unit="case_id", mode="shadow"))
        experiments.move("shadow-1", "start")
        predictor.reload()
        assert predictor.experiments.live and predictor.experiments.live[0].shadows
        with_shadow = predictor.predict_case(REQUEST).SerializeToString()
        assert with_shadow == without
        predictor.shadows.close()
        assert predictor.shadows.counts.scored == 1
        assert online.flush()
        [stored] = online.store.shadow_predictions(str(FIXED_ID))
        assert (stored.model_version, stored.experiment) == (shadow, "shadow-1")
        shadow_prediction = prediction_pb2.CasePrediction.FromString(stored.prediction)
        primary = prediction_service_pb2.PredictCaseResponse.FromString(with_shadow).prediction
        assert shadow_prediction.prediction_id == primary.prediction_id
        assert shadow_prediction.model_version == shadow
        assert [q.queue for q in shadow_prediction.routing.top_queues] == [q.queue for q in primary.routing.top_queues]
    finally:
        online.close()


class _Model:
    def __init__(self, version: str) -> None:
        self.info = type("Info", (), {"version": version})()


def _job(versions: tuple[str, ...]) -> ShadowJob:
    return ShadowJob("shadow-1", "pid-1", REQUEST.support_case.SerializeToString(), versions, time.monotonic())


def _model(version: str) -> SupportModel:
    return _Model(version)  # type: ignore[return-value]  # only `info.version` is read


def _scored(
    model: object, cases: Sequence[bytes], prediction_ids: Sequence[str]
) -> list[prediction_pb2.CasePrediction]:
    version = model.info.version  # type: ignore[attr-defined]
    if version == "broken":
        raise RuntimeError("this shadow is broken")
    return [prediction_pb2.CasePrediction(prediction_id=pid, model_version=version) for pid in prediction_ids]


def test_a_failing_shadow_is_counted_and_the_others_are_stored() -> None:
    stored: list[ShadowPrediction] = []
    scorer = ShadowScorer(_scored, stored.extend, _model)
    scorer.start()
    assert scorer.offer(_job(("broken", "fine")))
    scorer.close()
    assert scorer.counts.failed == 1 and [s.model_version for s in stored] == ["fine"]


def test_a_slow_shadow_misses_its_deadline_and_a_full_queue_never_blocks() -> None:
    release = threading.Event()

    def slow(
        model: object, cases: Sequence[bytes], prediction_ids: Sequence[str]
    ) -> list[prediction_pb2.CasePrediction]:
        release.wait(5)
        return _scored(model, cases, prediction_ids)

    stored: list[ShadowPrediction] = []
    scorer = ShadowScorer(slow, stored.extend, _model, queue_size=2, deadline_seconds=0.05)
    scorer.start()
    started = time.monotonic()
    offered = [scorer.offer(_job(("v",))) for _ in range(20)]
    assert time.monotonic() - started < 0.5  # the request path never waits on the shadow
    assert not all(offered) and scorer.counts.dropped_full >= 17
    time.sleep(0.1)  # the queued jobs are now past their deadline
    release.set()
    scorer.close()
    assert scorer.counts.dropped_late >= 1
    assert scorer.counts.scored + scorer.counts.dropped_late + scorer.counts.dropped_full == 20


def test_a_batch_is_scored_in_chunks_and_stored_whole_in_order() -> None:
    calls: list[int] = []

    def counted(
        model: object, cases: Sequence[bytes], prediction_ids: Sequence[str]
    ) -> list[prediction_pb2.CasePrediction]:
        calls.append(len(cases))
        return _scored(model, cases, prediction_ids)

    stored: list[list[ShadowPrediction]] = []
    jobs = [_job(("v",))._replace(prediction_id=f"pid-{i}") for i in range(2 * CHUNK + 3)]
    ShadowScorer(counted, stored.append, _model).score(jobs)
    assert calls == [CHUNK, CHUNK, 3]  # no call runs long: each is at most CHUNK cases
    assert len(stored) == 1 and [s.prediction_id for s in stored[0]] == [j.prediction_id for j in jobs]


def test_a_store_that_fails_is_counted_not_raised() -> None:
    def down(_: object) -> None:
        raise OSError("database is locked")

    scorer = ShadowScorer(_scored, down, _model)
    scorer.start()
    scorer.offer(_job(("v",)))
    scorer.close()
    assert scorer.counts.store_failed == 1


def test_a_version_no_longer_loaded_is_counted_as_failed() -> None:
    scorer = ShadowScorer(_scored, [].extend, lambda version: None)
    scorer.start()
    scorer.offer(_job(("gone",)))
    scorer.close()
    assert scorer.counts.failed == 1 and scorer.counts.scored == 0


def test_the_shadow_process_starts_when_the_experiment_loads_and_again_after_it_dies(
    registry: tuple[Registry, str, str], tmp_path: Path
) -> None:
    reg, original, shadow = registry
    store_url = f"sqlite:///{tmp_path}/online.db"
    SqlStore(store_url).close()  # the schema, as the server's online loop makes it
    predictor = Predictor(reg)
    predictor.shadows = process = ShadowProcess(str(reg.path), store_url)
    try:
        assert not process.offer(_job((shadow,))) and process.pid is None  # nothing runs before an experiment
        experiments = ExperimentStore(reg)
        experiments.create(
            new_experiment("shadow-1", [Arm(original, 1.0), Arm(shadow, 0.0)], unit="case_id", mode="shadow")
        )
        experiments.move("shadow-1", "start")
        predictor.reload()  # the reload, not a request, starts the process
        first = process.pid
        assert first is not None and process.wait_ready(60)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while process.pid == first:
            assert time.monotonic() < deadline, "a dead shadow process was not started again"
            predictor.reload()
            time.sleep(0.05)
        assert process.wait_ready(60)
        assert process.counts.dropped_starting >= 1 and process.offer(_job((shadow,)))
    finally:
        process.close()


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_the_shadow_process_runs_only_on_idle_cores_and_a_stalled_one_costs_the_request_path_no_wait(
    registry: tuple[Registry, str, str], tmp_path: Path
) -> None:
    reg, original, shadow = registry
    store_url = f"sqlite:///{tmp_path}/online.db"
    SqlStore(store_url).close()
    experiments = ExperimentStore(reg)
    experiments.create(
        new_experiment("shadow-1", [Arm(original, 1.0), Arm(shadow, 0.0)], unit="case_id", mode="shadow")
    )
    experiments.move("shadow-1", "start")
    process = ShadowProcess(str(reg.path), store_url, queue_size=20)
    process.start()
    try:
        assert process.wait_ready(60) and process.pid is not None
        threads = os.listdir(f"/proc/{process.pid}/task")
        assert {os.sched_getscheduler(int(t)) for t in threads} == {os.SCHED_IDLE}  # every thread of it
        os.kill(process.pid, signal.SIGSTOP)  # a child that never gets a core
        case = REQUEST.support_case.SerializeToString()
        jobs = [ShadowJob("shadow-1", f"pid-{i}", case, (shadow,), time.monotonic()) for i in range(2_000)]
        started = time.monotonic()
        offered = [process.offer(job) for job in jobs]
        assert time.monotonic() - started < 0.5  # the request path never waits on the shadow process
        assert process.counts.dropped_full == offered.count(False) > 0  # bounded, and every drop counted
    finally:
        if process.pid is not None:
            os.kill(process.pid, signal.SIGCONT)
        process.close()


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_the_idle_shadow_process_writes_the_store_at_normal_priority() -> None:
    """Holding SQLite's write lock at SCHED_IDLE, a starved child would stall the outcome writer."""
    if not shadow_process._may_leave_idle():
        pytest.skip("this user may not leave SCHED_IDLE: the shadow process runs niced instead")
    seen: list[int] = []
    write = shadow_process._write_at_normal_priority(lambda _shadows: seen.append(os.sched_getscheduler(0)))

    def idle_thread() -> None:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        write([])
        seen.append(os.sched_getscheduler(0))

    thread = threading.Thread(target=idle_thread)
    thread.start()
    thread.join()
    assert seen == [os.SCHED_OTHER, os.SCHED_IDLE]
