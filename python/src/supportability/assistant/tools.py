"""The four tools: their descriptions (written for a model to read), their schemas (derived from the
contract), and what each call does. Calls are synchronous: the server runs them in worker threads.

Every argument is checked twice before it reaches a model: its shape against the schema, then
its meaning by the service's own validators, so a bad call fails here, with the same field
violations the service would send, even when the service is down.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from supportability import errors
from supportability.assistant.articles import HelpCentre
from supportability.assistant.backend import Backend, OnlineFigures
from supportability.assistant.results import tool_error, tool_result
from supportability.assistant.schema import Arguments, JsonSchema, M, message_schema, to_json
from supportability.online import messages
from supportability.serving import validation
from supportability.v1 import (
    model_service_pb2,
    outcome_service_pb2,
    prediction_pb2,
    prediction_service_pb2,
)

log = logging.getLogger(__name__)

PROBABILITIES = (
    "Probabilities are calibrated: of many cases given 0.8, about 80% turn out that way, so read them as "
    "chances, not scores, and say how sure the prediction is when you pass it on."
)
TRIAGE = f"""Triage a merchant's support case before you draft any answer to it. Call it once per case, \
with the case as the merchant wrote it (subject and/or body, and the channel; account context when you have it).

Returns the routing queues with their probabilities, urgency, escalation risk, CSAT risk (the chance of a \
bad satisfaction rating), resolution time quantiles in hours, suggested help-centre articles, the decision \
and the case features that weighed most (explanations). {PROBABILITIES}

The decision is binding. HUMAN_TRIAGE (decision.action DECISION_ACTION_HUMAN_TRIAGE) means a person \
must handle the case: stop, hand it over with the triage result, and do not draft a reply or promise \
anything; read the decision's other fields (such as a reason) for why. AUTO_ROUTE \
(DECISION_ACTION_AUTO_ROUTE) means the top queue is right with the precision the model promises \
(confidence at or above its threshold): you may draft an answer for that queue, citing the suggested \
articles. Also hand over when escalation or CSAT risk is high or urgency is CRITICAL.

