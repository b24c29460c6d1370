"""`OnlineWriter`: the one thread that writes to the online store, off the request path.

Two queues feed it. Served predictions go into a bounded one: a full queue drops the newest and
counts it, so a slow or absent database never slows or fails a prediction. Outcomes go into the
other, never dropped: each caller waits on a future that resolves only after its outcome is
durably committed (or fails with the reason). Each round takes everything queued and writes it in
as few commits as possible (group commit): one fsync then acknowledges many callers, which is how
SQLite with synchronous=FULL reaches thousands of durable outcomes a second.

Predictions are written before the outcomes of the same round, so an outcome sent after its
prediction was answered always finds it (unless the prediction was dropped).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from supportability.online.store import (
    LoggedPrediction,
    OnlineStore,
    OutcomeWrite,
    StoredOutcome,
    StoreError,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 10_000
# Rows per commit: large enough to amortise the fsync, small enough to keep a round short.
MAX_PREDICTIONS_PER_ROUND = 2_000
MAX_OUTCOME_GROUPS_PER_ROUND = 512
# Outcomes per round (a group is never split): a round's answers go back only after its commit, so
# rounds about one full batch long keep the writer busy while the server answers the previous one.
MAX_OUTCOMES_PER_ROUND = 1_000
# How long logged predictions may wait to share a commit: one commit per prediction costs the
# serving threads far more (measured: PredictCase at 0.63x of the log-off rate) than a
# quarter-second's delay costs anyone reading the log.
PREDICTION_LINGER_SECONDS = 0.25
# While the store is down, how often the idle writer checks whether it is back.
RECOVERY_CHECK_SECONDS = 1.0
# At most one "dropped predictions" log line per this many seconds.
DROP_LOG_INTERVAL_SECONDS = 10.0


# Resolves once an outcome group is durable: a thread's future, or an asyncio one on the event loop
# that the writer process delivers its answers to (writer_process.py).
Committed = Future[list[StoredOutcome]] | asyncio.Future[list[StoredOutcome]]


@dataclass(frozen=True, slots=True)
class WriterEvents:
    """What the writer reports, for metrics and health (all optional; called on the writer thread)."""

    written: Callable[[int], None] = lambda _n: None
    dropped: Callable[[str, int], None] = lambda _reason, _n: None  # reason: queue_full | store_unavailable
    committed_outcomes: Callable[[int], None] = lambda _n: None  # outcome groups per commit
    store_up: Callable[[bool], object] = lambda _up: None


class Writer(Protocol):
    """What the online loop needs of a writer: this module's thread, or `writer_process.WriterProcess`."""

    @property
    def store_up(self) -> bool: ...

    def log(self, pending: Any) -> None: ...

    def submit(self, group: Sequence[Any]) -> Committed: ...

    def flush(self, timeout: float = 10.0) -> bool: ...

    def close(self, timeout: float = 10.0) -> None: ...


def next_round(groups: Iterable[Sequence[Any]]) -> int:
    """How many of the leading queued groups make the next round: at most MAX_OUTCOME_GROUPS_PER_ROUND
    groups and MAX_OUTCOMES_PER_ROUND outcomes (a larger group is a round of its own)."""
    count = outcomes = 0
    for group in groups:
        if count and (count == MAX_OUTCOME_GROUPS_PER_ROUND or outcomes + len(group) > MAX_OUTCOMES_PER_ROUND):
            break
        count, outcomes = count + 1, outcomes + len(group)
    return count


class Rounds:
    """What one round writes, and what the writer reports about it: the work without the queues,
    shared by the writer thread below and the writer process's loop."""

    def __init__(
        self,
        store: OnlineStore,
        *,
        to_logged: Callable[[Any], LoggedPrediction],
        to_write: Callable[[Any], OutcomeWrite],
        events: WriterEvents | None = None,
    ) -> None:
        self.store = store
        # Both run on the writer's side: the request path only hands over what it was sent or served.
        self._to_logged, self._to_write = to_logged, to_write
        self._events = events or WriterEvents()
        self.store_up = True
        self.dropped = 0
        self._last_drop_log = 0.0

    def drop(self, reason: str, n: int) -> None:
        self.dropped += n
        self._events.dropped(reason, n)
        now = time.monotonic()
        if now - self._last_drop_log >= DROP_LOG_INTERVAL_SECONDS:
            self._last_drop_log = now
            log.warning("prediction log dropped predictions", extra={"reason": reason, "dropped_total": self.dropped})

    def _set_store_up(self, up: bool, error: BaseException | None = None) -> None:
        if up != self.store_up:
            self.store_up = up
            if up:
                log.info("online store available again")
            else:
                log.error("online store unavailable", extra={"error": str(error)})
            self._events.store_up(up)

    def check_store(self) -> None:
        try:
            self.store.ping()
            self._set_store_up(True)
        except StoreUnavailable as exc:
            self._set_store_up(False, exc)

    def write_predictions(self, pending: list[Any]) -> None:
        try:
            rows = [self._to_logged(p) for p in pending]
            self.store.log_predictions(rows)
        except StoreUnavailable as exc:
            self._set_store_up(False, exc)
            self.drop("store_unavailable", len(pending))
            return
        except Exception:  # a bug of ours must not stop the writer
            log.exception("could not log predictions")
            self.drop("error", len(pending))
            return
        self._set_store_up(True)
        self._events.written(len(rows))

    def write_outcomes(self, jobs: list[tuple[Sequence[Any], Future[list[StoredOutcome]]]]) -> None:
        try:
            to_write = self._to_write
            groups = [[to_write(sent) for sent in group] for group, _ in jobs]
            results: list[list[StoredOutcome] | StoreError] = self.store.record_outcomes(groups)
        except BaseException as exc:  # nothing was committed: every caller hears why
            if isinstance(exc, StoreUnavailable):
                self._set_store_up(False, exc)
            else:
                log.exception("could not record outcomes")
            for _, future in jobs:
                future.set_exception(exc)
            return
        self._set_store_up(True)
        self._events.committed_outcomes(len(jobs))
        for (_, future), result in zip(jobs, results, strict=True):
            if isinstance(result, StoreError):
                future.set_exception(result)
            else:
                future.set_result(result)


