"""The columns of scored cases: every task's outputs, the prediction id and the model version.

One schema for both engines, so a Spark run and a local run of the same file are the same table
(row for row, but the prediction ids, which are minted per prediction).

The columns are built a chunk at a time from the model's score matrix, as Arrow arrays, with the
same numpy calls `HeadsModel.predict` makes (calibration, top-k, article ranking, the decision),
but without a `CaseResult` or any other Python object per case: a chunk's outputs cost a few
vectorised calls, not a loop over its cases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from supportability.domain import Case
from supportability.models.api import SupportModel
from supportability.models.heads import HeadsModel, top_columns
from supportability.prediction_ids import prediction_id_text

TOP_K = 3  # as the service's default PredictionOptions
ARTICLE_COUNT = 3

SCHEMA = pa.schema(
    [
        ("row", pa.int64()),  # the input's row (or line, for JSONL) number, 1-based
        ("case_id", pa.string()),
        ("prediction_id", pa.string()),
        ("model_version", pa.string()),
        ("routing_queue", pa.string()),
        ("routing_probability", pa.float64()),
        ("routing_top_queues", pa.list_(pa.string())),
        ("routing_top_probabilities", pa.list_(pa.float64())),
        ("escalation_probability", pa.float64()),
        ("urgency_level", pa.string()),
        ("urgency_probability", pa.float64()),
        ("csat_risk_probability", pa.float64()),
        ("resolution_p50_hours", pa.float64()),
        ("resolution_p90_hours", pa.float64()),
        ("suggested_article_ids", pa.list_(pa.string())),
        ("suggested_article_scores", pa.list_(pa.float64())),
        ("decision_action", pa.string()),
        ("decision_confidence", pa.float64()),
        ("decision_threshold", pa.float64()),
        ("decision_reason", pa.string()),
    ]
)
_ACTIONS = pa.array(["auto_route", "human_triage"])
_REASONS = pa.array(["low_confidence", "out_of_scope"])


def score(model: SupportModel, rows: Sequence[int | None], cases: Sequence[Case]) -> pa.RecordBatch:
    """The model's predictions for `cases` as a batch of SCHEMA (input row numbers in `rows`)."""
    assert isinstance(model, HeadsModel), "every registered model kind is a HeadsModel"
    n = len(cases)
    columns: dict[str, pa.Array] = {
        "row": pa.array(rows, pa.int64()),
        "case_id": pa.array([c.case_id for c in cases], pa.string()),
        "prediction_id": prediction_ids(n),
        "model_version": pa.repeat(pa.scalar(model.info.version, pa.string()), n),
    }
    if n:
        columns |= _predictions(model, cases)
    # A task the model does not serve is null (its list columns empty lists, as predict's).
    return pa.RecordBatch.from_arrays([columns.get(f.name, _empty(f.type, n)) for f in SCHEMA], schema=SCHEMA)


def _predictions(model: HeadsModel, cases: Sequence[Case]) -> dict[str, pa.Array]:
    if len(cases) == 1:
        # A lone case (a file's last chunk, a Spark partition of one row) is scored beside a copy of
        # itself: alone it would take a kind's single-case kernel (the boosted kind's forest), which
        # agrees with the batch kernel the rest of the file takes only to float32 rounding.
        return {name: column.slice(0, 1) for name, column in _predictions(model, [cases[0], cases[0]]).items()}
    scores, state = model.raw_scores(cases)
    probs = model.probabilities(scores)
    out: dict[str, pa.Array] = {}
    routing = probs.get("routing")
    if routing is not None:
        queues = pa.array(model.heads["routing"].labels, pa.string())
        top = top_columns(routing, TOP_K)
        top_p = np.take_along_axis(routing, top, axis=1)
        out["routing_queue"] = queues.take(top[:, 0])
        out["routing_probability"] = pa.array(top_p[:, 0])
        out["routing_top_queues"] = _lists(queues.take(top.ravel()), top.shape)
        out["routing_top_probabilities"] = _lists(pa.array(top_p.ravel()), top.shape)
        if model.decision_threshold is not None:
            auto, scoped_out, _ = model.decide(scores, routing, state)
            reason = np.where(scoped_out, 1, np.where(auto, -1, 0))  # predict's order: out of scope first
            out["decision_action"] = _ACTIONS.take(np.where(auto, 0, 1))
            out["decision_confidence"] = out["routing_probability"]
            out["decision_threshold"] = pa.repeat(pa.scalar(float(model.decision_threshold)), len(cases))
            out["decision_reason"] = _REASONS.take(pa.array(reason, mask=reason < 0))
    if "urgency" in probs:
        p = probs["urgency"]
        level = p.argmax(axis=1)
        out["urgency_level"] = pa.array(model.heads["urgency"].labels, pa.string()).take(level)
        out["urgency_probability"] = pa.array(np.take_along_axis(p, level[:, None], axis=1)[:, 0])
    if "escalation" in probs:
        out["escalation_probability"] = pa.array(probs["escalation"])
    if "csat_risk" in probs:
        out["csat_risk_probability"] = pa.array(probs["csat_risk"])
    if "resolution_time" in probs:
        hours = probs["resolution_time"]
        out["resolution_p50_hours"], out["resolution_p90_hours"] = pa.array(hours[:, 0]), pa.array(hours[:, 1])
    ranked = model.article_scores(scores, routing)
    if ranked is not None:
        assert model.articles is not None  # there are ranked articles only when the model has some
        top = top_columns(ranked, ARTICLE_COUNT)
        out["suggested_article_ids"] = _lists(pa.array(model.articles.ids, pa.string()).take(top.ravel()), top.shape)
        out["suggested_article_scores"] = _lists(pa.array(np.take_along_axis(ranked, top, axis=1).ravel()), top.shape)
    return out


def _lists(values: pa.Array, shape: tuple[int, ...]) -> pa.Array:
    """`values` (rows x k, flattened) as one list of k per row."""
    rows, k = shape
    return pa.ListArray.from_arrays(pa.array(np.arange(0, rows * k + 1, k, dtype=np.int32)), values)


def _empty(kind: pa.DataType, n: int) -> pa.Array:
    if pa.types.is_list(kind):
        return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], kind.value_type))
    return pa.nulls(n, kind)


def prediction_ids(n: int) -> pa.StringArray:
    """`n` new prediction ids as one Arrow column, straight from their bytes."""
    text = prediction_id_text(n)
    offsets = np.arange(0, 36 * n + 1, 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
