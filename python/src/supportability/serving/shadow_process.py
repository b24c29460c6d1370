"""Shadows scored in a process of their own, so their Python work never takes the serving
process's GIL (the shadow thread, scoring beside the caller, doubled the primary's mean time
in-process; bench/experiments.py measures what is left).

The request path only appends a small `ShadowJob` to a bounded deque (a full one drops it, counted):
no lock, no pickling, no thread woken per call. A sender thread wakes once per batch, lingers
`LINGER_SECONDS`, and writes the gathered jobs to the child's pipe in one pickle of bytes and
strings (a `multiprocessing.Queue` woke its feeder thread and pickled a `Case` for every call:
about 45 us of the serving process's CPU per call, against 5 us now). The child runs at
SCHED_IDLE, so it takes only CPU that nothing else wants: autogroup scheduling ranks plain `nice`
only within the server's session, and at nice 10 the child still took the primary's core. It loads
each shadow version from the registry itself, scores each batch it receives with its own deadline
(experiments/shadow.py) and writes the results into the online store under the served
predictions' ids. Under load the child waits, its jobs pass their deadline or fill the deque, and
are dropped and counted: coverage gives way, never the primary. The child is started by the
predictor's reload when a shadow experiment loads (and started again there if it died), so no
request waits for a process to spawn and load its models.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol

from supportability.experiments.shadow import BATCH, LINGER_SECONDS, QUEUE_SIZE, ShadowCounts, ShadowJob, ShadowScorer
from supportability.models import SupportModel
from supportability.online.store import ShadowPrediction
from supportability.serving import convert
from supportability.v1 import prediction_pb2, support_case_pb2

log = logging.getLogger(__name__)
NICENESS = 10  # where SCHED_IDLE is refused
_SCORED_TOP_K = 3  # the service's defaults (predictor.py): the shadow answers what the caller would get
_SCORED_ARTICLES = 3


class Shadows(Protocol):
    counts: ShadowCounts

    def start(self) -> None: ...

    def offer(self, job: ShadowJob) -> bool: ...

    def close(self, timeout: float = 10.0) -> None: ...


def score_shadow(
    model: SupportModel, cases: Sequence[bytes], prediction_ids: Sequence[str]
) -> list[prediction_pb2.CasePrediction]:
    """What `model` would have served for each serialized case, under the served prediction's id."""
    parsed = [support_case_pb2.SupportCase.FromString(case) for case in cases]
    results = model.predict(
        [convert.case_from_proto(c) for c in parsed], top_k=_SCORED_TOP_K, article_count=_SCORED_ARTICLES, explain=False
    )
    return [
        convert.prediction_to_proto(r, case_id=c.case_id, model_version=model.info.version, prediction_id=pid)
        for r, c, pid in zip(results, parsed, prediction_ids, strict=True)
    ]


class _Outbox:
    """The serving side of one child's pipe: jobs wait in a bounded deque, and a thread sends them
    in batches. A child that ended breaks the pipe: the thread stops, and what it held is logged."""

    def __init__(self, connection: Connection, queue_size: int) -> None:
        self._connection, self._queue_size = connection, queue_size
        self._jobs: collections.deque[ShadowJob] = collections.deque()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._send, name="shadow-sender", daemon=True)
        self._thread.start()

    def offer(self, job: ShadowJob) -> bool:
        """Append without waiting; False when full. Only the first job of a batch wakes the sender."""
        if len(self._jobs) >= self._queue_size:
            return False
        self._jobs.append(job)
        if not self._wake.is_set():
            self._wake.set()
        return True

    def close(self, timeout: float) -> None:
        """Send what is queued, then the end marker."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)

    def _send(self) -> None:
        try:
            while not (self._closing and not self._jobs):
                self._wake.wait()
                if not self._closing:
                    time.sleep(LINGER_SECONDS)  # gather a batch: one wake-up, pickle and write for all of it
                self._wake.clear()  # before draining: a job appended from now on wakes the next round
                while self._jobs:
                    self._connection.send([self._jobs.popleft() for _ in range(min(BATCH, len(self._jobs)))])
            self._connection.send(None)
        except OSError:  # the child ended; start() gives the next child an outbox of its own
            log.error("shadow process gone: its queued jobs are dropped", extra={"dropped": len(self._jobs)})
        finally:
            self._connection.close()


class ShadowProcess:
    """`Shadows` in a child process. `start` (called by the predictor's reload when a shadow
    experiment loads, off the request path) spawns it, or spawns it again if it died. `offer` only
    appends, and drops (counted) while the child is still loading, as those jobs would only wait out
    their deadline; a child that is starting, slow or dead costs the caller nothing but dropped jobs."""

    def __init__(self, registry_path: str, store_url: str, *, queue_size: int = QUEUE_SIZE) -> None:
        self.registry_path, self.store_url, self.queue_size = registry_path, store_url, queue_size
        self._context = multiprocessing.get_context("spawn")  # never fork a process that runs gRPC
        self._process: Any = None
        self._outbox: _Outbox | None = None
        self._ready: Any = self._context.Event()  # set by the child once its shadow models are loaded
        self._seen_ready = False  # a plain bool on the request path, once the event was seen set
        self._lock = threading.Lock()
        self.counts = ShadowCounts()  # what this side sees: the jobs dropped while starting or at a full queue

    def start(self) -> None:
        with self._lock:
            if self._process is not None and self._process.is_alive():
                return
            if self._process is not None:
                log.error("shadow process ended; starting another", extra={"exit_code": self._process.exitcode})
                self._ready, self._seen_ready = self._context.Event(), False
            receiver, sender = self._context.Pipe(duplex=False)
            self._process = self._context.Process(
                target=_child,
                args=(self.registry_path, self.store_url, receiver, self._ready),
                name="shadows",
                daemon=True,
            )
            self._process.start()
            receiver.close()  # the child's end: once the child is gone, a send fails instead of blocking
            self._outbox = _Outbox(sender, self.queue_size)

    def offer(self, job: ShadowJob) -> bool:
        if not self._seen_ready:
            if not self._ready.is_set():
                self.counts.dropped_starting += 1
                return False
            self._seen_ready = True
        outbox = self._outbox
        if outbox is None or not outbox.offer(job):
            self.counts.dropped_full += 1
            return False
        return True

    @property
    def pid(self) -> int | None:
        """The child's process id; None before `start` and after `close`."""
        return None if self._process is None else int(self._process.pid)

    def wait_ready(self, timeout: float) -> bool:
        """True once the child has loaded its models and takes jobs (for tests and benchmarks)."""
        return bool(self._ready.wait(timeout))

    def close(self, timeout: float = 10.0) -> None:
        """Let the child score and store what is queued, then end it."""
        with self._lock:
            if self._process is not None:
                assert self._outbox is not None
                self._outbox.close(timeout)
                self._process.join(timeout)
                if self._process.is_alive():
                    self._process.terminate()
                self._process, self._outbox = None, None
                log.info("shadow jobs dropped on the serving side", extra=dataclasses.asdict(self.counts))


