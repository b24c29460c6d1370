"""A batch's predictions are built in place, inside the response's repeated field (serving/convert.py):
the bytes on the wire must be those of predictions built one by one and then put in a response."""

from __future__ import annotations

import pytest

from supportability.models import CaseResult
from supportability.serving.convert import case_from_proto, prediction_to_proto
from supportability.serving.predictor import Predictor
from supportability.v1 import prediction_pb2, prediction_service_pb2, support_case_pb2

RESULTS = [
    CaseResult(
        routing=[("payouts", 0.75), ("billing", 0.2), ("refunds", 0.05)],
        escalation=0.25,
        urgency=("high", {"low": 0.1, "normal": 0.2, "high": 0.6, "critical": 0.1}),
        csat_risk=0.5,
        resolution_time=(4.5, 30.25),
        articles=[("kb-1", "Why is my payout delayed?", 0.5), ("kb-2", "Délais de virement", 0.25)],
        decision=("auto_route", "payouts", 0.75, 0.6),
        explanations=[("routing", "payouts", [("token:payout", 1.5), ("channel=chat", -0.25)])],
    ),
    # Zeros and absences, which proto3 leaves off the wire: present messages stay present.
    CaseResult(
        routing=[("payouts", 0.0)],
        escalation=0.0,
        urgency=("low", {"low": 1.0}),
        csat_risk=-0.0,
        resolution_time=(0.0, 0.0),
        articles=[],
        decision=("human_triage", "", 0.0, 0.0),
        decision_reason="out_of_scope",
    ),
    CaseResult(),  # a model that serves none of the tasks
    CaseResult(
        routing=[("billing", 1.0)], decision=("human_triage", "billing", 0.5, 0.9), decision_reason="low_confidence"
    ),
]


def test_predictions_built_in_the_response_are_the_ones_built_alone() -> None:
    ids = [("case-1", "p-1"), ("", "p-2"), ("case-3", ""), ("ü-4", "p-4")]
    alone = [
        prediction_to_proto(r, case_id=c, model_version="v1", prediction_id=p)
        for r, (c, p) in zip(RESULTS, ids, strict=True)
    ]
    in_place = prediction_service_pb2.BatchPredictCasesResponse(request_id="r")
    for r, (c, p) in zip(RESULTS, ids, strict=True):
        prediction_to_proto(r, case_id=c, model_version="v1", prediction_id=p, new=in_place.predictions.add)
    copied = prediction_service_pb2.BatchPredictCasesResponse(predictions=alone, request_id="r")
    assert in_place.SerializeToString() == copied.SerializeToString()
    assert [m.SerializeToString() for m in in_place.predictions] == [m.SerializeToString() for m in alone]
    assert in_place.predictions[1].HasField("escalation") and in_place.predictions[1].HasField("suggested_articles")
    assert not in_place.predictions[2].HasField("routing")


@pytest.fixture(scope="module")
def predictor(registry_path) -> Predictor:
    return Predictor(registry_path)


@pytest.mark.parametrize("explain", [False, True])
def test_a_served_batch_holds_the_bytes_of_its_predictions(predictor: Predictor, explain: bool) -> None:
    """The whole batch path (chunks of BATCH_CHUNK cases, each built in place) against converting the
    model's own results of the same cases."""
    cases = [
        support_case_pb2.SupportCase(case_id=f"c{i}", subject="Payout missing", body=f"my payout {i} did not arrive")
        for i in range(600)
    ]
    options = prediction_pb2.PredictionOptions(explain=explain)
    response = predictor.batch_predict_cases(cases, options=options)
    assert predictor.model is not None
    results = predictor.model.predict([case_from_proto(c) for c in cases], top_k=3, article_count=3, explain=explain)
    version = predictor.model.info.version
    for served, result, case in zip(response.predictions, results, cases, strict=True):
        expected = prediction_to_proto(
            result, case_id=case.case_id, model_version=version, prediction_id=served.prediction_id
        )
        assert served.SerializeToString() == expected.SerializeToString()
