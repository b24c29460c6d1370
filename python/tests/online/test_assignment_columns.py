"""Revision 0002: a logged prediction's experiment assignment round-trips through the store and its
frame on both backends, and a store at revision 0001 with predictions in it upgrades in place."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np
import pytest
from alembic import command
from sqlalchemy import text

from supportability.online import database
from supportability.online.sql_store import SqlStore
from supportability.online.store import LoggedPrediction, SchemaError
from supportability.testing import logged_prediction


def _prediction(n: int, **assignment: object) -> LoggedPrediction:
    return logged_prediction(n, routing=(("payouts", 0.8),), inputs={"channel": "email"}, **assignment)


def test_the_assignment_round_trips(store_url: str) -> None:
    store = SqlStore(store_url)
    try:
        served = _prediction(1, experiment="routing-ab", arm="v1", propensity=0.5, unit_id="acct_1")
        bypassed = _prediction(2, experiment="routing-ab", arm=None, propensity=None, unit_id="acct_2")
        outside = _prediction(3)
        store.log_predictions([served, bypassed, outside])
        assert store.prediction_record(prediction_id=served.prediction_id).prediction == served
        assert store.prediction_record(prediction_id=bypassed.prediction_id).prediction == bypassed
        frame = store.frame()
        assert frame.experiment.tolist() == ["routing-ab", "routing-ab", ""]
        assert frame.arm.tolist() == ["v1", "", ""]
        assert frame.unit_id.tolist() == ["acct_1", "acct_2", ""]
        assert frame.propensity[0] == 0.5 and np.isnan(frame.propensity[1:]).all()
    finally:
        store.close()


def test_a_store_at_0001_is_refused_then_upgrades_with_its_rows(store_url: str) -> None:
    writer, reader = database.engines(store_url)
    try:
        command.upgrade(database._alembic_config(writer), "0001")
        with writer.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO predictions (prediction_id, case_id, model_version, predict_time, latency_ms,"
                    " routing, inputs, prediction) VALUES ('p-1', 'case-1', 'v1', :t, 1.0, '[]', '{}', :b)"
                ),
                {"t": datetime(2026, 11, 1, tzinfo=UTC), "b": b""},
            )
        with pytest.raises(SchemaError, match=r"older than this code's \d{4}"):
            SqlStore(store_url)
        database.upgrade(writer)
    finally:
        writer.dispose()
        reader.dispose()
    store = SqlStore(store_url)
    try:
        record = store.prediction_record(prediction_id="p-1").prediction
        assert dataclasses.astuple(record)[-4:] == (None, None, None, None)
    finally:
        store.close()
