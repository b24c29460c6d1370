"""`WriterProcess`: the online writer in a process of its own, for the server.

Every byte the store writes costs Python work (binding rows, JSON, SQLAlchemy), and in the
serving process that work holds the GIL the event loop needs: measured with the writer as a
thread, the prediction log cost PredictCase 8% of its calls/s at concurrency 1 and 19% at 8. Here
the serving process only pickles small `Served` tuples and outcome writes down a pipe; the
child runs the same rounds as `OnlineWriter` (`writer.Rounds`: linger, group commit, durable
acknowledgements) on one thread, against its own connection, and sends back each outcome's result
and the writer's events.

The child starts by spawn, before the gRPC server exists (forking a gRPC process is unsafe),
and ends when the parent closes the pipe or dies: a kill -9 of the server loses nothing that
was acknowledged, because an outcome is acknowledged only after the child committed it.

The child's answers are read by a thread, or, given the server's event loop, on that loop: an
outcome's answer then resolves the asyncio future its handler awaits, with no thread hand-off and
no wake-up of the loop from outside. Measured under RecordOutcome at concurrency 8, the serving
process's CPU per call fell from 0.54 to 0.45 ms (the receiver thread's chain of futures, each
taking the GIL, had cost about 0.1 ms), and the child's from 0.30 to 0.24 ms.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any

from supportability.online.frames import FrameReader
from supportability.online.store import StoredOutcome, StoreError, StoreUnavailable
from supportability.online.writer import (
    DEFAULT_QUEUE_SIZE,
    MAX_PREDICTIONS_PER_ROUND,
    PREDICTION_LINGER_SECONDS,
    RECOVERY_CHECK_SECONDS,
    Committed,
    Rounds,
    WriterEvents,
    next_round,
)

log = logging.getLogger(__name__)
START_TIMEOUT_SECONDS = 60.0
# Predictions per message: an outcome waits for the lock while one is pickled (~2.5 us each).
MAX_ITEMS_PER_MESSAGE = 500
SEND_LINGER_SECONDS = 0.05
WRITER_NICENESS = 5


class WriterProcess:
    """The `Writer` interface, served by a child process. Thread-safe; one per serving process.

    With `event_loop`, the child's answers are read on that loop, and `submit` called on it returns
    an asyncio future (to be awaited there); called on any other thread, it returns a thread's future.
    """

    def __init__(
        self,
        store_url: str,
        registry_path: str,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        events: WriterEvents | None = None,
        event_loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        # A pipe each way: the answers' end may then be read without blocking (frames.py) while
        # sends to the child stay blocking.
        child_inbox, self._conn = context.Pipe(duplex=False)
        self._answers, child_outbox = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child_main,
            args=(child_inbox, child_outbox, store_url, registry_path, queue_size),
            name="supportability-online-writer",
            daemon=True,
        )
        self._process.start()
        child_inbox.close()
        child_outbox.close()
        if not self._answers.poll(START_TIMEOUT_SECONDS):
            self._process.kill()
            raise StoreUnavailable("the online writer process did not start")
        first = self._answers.recv()
        if first[0] == "error":
            self._process.join()
            raise first[1]
        self._events = events or WriterEvents()
        self._queue_size = queue_size
        self._predictions: collections.deque[Any] = collections.deque()
        self._waiting: dict[int, Future[Any] | asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._send_lock = threading.Lock()  # one sender on the pipe at a time, in queue order
        self._closing = False
        self._exited: str | None = None  # why nothing more will be answered, once the child is gone
        self.store_up = True
        self.dropped = 0
        self._sender = threading.Thread(target=self._send_loop, name="online-writer-sender", daemon=True)
        self._sender.start()
        self._event_loop = event_loop
        self._receiver: threading.Thread | None = None
        if event_loop is None:
            self._receiver = threading.Thread(target=self._receive_loop, name="online-writer-receiver", daemon=True)
            self._receiver.start()
        else:
            reader = FrameReader(self._answers)  # what arrives before the loop runs this waits in the pipe
            event_loop.call_soon_threadsafe(event_loop.add_reader, reader.fileno(), self._on_readable, reader)

    # -- the request path ----------------------------------------------------------------------

    def log(self, pending: Any) -> None:
        with self._wake:
            if len(self._predictions) >= self._queue_size:
                self.dropped += 1
                self._events.dropped("queue_full", 1)
                return
            self._predictions.append(pending)
            if len(self._predictions) in (1, MAX_ITEMS_PER_MESSAGE):
                self._wake.notify()

    def submit(self, group: Sequence[Any]) -> Committed:
        """Sent at once, from the caller's thread (a hop through the sender thread costs a wake-up),
        behind every prediction queued before it, so the outcome finds its prediction."""
        loop = self._event_loop
        future: Committed = loop.create_future() if loop is not None and _running(loop) else Future()
        self._send_now(future, group)
        return future

    def _send_now(self, future: Future[Any] | asyncio.Future[Any], group: Sequence[Any] | None) -> None:
        """Send an outcome group, or a flush when `group` is None, behind the queued predictions."""
        with self._send_lock:
            with self._wake:
                if self._closing or self._exited:
                    future.set_exception(StoreUnavailable(self._exited or "the online writer is shutting down"))
                    return
                key = next(self._ids)
                self._waiting[key] = future
                predictions = self._drain()
            with contextlib.suppress(OSError, ValueError):  # the child is gone: the receiver fails what waits
                jobs, flushes = ([], [key]) if group is None else ([(key, group)], [])
                self._conn.send(("work", predictions, jobs, flushes))

    def _drain(self, limit: int | None = None) -> list[Any]:
        """The oldest queued predictions, all or `limit` of them (called holding the condition)."""
        count = len(self._predictions) if limit is None else min(limit, len(self._predictions))
        return [self._predictions.popleft() for _ in range(count)]

    # -- the pipe ------------------------------------------------------------------------------

    def _send_loop(self) -> None:
        """Predictions, gathered a while: one message per prediction would cost the serving
        process more than the write itself."""
        while True:
            with self._wake:
                while not self._predictions and not self._closing:
                    self._wake.wait()
                if self._closing and not self._predictions:
                    return
                linger_until = time.monotonic() + SEND_LINGER_SECONDS
                while (
                    not self._closing
                    and len(self._predictions) < MAX_ITEMS_PER_MESSAGE
                    and (remaining := linger_until - time.monotonic()) > 0
                ):
                    self._wake.wait(remaining)
            with self._send_lock:
                with self._wake:
                    predictions = self._drain(MAX_ITEMS_PER_MESSAGE)
                if not predictions:
                    continue  # an outcome took them along
                try:
                    self._conn.send(("work", predictions, [], []))
                except (OSError, ValueError):  # the child is gone: the receiver fails what waits
                    return

    def _receive_loop(self) -> None:
        """The receiver thread, when there is no event loop to read on."""
        while True:
            try:
                message = self._answers.recv()
            except (EOFError, OSError):
                break
            self._handle(message)
        self._fail_waiting()

    def _on_readable(self, reader: FrameReader) -> None:
        """The event loop's reader: the whole messages that arrived, then, once the child is gone,
        the end (a kill -9 of the child fails what waits with UNAVAILABLE, as the thread does)."""
        messages, ended = reader.read()
        for message in messages:
            self._handle(message)
        if ended:
            asyncio.get_running_loop().remove_reader(reader.fileno())
            reader.close()
            self._fail_waiting()

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "results":
            for groups in message[2]:
                self._events.committed_outcomes(groups)
            for key, failed, value in message[1]:
                future = self._waiting.pop(key)
                if future.done():  # cancelled: its caller went away (a passed deadline)
                    continue
                if failed:
                    future.set_exception(value)
                else:
                    future.set_result(value)
        elif kind == "written":
            self._events.written(message[1])
        elif kind == "dropped":
            self.dropped += message[2]
            self._events.dropped(message[1], message[2])
        elif kind == "store_up":
            self.store_up = message[1]
            self._events.store_up(message[1])

    def _fail_waiting(self) -> None:
        """The child is gone: what waits, and whatever is submitted later, fails as UNAVAILABLE."""
        with self._wake:
            self._exited = "the online writer process exited"
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(StoreUnavailable(self._exited))

    # -- lifecycle -----------------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written in the child (from any thread but the
        event loop's, which delivers the answer)."""
        future: Future[bool] = Future()
        self._send_now(future, None)
        try:
            return bool(future.result(timeout))
        except (TimeoutError, StoreError):
            return False

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the child."""
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._sender.join(timeout)
        with contextlib.suppress(OSError, ValueError):  # the child may be gone already
            self._conn.send(("close",))
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
        self._conn.close()
        if self._receiver is not None:  # it sees the child's end, and stops; on the event loop, the reader closes
            self._receiver.join(timeout)
            self._answers.close()


def _running(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether `loop` is the event loop running on this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:  # none runs here
        return False


# -- the child ----------------------------------------------------------------------------------


def _child_main(inbox: Connection, outbox: Connection, store_url: str, registry_path: str, queue_size: int) -> None:
    # Below the server in the scheduler's eyes: when the cores are busy, serving goes first and the
    # log's queue absorbs the difference (and drops, counted, if it overflows).
    os.nice(WRITER_NICENESS)
    from supportability.online.records import known_queues_of, logged_prediction, outcome_write
    from supportability.online.sql_store import SqlStore
    from supportability.registry import Registry

    # Answers leave by a thread of their own, so that the child keeps reading the parent's messages
    # while a large answer waits for the parent to read it: the parent sends from its event loop,
    # which is also where it reads answers, and a child blocked answering while the parent is
    # blocked sending would wait on each other for ever (two BatchRecordOutcomes at once did).
    outgoing: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_answers, args=(outgoing, outbox), name="answers", daemon=True)
    sender.start()

    def send(*message: Any) -> None:
        outgoing.put(message)

    try:
        try:
            # The server checked the schema as it opened its own store, just before starting this process.
            store = SqlStore(store_url, known_queues=known_queues_of(Registry(registry_path)), check_schema=False)
        except Exception as exc:
            send("error", exc if isinstance(exc, StoreError) else StoreUnavailable(str(exc)))
            return
        committed: list[int] = []  # outcome groups per commit, since the last results message
        events = WriterEvents(
            written=lambda n: send("written", n),
            dropped=lambda reason, n: send("dropped", reason, n),
            committed_outcomes=committed.append,  # sent with the round's results: one message, one wake-up
            store_up=lambda up: send("store_up", up),
        )
        rounds = Rounds(store, to_logged=logged_prediction, to_write=outcome_write, events=events)
        send("ready")
        _serve(inbox, rounds, queue_size, send, committed)
        store.close()
    finally:
        outgoing.put(None)  # what is queued goes first
        sender.join()


def _send_answers(outgoing: queue.SimpleQueue[tuple[Any, ...] | None], outbox: Connection) -> None:
    while (message := outgoing.get()) is not None:
        with contextlib.suppress(OSError, ValueError):  # the parent is gone
            outbox.send(message)


def _result(key: int, future: Future[Any]) -> tuple[int, bool, Any]:
    """(key, failed, value) of a finished job, for the parent's `results` message."""
    exc = future.exception()
    if exc is None:
        return key, False, future.result()
    # Only the store's own errors are known to pickle.
    return key, True, exc if isinstance(exc, StoreError) else StoreUnavailable(repr(exc))


