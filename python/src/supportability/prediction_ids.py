"""Prediction ids: UUIDv7 (RFC 9562), minted many at a time, time-ordered within the process.

Layout (RFC 9562 section 6.2, method 1, a fixed-length dedicated counter): 48 bits of Unix
milliseconds, the version, 12 bits of counter, the variant, 18 more bits of counter, 44 random
bits. Within one millisecond the counter counts on, so ids sort in the order they were made, and
the timestamp stays the clock's. (The `uuid6` package's `uuid7()` bumps the timestamp by 1 ms
instead, so at more than a thousand ids a second its ids run ahead of the clock, ever further: a
batch of 1,000 cases moved the next ids a second into the future.)

A batch costs one clock read and one call for random bytes, in numpy, not a UUID object per case:
the serving path and the batch engines mint them by the thousand. A few ids (a single PredictCase)
are made with Python ints instead, where numpy's per-call overhead would cost more than the work.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np

COUNTER_BITS = 30  # 12 after the version, 18 after the variant
_LOW_RANDOM_BITS = 62 - (COUNTER_BITS - 12)
_SMALL = 16  # fewer ids than this: Python ints
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])  # where the hex digits go; dashes between


class _Sequence:
    """The process's (millisecond, counter) position: the clock's millisecond, or the last one while
    the clock has not moved past it (or went back), with the counter continuing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._next_counter = 0

    def reserve(self, n: int) -> tuple[int, int]:
        """(milliseconds, first counter) for `n` ids."""
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms > self._last_ms:
                self._last_ms, self._next_counter = now_ms, 0
            if self._next_counter + n > 1 << COUNTER_BITS:  # a billion ids in one millisecond: borrow the next
                self._last_ms, self._next_counter = self._last_ms + 1, 0
            first = self._next_counter
            self._next_counter += n
            return self._last_ms, first


_sequence = _Sequence()


def prediction_id_text(n: int) -> np.ndarray:
    """`n` new ids as an (n, 36) array of ASCII bytes (the canonical 8-4-4-4-12 hex form)."""
    ms, first = _sequence.reserve(n)
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    halves = raw.view(">u8")  # two big-endian 64-bit halves per id
    counter = np.arange(first, first + n, dtype=np.uint64)
    halves[:, 0] = (np.uint64(ms) << np.uint64(16)) | np.uint64(0x7000) | (counter >> np.uint64(COUNTER_BITS - 12))
    low_counter = (counter & np.uint64((1 << (COUNTER_BITS - 12)) - 1)) << np.uint64(_LOW_RANDOM_BITS)
    low_random = halves[:, 1] & np.uint64((1 << _LOW_RANDOM_BITS) - 1)
    halves[:, 1] = np.uint64(1 << 63) | low_counter | low_random  # the variant (0b10), the counter's rest, random
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _DIGITS] = np.stack([_HEX[raw >> 4], _HEX[raw & 15]], axis=2).reshape(n, 32)
    return text


def new_prediction_ids(n: int) -> list[str]:
    """`n` new ids, in the order they sort."""
    if n < _SMALL:
        ms, first = _sequence.reserve(n)
        return [_formatted(ms, counter) for counter in range(first, first + n)]
    joined = prediction_id_text(n).tobytes().decode("ascii")
    return [joined[i : i + 36] for i in range(0, 36 * n, 36)]


def _formatted(ms: int, counter: int) -> str:
    """One id, laid out as `prediction_id_text` lays them out."""
    value = (
        (ms << 80)
        | (0x7 << 76)
        | ((counter >> (COUNTER_BITS - 12)) << 64)
        | (0b10 << 62)
        | ((counter & ((1 << (COUNTER_BITS - 12)) - 1)) << _LOW_RANDOM_BITS)
        | (int.from_bytes(os.urandom(8)) & ((1 << _LOW_RANDOM_BITS) - 1))
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
