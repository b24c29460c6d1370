"""The online store's tables, as SQLAlchemy 2 ORM classes. Only `sql_store.py` uses them.

The migrations in `migrations/versions/` create the same tables without importing this module
(a migration must not change when the live models do); `tests/online/test_schema.py` checks that
the two agree on every backend.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(36)  # a UUID in its canonical text form
NAME = String(128)


class Base(DeclarativeBase):
    pass


class PredictionRow(Base):
    """One served prediction: the task outputs as columns, for metrics without parsing."""

    __tablename__ = "predictions"

    prediction_id: Mapped[str] = mapped_column(ID, primary_key=True)  # UUIDv7: time-ordered
    case_id: Mapped[str] = mapped_column(NAME)
    model_version: Mapped[str] = mapped_column(NAME)
    predict_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    latency_ms: Mapped[float] = mapped_column(Float)
    routing: Mapped[list[Any]] = mapped_column(JSON)  # [[queue, probability], ...] as served
    escalation_probability: Mapped[float | None] = mapped_column(Float)
    urgency_level: Mapped[str | None] = mapped_column(String(16))
    csat_risk_probability: Mapped[float | None] = mapped_column(Float)
    resolution_p50_hours: Mapped[float | None] = mapped_column(Float)
    resolution_p90_hours: Mapped[float | None] = mapped_column(Float)
    decision_action: Mapped[str | None] = mapped_column(String(16))
    decision_confidence: Mapped[float | None] = mapped_column(Float)
    decision_threshold: Mapped[float | None] = mapped_column(Float)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    case_text: Mapped[str | None] = mapped_column(Text)
    prediction: Mapped[bytes] = mapped_column(LargeBinary)
    experiment: Mapped[str | None] = mapped_column(NAME)  # revision 0002: experiments
    arm: Mapped[str | None] = mapped_column(NAME)
    propensity: Mapped[float | None] = mapped_column(Float)
    unit_id: Mapped[str | None] = mapped_column(NAME)
    decision_reason: Mapped[str | None] = mapped_column(String(16))  # revision 0004: why human triage

    __table_args__ = (
        # "the latest prediction for this case": the highest (time-ordered) id of the case.
        Index("ix_predictions_case_id", "case_id", "prediction_id"),
        # Every read of the log is a time window (reports, monitor, readouts, retention). Each index
        # costs every logged prediction a B-tree insert, so a version or experiment is a filter on
        # the window, not an index of its own (revision 0003).
        Index("ix_predictions_predict_time", "predict_time"),
    )


class OutcomeRow(Base):
    """A prediction's outcome, every field recorded so far merged into one row."""

    __tablename__ = "outcomes"

    prediction_id: Mapped[str] = mapped_column(
        ID, ForeignKey("predictions.prediction_id", ondelete="CASCADE"), primary_key=True
    )
    resolved_queue: Mapped[str | None] = mapped_column(NAME)
    escalated: Mapped[bool | None] = mapped_column(Boolean)
    final_urgency: Mapped[str | None] = mapped_column(String(16))
    csat_rating: Mapped[str | None] = mapped_column(String(8))
    csat_score: Mapped[int | None] = mapped_column(Integer)
    resolution_hours: Mapped[float | None] = mapped_column(Float)
    helpful_article_ids: Mapped[list[str] | None] = mapped_column(JSON)
    decision_overridden: Mapped[bool | None] = mapped_column(Boolean)
    occur_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outside_label_set: Mapped[bool] = mapped_column(Boolean, default=False)
    record_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    update_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutcomeRevisionRow(Base):
    """Every accepted change to an outcome, as sent: the history a correction keeps."""

    __tablename__ = "outcome_revisions"

    revision_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prediction_id: Mapped[str] = mapped_column(
        ID, ForeignKey("predictions.prediction_id", ondelete="CASCADE"), index=True
    )
    sent: Mapped[bytes] = mapped_column(LargeBinary)
    correction: Mapped[bool] = mapped_column(Boolean)
    record_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(NAME)


class ShadowPredictionRow(Base):
    """A shadow version's prediction of a served case, under the served prediction's id (revision 0002).

    No foreign key: the served prediction reaches the log through the writer, maybe after its shadow."""

    __tablename__ = "shadow_predictions"

    prediction_id: Mapped[str] = mapped_column(ID, primary_key=True)
    model_version: Mapped[str] = mapped_column(NAME, primary_key=True)
    experiment: Mapped[str] = mapped_column(NAME)
    predict_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    routing: Mapped[list[Any]] = mapped_column(JSON)
    decision_action: Mapped[str | None] = mapped_column(String(16))
    prediction: Mapped[bytes] = mapped_column(LargeBinary)
