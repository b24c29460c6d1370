"""The columns of scored cases: every task's outputs, the prediction id and the model version.

One schema for both engines, so a Spark run and a local run of the same file are the same table
(row for row, but the prediction ids, which are minted per prediction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from uuid6 import uuid7

from supportability.domain import Case
from supportability.models.api import CaseResult, SupportModel

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


def score(model: SupportModel, rows: Sequence[int | None], cases: Sequence[Case]) -> dict[str, list[Any]]:
    """The model's predictions for `cases` as columns of SCHEMA (input row numbers in `rows`)."""
    results = model.predict(cases, top_k=TOP_K, article_count=ARTICLE_COUNT) if cases else []
    return columns_of(model.info.version, rows, cases, results)


def columns_of(
    version: str, rows: Sequence[int | None], cases: Sequence[Case], results: Sequence[CaseResult]
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for row, case, r in zip(rows, cases, results, strict=True):
        routing = r.routing or []
        urgency = r.urgency
        resolution = r.resolution_time
        articles = r.articles or []
        decision = r.decision
        values: dict[str, Any] = {
            "row": row,
            "case_id": case.case_id,
            "prediction_id": str(uuid7()),
            "model_version": version,
            "routing_queue": routing[0][0] if routing else None,
            "routing_probability": routing[0][1] if routing else None,
            "routing_top_queues": [q for q, _ in routing],
            "routing_top_probabilities": [p for _, p in routing],
            "escalation_probability": r.escalation,
            "urgency_level": None if urgency is None else urgency[0],
            "urgency_probability": None if urgency is None else urgency[1][urgency[0]],
            "csat_risk_probability": r.csat_risk,
            "resolution_p50_hours": None if resolution is None else resolution[0],
            "resolution_p90_hours": None if resolution is None else resolution[1],
            "suggested_article_ids": [a[0] for a in articles],
            "suggested_article_scores": [a[2] for a in articles],
            "decision_action": None if decision is None else decision[0],
            "decision_confidence": None if decision is None else decision[2],
            "decision_threshold": None if decision is None else decision[3],
            "decision_reason": r.decision_reason,
        }
        for name, value in values.items():
            out[name].append(value)
    return out


def table(columns: dict[str, list[Any]]) -> pa.Table:
    return pa.Table.from_pydict(columns, schema=SCHEMA)