Keep the prediction_id: pass it to record_outcome when the case closes."""
SUGGEST = """Suggest help-centre articles for a case: ids, titles and relevance scores (higher is more \
relevant; scores rank articles, they are not probabilities), each with a resource link \
(supportability://articles/{article_id}) whose text you can read before citing it.

Use it when you only need articles. If you already called triage_case for this case, its \
suggested_articles are the same: do not call this as well (each call is logged as a prediction). \
Cite an article only after reading it, and only when it answers the merchant's question."""
RECORD = """Record what really happened to a triaged case once it is resolved: the queue that solved it, \
whether it was escalated, the final urgency, the CSAT rating or score (1-5), the hours to resolution, the \
articles that helped, and whether a person overrode the decision. Name the case by the prediction_id \
that triage_case returned (or by case_id).

Send only what you know; leave out the rest. Sending the same outcome again changes nothing, so a retry is \
safe. A different value for a field already recorded is refused (OUTCOME_CONFLICT) unless correction is \
true: set it only when the earlier value was wrong. These outcomes are how the models are judged and \
retrained, so never invent them."""
MODEL = f"""Describe the model version that answers triage_case: its version, kind, tasks, label sets \
(the queues it can route to), training data and offline metrics (measured on held-out test data), and, \
when the online store is reachable, its online metrics on the recent real outcomes. Give `version` to \
describe another version.

Call it when you must explain how far to trust a prediction, or which queues exist. {PROBABILITIES} \
An online figure with no value has a note saying why (too few outcomes yet)."""


@dataclass(frozen=True)
class Tool:
    definition: types.Tool
    arguments: Arguments
    call: Callable[[Mapping[str, Any]], types.CallToolResult]


def _required(schema: JsonSchema, *names: str) -> JsonSchema:
    return {**schema, "required": list(names)}


def _with_uri(schema: JsonSchema) -> JsonSchema:
    """An ArticleSuggestions schema whose articles also carry their resource URI."""
    item = schema["properties"]["articles"]["items"]
    item["properties"]["uri"] = {"type": "string", "description": "resources/read this to get the article's text"}
    return schema


class Tools:
    """The tools over one backend; `call` never raises."""

    def __init__(self, backend: Backend, help_centre: HelpCentre, online: OnlineFigures | None = None) -> None:
        self.backend = backend
        self.help_centre = help_centre
        self.online = online
        case_only = message_schema(prediction_service_pb2.PredictCaseRequest, only=["support_case"])
        articles_args = message_schema(prediction_service_pb2.PredictCaseRequest, only=["support_case", "options"])
        articles_args["properties"]["options"] = message_schema(
            prediction_pb2.PredictionOptions, only=["article_count"]
        )
        model_out = message_schema(model_service_pb2.GetModelResponse, output=True)
        model_out["properties"]["online_metrics"] = {"type": ["object", "null"]}
        self.tools = {
            t.definition.name: t
            for t in (
                self._tool(
                    "triage_case",
                    "Triage a support case",
                    TRIAGE,
                    _required(case_only, "support_case"),
                    message_schema(prediction_pb2.CasePrediction, output=True),
                    self.triage_case,
                    read_only=True,
                ),
                self._tool(
                    "suggest_articles",
                    "Suggest help-centre articles",
                    SUGGEST,
                    _required(articles_args, "support_case"),
                    _with_uri(message_schema(prediction_pb2.ArticleSuggestions, output=True)),
                    self.suggest_articles,
                    read_only=True,
                ),
                self._tool(
                    "record_outcome",
                    "Record a case's outcome",
                    RECORD,
                    _required(message_schema(outcome_service_pb2.RecordOutcomeRequest, ["outcome"]), "outcome"),
                    message_schema(outcome_service_pb2.RecordOutcomeResponse, output=True),
                    self.record_outcome,
                    read_only=False,
                ),
                self._tool(
                    "get_model",
                    "Describe the serving model",
                    MODEL,
                    message_schema(model_service_pb2.GetModelRequest),
                    model_out,
                    self.get_model,
                    read_only=True,
                ),
            )
        }

    def _tool(
        self,
        name: str,
        title: str,
        description: str,
        input_schema: JsonSchema,
        output_schema: JsonSchema,
        call: Callable[[Mapping[str, Any]], types.CallToolResult],
        *,
        read_only: bool,
    ) -> Tool:
        definition = types.Tool(
            name=name,
            title=title,
            description=description,
            input_schema=input_schema,
            output_schema=output_schema,
            annotations=types.ToolAnnotations(
                title=title,
                read_only_hint=read_only,
                destructive_hint=False,
                idempotent_hint=True,
                open_world_hint=False,
            ),
        )
        return Tool(definition, Arguments(input_schema), call)

    def definitions(self) -> list[types.Tool]:
        return [t.definition for t in self.tools.values()]

    def call(self, name: str, arguments: Mapping[str, Any] | None) -> types.CallToolResult:
        """Run a tool; the service's errors and unknown tools become tool errors, never exceptions."""
        tool = self.tools.get(name)
        try:
            if tool is None:
                raise errors.invalid_request([errors.FieldViolation("name", f"no tool {name!r}; see tools/list")])
            return tool.call(arguments or {})
        except errors.SupportabilityError as exc:
            return tool_error(exc)
        except Exception:
            log.exception("tool failed", extra={"tool": name})
            return tool_error(errors.internal())

    def _parse(self, name: str, arguments: Mapping[str, Any], message: M) -> M:
        parsed, violations = self.tools[name].arguments.parse(arguments, message)
        if violations:
            raise errors.invalid_request(violations)
        return parsed

    def _predict(self, request: prediction_service_pb2.PredictCaseRequest) -> prediction_pb2.CasePrediction:
        request.request_id = str(uuid.uuid4())
        request_errors = validation.options_violations(request.options)
        if request_errors:
            raise errors.invalid_request(request_errors, request.request_id)
        case_errors = validation.case_violations(request.support_case, "support_case")
        if case_errors:
            raise errors.invalid_case(case_errors, request.request_id)
        return self.backend.predict_case(request).prediction

    # -- the tools ------------------------------------------------------------------------------

    def triage_case(self, arguments: Mapping[str, Any]) -> types.CallToolResult:
        request = self._parse("triage_case", arguments, prediction_service_pb2.PredictCaseRequest())
        request.options.explain = True
        prediction = self._predict(request)
        links = [self.help_centre.link(a.article_id) for a in prediction.suggested_articles.articles]
        return tool_result(decision_summary(prediction), to_json(prediction), [link for link in links if link])

    def suggest_articles(self, arguments: Mapping[str, Any]) -> types.CallToolResult:
        request = self._parse("suggest_articles", arguments, prediction_service_pb2.PredictCaseRequest())
        suggested = self._predict(request).suggested_articles
        document = to_json(suggested)
        for article in document["articles"]:
            article["uri"] = self.help_centre.uri(article["article_id"])
        links = [self.help_centre.link(a.article_id) for a in suggested.articles]
        titles = "; ".join(f"{a.title} ({a.score:.2f})" for a in suggested.articles) or "none"
        return tool_result(f"Suggested articles: {titles}.", document, [link for link in links if link])

    def record_outcome(self, arguments: Mapping[str, Any]) -> types.CallToolResult:
        request = self._parse("record_outcome", arguments, outcome_service_pb2.RecordOutcomeRequest())
        request.request_id = str(uuid.uuid4())
        violations = messages.outcome_violations(request.outcome, "outcome")
        if violations:
            raise errors.invalid_outcome(violations, request.request_id)
        response = self.backend.record_outcome(request)
        recorded = response.recorded_outcome
        summary = f"Recorded the outcome of prediction {recorded.prediction_id} (model {recorded.model_version})."
        return tool_result(summary, to_json(response))

    def get_model(self, arguments: Mapping[str, Any]) -> types.CallToolResult:
        request = self._parse("get_model", arguments, model_service_pb2.GetModelRequest())
        model = self.backend.get_model(request).model
        document = to_json(model_service_pb2.GetModelResponse(model=model))
        document["online_metrics"] = self.online.for_version(model.version) if self.online is not None else None
        state = model_service_pb2.ModelState.Name(model.state).removeprefix("MODEL_STATE_").lower()
        summary = f"Model {model.name} version {model.version} ({state})."
        if self.online is None:
            summary += " No online store is configured here, so online metrics are not available."
        return tool_result(summary, document)


_DECISION_FIELDS = {"action", "queue", "confidence", "threshold"}


def decision_summary(prediction: prediction_pb2.CasePrediction) -> str:
    """One line a model cannot misread: what to do with the case and why. Decision fields beyond the
    four known here (such as a reason the contract adds) are shown by name, so none is dropped."""
    d = prediction.decision
    extra = {k: v for k, v in to_json(d).items() if k not in _DECISION_FIELDS and v not in ("", 0, None, [], {})}
    why = "".join(f"; {k}: {v}" for k, v in extra.items())
    if d.action == prediction_pb2.DECISION_ACTION_AUTO_ROUTE:
        return (
            f"Decision: AUTO_ROUTE to {d.queue!r} (calibrated confidence {d.confidence:.2f} ≥ threshold "
            f"{d.threshold:.2f}{why}). You may draft an answer for this queue. "
            f"prediction_id: {prediction.prediction_id}"
        )
    return (
        f"Decision: HUMAN_TRIAGE (top queue {d.queue!r}, calibrated confidence {d.confidence:.2f}, threshold "
        f"{d.threshold:.2f}{why}). Hand this case to a human agent; do not draft a reply. "
        f"prediction_id: {prediction.prediction_id}"
    )
