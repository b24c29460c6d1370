"""A served prediction as the prediction log's record, a sent outcome as the store's write, and the
contract's enums as the store's names.

The writer builds the records on its side, which in the server is a process of its own. That process
imports this module, not loop.py or messages.py, so it carries neither gRPC nor the OutcomeService's
validation, and stays small in memory (tests/test_imports.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from supportability.features.summary import named_inputs
from supportability.online.store import Assignment, LoggedPrediction, OutcomeValues, OutcomeWrite
from supportability.registry import Registry, RegistryError
from supportability.v1 import outcome_pb2, prediction_pb2

# The contract's enums as the lower-case names the store and the models use.
URGENCY_NAMES = {
    prediction_pb2.URGENCY_LOW: "low",
    prediction_pb2.URGENCY_NORMAL: "normal",
    prediction_pb2.URGENCY_HIGH: "high",
    prediction_pb2.URGENCY_CRITICAL: "critical",
}
URGENCY_NUMBERS = {name: number for number, name in URGENCY_NAMES.items()}
CSAT_NAMES = {outcome_pb2.CSAT_RATING_GOOD: "good", outcome_pb2.CSAT_RATING_BAD: "bad"}
CSAT_NUMBERS = {name: number for number, name in CSAT_NAMES.items()}
ACTION_NAMES = {
    prediction_pb2.DECISION_ACTION_AUTO_ROUTE: "auto_route",
    prediction_pb2.DECISION_ACTION_HUMAN_TRIAGE: "human_triage",
}
REASON_NAMES = {
    prediction_pb2.DECISION_REASON_LOW_CONFIDENCE: "low_confidence",
    prediction_pb2.DECISION_REASON_OUT_OF_SCOPE: "out_of_scope",
}


# What the request path hands the writer for each served prediction, the columns extracted on the
# writer's side (which may be another process): (the CasePrediction as served, serialised; the case's
# `features.summary.input_values`; its text, when kept; time.time(); latency in ms; the experiment
# assignment, when one runs on the case's unit). A plain tuple: every served prediction is built and
# pickled as one (measured: with a slots dataclass and a dict of inputs, 6.0 us a prediction; now 3.8).
Served = tuple[bytes, tuple[Any, ...], str | None, float, float, Assignment | None]


def logged_prediction(served: Served) -> LoggedPrediction:
    """A served prediction as the log's record (runs on the writer's side)."""
    prediction, inputs, case_text, predict_time, latency_ms, a = served
    p = prediction_pb2.CasePrediction.FromString(prediction)
    # Every served prediction passes here: each message field is looked at once.
    resolution = p.resolution_time if p.HasField("resolution_time") else None
    decision = p.decision if p.HasField("decision") else None
    return LoggedPrediction(
        prediction_id=p.prediction_id,
        case_id=p.case_id,
        model_version=p.model_version,
        predict_time=datetime.fromtimestamp(predict_time, UTC),
        latency_ms=latency_ms,
        routing=tuple([(q.queue, q.probability) for q in p.routing.top_queues]),
        escalation_probability=p.escalation.probability if p.HasField("escalation") else None,
        urgency_level=URGENCY_NAMES.get(p.urgency.level) if p.HasField("urgency") else None,
        csat_risk_probability=p.csat_risk.probability if p.HasField("csat_risk") else None,
        resolution_p50_hours=None if resolution is None else resolution.p50_hours,
        resolution_p90_hours=None if resolution is None else resolution.p90_hours,
        decision_action=None if decision is None else ACTION_NAMES.get(decision.action),
        decision_confidence=None if decision is None else decision.confidence,
        decision_threshold=None if decision is None else decision.threshold,
        inputs=named_inputs(inputs),
        case_text=case_text,
        prediction=prediction,
        experiment=None if a is None else a.experiment,
        arm=None if a is None else a.arm,
        propensity=None if a is None else a.propensity,
        unit_id=None if a is None else a.unit_id,
        decision_reason=None if decision is None else REASON_NAMES.get(decision.reason),
    )


# What the request path hands the writer for each validated outcome: (the Outcome as sent, in its
# deterministic wire form, which the history keeps; the request's id). Bytes pickle at a fraction of
# what an `OutcomeWrite` costs to build, pickle and rebuild (measured in a batch of 1,000: 9.6 us an
# outcome to build, 2.7 to pickle and 7.0 to unpickle, against 0.8 to serialise and pickle).
SentOutcome = tuple[bytes, str]


def outcome_write(sent: SentOutcome) -> OutcomeWrite:
    """A sent outcome as the store's write (runs on the writer's side)."""
    data, request_id = sent
    o = outcome_pb2.Outcome.FromString(data)
    return OutcomeWrite(
        prediction_id=o.prediction_id,
        case_id=o.case_id,
        values=OutcomeValues(
            resolved_queue=o.resolved_queue if o.HasField("resolved_queue") else None,
            escalated=o.escalated if o.HasField("escalated") else None,
            final_urgency=URGENCY_NAMES.get(o.final_urgency),
            csat_rating=CSAT_NAMES.get(o.csat_rating),
            csat_score=o.csat_score or None,
            resolution_hours=o.resolution_hours if o.HasField("resolution_hours") else None,
            helpful_article_ids=tuple(o.helpful_article_ids) or None,
            decision_overridden=o.decision_overridden if o.HasField("decision_overridden") else None,
        ),
        occur_time=o.occur_time.ToDatetime(UTC) if o.HasField("occur_time") else None,
        correction=o.correction,
        request_id=request_id,
        sent=data,
    )


def known_queues_of(registry: Registry) -> Callable[[str], frozenset[str] | None]:
    """A version's routing label set, read once from its manifest."""

    @functools.lru_cache(maxsize=64)
    def known_queues(version: str) -> frozenset[str] | None:
        try:
            return frozenset(registry.info(version).label_sets.get("routing", ()))
        except RegistryError:
            return None  # a version no longer in this registry: nothing is called outside its label set

    return known_queues
