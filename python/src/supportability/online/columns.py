"""Turning a million database rows into numpy columns quickly: what `SqlStore.frame` and the report share.

Measured on 1,000,000 logged predictions with outcomes (SQLite, 2 cores), `frame` took 59 s as a
plain ORM query. The cyclic garbage collector was most of it: each of the millions of tuples, lists
and dicts made while decoding rows triggers collections that walk all the earlier ones. None of
them forms a cycle, so the collector is paused while they are built (`paused_gc`): 21 s. Reading
the JSON and time columns raw (no per-value SQLAlchemy conversion), decoding JSON in batches of
50,000 values per `json.loads`, and parsing SQLite's stored times with numpy in C: 14 s, most of it
SQLite's own fetch (5 s) and decoding the input summaries' JSON (7 s)."""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC
from typing import Any

import numpy as np

from supportability.online.store import OutcomeFrame

JSON_BATCH = 50_000


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (process-wide) while many acyclic objects are built.

    Reference counting still frees everything; only cycle detection waits, for a few seconds.
    Nested use is safe: the collector is re-enabled only if it was enabled on entry.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def decoded_json(values: Sequence[Any]) -> list[Any]:
    """JSON column values as Python objects. Drivers that decode JSON themselves (psycopg) hand
    back objects already; text (SQLite) is decoded here, many values per `json.loads` call."""
    out: list[Any] = []
    for start in range(0, len(values), JSON_BATCH):
        chunk = values[start : start + JSON_BATCH]
        if all(isinstance(v, str) for v in chunk):
            out.extend(json.loads("[" + ",".join(chunk) + "]"))
        else:
            out.extend(json.loads(v) if isinstance(v, str) else v for v in chunk)
    return out


def seconds(values: Sequence[Any]) -> np.ndarray:
    """POSIX seconds (NaN for None) from stored times: SQLite's text (naive, UTC) or datetimes."""
    if any(isinstance(v, str) for v in values):
        stamps = np.array([v or "NaT" for v in values], dtype="datetime64[us]")
        out = stamps.astype(np.int64) / 1e6
        out[np.isnat(stamps)] = np.nan
        return out
    return np.array(
        [np.nan if v is None else (v.replace(tzinfo=UTC) if v.tzinfo is None else v).timestamp() for v in values],
        dtype=float,
    )


def strings(values: Sequence[Any]) -> np.ndarray:
    """An object array of str, "" for None."""
    return np.array([v or "" for v in values], dtype=object)


def floats(values: Sequence[Any]) -> np.ndarray:
    """A float array, NaN for None (booleans become 0/1)."""
    return np.array(values, dtype=float)


def _csat_bad(rating: np.ndarray, score: np.ndarray) -> np.ndarray:
    """1 for a bad rating (or, without a rating, a score of 1-2), 0 for a good one, NaN when neither is set."""
    with np.errstate(invalid="ignore"):
        by_score = np.where(np.isnan(score), np.nan, score <= 2)
    return np.where(rating != "", rating == "bad", by_score).astype(float)


def outcome_frame(raw: Mapping[str, Sequence[Any]]) -> OutcomeFrame:
    """An `OutcomeFrame` from the values of each selected column as the driver returned them
    (`SqlStore.frame`'s query: OutcomeFrame's names, plus outcome_id, csat_rating and csat_score)."""
    text_columns = ("prediction_id", "model_version", "urgency_level", "decision_action", "resolved_queue",
                    "final_urgency", "experiment", "arm", "unit_id")  # fmt: skip
    float_columns = ("escalation_probability", "csat_risk_probability", "resolution_p50_hours",
                     "resolution_p90_hours", "decision_confidence", "decision_threshold", "escalated",
                     "resolution_hours", "decision_overridden", "propensity")  # fmt: skip
    return OutcomeFrame(
        predict_time=seconds(raw["predict_time"]),
        routing=[tuple(map(tuple, r)) for r in decoded_json(raw["routing"])],
        inputs=decoded_json(raw["inputs"]),
        has_outcome=np.array([v is not None for v in raw["outcome_id"]], dtype=bool),
        record_time=seconds(raw["record_time"]),
        outside_label_set=floats(raw["outside_label_set"]) == 1.0,
        csat_bad=_csat_bad(strings(raw["csat_rating"]), floats(raw["csat_score"])),
        **{name: strings(raw[name]) for name in text_columns},
        **{name: floats(raw[name]) for name in float_columns},
    )
