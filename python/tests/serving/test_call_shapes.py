"""`Client` and the in-process `Predictor` take the same arguments: a case or a whole request, and
the same keywords; anything else is a TypeError that says what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportability.client import Client
from supportability.serving import Predictor
from supportability.testing import ServerProcess, assert_close
from supportability.v1 import prediction_pb2
from supportability.v1 import prediction_service_pb2 as ps
from supportability.v1 import support_case_pb2 as sc

CASE = sc.SupportCase(
    case_id="c-1", subject="Payout missing", body="Our payout did not arrive this week.", channel=sc.CHANNEL_EMAIL
)
OPTIONS = prediction_pb2.PredictionOptions(top_k=2, explain=True)


@pytest.fixture(scope="module")
def client(server: ServerProcess):
    with Client(server.target) as c:
        yield c


@pytest.fixture(scope="module")
def predictor(registry_path: Path) -> Predictor:
    return Predictor(registry_path)


@pytest.fixture(params=["client", "predictor"])
def api(request: pytest.FixtureRequest, client: Client, predictor: Predictor) -> Client | Predictor:
    return client if request.param == "client" else predictor


def test_a_case_and_a_request_give_the_same_prediction(api: Client | Predictor) -> None:
    from_case = api.predict_case(CASE, options=OPTIONS, request_id="r-case")
    from_request = api.predict_case(ps.PredictCaseRequest(support_case=CASE, options=OPTIONS, request_id="r-request"))
    assert (from_case.request_id, from_request.request_id) == ("r-case", "r-request")
    assert len(from_case.prediction.routing.top_queues) == 2
    assert from_case.prediction.explanations
    assert_close(from_case.prediction, from_request.prediction)
    # The keyword name of the earlier Client signature still works.
    assert_close(from_case.prediction, api.predict_case(support_case=CASE, options=OPTIONS).prediction)


def test_keywords_replace_the_fields_of_a_request_without_changing_it(api: Client | Predictor) -> None:
    request = ps.PredictCaseRequest(support_case=CASE, request_id="mine")
    response = api.predict_case(request, options=OPTIONS, request_id="theirs")
    assert response.request_id == "theirs"
    assert len(response.prediction.routing.top_queues) == 2
    assert request == ps.PredictCaseRequest(support_case=CASE, request_id="mine")


def test_a_batch_takes_cases_or_a_request(api: Client | Predictor) -> None:
    other = sc.SupportCase(case_id="c-2", subject="Chargeback", body="A customer disputed a charge.")
    from_cases = api.batch_predict_cases([CASE, other], options=OPTIONS, request_id="b-1")
    from_request = api.batch_predict_cases(ps.BatchPredictCasesRequest(support_cases=(CASE, other), options=OPTIONS))
    assert from_cases.request_id == "b-1"
    assert [p.case_id for p in from_cases.predictions] == ["c-1", "c-2"]
    assert_close(list(from_cases.predictions), list(from_request.predictions))
    # Any iterable of cases, as the type says (a tuple, a generator).
    assert len(api.batch_predict_cases(c for c in (CASE, other)).predictions) == 2


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ({"subject": "Payout missing"}, "takes a SupportCase or a PredictCaseRequest, not dict"),
        ("Payout missing", "not str"),
        (ps.BatchPredictCasesRequest(support_cases=[CASE]), "not supportability.v1.BatchPredictCasesRequest"),
        (None, "not NoneType"),
    ],
)
def test_anything_else_is_a_type_error_saying_what_is_expected(
    api: Client | Predictor, argument: object, message: str
) -> None:
    with pytest.raises(TypeError, match="predict_case takes a SupportCase or a PredictCaseRequest") as caught:
        api.predict_case(argument)  # type: ignore[arg-type]
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (CASE, "; predict_case takes one case"),
        ([CASE, {"subject": "hi"}], "item 1 is dict"),
        ("two cases", "not str"),
        (ps.PredictCaseRequest(support_case=CASE), "not supportability.v1.PredictCaseRequest"),
    ],
)
def test_a_batch_of_anything_else_is_a_type_error(api: Client | Predictor, argument: object, message: str) -> None:
    with pytest.raises(TypeError, match="batch_predict_cases takes a sequence of SupportCase") as caught:
        api.batch_predict_cases(argument)  # type: ignore[arg-type]
    assert message in str(caught.value)
