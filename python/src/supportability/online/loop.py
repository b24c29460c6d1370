"""`OnlineLoop`: the online side as the predictor and the server use it.

It logs served predictions (off the request path, through the writer), and answers the
OutcomeService's requests: validation here, durable writes through the writer's group commit (the
writer builds each write from the outcome's bytes, records.outcome_write),
reads straight from the store. Store errors leave it as the service's `SupportabilityError`s.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from supportability import errors
from supportability.domain import Case
from supportability.features.summary import input_values
from supportability.online import messages
from supportability.online.records import known_queues_of, logged_prediction, outcome_write
from supportability.online.sql_store import SqlStore
from supportability.online.store import (
    Assignment,
    OnlineStore,
    OutcomeConflict,
    PredictionNotFound,
    StoredOutcome,
    StoreError,
    StoreUnavailable,
)
from supportability.online.writer import DEFAULT_QUEUE_SIZE, Committed, OnlineWriter, Writer, WriterEvents
from supportability.registry import Registry
from supportability.v1 import outcome_service_pb2, prediction_pb2

T = TypeVar("T")


def _service_error(exc: BaseException, request_id: str, index: int | None = None) -> BaseException:
    """A store error as the service's error; `index` names the outcome of a batch."""
    where = "" if index is None else f"outcomes[{index}]: "
    if isinstance(exc, PredictionNotFound):
        return errors.prediction_not_found(
            f"{where}{exc}", prediction_id=exc.prediction_id, case_id=exc.case_id, request_id=request_id
        )
    if isinstance(exc, OutcomeConflict):
        return errors.outcome_conflict(
            f"{where}{exc}", prediction_id=exc.prediction_id, field_name=exc.field_name, request_id=request_id
        )
    if isinstance(exc, StoreUnavailable):
        return errors.store_unavailable(str(exc), request_id)
    return exc  # a bug of ours: the server turns it into INTERNAL


class Answer(Generic[T]):
    """The answer to a durable write, once the writer has committed it (or the service's error).

    The server awaits it on its event loop, where the writer process delivers (no thread hand-off);
    `result()` waits for it on any other thread (the in-process `Predictor`)."""

    __slots__ = ("_batch", "_convert", "_future", "_request_id")

    def __init__(
        self, future: Committed, convert: Callable[[list[StoredOutcome]], T], request_id: str, batch: bool
    ) -> None:
        self._future, self._convert, self._request_id, self._batch = future, convert, request_id, batch

    def result(self, timeout: float | None = None) -> T:
        future = self._future
        if isinstance(future, asyncio.Future):
            raise RuntimeError("this answer arrives on the event loop it was asked on: await it there")
        try:
            stored = future.result(timeout)
        except StoreError as exc:
            raise self._error(exc) from exc
        return self._convert(stored)

    def __await__(self) -> Generator[Any, None, T]:
        future = self._future
        waited = future if isinstance(future, asyncio.Future) else asyncio.wrap_future(future)
        try:
            stored = yield from waited.__await__()
        except StoreError as exc:
            raise self._error(exc) from exc
        return self._convert(stored)

    def _error(self, exc: StoreError) -> BaseException:
        return _service_error(exc, self._request_id, exc.index if self._batch else None)


