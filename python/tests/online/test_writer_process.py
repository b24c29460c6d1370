"""The writer process delivering its answers on the server's event loop: whole messages only, never a
blocked loop; outcomes answered there and on other threads alike; a dead child fails what waits."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import os
import pickle
import struct

import grpc
import pytest
import uvloop

from supportability.errors import SupportabilityError
from supportability.online.frames import FrameReader
from supportability.online.loop import OnlineLoop, open_loop
from supportability.registry import Registry
from supportability.testing import logged_prediction
from supportability.v1 import outcome_pb2, outcome_service_pb2


def test_the_frame_reader_hands_back_whole_messages_and_the_end() -> None:
    reader_end, writer_end = multiprocessing.Pipe(duplex=False)
    reader = FrameReader(reader_end)
    try:
        assert reader.read() == ([], False)  # nothing there: no wait
        big = {"results": list(range(200_000))}  # far larger than the pipe's buffer
        body = pickle.dumps(big)
        frame = struct.pack("!i", len(body)) + body
        os.write(writer_end.fileno(), frame[:3])  # not even a whole length
        assert reader.read() == ([], False)
        os.write(writer_end.fileno(), frame[3:60_000])
        assert reader.read() == ([], False)
        assert reader.read() == ([], False)
        os.set_blocking(writer_end.fileno(), False)  # the rest, a pipe's worth (64 KiB) at a time
        view, received = memoryview(frame)[60_000:], []
        while view:
            with contextlib.suppress(BlockingIOError):
                view = view[os.write(writer_end.fileno(), view) :]
            messages, _ = reader.read()
            received += messages
            assert not messages or not view, "a message came out before all of it was in"
        assert received + reader.read()[0] == [big]
        os.set_blocking(writer_end.fileno(), True)
        writer_end.send(("written", 3))  # Connection's own framing
        writer_end.send(("written", 4))
        assert reader.read() == ([("written", 3), ("written", 4)], False)
        writer_end.close()
        assert reader.read() == ([], True)
    finally:
        reader.close()


def _request(prediction_id: str, queue: str) -> outcome_service_pb2.RecordOutcomeRequest:
    return outcome_service_pb2.RecordOutcomeRequest(
        outcome=outcome_pb2.Outcome(prediction_id=prediction_id, resolved_queue=queue)
    )


async def _outcomes_on_the_event_loop(store_url: str, registry: Registry) -> None:
    loop = asyncio.get_running_loop()
    opened = functools.partial(open_loop, store_url, registry, writer_process=True, event_loop=loop)
    online: OnlineLoop = await loop.run_in_executor(None, opened)  # the child starts off the loop, as in the server
    try:
        online.store.log_predictions([logged_prediction(n) for n in range(1, 5)])
        ids = [logged_prediction(n).prediction_id for n in range(1, 5)]

        recorded = await online.record(_request(ids[0], "payouts"))
        assert recorded.recorded_outcome.outcome.resolved_queue == "payouts"
        with pytest.raises(SupportabilityError) as conflict:
            await online.record(_request(ids[0], "refunds"))
        assert conflict.value.code == grpc.StatusCode.FAILED_PRECONDITION

        # Another thread waits on its own kind of future, resolved by the same reader on the loop.
        other = await loop.run_in_executor(None, lambda: online.record(_request(ids[1], "disputes")).result(10))
        assert other.recorded_outcome.outcome.resolved_queue == "disputes"

        # A caller that goes away (a passed deadline) leaves the reader answering everyone else.
        abandoned = loop.create_task(_awaited(online, ids[2]))
        await asyncio.sleep(0)
        abandoned.cancel()
        assert (await online.record(_request(ids[3], "payouts"))).recorded_outcome.prediction_id == ids[3]

        # The child dies: what waits, and what comes after, is UNAVAILABLE (retryable), never a hang.
        (child,) = [p for p in multiprocessing.active_children() if p.name == "supportability-online-writer"]
        child.kill()
        for _ in range(2):
            with pytest.raises(SupportabilityError) as gone:
                await asyncio.wait_for(_awaited(online, ids[2]), timeout=10)
            assert gone.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        await loop.run_in_executor(None, online.close)


async def _awaited(online: OnlineLoop, prediction_id: str) -> outcome_service_pb2.RecordOutcomeResponse:
    return await online.record(_request(prediction_id, "refunds"))


def test_outcomes_are_answered_on_the_event_loop(registry_path, store_url) -> None:
    uvloop.run(_outcomes_on_the_event_loop(store_url, Registry(registry_path)))  # the server's loop


async def _large_batches_at_once(store_url: str, registry: Registry) -> int:
    loop = asyncio.get_running_loop()
    online = await loop.run_in_executor(
        None, functools.partial(open_loop, store_url, registry, writer_process=True, event_loop=loop)
    )
    try:
        batches, size = 4, 1_000  # each batch's request and answer are larger than a pipe's buffer
        online.store.log_predictions([logged_prediction(n) for n in range(1, batches * size + 1)])
        requests = [
            outcome_service_pb2.BatchRecordOutcomesRequest(
                outcomes=[
                    _request(logged_prediction(b * size + i + 1).prediction_id, "payouts").outcome for i in range(size)
                ]
            )
            for b in range(batches)
        ]

        async def record(request: outcome_service_pb2.BatchRecordOutcomesRequest) -> int:
            return len((await online.batch_record(request)).recorded_outcomes)

        answers = await asyncio.wait_for(asyncio.gather(*(record(r) for r in requests)), timeout=60)
        return sum(answers)
    finally:
        await loop.run_in_executor(None, online.close)


def test_large_batches_at_once_are_all_answered(registry_path, store_url) -> None:
    # The parent sends from the loop that reads the answers: the child must keep reading while it answers.
    assert uvloop.run(_large_batches_at_once(store_url, Registry(registry_path))) == 4_000