def _run_when_idle() -> bool:
    """SCHED_IDLE (Linux): run only on a core nothing else wants, and yield it at once when the
    server wakes. Refused or unknown elsewhere: plain niceness, which ranks within the session.
    Linux schedules threads: every thread is set, those that imports started (BLAS's) included.

    Only where the child may leave SCHED_IDLE again (`_write_at_normal_priority`; unprivileged
    threads may not, under the default RLIMIT_NICE): True when it runs idle."""
    os.nice(NICENESS)
    if not _may_leave_idle():
        log.warning("shadow process runs niced, not at SCHED_IDLE")
        return False
    for thread in os.listdir("/proc/self/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setscheduler(int(thread), os.SCHED_IDLE, os.sched_param(0))
    return True


def _may_leave_idle() -> bool:
    """Tried on a throwaway thread, which may stay stuck at SCHED_IDLE."""
    allowed: list[bool] = []

    def probe() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            allowed.append(True)
        except (AttributeError, OSError):
            allowed.append(False)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return allowed[0]


def _write_at_normal_priority(write: Callable[[Sequence[ShadowPrediction]], None]) -> Callable[..., None]:
    """The store write, out of SCHED_IDLE while it runs: a starved idle-class child holding SQLite's
    one write lock would stall the outcome writer, and RecordOutcome, behind it."""

    def run(shadows: Sequence[ShadowPrediction]) -> None:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        try:
            write(shadows)
        finally:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))

    return run


def _child(registry_path: str, store_url: str, jobs: Connection, ready: Any) -> None:
    from supportability.experiments.store import ExperimentStore
    from supportability.online.sql_store import SqlStore
    from supportability.registry import ArtifactError, ModelNotFoundError, Registry

    registry, store = Registry(registry_path), SqlStore(store_url)
    models: dict[str, SupportModel | None] = {}

    def model(version: str) -> SupportModel | None:
        if version not in models:
            try:
                models[version] = registry.load(version)
            except (ArtifactError, ModelNotFoundError) as exc:
                log.error("shadow version does not load", extra={"model_version": version, "error": str(exc)})
                models[version] = None
        return models[version]

    for experiment in ExperimentStore(registry).running():  # loaded before the first job, not while it waits
        for version in experiment.shadows:
            model(version)
    # Idle only once loaded: a child starting at SCHED_IDLE on a busy machine may not get the CPU
    # to load its models for minutes.
    idle = _run_when_idle()
    write = _write_at_normal_priority(store.log_shadow_predictions) if idle else store.log_shadow_predictions
    scorer = ShadowScorer(score_shadow, write, model)
    ready.set()
    try:
        while (batch := jobs.recv()) is not None:  # what the sender gathered: already a batch
            scorer.score(batch)
    except EOFError:  # the server ended without a goodbye
        pass
    finally:
        log.info("shadow process ends", extra=dataclasses.asdict(scorer.counts))
        store.close()