class OnlineLoop:
    """Logs predictions and records outcomes in one `OnlineStore`. One per process."""

    def __init__(
        self,
        store: OnlineStore,
        writer: Writer,
        *,
        log_predictions: bool = True,
        keep_case_text: bool = False,
        retention_days: float = 0.0,
    ) -> None:
        self.store = store  # reads and retention; every write goes through `writer`
        self.writer = writer
        self.log_predictions = log_predictions
        self.keep_case_text = keep_case_text
        self.retention = timedelta(days=retention_days) if retention_days > 0 else None

    # -- predictions -------------------------------------------------------------------------------

    def log(
        self,
        cases: Sequence[Case],
        predictions: Sequence[prediction_pb2.CasePrediction],
        latency_ms: float,
        assignments: Sequence[Assignment | None] | None = None,
    ) -> None:
        """Queue served predictions (with their experiment assignments, when given) for the log;
        never blocks, never fails the prediction."""
        if not self.log_predictions:
            return
        now = time.time()
        placed = assignments or [None] * len(cases)
        log = self.writer.log
        for case, prediction, assignment in zip(cases, predictions, placed, strict=True):
            text = f"{case.subject}\n{case.body}" if self.keep_case_text else None
            log((prediction.SerializeToString(), input_values(case), text, now, latency_ms, assignment))

    # -- outcomes --------------------------------------------------------------------------------

    def record(
        self, request: outcome_service_pb2.RecordOutcomeRequest
    ) -> Answer[outcome_service_pb2.RecordOutcomeResponse]:
        """Validate (raising INVALID_ARGUMENT at once), then record durably; the answer says when."""
        request_id = request.request_id or str(uuid.uuid4())
        violations = (
            messages.outcome_violations(request.outcome, "outcome")
            if request.HasField("outcome")
            else [errors.FieldViolation("outcome", "required")]
        )
        if violations:
            raise errors.invalid_outcome(violations, request_id)
        sent = (request.outcome.SerializeToString(deterministic=True), request_id)
        return Answer(
            self.writer.submit([sent]),
            lambda stored: outcome_service_pb2.RecordOutcomeResponse(
                recorded_outcome=messages.recorded_outcome_to_proto(stored[0]), request_id=request_id
            ),
            request_id,
            False,
        )

    def batch_record(
        self,
        request: outcome_service_pb2.BatchRecordOutcomesRequest,
    ) -> Answer[outcome_service_pb2.BatchRecordOutcomesResponse]:
        """All the outcomes of the batch in one transaction, or none of them."""
        request_id = request.request_id or str(uuid.uuid4())
        violations = messages.batch_size_violations(len(request.outcomes)) + [
            v for i, o in enumerate(request.outcomes) for v in messages.outcome_violations(o, f"outcomes[{i}]")
        ]
        if violations:
            raise errors.invalid_outcome(violations, request_id)
        sent = [(o.SerializeToString(deterministic=True), request_id) for o in request.outcomes]
        return Answer(
            self.writer.submit(sent),
            lambda stored: outcome_service_pb2.BatchRecordOutcomesResponse(
                recorded_outcomes=[messages.recorded_outcome_to_proto(s) for s in stored], request_id=request_id
            ),
            request_id,
            True,
        )

    def get_record(
        self,
        request: outcome_service_pb2.GetPredictionRecordRequest,
    ) -> outcome_service_pb2.GetPredictionRecordResponse:
        """The stored prediction with its outcome and history (a blocking read)."""
        target = request.WhichOneof("target")
        if target is None or not getattr(request, target).strip():
            raise errors.invalid_request(
                [errors.FieldViolation("prediction_id", "required: a prediction_id or a case_id")]
            )
        try:
            record = self.store.prediction_record(prediction_id=request.prediction_id, case_id=request.case_id)
        except StoreError as exc:
            raise _service_error(exc, "") from exc
        return outcome_service_pb2.GetPredictionRecordResponse(
            prediction_record=messages.prediction_record_to_proto(record)
        )

    # -- upkeep ----------------------------------------------------------------------------------

    def prune(self) -> int:
        """Delete records older than the retention period; 0 when retention is off."""
        if self.retention is None:
            return 0
        return self.store.prune(datetime.now(UTC) - self.retention)

    def flush(self, timeout: float = 10.0) -> bool:
        return self.writer.flush(timeout)

    def close(self) -> None:
        self.writer.close()
        self.store.close()


def open_loop(
    store_url: str,
    registry: Registry,
    *,
    writer_process: bool = False,
    queue_size: int = DEFAULT_QUEUE_SIZE,
    events: WriterEvents | None = None,
    event_loop: asyncio.AbstractEventLoop | None = None,
    **options: Any,
) -> OnlineLoop:
    """An `OnlineLoop` on the store at `store_url` (created if empty; refused if its schema is stale).

    `writer_process` moves every write into a process of its own (what the server does), so the
    store's Python work never competes with serving for the GIL; otherwise a thread writes. The
    process's answers arrive on `event_loop` when one is given (the server's), else on a thread.
    """
    store = SqlStore(store_url, known_queues=known_queues_of(registry))
    writer: Writer
    if writer_process:
        from supportability.online.writer_process import WriterProcess

        writer = WriterProcess(
            store_url, str(registry.path), queue_size=queue_size, events=events, event_loop=event_loop
        )
    else:
        writer = OnlineWriter(
            store, to_logged=logged_prediction, to_write=outcome_write, queue_size=queue_size, events=events
        )
    return OnlineLoop(store, writer, **options)
