"""The in-process Predictor records and reads outcomes like the service (its writer is a thread)."""

from __future__ import annotations

import grpc
import pytest

from supportability import Predictor, SupportabilityError
from supportability.online.loop import open_loop
from supportability.registry import Registry
from supportability.v1 import outcome_pb2, outcome_service_pb2, prediction_service_pb2, support_case_pb2


def test_the_predictor_records_outcomes_in_process(registry_path, store_url):
    registry = Registry(registry_path)
    online = open_loop(store_url, registry)
    try:
        predictor = Predictor(registry, online=online)
        case = support_case_pb2.SupportCase(case_id="inproc-1", subject="Payout missing", channel=1)
        prediction = predictor.predict_case(prediction_service_pb2.PredictCaseRequest(support_case=case)).prediction
        outcome = outcome_pb2.Outcome(prediction_id=prediction.prediction_id, resolved_queue="payouts")
        recorded = predictor.record_outcome(outcome_service_pb2.RecordOutcomeRequest(outcome=outcome))
        assert recorded.recorded_outcome.outcome.resolved_queue == "payouts"
        with pytest.raises(SupportabilityError) as caught:
            predictor.record_outcome(outcome_service_pb2.RecordOutcomeRequest(
                outcome=outcome_pb2.Outcome(case_id="inproc-1", resolved_queue="refunds")))  # fmt: skip
        assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
        record = predictor.get_prediction_record(outcome_service_pb2.GetPredictionRecordRequest(case_id="inproc-1"))
        assert record.prediction_record.prediction.prediction_id == prediction.prediction_id
    finally:
        online.close()
