"""`SqlStore`: the online store on any SQLAlchemy database (SQLite by default, PostgreSQL by URL).

Writes are idempotent by key: a prediction id logged twice is inserted once, and an outcome
field recorded twice with the same value is a no-op. Inserts of a new outcome row use
INSERT ... ON CONFLICT DO NOTHING, so two concurrent first writes for one prediction cannot both
insert; the loser then reads and merges under a row lock (SELECT ... FOR UPDATE on PostgreSQL;
SQLite's writer lock serialises writes anyway).
"""

from __future__ import annotations

import json
import json.encoder
import math
import operator
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from json.encoder import c_make_encoder  # type: ignore[attr-defined]  # CPython's C encoder
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from supportability.online import database
from supportability.online.columns import decoded_json, outcome_frame, paused_gc
from supportability.online.schema import OutcomeRevisionRow, OutcomeRow, PredictionRow, ShadowPredictionRow
from supportability.online.store import (
    OUTCOME_FIELDS,
    LoggedPrediction,
    OutcomeConflict,
    OutcomeFrame,
    OutcomeValues,
    OutcomeWrite,
    PredictionNotFound,
    PredictionRecord,
    Revision,
    ShadowFrame,
    ShadowPrediction,
    StoredOutcome,
    StoreError,
    values_in_order,
)
from supportability.v1 import prediction_pb2

# The key of the PostgreSQL advisory lock that serialises outcome writers (any constant works).
OUTCOME_WRITER_LOCK = 0x5355504F  # "SUPO"
# Ids per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
IN_CHUNK = 900
PREDICTIONS = cast(Table, PredictionRow.__table__)
_PREDICTION_FIELDS = LoggedPrediction.__slots__
_PREDICTION_VALUES = operator.attrgetter(*_PREDICTION_FIELDS)
_PREDICTION_TIME, _PREDICTION_ROUTING, _PREDICTION_INPUTS = (
    _PREDICTION_FIELDS.index(name) for name in ("predict_time", "routing", "inputs")
)
# The arguments: no circular check, no default, ASCII output, no indent, compact separators, keys
# in order, no skipped keys, NaN allowed (as json.dumps).
_encode = c_make_encoder(None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)


def _to_json(value: Any) -> str:
    """Compact JSON, as SQLAlchemy's JSON type stores it. The C encoder, made once: JSONEncoder
    makes a new one per call, which cost more than the encoding of a logged prediction's JSON."""
    return "".join(_encode(value, 0))


def _sqlite_insert(table: str, columns: Sequence[str], verb: str = "INSERT") -> str:
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


_SQLITE_LOG = _sqlite_insert("predictions", _PREDICTION_FIELDS, "INSERT OR IGNORE")


