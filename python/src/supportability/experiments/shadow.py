"""`ShadowScorer`: shadow versions score served cases off the request path.

The request path only offers a job to a bounded queue (never blocking: a full queue drops the job
and counts it). A job carries the served case in its wire form, so building it costs the request
path one C serialisation, not a conversion, and crossing to a shadow process costs a pickle of
bytes. `score` drops the jobs past their own deadline, scores the rest with each shadow model in
vectorised calls of `CHUNK` cases with a short sleep between them (so that what waits for the core
never waits long), and stores the results in one write, under the served prediction's id, so
the online report can judge both versions on the same outcome. In-process, one worker thread
gathers jobs for up to `LINGER_SECONDS` (at most `BATCH`) and scores them; scoring case by case
cost the primary more than half again its mean time (the shadow thread holding the GIL between
calls), in batches the model's per-case overhead is paid once per batch. The server moves all of
this to a process of its own (serving/shadow_process.py). A shadow that raises is logged and
counted; nothing of a shadow (its result, its failure, its time) reaches the caller.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from supportability.models import SupportModel
from supportability.online.records import ACTION_NAMES
from supportability.online.store import ShadowPrediction
from supportability.v1 import prediction_pb2

log = logging.getLogger(__name__)
QUEUE_SIZE = 1_000
DEADLINE_SECONDS = 2.0
BATCH = 200  # jobs per vectorised scoring call and store write
# How long jobs are gathered before scoring, well inside the deadline. The vectorised call's cost per
# case falls with the batch: at concurrency 1 (~800 calls/s), 0.25 s (batches of 200) cut what the
# shadow adds to the server's CPU per call from 0.19 to 0.05 ms, against 0.05 s (batches of ~40).
# The serving side's queue (QUEUE_SIZE) holds 0.25 s of 4,000 calls/s.
LINGER_SECONDS = 0.25
# Cases per vectorised call. A call runs uninterrupted, and what waits for its core waits the whole
# call: 200 cases take ~10 ms, 25 ~1.2 ms, at about the same cost a case (48 us both, measured).
CHUNK = 25
# The scorer sleeps this long between calls. A sleeping process hands its core to whatever waits for
# it, even a task of another session, which the shadow process's SCHED_IDLE does not let preempt it
# under autogroup scheduling (the load generator's, in bench/experiments.py).
PAUSE_SECONDS = 0.0002

# (model, serialized SupportCases, prediction ids) -> the CasePredictions the model would have served
Score = Callable[[SupportModel, Sequence[bytes], Sequence[str]], list[prediction_pb2.CasePrediction]]


class ShadowJob(NamedTuple):
    """Small, and a tuple: built on the request path and pickled to a shadow process
    (serving/shadow_process.py); a frozen dataclass took about twice as long to build and to pickle."""

    experiment: str
    prediction_id: str
    case: bytes  # the served support_case_pb2.SupportCase, serialized
    versions: tuple[str, ...]  # the shadow versions to score it with
    offered: float  # time.monotonic() when the request path offered it (system-wide on Linux)


@dataclass
class ShadowCounts:
    scored: int = 0
    dropped_full: int = 0  # the queue was full: the request path never waits
    dropped_starting: int = 0  # the shadow process was still starting (its jobs would have waited past the deadline)
    dropped_late: int = 0  # the job waited past its deadline
    failed: int = 0
    store_failed: int = 0


class _JobQueue(Protocol):
    def put_nowait(self, job: ShadowJob) -> None: ...


def offer_or_count(jobs: _JobQueue, job: ShadowJob, counts: ShadowCounts) -> bool:
    """Queue a job without waiting (a thread's queue or a process's); False, counted, when full."""
    try:
        jobs.put_nowait(job)
        return True
    except queue.Full:
        counts.dropped_full += 1
        return False


class ShadowScorer:
    def __init__(
        self,
        score: Score,
        sink: Callable[[Sequence[ShadowPrediction]], None],
        models: Callable[[str], SupportModel | None],
        *,
        queue_size: int = QUEUE_SIZE,
        deadline_seconds: float = DEADLINE_SECONDS,
    ) -> None:
        self._score, self._sink, self._models, self.deadline_seconds = score, sink, models, deadline_seconds
        self._queue: queue.Queue[ShadowJob | None] = queue.Queue(maxsize=queue_size)
        self.counts = ShadowCounts()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def offer(self, job: ShadowJob) -> bool:
        """Queue a job without waiting; False (and counted) when the queue is full. Before `start`,
        jobs wait in the queue (the request path never starts the worker)."""
        return offer_or_count(self._queue, job, self.counts)

    def start(self) -> None:
        """Start the worker if it is not running (the predictor calls it when a shadow experiment loads)."""
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="shadow-scorer", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Score what is queued (starting the worker if it never was), then stop the worker."""
        if self._thread is None and self._queue.empty():
            return
        self.start()
        assert self._thread is not None
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def _gather(self) -> list[ShadowJob | None]:
        jobs = [self._queue.get()]
        until = time.monotonic() + LINGER_SECONDS
        while len(jobs) < BATCH and jobs[-1] is not None:
            try:
                jobs.append(self._queue.get(timeout=max(until - time.monotonic(), 0)))
            except queue.Empty:
                break
        return jobs

    def _work(self) -> None:
        while True:
            jobs = self._gather()
            self.score([job for job in jobs if job is not None])
            if None in jobs:
                return

    def score(self, jobs: Sequence[ShadowJob]) -> None:
        """Score and store a batch now, on the caller's thread (the shadow process's loop calls it)."""
        results = self._run(jobs)
        if results:
            try:
                self._sink(results)
            except Exception:  # the store is down: shadows are best effort, never retried
                self.counts.store_failed += len(results)
                log.exception("storing shadow predictions failed")

    def _run(self, jobs: Sequence[ShadowJob]) -> list[ShadowPrediction]:
        now = time.monotonic()
        fresh = [job for job in jobs if now - job.offered <= self.deadline_seconds]
        self.counts.dropped_late += len(jobs) - len(fresh)
        by_version: dict[str, list[ShadowJob]] = {}
        for job in fresh:
            for version in job.versions:
                by_version.setdefault(version, []).append(job)
        out = []
        for version, batch in by_version.items():
            model = self._models(version)
            if model is None:  # no longer loaded (the experiment changed): nothing to score with
                self.counts.failed += len(batch)
                continue
            try:
                predictions, seconds = self._score_in_chunks(model, batch)
            except Exception:
                self.counts.failed += len(batch)
                log.exception(
                    "shadow version failed",
                    extra={"experiment": batch[0].experiment, "model_version": version},
                )
                continue
            latency_ms = seconds * 1e3 / len(batch)  # per case, of the batch
            when = datetime.now(UTC)
            self.counts.scored += len(batch)
            out += [
                ShadowPrediction(
                    prediction_id=job.prediction_id,
                    model_version=version,
                    experiment=job.experiment,
                    predict_time=when,
                    latency_ms=latency_ms,
                    routing=tuple((q.queue, q.probability) for q in p.routing.top_queues),
                    decision_action=ACTION_NAMES.get(p.decision.action) if p.HasField("decision") else None,
                    prediction=p.SerializeToString(),
                )
                for job, p in zip(batch, predictions, strict=True)
            ]
        return out

    def _score_in_chunks(
        self, model: SupportModel, batch: Sequence[ShadowJob]
    ) -> tuple[list[prediction_pb2.CasePrediction], float]:
        """`batch`'s predictions, CHUNK cases a call with a pause after each, and the seconds the
        calls took (the pauses left out)."""
        predictions: list[prediction_pb2.CasePrediction] = []
        seconds = 0.0
        for start in range(0, len(batch), CHUNK):
            chunk = batch[start : start + CHUNK]
            started = time.perf_counter()
            predictions += self._score(model, [j.case for j in chunk], [j.prediction_id for j in chunk])
            seconds += time.perf_counter() - started
            time.sleep(PAUSE_SECONDS)
        return predictions, seconds