def _serve(conn: Connection, rounds: Rounds, queue_size: int, send: Callable[..., None], committed: list[int]) -> None:
    """The child's main thread: read what the pipe holds, then write it in rounds, on this thread (a
    hand-off to another costs the round a wake-up; only the answers leave by `send`'s thread).
    Predictions linger as in OnlineWriter."""
    predictions: list[Any] = []
    first_pending = 0.0
    closing = False
    while not closing:
        if predictions:
            timeout: float | None = max(0.0, first_pending + PREDICTION_LINGER_SECONDS - time.monotonic())
        else:
            timeout = None if rounds.store_up else RECOVERY_CHECK_SECONDS
        jobs: list[tuple[Sequence[Any], Future[list[StoredOutcome]]]] = []
        keys: list[int] = []  # of the jobs, in order
        flushes: list[int] = []
        try:
            while conn.poll(timeout):
                timeout = 0  # take everything already there, without waiting for more
                message = conn.recv()
                if message[0] == "close":
                    closing = True
                    break
                for pending in message[1]:
                    if len(predictions) >= queue_size:
                        rounds.drop("queue_full", 1)
                        continue
                    if not predictions:
                        first_pending = time.monotonic()
                    predictions.append(pending)
                flushes += message[3]
                for key, group in message[2]:
                    keys.append(key)
                    jobs.append((group, Future()))
        except (EOFError, OSError):
            closing = True  # the parent died: write what is queued, then go
        lingered = predictions and time.monotonic() - first_pending >= PREDICTION_LINGER_SECONDS
        if predictions and (jobs or flushes or closing or lingered or len(predictions) >= MAX_PREDICTIONS_PER_ROUND):
            for start in range(0, len(predictions), MAX_PREDICTIONS_PER_ROUND):
                rounds.write_predictions(predictions[start : start + MAX_PREDICTIONS_PER_ROUND])
            predictions = []
        start = 0
        while start < len(jobs):
            part = slice(start, start + next_round(group for group, _ in jobs[start:]))
            start = part.stop
            rounds.write_outcomes(jobs[part])
            # One message for the round's callers: a message each cost the parent a wake-up each.
            results = [_result(key, future) for key, (_, future) in zip(keys[part], jobs[part], strict=True)]
            send("results", results, committed.copy())
            committed.clear()
        if flushes:
            send("results", [(key, False, True) for key in flushes], [])
        if not (predictions or jobs or flushes) and not rounds.store_up:
            rounds.check_store()
