"""The online store on both backends: idempotent writes, conflicts, corrections, atomic groups,
the prediction log, the joined frame, retention and the schema check."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from supportability.online import database
from supportability.online.sql_store import SqlStore
from supportability.online.store import (
    LoggedPrediction,
    OutcomeConflict,
    OutcomeValues,
    OutcomeWrite,
    PredictionNotFound,
    SchemaError,
)
from supportability.testing import logged_prediction

QUEUES = {"payouts", "disputes", "refunds"}


def _prediction(n: int, *, case_id: str = "", version: str = "v1", when: datetime | None = None) -> LoggedPrediction:
    return logged_prediction(
        n,
        case_id=case_id or f"case-{n}",
        model_version=version,
        predict_time=when or datetime.now(UTC),
        prediction=b"\x0a\x01x",
    )


def _write(prediction_id: str = "", case_id: str = "", correction: bool = False, **values: object) -> OutcomeWrite:
    return OutcomeWrite(prediction_id, case_id, OutcomeValues(**values), None, correction, "req", b"sent")  # type: ignore[arg-type]


@pytest.fixture
def store(store_url: str):
    s = SqlStore(store_url, known_queues=lambda version: QUEUES if version == "v1" else None)
    yield s
    s.close()


def test_the_same_outcome_twice_is_stored_once(store):
    p = _prediction(1)
    store.log_predictions([p, p])  # a logged id is ignored the second time
    first, again = store.record_outcomes([[_write(p.prediction_id, resolved_queue="payouts", escalated=True)]] * 2)
    assert first == again
    record = store.prediction_record(prediction_id=p.prediction_id)
    assert len(record.revisions) == 1
    assert record.outcome.values.given() == {"resolved_queue": "payouts", "escalated": True}
    assert store.count() == (1, 1)


def test_fields_arrive_over_several_calls_and_merge(store):
    p = _prediction(2)
    store.log_predictions([p])
    store.record_outcomes([[_write(p.prediction_id, escalated=False)]])
    [[merged]] = store.record_outcomes([[_write(p.prediction_id, csat_score=2, helpful_article_ids=("kb-1", "kb-2"))]])
    assert merged.values.given() == {"escalated": False, "csat_score": 2, "helpful_article_ids": ("kb-1", "kb-2")}
    assert merged.update_time >= merged.record_time


def test_a_different_value_conflicts_and_overwrites_nothing(store):
    p = _prediction(3)
    store.log_predictions([p])
    store.record_outcomes([[_write(p.prediction_id, resolved_queue="payouts")]])
    [error] = store.record_outcomes([[_write(p.prediction_id, resolved_queue="refunds", escalated=True)]])
    assert isinstance(error, OutcomeConflict)
    assert error.field_name == "resolved_queue"
    values = store.prediction_record(prediction_id=p.prediction_id).outcome.values
    assert values.given() == {"resolved_queue": "payouts"}  # escalated was not written either


def test_a_correction_replaces_and_keeps_the_history(store):
    p = _prediction(4)
    store.log_predictions([p])
    store.record_outcomes([[_write(p.prediction_id, resolved_queue="payouts")]])
    [[corrected]] = store.record_outcomes([[_write(p.prediction_id, correction=True, resolved_queue="refunds")]])
    assert corrected.values.resolved_queue == "refunds"
    revisions = store.prediction_record(prediction_id=p.prediction_id).revisions
    assert [r.correction for r in revisions] == [False, True]


def test_a_case_id_means_its_latest_prediction(store):
    older, newer = _prediction(5, case_id="case-x"), _prediction(6, case_id="case-x")
    store.log_predictions([older, newer])
    [[stored]] = store.record_outcomes([[_write(case_id="case-x", escalated=True)]])
    assert stored.prediction_id == newer.prediction_id
    assert store.prediction_record(case_id="case-x").prediction.prediction_id == newer.prediction_id


def test_unknown_predictions_are_not_found(store):
    [error] = store.record_outcomes([[_write("01900000-0000-7000-8000-999999999999", escalated=True)]])
    assert isinstance(error, PredictionNotFound)
    with pytest.raises(PredictionNotFound):
        store.prediction_record(case_id="no-such-case")


def test_a_queue_the_version_never_knew_is_kept_and_flagged(store):
    known, unknown_version = _prediction(7), _prediction(8, version="v0")
    store.log_predictions([known, unknown_version])
    [[outside]] = store.record_outcomes([[_write(known.prediction_id, resolved_queue="crypto")]])
    [[unjudged]] = store.record_outcomes([[_write(unknown_version.prediction_id, resolved_queue="crypto")]])
    assert outside.outside_label_set and outside.values.resolved_queue == "crypto"
    assert not unjudged.outside_label_set  # no label set to judge by


def test_a_group_is_atomic_and_others_commit(store):
    a, b = _prediction(9), _prediction(10)
    store.log_predictions([a, b])
    store.record_outcomes([[_write(b.prediction_id, escalated=True)]])
    bad_group = [_write(a.prediction_id, escalated=True), _write(b.prediction_id, escalated=False)]
    good_group = [_write(a.prediction_id, csat_rating="good")]
    failed, recorded = store.record_outcomes([bad_group, good_group])
    assert isinstance(failed, OutcomeConflict) and failed.index == 1
    assert recorded[0].values.given() == {"csat_rating": "good"}  # a's escalated was rolled back with its group


def test_the_frame_joins_predictions_and_outcomes(store):
    ps = [_prediction(n) for n in range(20, 25)]
    store.log_predictions(ps)
    store.record_outcomes([[_write(ps[0].prediction_id, resolved_queue="disputes", csat_score=1, escalated=True)]])
    frame = store.frame()
    assert len(frame) == 5 and frame.has_outcome.sum() == 1
    assert frame.resolved_queue[0] == "disputes" and frame.csat_bad[0] == 1.0 and frame.escalated[0] == 1.0
    assert frame.routing[0][0] == ("payouts", 0.8)
    assert len(store.frame(version="v2")) == 0


def test_retention_deletes_old_predictions_with_their_outcomes(store):
    old = _prediction(30, when=datetime.now(UTC) - timedelta(days=100))
    new = _prediction(31)
    store.log_predictions([old, new])
    store.record_outcomes([[_write(old.prediction_id, escalated=True)], [_write(new.prediction_id, escalated=True)]])
    assert store.prune(datetime.now(UTC) - timedelta(days=90)) == 1
    assert store.count() == (1, 1)


def test_a_foreign_or_newer_schema_is_refused_by_name(store_url):
    SqlStore(store_url).close()  # creates the schema
    writer, _ = database.engines(store_url)
    with writer.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer than this code"):
        SqlStore(store_url)
    with writer.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    with pytest.raises(SchemaError, match="not a Supportability online store"):
        SqlStore(store_url)


def test_sqlite_fast_paths_store_what_sqlalchemy_would(tmp_path):
    """The prediction log and outcome inserts bypass SQLAlchemy's binding on SQLite (for speed):
    what is on disk must be what SQLAlchemy's own insert of the same values stores (JSON compared
    as values: the fast path writes it compact)."""
    from sqlalchemy import insert

    from supportability.online.schema import OutcomeRevisionRow, OutcomeRow, PredictionRow

    fast = SqlStore(f"sqlite:///{tmp_path}/fast.db", known_queues=lambda version: QUEUES)
    p, other = _prediction(1), _prediction(2)
    fast.log_predictions([p, other])
    occurred = datetime(2026, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
    values = OutcomeValues(resolved_queue="payouts", helpful_article_ids=("a1", "a2"))
    written = OutcomeWrite(p.prediction_id, "", values, occurred, False, "req", b"sent")
    # New rows with and without articles, then a merge into the first.
    merged = _write(p.prediction_id, escalated=True)
    fast.record_outcomes([[written], [_write(other.prediction_id, csat_score=4)], [merged]])
    record = fast.prediction_record(prediction_id=p.prediction_id)
    assert record.outcome is not None and record.outcome.values.escalated is True

    reference = SqlStore(f"sqlite:///{tmp_path}/reference.db")
    tables = {"predictions": PredictionRow, "outcomes": OutcomeRow, "outcome_revisions": OutcomeRevisionRow}
    with fast.engine.connect() as connection:
        stored = {name: connection.exec_driver_sql(f"SELECT * FROM {name}").all() for name in tables}
    with fast.engine.connect() as connection:  # the same values, through SQLAlchemy's types
        values = {name: [dict(r) for r in connection.execute(row.__table__.select()).mappings()]
                  for name, row in tables.items()}  # fmt: skip
    with reference.engine.begin() as connection:
        for name, row in tables.items():
            connection.execute(insert(row.__table__), values[name])
    with reference.engine.connect() as connection:
        expected = {name: connection.exec_driver_sql(f"SELECT * FROM {name}").all() for name in tables}
    assert _json_parsed(stored) == _json_parsed(expected)
    fast.close()
    reference.close()


def _json_parsed(tables: dict[str, list]) -> dict[str, list]:
    """Raw rows with JSON arrays and objects parsed; everything else (JSON null included) as stored."""

    def value(v: object) -> object:
        return json.loads(v) if isinstance(v, str) and v[:1] in ("[", "{") else v

    return {name: [tuple(value(v) for v in row) for row in rows] for name, rows in tables.items()}
