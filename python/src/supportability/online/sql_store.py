"""`SqlStore`: the online store on any SQLAlchemy database (SQLite by default, PostgreSQL by URL).

Writes are idempotent by key: a prediction id logged twice is inserted once, and an outcome
field recorded twice with the same value is a no-op. Inserts of a new outcome row use
INSERT ... ON CONFLICT DO NOTHING, so two concurrent first writes for one prediction cannot both
insert; the loser then reads and merges under a row lock (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's writer lock serialises writes anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import CursorResult, Engine, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from supportability.online import database
from supportability.online.schema import OutcomeRevisionRow, OutcomeRow, PredictionRow
from supportability.online.store import (
    LoggedPrediction,
    OutcomeConflict,
    OutcomeFrame,
    OutcomeValues,
    OutcomeWrite,
    PredictionNotFound,
    PredictionRecord,
    Revision,
    StoredOutcome,
    StoreError,
)

# The routing label set of a model version, or None when the version is unknown here.
KnownQueues = Callable[[str], Collection[str] | None]


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time the store returns is aware, in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _values(row: OutcomeRow) -> OutcomeValues:
    articles = row.helpful_article_ids
    return OutcomeValues(
        resolved_queue=row.resolved_queue,
        escalated=row.escalated,
        final_urgency=row.final_urgency,
        csat_rating=row.csat_rating,
        csat_score=row.csat_score,
        resolution_hours=row.resolution_hours,
        helpful_article_ids=None if articles is None else tuple(articles),
        decision_overridden=row.decision_overridden,
    )


def _stored(row: OutcomeRow, case_id: str, model_version: str) -> StoredOutcome:
    return StoredOutcome(
        prediction_id=row.prediction_id,
        case_id=case_id,
        model_version=model_version,
        values=_values(row),
        occur_time=_utc(row.occur_time),
        outside_label_set=row.outside_label_set,
        record_time=_utc(row.record_time) or row.record_time,
        update_time=_utc(row.update_time) or row.update_time,
    )


def _logged(row: PredictionRow) -> LoggedPrediction:
    return LoggedPrediction(
        prediction_id=row.prediction_id,
        case_id=row.case_id,
        model_version=row.model_version,
        predict_time=_utc(row.predict_time) or row.predict_time,
        latency_ms=row.latency_ms,
        routing=tuple((queue, probability) for queue, probability in row.routing),
        escalation_probability=row.escalation_probability,
        urgency_level=row.urgency_level,
        csat_risk_probability=row.csat_risk_probability,
        resolution_p50_hours=row.resolution_p50_hours,
        resolution_p90_hours=row.resolution_p90_hours,
        decision_action=row.decision_action,
        decision_confidence=row.decision_confidence,
        decision_threshold=row.decision_threshold,
        inputs=row.inputs,
        case_text=row.case_text,
        prediction=row.prediction,
    )


def _rowcount(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount  # DML statements return a CursorResult


def _column(value: Any) -> Any:
    """An outcome value as its column holds it (JSON lists for the article ids)."""
    return list(value) if isinstance(value, tuple) else value


class SqlStore:
    """The prediction log and outcome store on one database. Thread-safe; one instance per process."""

    def __init__(self, url: str = database.DEFAULT_STORE, *, known_queues: KnownQueues | None = None) -> None:
        self.url = url
        self._writer_engine, self._reader_engine = database.engines(url)
        database.check_schema(self._writer_engine, url)
        self._write = database.ManagedSessions(self._writer_engine)
        self._read = database.ManagedSessions(self._reader_engine)
        self._known_queues = known_queues or (lambda _version: None)
        dialect = self._writer_engine.dialect.name
        self._insert_ignoring: Callable[..., Any] = (
            (lambda table: postgresql.insert(table).on_conflict_do_nothing())
            if dialect == "postgresql"
            else (lambda table: sqlite.insert(table).on_conflict_do_nothing())
        )

    @property
    def engine(self) -> Engine:
        return self._writer_engine

    # -- the prediction log -------------------------------------------------------------------

    def log_predictions(self, predictions: Sequence[LoggedPrediction]) -> None:
        if not predictions:
            return
        rows = [
            {name: getattr(p, name) for name in LoggedPrediction.__slots__} | {"routing": [list(q) for q in p.routing]}
            for p in predictions
        ]
        with self._write() as session:
            session.execute(self._insert_ignoring(PredictionRow), rows)

    # -- outcomes ------------------------------------------------------------------------------

    def record_outcomes(self, groups: Sequence[Sequence[OutcomeWrite]]) -> list[list[StoredOutcome] | StoreError]:
        results: list[list[StoredOutcome] | StoreError] = []
        now = datetime.now(UTC)
        with self._write() as session:
            for group in groups:
                try:
                    with session.begin_nested():  # a failing group rolls back alone
                        results.append(self._record_group(session, group, now))
                except (PredictionNotFound, OutcomeConflict) as exc:
                    results.append(exc)
        return results

    def _record_group(self, session: Session, group: Sequence[OutcomeWrite], now: datetime) -> list[StoredOutcome]:
        stored = []
        for index, write in enumerate(group):
            try:
                stored.append(self._record(session, write, now))
            except (PredictionNotFound, OutcomeConflict) as exc:
                exc.index = index
                raise
        return stored

    def _target(self, session: Session, prediction_id: str, case_id: str) -> tuple[str, str, str]:
        columns = select(PredictionRow.prediction_id, PredictionRow.case_id, PredictionRow.model_version)
        if prediction_id:
            found = session.execute(columns.where(PredictionRow.prediction_id == prediction_id)).first()
        else:  # the latest prediction for the case: UUIDv7 ids sort by time
            found = session.execute(
                columns.where(PredictionRow.case_id == case_id).order_by(PredictionRow.prediction_id.desc()).limit(1)
            ).first()
        if found is None:
            raise PredictionNotFound(prediction_id, case_id)
        return found[0], found[1], found[2]

    def _outside(self, model_version: str, queue: str | None) -> bool:
        known = self._known_queues(model_version)
        return queue is not None and known is not None and queue not in known

    def _record(self, session: Session, write: OutcomeWrite, now: datetime) -> StoredOutcome:
        prediction_id, case_id, model_version = self._target(session, write.prediction_id, write.case_id)
        given = write.values.given()
        fresh = {name: _column(value) for name, value in given.items()} | {
            "prediction_id": prediction_id,
            "occur_time": write.occur_time or now,
            "outside_label_set": self._outside(model_version, write.values.resolved_queue),
            "record_time": now,
            "update_time": now,
        }
        # RETURNING says whether this call inserted the row (rowcount is not reliable across drivers).
        insert = self._insert_ignoring(OutcomeRow).values(**fresh).returning(OutcomeRow.prediction_id)
        inserted = session.execute(insert).first() is not None
        row = session.execute(
            select(OutcomeRow).where(OutcomeRow.prediction_id == prediction_id).with_for_update()
        ).scalar_one()
        if not inserted:
            current = _values(row)
            changed = {}
            for name, value in given.items():
                recorded = getattr(current, name)
                if recorded == value:
                    continue
                if recorded is not None and not write.correction:
                    raise OutcomeConflict(prediction_id, name, recorded, value)
                changed[name] = value
            if not changed:
                return _stored(row, case_id, model_version)  # the same outcome again: nothing to do
            for name, value in changed.items():
                setattr(row, name, _column(value))
            if write.correction and write.occur_time is not None:
                row.occur_time = write.occur_time
            row.outside_label_set = self._outside(model_version, row.resolved_queue)
            row.update_time = now
        session.add(
            OutcomeRevisionRow(
                prediction_id=prediction_id,
                sent=write.sent,
                correction=write.correction,
                record_time=now,
                request_id=write.request_id,
            )
        )
        session.flush()
        return _stored(row, case_id, model_version)

    # -- reading -------------------------------------------------------------------------------

    def prediction_record(self, *, prediction_id: str = "", case_id: str = "") -> PredictionRecord:
        with self._read() as session:
            found_id, case, version = self._target(session, prediction_id, case_id)
            prediction = session.get_one(PredictionRow, found_id)
            outcome = session.get(OutcomeRow, found_id)
            revisions = session.scalars(
                select(OutcomeRevisionRow)
                .where(OutcomeRevisionRow.prediction_id == found_id)
                .order_by(OutcomeRevisionRow.revision_id)
            ).all()
            return PredictionRecord(
                prediction=_logged(prediction),
                outcome=None if outcome is None else _stored(outcome, case, version),
                revisions=tuple(
                    Revision(r.sent, _utc(r.record_time) or r.record_time, r.request_id, r.correction)
                    for r in revisions
                ),
            )

    def frame(
        self, *, since: datetime | None = None, until: datetime | None = None, version: str | None = None
    ) -> OutcomeFrame:
        p, o = PredictionRow, OutcomeRow
        query = (
            select(
                p.prediction_id,
                p.model_version,
                p.predict_time,
                p.routing,
                p.escalation_probability,
                p.urgency_level,
                p.csat_risk_probability,
                p.resolution_p50_hours,
                p.resolution_p90_hours,
                p.decision_action,
                p.decision_confidence,
                p.decision_threshold,
                p.inputs,
                o.prediction_id,
                o.record_time,
                o.resolved_queue,
                o.outside_label_set,
                o.escalated,
                o.final_urgency,
                o.csat_rating,
                o.csat_score,
                o.resolution_hours,
                o.decision_overridden,
            )
            .outerjoin(o, o.prediction_id == p.prediction_id)
            .order_by(p.prediction_id)
        )
        if since is not None:
            query = query.where(p.predict_time >= since)
        if until is not None:
            query = query.where(p.predict_time < until)
        if version is not None:
            query = query.where(p.model_version == version)
        with self._read() as session:
            rows = session.execute(query.execution_options(yield_per=50_000)).all()
        return _frame(rows)

    def count(self) -> tuple[int, int]:
        """(logged predictions, predictions with an outcome)."""
        with self._read() as session:
            return (
                session.scalar(select(func.count()).select_from(PredictionRow)) or 0,
                session.scalar(select(func.count()).select_from(OutcomeRow)) or 0,
            )

    # -- upkeep --------------------------------------------------------------------------------

    def prune(self, before: datetime) -> int:
        old = select(PredictionRow.prediction_id).where(PredictionRow.predict_time < before)
        with self._write() as session:
            # Children first: SQLite enforces ON DELETE CASCADE only with foreign keys on, so do not rely on it.
            session.execute(delete(OutcomeRevisionRow).where(OutcomeRevisionRow.prediction_id.in_(old)))
            session.execute(delete(OutcomeRow).where(OutcomeRow.prediction_id.in_(old)))
            return _rowcount(session.execute(delete(PredictionRow).where(PredictionRow.predict_time < before)))

    def ping(self) -> None:
        with self._read() as session:
            session.execute(text("SELECT 1"))

    def close(self) -> None:
        self._writer_engine.dispose()
        self._reader_engine.dispose()


_FLOATS = {
    "escalation_probability": 4,
    "csat_risk_probability": 6,
    "resolution_p50_hours": 7,
    "resolution_p90_hours": 8,
    "decision_confidence": 10,
    "decision_threshold": 11,
}


def _flag(value: bool | None) -> float:
    return np.nan if value is None else float(value)


def _csat_bad(rating: str | None, score: int | None) -> float:
    if rating is not None:
        return float(rating == "bad")
    return np.nan if score is None else float(score <= 2)


def _frame(rows: Sequence[Any]) -> OutcomeFrame:
    def strings(i: int) -> np.ndarray:
        return np.array([r[i] or "" for r in rows], dtype=object)

    def floats(i: int) -> np.ndarray:
        return np.array([np.nan if r[i] is None else r[i] for r in rows], dtype=float)

    def seconds(i: int) -> np.ndarray:
        return np.array([np.nan if r[i] is None else (_utc(r[i]) or r[i]).timestamp() for r in rows], dtype=float)

    return OutcomeFrame(
        prediction_id=strings(0),
        model_version=strings(1),
        predict_time=seconds(2),
        routing=[tuple((q, float(pr)) for q, pr in r[3]) for r in rows],
        urgency_level=strings(5),
        decision_action=strings(9),
        inputs=[r[12] for r in rows],
        has_outcome=np.array([r[13] is not None for r in rows], dtype=bool),
        record_time=seconds(14),
        resolved_queue=strings(15),
        outside_label_set=np.array([bool(r[16]) for r in rows], dtype=bool),
        escalated=np.array([_flag(r[17]) for r in rows], dtype=float),
        final_urgency=strings(18),
        csat_bad=np.array([_csat_bad(r[19], r[20]) for r in rows], dtype=float),
        resolution_hours=floats(21),
        decision_overridden=np.array([_flag(r[22]) for r in rows], dtype=float),
        **{name: floats(i) for name, i in _FLOATS.items()},
    )
