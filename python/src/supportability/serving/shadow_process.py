"""Shadows scored in a process of their own, so their Python work never takes the serving
process's GIL (the shadow thread, scoring beside the caller, doubled the primary's mean time
in-process; benchmarks/experiments.py measures both).

The serving side only pickles a small `ShadowJob` into a bounded queue (a full queue drops it);
the child, niced below the server as the writer process is, loads each shadow version from the
registry itself, scores in batches with its own deadline (experiments/shadow.py) and writes the
results into the online store under the served predictions' ids.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
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
    """`Shadows` in a child process; started at the first job, so a server without shadows has none."""

    def __init__(self, registry_path: str, store_url: str, *, queue_size: int = QUEUE_SIZE) -> None:
        self.registry_path, self.store_url = registry_path, store_url
        context = multiprocessing.get_context("spawn")  # never fork a process that runs gRPC
        self._context = context
        self._queue: Any = context.Queue(maxsize=queue_size)
        self._process: Any = None
        self.counts = ShadowCounts()  # what this side sees: the jobs dropped at a full queue

    def offer(self, job: ShadowJob) -> bool:
        if self._process is None:
            self._process = self._context.Process(
                target=_child, args=(self.registry_path, self.store_url, self._queue), name="shadows", daemon=True
            )
            self._process.start()
        return offer_or_count(self._queue, job, self.counts)

    def close(self, timeout: float = 10.0) -> None:
        """Let the child score and store what is queued, then end it."""
        if self._process is not None:
            self._queue.put(None)
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.terminate()
            self._process = None


def _child(registry_path: str, store_url: str, jobs: Any) -> None:
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
    try:
        while (job := jobs.get()) is not None:
            scorer.offer(job)
    finally:
        scorer.close()
        store.close()
