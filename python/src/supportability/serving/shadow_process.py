"""Shadows scored in a process of their own, so their Python work never takes the serving
process's GIL (the shadow thread, scoring beside the caller, doubled the primary's mean time
in-process; benchmarks/experiments.py measures both).

The serving side only pickles a small `ShadowJob` into a bounded queue (a full queue drops it);
the child, niced below the server as the writer process is, loads each shadow version from the
registry itself, scores in batches with its own deadline (experiments/shadow.py) and writes the
results into the online store under the served predictions' ids. The child is started by the
predictor's reload when a shadow experiment loads (and started again there if it died), so no
request waits for a process to spawn and load its models.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from supportability.domain import Case
from supportability.experiments.shadow import QUEUE_SIZE, ShadowCounts, ShadowJob, ShadowScorer, offer_or_count
from supportability.models import SupportModel
from supportability.serving import convert
from supportability.v1 import prediction_pb2

log = logging.getLogger(__name__)
NICENESS = 10
_SCORED_TOP_K = 3  # the service's defaults (predictor.py): the shadow answers what the caller would get
_SCORED_ARTICLES = 3


class Shadows(Protocol):
    counts: ShadowCounts

    def start(self) -> None: ...

    def offer(self, job: ShadowJob) -> bool: ...

    def close(self, timeout: float = 10.0) -> None: ...


def score_shadow(
    model: SupportModel, cases: Sequence[Case], prediction_ids: Sequence[str]
) -> list[prediction_pb2.CasePrediction]:
    """What `model` would have served for each case, under the served prediction's id."""
    results = model.predict(cases, top_k=_SCORED_TOP_K, article_count=_SCORED_ARTICLES, explain=False)
    return [
        convert.prediction_to_proto(r, case_id=c.case_id, model_version=model.info.version, prediction_id=pid)
        for r, c, pid in zip(results, cases, prediction_ids, strict=True)
    ]


class ShadowProcess:
    """`Shadows` in a child process. `start` (called by the predictor's reload when a shadow
    experiment loads, off the request path) spawns it, or spawns it again if it died. `offer` only
    queues, and drops (counted) while the child is still loading, as those jobs would only wait out
    their deadline; a child that is starting, slow or dead costs the caller nothing but dropped jobs."""

    def __init__(self, registry_path: str, store_url: str, *, queue_size: int = QUEUE_SIZE) -> None:
        self.registry_path, self.store_url, self.queue_size = registry_path, store_url, queue_size
        self._context = multiprocessing.get_context("spawn")  # never fork a process that runs gRPC
        self._queue: Any = self._context.Queue(maxsize=queue_size)
        self._process: Any = None
        self._ready: Any = self._context.Event()  # set by the child once its shadow models are loaded
        self._seen_ready = False  # a plain bool on the request path, once the event was seen set
        self._lock = threading.Lock()
        self.counts = ShadowCounts()  # what this side sees: the jobs dropped at a full queue

    def start(self) -> None:
        with self._lock:
            if self._process is not None and self._process.is_alive():
                return
            if self._process is not None:
                # A child that died may hold the queue's lock: a new child gets a new queue.
                log.error("shadow process ended; starting another", extra={"exit_code": self._process.exitcode})
                self._queue = self._context.Queue(maxsize=self.queue_size)
                self._ready, self._seen_ready = self._context.Event(), False
            self._process = self._context.Process(
                target=_child,
                args=(self.registry_path, self.store_url, self._queue, self._ready),
                name="shadows",
                daemon=True,
            )
            self._process.start()

    def offer(self, job: ShadowJob) -> bool:
        if not self._seen_ready:
            if not self._ready.is_set():
                self.counts.dropped_starting += 1
                return False
            self._seen_ready = True
        return offer_or_count(self._queue, job, self.counts)

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
                with contextlib.suppress(queue.Full):
                    self._queue.put(None, timeout=timeout)
                self._process.join(timeout)
                if self._process.is_alive():
                    self._process.terminate()
                self._process = None


def _child(registry_path: str, store_url: str, jobs: Any, ready: Any) -> None:
    from supportability.experiments.store import ExperimentStore
    from supportability.online.sql_store import SqlStore
    from supportability.registry import ArtifactError, ModelNotFoundError, Registry

    os.nice(NICENESS)
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

    scorer = ShadowScorer(score_shadow, store.log_shadow_predictions, model)
    for experiment in ExperimentStore(registry).running():  # loaded before the first job, not while it waits
        for version in experiment.shadows:
            model(version)
    scorer.start()
    ready.set()
    try:
        while (job := jobs.get()) is not None:
            scorer.offer(job)
    finally:
        scorer.close()
        store.close()