def _sqlite_time(value: datetime | None) -> str | None:
    """A time as SQLAlchemy's DateTime stores it on SQLite: naive UTC text, to the microsecond."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the store's own times are UTC already: no conversion
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _sqlite_row(p: LoggedPrediction) -> tuple[Any, ...]:
    """A logged prediction as SQLAlchemy would store it on SQLite (naive UTC text times, JSON text)."""
    row = list(_PREDICTION_VALUES(p))
    row[_PREDICTION_TIME] = _sqlite_time(row[_PREDICTION_TIME])
    row[_PREDICTION_ROUTING] = _to_json(row[_PREDICTION_ROUTING])
    row[_PREDICTION_INPUTS] = _to_json(row[_PREDICTION_INPUTS])
    return tuple(row)  # SQLAlchemy passes tuples through to the driver as they are


OUTCOMES = cast(Table, OutcomeRow.__table__)
REVISIONS = cast(Table, OutcomeRevisionRow.__table__)
OUTCOME_COLUMNS = tuple(column.key for column in OUTCOMES.columns)
# The round's statements, built once: constructing a statement per call costs more than running it.
_TARGET_COLUMNS = select(PredictionRow.prediction_id, PredictionRow.case_id, PredictionRow.model_version)
_TARGETS_BY_ID = _TARGET_COLUMNS.where(PredictionRow.prediction_id.in_(bindparam("ids", expanding=True)))
_TARGETS_BY_CASE = _TARGET_COLUMNS.where(PredictionRow.case_id.in_(bindparam("cases", expanding=True))).order_by(
    PredictionRow.prediction_id
)
_OUTCOMES_BY_ID = select(OUTCOMES).where(OUTCOMES.c.prediction_id.in_(bindparam("ids", expanding=True)))
_INSERT_OUTCOMES = insert(OUTCOMES)
_INSERT_REVISIONS = insert(REVISIONS)
_REVISION_COLUMNS = ("prediction_id", "sent", "correction", "record_time", "request_id")
_SQLITE_OUTCOMES = _sqlite_insert("outcomes", OUTCOME_COLUMNS)
_SQLITE_REVISIONS = _sqlite_insert("outcome_revisions", _REVISION_COLUMNS)
_OUTCOME_TIMES = [OUTCOME_COLUMNS.index(name) for name in ("occur_time", "record_time", "update_time")]
_OUTCOME_ARTICLES = OUTCOME_COLUMNS.index("helpful_article_ids")
_OUTCOME_ROW = operator.itemgetter(*OUTCOME_COLUMNS)  # a row dict's values in column order, one C call
_UPDATE_OUTCOMES = (
    update(OUTCOMES)
    .where(OUTCOMES.c.prediction_id == bindparam("key"))
    .values(**{name: bindparam(name) for name in OUTCOME_COLUMNS if name != "prediction_id"})
)
# The round's reads on SQLite, straight to the driver: through SQLAlchemy, a one-outcome round's
# statements cost more CPU than its commit (the IN lists are filled in per round).
_SQLITE_TARGETS_BY_ID = "SELECT prediction_id, case_id, model_version FROM predictions WHERE prediction_id IN ({})"
_SQLITE_TARGETS_BY_CASE = (
    "SELECT prediction_id, case_id, model_version FROM predictions WHERE case_id IN ({}) ORDER BY prediction_id"
)
_SQLITE_OUTCOMES_BY_ID = f"SELECT {', '.join(OUTCOME_COLUMNS)} FROM outcomes WHERE prediction_id IN ({{}})"
_OUTCOME_BOOLEANS = [OUTCOME_COLUMNS.index(name) for name in ("escalated", "decision_overridden", "outside_label_set")]
# The routing label set of a model version, or None when the version is unknown here.
KnownQueues = Callable[[str], Collection[str] | None]


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time the store returns is aware, in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _from_sqlite_outcome(stored: Sequence[Any]) -> dict[str, Any]:
    """An outcome row as SQLite stores it, typed as SQLAlchemy would read it back."""
    row = list(stored)
    for i in _OUTCOME_TIMES:
        row[i] = None if row[i] is None else datetime.fromisoformat(row[i])
    for i in _OUTCOME_BOOLEANS:
        row[i] = None if row[i] is None else bool(row[i])
    articles = row[_OUTCOME_ARTICLES]
    row[_OUTCOME_ARTICLES] = None if articles is None else json.loads(articles)
    return dict(zip(OUTCOME_COLUMNS, row, strict=True))


def _sqlite_in(statement: str, connection: Any, keys: Sequence[str]) -> list[tuple[Any, ...]]:
    """`statement`'s rows for every key, through the driver, IN lists of at most IN_CHUNK."""
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(keys):
        rows += connection.execute(statement.format(",".join("?" * len(chunk))), chunk).fetchall()
    return rows


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + IN_CHUNK] for i in range(0, len(items), IN_CHUNK)]


def _values(row: Mapping[str, Any]) -> OutcomeValues:
    articles = row["helpful_article_ids"]
    return OutcomeValues(
        resolved_queue=row["resolved_queue"],
        escalated=row["escalated"],
        final_urgency=row["final_urgency"],
        csat_rating=row["csat_rating"],
        csat_score=row["csat_score"],
        resolution_hours=row["resolution_hours"],
        helpful_article_ids=None if articles is None else tuple(articles),
        decision_overridden=row["decision_overridden"],
    )


def _stored(row: Mapping[str, Any], case_id: str, model_version: str) -> StoredOutcome:
    return StoredOutcome(
        prediction_id=row["prediction_id"],
        case_id=case_id,
        model_version=model_version,
        values=_values(row),
        occur_time=_utc(row["occur_time"]),
        outside_label_set=row["outside_label_set"],
        record_time=_utc(row["record_time"]) or row["record_time"],
        update_time=_utc(row["update_time"]) or row["update_time"],
    )