class OnlineWriter:
    """Owns every write to `store`. Thread-safe; `close()` writes what is queued, then stops."""

    def __init__(
        self,
        store: OnlineStore,
        *,
        to_logged: Callable[[Any], LoggedPrediction],
        to_write: Callable[[Any], OutcomeWrite],
        queue_size: int = DEFAULT_QUEUE_SIZE,
        events: WriterEvents | None = None,
    ) -> None:
        self.store = store
        self.rounds = Rounds(store, to_logged=to_logged, to_write=to_write, events=events)
        self._queue_size = queue_size
        self._predictions: collections.deque[Any] = collections.deque()
        self._outcomes: collections.deque[tuple[Sequence[Any], Future[list[StoredOutcome]]]] = collections.deque()
        self._wake = threading.Condition()
        self._closing = False
        self._busy = False
        self._first_pending = 0.0  # when the oldest queued prediction arrived
        self._flushing = 0  # flush() calls waiting: no lingering then
        self._thread = threading.Thread(target=self._run, name="online-writer", daemon=True)
        self._thread.start()

    @property
    def store_up(self) -> bool:
        return self.rounds.store_up

    # -- the request path ----------------------------------------------------------------------

    def log(self, pending: Any) -> None:
        """Queue a served prediction for the log; never blocks. A full queue drops it (counted)."""
        with self._wake:
            if len(self._predictions) >= self._queue_size:
                self.rounds.drop("queue_full", 1)
                return
            self._predictions.append(pending)
            # Wake the writer only to start the linger, or when a round's worth is waiting.
            if len(self._predictions) == 1:
                self._first_pending = time.monotonic()
                self._wake.notify()
            elif len(self._predictions) == MAX_PREDICTIONS_PER_ROUND:
                self._wake.notify()

    def submit(self, group: Sequence[Any]) -> Future[list[StoredOutcome]]:
        """Queue outcome writes to commit together (atomically); the future resolves once durable."""
        future: Future[list[StoredOutcome]] = Future()
        with self._wake:
            if self._closing:
                future.set_exception(StoreUnavailable("the online writer is shutting down"))
                return future
            self._outcomes.append((group, future))
            self._wake.notify()
        return future

    # -- the writer thread ---------------------------------------------------------------------

    def _ready(self) -> bool:
        """Outcomes go at once (a caller waits); predictions once they have lingered or fill a round."""
        if self._outcomes or self._closing or self._flushing:
            return True
        return bool(self._predictions) and (
            len(self._predictions) >= MAX_PREDICTIONS_PER_ROUND
            or time.monotonic() - self._first_pending >= PREDICTION_LINGER_SECONDS
        )

    def _take(self) -> tuple[list[Any], list[tuple[Sequence[Any], Future[list[StoredOutcome]]]]] | None:
        """The next round's work; ([], []) when the store is down and idle (check on it); None to stop."""
        with self._wake:
            while not (self._predictions or self._outcomes) or not self._ready():
                if self._closing and not self._predictions and not self._outcomes:
                    return None
                if self._predictions:  # lingering: until the oldest one's time is up, or a wake-up
                    self._wake.wait(max(0.0, self._first_pending + PREDICTION_LINGER_SECONDS - time.monotonic()))
                    continue
                self._busy = False
                self._wake.notify_all()  # wakes flush()
                if not self._wake.wait(timeout=None if self.rounds.store_up else RECOVERY_CHECK_SECONDS):
                    return [], []
            self._busy = True
            predictions = [
                self._predictions.popleft() for _ in range(min(len(self._predictions), MAX_PREDICTIONS_PER_ROUND))
            ]
            self._first_pending = time.monotonic()  # any left behind start a new linger
            n = next_round(group for group, _ in self._outcomes)
            outcomes = [self._outcomes.popleft() for _ in range(n)]
            return predictions, outcomes

    def _run(self) -> None:
        while (work := self._take()) is not None:
            predictions, outcomes = work
            if not predictions and not outcomes:
                self.rounds.check_store()
                continue
            if predictions:
                self.rounds.write_predictions(predictions)
            if outcomes:
                self.rounds.write_outcomes(outcomes)

    # -- lifecycle -----------------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written; False if that took longer than `timeout`."""
        deadline = time.monotonic() + timeout
        with self._wake:
            self._flushing += 1
            self._wake.notify_all()
            try:
                while self._predictions or self._outcomes or self._busy:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._wake.wait(remaining)
            finally:
                self._flushing -= 1
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (within `timeout`), then stop the thread."""
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._thread.join(timeout)
