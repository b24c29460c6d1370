"""The decision's reason travels from the served prediction into the log and back (revision 0004),
on each backend: why a case went to human triage, None when it was auto-routed."""

from __future__ import annotations

import dataclasses
import time

from supportability.domain import Case
from supportability.features.summary import input_values
from supportability.online.records import Served, logged_prediction
from supportability.online.sql_store import SqlStore
from supportability.v1 import prediction_pb2


def _served(n: int, action: int, reason: int) -> Served:
    prediction = prediction_pb2.CasePrediction(
        prediction_id=f"01900000-0000-7000-8000-{n:012d}", case_id=f"case-{n}", model_version="v1"
    )
    prediction.decision.action = action
    prediction.decision.queue = "payouts"
    prediction.decision.confidence = 0.4
    prediction.decision.threshold = 0.6
    prediction.decision.reason = reason
    inputs = input_values(Case(subject="Payout", body="Late", channel="email"))
    return (prediction.SerializeToString(), inputs, None, time.time(), 0.5, None)


def test_every_reason_is_logged_and_read_back(store_url: str) -> None:
    served = [
        _served(1, prediction_pb2.DECISION_ACTION_HUMAN_TRIAGE, prediction_pb2.DECISION_REASON_OUT_OF_SCOPE),
        _served(2, prediction_pb2.DECISION_ACTION_HUMAN_TRIAGE, prediction_pb2.DECISION_REASON_LOW_CONFIDENCE),
        _served(3, prediction_pb2.DECISION_ACTION_AUTO_ROUTE, prediction_pb2.DECISION_REASON_UNSPECIFIED),
    ]
    logged = [logged_prediction(s) for s in served]
    assert [p.decision_reason for p in logged] == ["out_of_scope", "low_confidence", None]
    no_decision = dataclasses.replace(
        logged[2], prediction_id="01900000-0000-7000-8000-000000000004", decision_action=None, decision_reason=None
    )
    store = SqlStore(store_url)
    try:
        store.log_predictions([*logged, no_decision])
        for p in [*logged, no_decision]:
            stored = store.prediction_record(prediction_id=p.prediction_id).prediction
            assert stored.decision_reason == p.decision_reason
    finally:
        store.close()