def _row_of(row: OutcomeRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in OUTCOME_COLUMNS}


class _Round:
    """One round of outcome writes merged in memory: each group sees the groups before it, and a
    group that fails (unknown prediction, conflict) leaves no trace."""

    def __init__(
        self,
        targets: dict[tuple[str, str], tuple[str, str, str]],
        current: dict[str, dict[str, Any]],
        outside: Callable[[str, str | None], bool],
        now: datetime,
    ) -> None:
        self.targets, self.state, self.outside, self.now = targets, current, outside, now
        self.created: set[str] = set()  # prediction ids whose outcome row is new in this round
        self.changed: set[str] = set()
        self.revisions: list[dict[str, Any]] = []

    def apply(self, group: Sequence[OutcomeWrite]) -> list[StoredOutcome]:
        trial: dict[str, dict[str, Any]] = {}
        revisions: list[dict[str, Any]] = []
        stored = []
        for index, write in enumerate(group):
            try:
                stored.append(self._merge(write, trial, revisions))
            except (PredictionNotFound, OutcomeConflict) as exc:
                exc.index = index
                raise
        for pid, row in trial.items():  # the group succeeded: keep what it did
            if pid not in self.state:
                self.created.add(pid)
            else:
                self.changed.add(pid)
            self.state[pid] = row
        self.revisions += revisions
        return stored

    def _merge(
        self, write: OutcomeWrite, trial: dict[str, dict[str, Any]], revisions: list[dict[str, Any]]
    ) -> StoredOutcome:
        target = self.targets.get((write.prediction_id, "" if write.prediction_id else write.case_id))
        if target is None:
            raise PredictionNotFound(write.prediction_id, write.case_id)
        pid, case_id, version = target
        row = trial.get(pid) or self.state.get(pid)
        if row is None:
            return self._first(write, pid, case_id, version, trial, revisions)
        current = _values(row)
        changed = {}
        for name, value in write.values.given().items():
            recorded = getattr(current, name)
            if recorded == value:
                continue
            if recorded is not None and not write.correction:
                raise OutcomeConflict(pid, name, recorded, value)
            changed[name] = value
        if not changed:
            return _stored(row, case_id, version)  # the same outcome again: nothing to do
        row = dict(row) | {"update_time": self.now} | {name: _column(value) for name, value in changed.items()}
        if write.correction and write.occur_time is not None:
            row["occur_time"] = write.occur_time
        row["outside_label_set"] = self.outside(version, row["resolved_queue"])
        trial[pid] = row
        revisions.append(self._revision(pid, write))
        return _stored(row, case_id, version)

    def _first(
        self,
        write: OutcomeWrite,
        pid: str,
        case_id: str,
        version: str,
        trial: dict[str, dict[str, Any]],
        revisions: list[dict[str, Any]],
    ) -> StoredOutcome:
        """A prediction's first outcome (most writes): its row is what was sent, so it is built in
        one go, and the answer is the write's own values, not read back out of the row."""
        occur_time = write.occur_time or self.now
        row = dict(zip(OUTCOME_FIELDS, values_in_order(write.values), strict=True))
        if row["helpful_article_ids"] is not None:
            row["helpful_article_ids"] = list(row["helpful_article_ids"])
        outside = self.outside(version, row["resolved_queue"])
        row |= {
            "prediction_id": pid,
            "occur_time": occur_time,
            "outside_label_set": outside,
            "record_time": self.now,
            "update_time": self.now,
        }
        trial[pid] = row
        revisions.append(self._revision(pid, write))
        return StoredOutcome(pid, case_id, version, write.values, _utc(occur_time), outside, self.now, self.now)

    def _revision(self, pid: str, write: OutcomeWrite) -> dict[str, Any]:
        return {
            "prediction_id": pid,
            "sent": write.sent,
            "correction": write.correction,
            "record_time": self.now,
            "request_id": write.request_id,
        }

    def flush(self, connection: Connection) -> None:
        """Write the round back: new rows, changed rows and revisions, one statement each."""
        if connection.dialect.name == "sqlite":
            self._insert_on_sqlite(connection)
        else:
            if self.created:
                connection.execute(_INSERT_OUTCOMES, [self.state[pid] for pid in sorted(self.created)])
            if self.revisions:
                connection.execute(_INSERT_REVISIONS, self.revisions)
        changed = sorted(self.changed - self.created)
        if changed:
            columns = [name for name in OUTCOME_COLUMNS if name != "prediction_id"]
            connection.execute(
                _UPDATE_OUTCOMES, [{"key": pid, **{n: self.state[pid][n] for n in columns}} for pid in changed]
            )

    def _insert_on_sqlite(self, connection: Connection) -> None:
        """The inserts as tuples in SQLite's storage format, as the prediction log does: binding a
        round's times and JSON through SQLAlchemy cost more than the inserts themselves."""
        now = _sqlite_time(self.now)

        def stored_time(value: datetime | None) -> str | None:
            return now if value is self.now else _sqlite_time(value)  # most times are the round's own

        rows = []
        for pid in sorted(self.created):
            row = list(_OUTCOME_ROW(self.state[pid]))
            for i in _OUTCOME_TIMES:
                row[i] = stored_time(row[i])
            row[_OUTCOME_ARTICLES] = _to_json(row[_OUTCOME_ARTICLES])  # None as JSON null, as SQLAlchemy stores it
            rows.append(tuple(row))
        if rows:
            connection.exec_driver_sql(_SQLITE_OUTCOMES, rows)
        if self.revisions:
            revisions = [
                (r["prediction_id"], r["sent"], r["correction"], stored_time(r["record_time"]), r["request_id"])
                for r in self.revisions
            ]
            connection.exec_driver_sql(_SQLITE_REVISIONS, revisions)


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
        experiment=row.experiment,
        arm=row.arm,
        propensity=row.propensity,
        unit_id=row.unit_id,
        decision_reason=row.decision_reason,
    )


