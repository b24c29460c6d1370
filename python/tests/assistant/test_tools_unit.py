"""The MCP layer's pure parts, case by case: schemas from descriptors, arguments to messages, errors
to tool errors, and the tools over a stub backend (no process, no socket)."""

from __future__ import annotations

import grpc
import pytest

from supportability import errors
from supportability.assistant.articles import HelpCentre
from supportability.assistant.results import next_step, tool_error
from supportability.assistant.schema import Arguments, message_schema, to_json
from supportability.assistant.tools import Tools, decision_summary
from supportability.data.dataset import Article
from supportability.v1 import (
    outcome_pb2,
    outcome_service_pb2,
    prediction_pb2,
    prediction_service_pb2,
    support_case_pb2,
)


def test_schema_follows_the_descriptor():
    schema = message_schema(support_case_pb2.SupportCase)
    fields = schema["properties"]
    assert list(fields) == [f.name for f in support_case_pb2.SupportCase.DESCRIPTOR.fields]
    assert "CHANNEL_UNSPECIFIED" not in fields["channel"]["enum"]  # a caller leaves "not given" out
    assert fields["create_time"]["format"] == "date-time"
    assert fields["extra_features"]["type"] == "object"
    assert fields["account"]["properties"]["support_plan"]["enum"][0] == "SUPPORT_PLAN_STANDARD"
    assert schema["additionalProperties"] is False
    output = message_schema(prediction_pb2.CasePrediction, output=True)
    assert "DECISION_ACTION_UNSPECIFIED" in output["properties"]["decision"]["properties"]["action"]["enum"]
    outcome = message_schema(outcome_pb2.Outcome)["properties"]
    assert "case_id" in outcome["prediction_id"]["description"]  # the oneof is named
    assert outcome["helpful_article_ids"] == {"type": "array", "items": {"type": "string"}}
    with pytest.raises(ValueError, match="no fields"):
        message_schema(support_case_pb2.SupportCase, only=["colour"])


def test_arguments_parse_or_name_each_bad_field():
    arguments = Arguments(
        {**message_schema(outcome_service_pb2.RecordOutcomeRequest, ["outcome"]), "required": ["outcome"]}
    )
    request, violations = arguments.parse(
        {"outcome": {"case_id": "c-1", "final_urgency": "URGENCY_HIGH", "helpful_article_ids": ["a", 3]}},
        outcome_service_pb2.RecordOutcomeRequest(),
    )
    assert violations == [errors.FieldViolation("outcome.helpful_article_ids[1]", "3 is not of type 'string'")]
    request, violations = arguments.parse(
        {"outcome": {"case_id": "c-1", "final_urgency": "URGENCY_HIGH"}}, outcome_service_pb2.RecordOutcomeRequest()
    )
    assert not violations and request.outcome.final_urgency == prediction_pb2.URGENCY_HIGH
    assert arguments.violations({}) == [errors.FieldViolation("outcome", "required")]


@pytest.mark.parametrize(
    ("error", "caller_fault", "retryable", "hint"),
    [
        (
            errors.invalid_case([errors.FieldViolation("support_case.channel", "required")]),
            True,
            False,
            "Fix the fields",
        ),
        (
            errors.outcome_conflict("differs", prediction_id="p", field_name="csat_score"),
            True,
            False,
            "correction=true",
        ),
        (errors.overloaded(0.5), False, True, "after 0.5 s"),
        (errors.store_unavailable("down"), False, True, "hand the case to a human"),
        (errors.unauthenticated(), False, False, "credentials"),
        (errors.internal(), False, False, "tell the operator"),
    ],
)
def test_tool_errors_say_whose_fault_and_what_next(error, caller_fault, retryable, hint, error_of):
    result = tool_error(error)
    assert result.is_error
    document = error_of(result)
    assert (document["code"], document["reason"]) == (error.code.name, error.reason)
    assert document["caller_fault"] is caller_fault and document["retryable"] is retryable
    assert hint in next_step(error) == document["next_step"]
    assert document["field_violations"] == [{"field": v.field, "description": v.description} for v in error.violations]
    assert str(error) in result.content[0].text


def test_every_decision_field_is_rendered():
    decision = prediction_pb2.Decision(action=prediction_pb2.DECISION_ACTION_HUMAN_TRIAGE, queue="payouts")
    assert set(to_json(decision)) == {f.name for f in prediction_pb2.Decision.DESCRIPTOR.fields}
    summary = decision_summary(prediction_pb2.CasePrediction(decision=decision, prediction_id="p-1"))
    assert summary.startswith("Decision: HUMAN_TRIAGE") and "Hand this case to a human" in summary


class StubBackend:
    """Answers like the service, from fixed messages; counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    def predict_case(self, request):
        self.calls += 1
        article = prediction_pb2.ArticleSuggestion(article_id="a-1", title="Payouts", score=0.7)
        prediction = prediction_pb2.CasePrediction(
            case_id=request.support_case.case_id,
            prediction_id="p-1",
            suggested_articles=prediction_pb2.ArticleSuggestions(articles=[article]),
            decision=prediction_pb2.Decision(action=prediction_pb2.DECISION_ACTION_AUTO_ROUTE, queue="payouts"),
        )
        return prediction_service_pb2.PredictCaseResponse(prediction=prediction)

    def record_outcome(self, request):
        raise errors.prediction_not_found("no such prediction", prediction_id=request.outcome.prediction_id, case_id="")

    def get_model(self, request):
        raise AssertionError("a bug in the backend")

    def close(self) -> None:
        pass


@pytest.fixture
def tools():
    return Tools(StubBackend(), HelpCentre([Article("a-1", "payouts", "Payouts", "How payouts work.")]))


def test_a_case_the_service_would_refuse_never_reaches_it(tools, error_of):
    result = tools.call("triage_case", {"support_case": {"channel": "CHANNEL_EMAIL", "language": "english!"}})
    fields = {v["field"] for v in error_of(result)["field_violations"]}
    assert fields == {"support_case.subject", "support_case.language"}
    assert tools.backend.calls == 0
    articles = tools.call(
        "suggest_articles",
        {"support_case": {"subject": "x", "channel": "CHANNEL_CHAT"}, "options": {"article_count": 99}},
    )
    assert error_of(articles)["field_violations"][0]["field"] == "options.article_count"


def test_articles_link_to_their_resources(tools):
    result = tools.call("suggest_articles", {"support_case": {"subject": "payout", "channel": "CHANNEL_CHAT"}})
    assert result.structured_content["articles"][0]["uri"] == "supportability://articles/a-1"
    assert [c.type for c in result.content] == ["text", "resource_link"]
    assert "How payouts work." in tools.help_centre.read("supportability://articles/a-1").text
    assert tools.help_centre.read("supportability://articles/nope") is None


def test_service_errors_and_bugs_are_tool_errors(tools, error_of):
    recorded = tools.call(
        "record_outcome", {"outcome": {"prediction_id": "01a2315a-ad61-71bd-a9c5-a0bf48423430", "escalated": True}}
    )
    assert error_of(recorded)["reason"] == "PREDICTION_NOT_FOUND"
    crashed = tools.call("get_model", {})
    assert crashed.is_error and error_of(crashed)["code"] == grpc.StatusCode.INTERNAL.name
    assert "a bug" not in crashed.content[0].text  # the traceback goes to the log, not to the model
    assert error_of(tools.call("no_such_tool", None))["field_violations"][0]["field"] == "name"
