"""Prediction ids: UUIDv7 laid out as RFC 9562 says, in order, unique, and on the clock's time."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from supportability import prediction_ids
from supportability.prediction_ids import new_prediction_ids


def _ms(prediction_id: str) -> int:
    return uuid.UUID(prediction_id).int >> 80


def test_ids_are_version_7_with_the_rfc_variant_whichever_path_made_them():
    for n in (1, 15, 16, 1_000):  # below _SMALL: Python ints; from it on: numpy
        ids = new_prediction_ids(n)
        assert len(ids) == n
        for i in ids:
            parsed = uuid.UUID(i)
            assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and str(parsed) == i
    assert new_prediction_ids(0) == []


def test_ids_sort_in_the_order_they_were_made_across_calls_of_every_size():
    ids = [i for n in [1, 3, 40, 1, 2_000, 7, 1, 500] * 20 for i in new_prediction_ids(n)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_the_timestamp_stays_the_clocks_at_many_ids_a_millisecond():
    # uuid6's uuid7() moved the timestamp 1 ms on per id within a millisecond: 100,000 ids would
    # have run ~100 s ahead of the clock.
    ids = [i for _ in range(100) for i in new_prediction_ids(1_000)]
    now_ms = time.time_ns() // 1_000_000
    assert _ms(ids[-1]) <= now_ms
    assert now_ms - _ms(ids[0]) < 60_000


def test_a_clock_that_goes_back_keeps_the_order(monkeypatch: pytest.MonkeyPatch):
    first = new_prediction_ids(5)
    earlier = time.time_ns() - 5_000_000_000
    monkeypatch.setattr(prediction_ids.time, "time_ns", lambda: earlier)
    later = new_prediction_ids(5) + new_prediction_ids(50)
    assert first + later == sorted(first + later)


def test_threads_minting_together_never_collide():
    minted: list[list[str]] = [[] for _ in range(4)]

    def mint(out: list[str]) -> None:
        for n in (1, 20, 1, 300) * 50:
            out.extend(new_prediction_ids(n))

    threads = [threading.Thread(target=mint, args=(out,)) for out in minted]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for out in minted for i in out]
    assert len(set(everything)) == len(everything)
    assert all(out == sorted(out) for out in minted)  # each caller's ids in its own order
