"""A first call sends a subject and a body and nothing else: it is served, the same every time, and
explained only by what the caller sent. Enum values the contract does not define are refused with
the values that are."""

from __future__ import annotations

import time
from pathlib import Path

import grpc
import pytest

from supportability.client import Client
from supportability.errors import SupportabilityError
from supportability.serving import Predictor
from supportability.testing import ServerProcess, assert_close
from supportability.v1 import prediction_pb2
from supportability.v1 import support_case_pb2 as sc

BARE = sc.SupportCase(subject="Payout missing", body="Our payout did not arrive this week and we need the funds.")
EXPLAIN = prediction_pb2.PredictionOptions(explain=True)


def _explained_features(prediction: prediction_pb2.CasePrediction) -> set[str]:
    return {f.feature for e in prediction.explanations for f in e.top_features}


def test_a_case_with_only_subject_and_body_is_served(server: ServerProcess) -> None:
    with Client(server.target) as client:
        prediction = client.predict_case(BARE, options=EXPLAIN).prediction
    assert prediction.routing.top_queues[0].queue == "payouts"
    assert prediction.decision.action != prediction_pb2.DECISION_ACTION_UNSPECIFIED
    features = _explained_features(prediction)
    assert features, "explanations are there"
    # Nothing the caller did not send: no channel, no time of the case.
    assert not {f for f in features if f.startswith(("channel=", "create_time"))}, features


def test_identical_calls_give_identical_predictions(registry_path: Path) -> None:
    predictor = Predictor(registry_path)
    first = predictor.predict_case(BARE, options=EXPLAIN).prediction
    time.sleep(1.1)  # a case without create_time was once stamped with the time it arrived
    second = predictor.predict_case(BARE, options=EXPLAIN).prediction
    assert_close(first, second, abs_tol=0.0)


@pytest.mark.parametrize(
    ("case", "field", "allowed"),
    [
        (sc.SupportCase(subject="hi", channel=9), "support_case.channel", "CHANNEL_EMAIL, CHANNEL_CHAT"),
        (
            sc.SupportCase(subject="hi", account=sc.AccountContext(support_plan=9)),
            "support_case.account.support_plan",
            "SUPPORT_PLAN_STANDARD, SUPPORT_PLAN_PREMIUM, SUPPORT_PLAN_ENTERPRISE, or unset",
        ),
        (
            sc.SupportCase(subject="hi", account=sc.AccountContext(integration_type=9)),
            "support_case.account.integration_type",
            "INTEGRATION_TYPE_HOSTED, INTEGRATION_TYPE_DIRECT_API",
        ),
    ],
)
def test_an_undefined_enum_value_is_refused_with_the_allowed_values(
    registry_path: Path, case: sc.SupportCase, field: str, allowed: str
) -> None:
    with pytest.raises(SupportabilityError) as caught:
        Predictor(registry_path).predict_case(case)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    [violation] = caught.value.violations
    assert violation.field == field
    assert violation.description.startswith("unknown value 9; allowed: ")
    assert allowed in violation.description
    assert "_UNSPECIFIED" not in violation.description