def _rowcount(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount  # DML statements return a CursorResult


def _column(value: Any) -> Any:
    """An outcome value as its column holds it (JSON lists for the article ids)."""
    return list(value) if isinstance(value, tuple) else value


class SqlStore:
    """The prediction log and outcome store on one database. Thread-safe; one instance per process."""

    def __init__(
        self, url: str = database.DEFAULT_STORE, *, known_queues: KnownQueues | None = None, check_schema: bool = True
    ) -> None:
        """`check_schema=False` only for a store the caller has just checked (the writer process's)."""
        self.url = url
        self._writer_engine, self._reader_engine = database.engines(url)
        try:
            if check_schema:
                database.check_schema(self._writer_engine, url)
        except BaseException:  # a refused store leaves no connection behind
            self.close()
            raise
        self._write = database.ManagedTransactions(self._writer_engine)
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
        with self._write() as connection:
            if self._writer_engine.dialect.name == "sqlite":
                # Every served prediction passes here: SQLAlchemy's per-row binding cost more than
                # SQLite's insert, so rows go to the driver as tuples, already in its storage format.
                connection.exec_driver_sql(_SQLITE_LOG, [_sqlite_row(p) for p in predictions])
            else:
                rows = [{name: getattr(p, name) for name in _PREDICTION_FIELDS} for p in predictions]
                connection.execute(self._insert_ignoring(PREDICTIONS), rows)

    def log_shadow_predictions(self, shadows: Sequence[ShadowPrediction]) -> None:
        if not shadows:
            return
        rows = [{name: getattr(s, name) for name in ShadowPrediction.__slots__} for s in shadows]
        with self._write() as connection:
            connection.execute(self._insert_ignoring(ShadowPredictionRow.__table__), rows)

    def shadow_predictions(self, prediction_id: str) -> list[ShadowPrediction]:
        """The shadow predictions stored under a served prediction's id, by version."""
        query = (
            select(ShadowPredictionRow)
            .where(ShadowPredictionRow.prediction_id == prediction_id)
            .order_by(ShadowPredictionRow.model_version)
        )
        with self._read() as session:
            return [
                ShadowPrediction(
                    r.prediction_id,
                    r.model_version,
                    r.experiment,
                    _utc(r.predict_time) or r.predict_time,
                    r.latency_ms,
                    tuple((queue, probability) for queue, probability in r.routing),
                    r.decision_action,
                    r.prediction,
                )
                for r in session.scalars(query)
            ]

    def shadow_frame(self, experiment: str, *, since: datetime | None = None) -> ShadowFrame:
        s = ShadowPredictionRow
        query = (
            select(s.prediction_id, s.model_version, type_coerce(s.routing, String), s.decision_action, s.prediction)
            .where(s.experiment == experiment)
            .order_by(s.prediction_id, s.model_version)
        )
        if since is not None:
            query = query.where(s.predict_time >= since)
        with paused_gc(), self._read() as session:
            rows = session.connection().execute(query).all()
        ids, versions, routing, actions, served = zip(*rows, strict=True) if rows else ((),) * 5
        return ShadowFrame(
            prediction_id=np.array(ids, dtype=object),
            model_version=np.array(versions, dtype=object),
            routing=[tuple(map(tuple, r)) for r in decoded_json(routing)],
            decision_action=np.array([a or "" for a in actions], dtype=object),
            # Not a column of its own: only the shadow readout reads it, from the stored prediction.
            escalation_probability=np.array([_escalation(p) for p in served], dtype=float),
        )

    # -- outcomes ------------------------------------------------------------------------------

    def record_outcomes(self, groups: Sequence[Sequence[OutcomeWrite]]) -> list[list[StoredOutcome] | StoreError]:
        """One transaction for the whole round, in a few set-based statements whatever its size:
        read every target and current outcome at once, merge in Python, write back in bulk."""
        now = datetime.now(UTC)
        writes = [w for group in groups for w in group]
        with self._write() as connection:
            if self._writer_engine.dialect.name == "postgresql":
                # One outcome writer at a time across server processes, so read-merge-write is safe
                # (SQLite's BEGIN IMMEDIATE already holds its only write lock).
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTCOME_WRITER_LOCK})
            targets = self._targets(connection, writes)
            current = self._current(connection, sorted({pid for pid, _, _ in targets.values()}))
            round_ = _Round(targets, current, self._outside, now)
            results: list[list[StoredOutcome] | StoreError] = []
            for group in groups:
                try:
                    results.append(round_.apply(group))
                except (PredictionNotFound, OutcomeConflict) as exc:
                    results.append(exc)
            round_.flush(connection)
        return results

    def _targets(
        self, connection: Connection, writes: Sequence[OutcomeWrite]
    ) -> dict[tuple[str, str], tuple[str, str, str]]:
        """(prediction_id, case_id) of each write -> (prediction_id, case_id, model_version) of its prediction."""
        ids = sorted({w.prediction_id for w in writes if w.prediction_id})
        cases = sorted({w.case_id for w in writes if not w.prediction_id})
        if connection.dialect.name == "sqlite":
            driver = connection.connection.driver_connection
            by_id, by_case = (
                _sqlite_in(_SQLITE_TARGETS_BY_ID, driver, ids),
                _sqlite_in(_SQLITE_TARGETS_BY_CASE, driver, cases),
            )
        else:
            by_id = [r for c in _chunks(ids) for r in connection.execute(_TARGETS_BY_ID, {"ids": c})]
            by_case = [r for c in _chunks(cases) for r in connection.execute(_TARGETS_BY_CASE, {"cases": c})]
        found: dict[tuple[str, str], tuple[str, str, str]] = {}
        for pid, case, version in by_id:
            found[(pid, "")] = (pid, case, version)
        # Ascending ids: the last one seen for a case is its latest prediction (UUIDv7 sorts by time).
        for pid, case, version in by_case:
            found[("", case)] = (pid, case, version)
        return found

    def _target(self, connection: Connection, prediction_id: str, case_id: str) -> tuple[str, str, str]:
        if prediction_id:
            found = connection.execute(_TARGETS_BY_ID, {"ids": [prediction_id]}).all()
        else:
            found = connection.execute(_TARGETS_BY_CASE, {"cases": [case_id]}).all()
        if not found:
            raise PredictionNotFound(prediction_id, case_id)
        pid, case, version = found[-1]  # by case, ids ascend: the last is the latest prediction
        return pid, case, version

    def _current(self, connection: Connection, prediction_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored outcome rows of the round's target predictions, by prediction id, as column dicts."""
        if connection.dialect.name == "sqlite":
            stored = _sqlite_in(_SQLITE_OUTCOMES_BY_ID, connection.connection.driver_connection, prediction_ids)
            rows = [_from_sqlite_outcome(row) for row in stored]
        else:
            rows = [
                dict(r)
                for c in _chunks(prediction_ids)
                for r in connection.execute(_OUTCOMES_BY_ID, {"ids": c}).mappings()
            ]
        return {row["prediction_id"]: row for row in rows}

    def _outside(self, model_version: str, queue: str | None) -> bool:
        known = self._known_queues(model_version)
        return queue is not None and known is not None and queue not in known

    # -- reading -------------------------------------------------------------------------------

    def prediction_record(self, *, prediction_id: str = "", case_id: str = "") -> PredictionRecord:
        with self._read() as session:
            found_id, case, version = self._target(session.connection(), prediction_id, case_id)
            prediction = session.get_one(PredictionRow, found_id)
            outcome = session.get(OutcomeRow, found_id)
            revisions = session.scalars(
                select(OutcomeRevisionRow)
                .where(OutcomeRevisionRow.prediction_id == found_id)
                .order_by(OutcomeRevisionRow.revision_id)
            ).all()
            return PredictionRecord(
                prediction=_logged(prediction),
                outcome=None if outcome is None else _stored(_row_of(outcome), case, version),
                revisions=tuple(
                    Revision(r.sent, _utc(r.record_time) or r.record_time, r.request_id, r.correction)
                    for r in revisions
                ),
            )

    def frame(
        self, *, since: datetime | None = None, until: datetime | None = None, version: str | None = None
    ) -> OutcomeFrame:
        p, o = PredictionRow, OutcomeRow
        # JSON and times come back as the driver returns them (type_coerce skips SQLAlchemy's
        # per-value conversion, which took most of a minute at a million rows) and are converted
        # a column at a time (online/columns.py).
        raw = [type_coerce(c, String).label(c.key) for c in (p.predict_time, p.routing, p.inputs)]
        query = (
            select(
                p.prediction_id,
                p.model_version,
                *raw,
                p.escalation_probability,
                p.urgency_level,
                p.csat_risk_probability,
                p.resolution_p50_hours,
                p.resolution_p90_hours,
                p.decision_action,
                p.decision_confidence,
                p.decision_threshold,
                p.experiment,
                p.arm,
                p.propensity,
                p.unit_id,
                o.prediction_id.label("outcome_id"),
                type_coerce(o.record_time, String).label("record_time"),
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
        with paused_gc(), self._read() as session:
            result = session.connection().execute(query)
            names, rows = list(result.keys()), result.all()
            values = list(zip(*rows, strict=True)) if rows else [()] * len(names)  # row by row -> columns
            return outcome_frame(dict(zip(names, values, strict=True)))

    def labelled_predictions(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[LoggedPrediction, StoredOutcome]]:
        """The logged predictions in the window that have an outcome, each with it, oldest first.

        Unlike `frame`, each record carries the case id and the logged case text (when the server
        kept it): what `train --from-outcomes` builds its training cases from."""
        p, o = PredictionRow, OutcomeRow
        query = select(p, o).join(o, o.prediction_id == p.prediction_id).order_by(p.prediction_id)
        if since is not None:
            query = query.where(p.predict_time >= since)
        if until is not None:
            query = query.where(p.predict_time < until)
        with self._read() as session:
            return [
                (_logged(prediction), _stored(_row_of(outcome), prediction.case_id, prediction.model_version))
                for prediction, outcome in session.execute(query).all()
            ]

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
        with self._write() as connection:
            # Children first: SQLite enforces ON DELETE CASCADE only with foreign keys on, so do not rely on it.
            connection.execute(delete(OutcomeRevisionRow).where(OutcomeRevisionRow.prediction_id.in_(old)))
            connection.execute(delete(OutcomeRow).where(OutcomeRow.prediction_id.in_(old)))
            connection.execute(delete(ShadowPredictionRow).where(ShadowPredictionRow.predict_time < before))
            return _rowcount(connection.execute(delete(PredictionRow).where(PredictionRow.predict_time < before)))

    def ping(self) -> None:
        with self._read() as session:
            session.execute(text("SELECT 1"))

    def close(self) -> None:
        self._writer_engine.dispose()
        self._reader_engine.dispose()


def _escalation(prediction: bytes) -> float:
    parsed = prediction_pb2.CasePrediction.FromString(prediction)
    return parsed.escalation.probability if parsed.HasField("escalation") else math.nan
