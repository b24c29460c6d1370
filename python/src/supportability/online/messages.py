"""The OutcomeService's messages: validation (every rule that makes an outcome INVALID_ARGUMENT) and
the store's records as the answers (the writer builds its writes: records.outcome_write).

Validators return field violations rather than raising, so one error lists every problem, and a
batch error names each bad outcome by index.
"""

from __future__ import annotations

import functools
import math
import uuid
from datetime import datetime

from google.protobuf import timestamp_pb2

from supportability.errors import FieldViolation, timestamp_violations
from supportability.online.records import CSAT_NAMES, CSAT_NUMBERS, URGENCY_NAMES, URGENCY_NUMBERS
from supportability.online.store import PredictionRecord, StoredOutcome
from supportability.v1 import outcome_pb2, prediction_pb2

MAX_BATCH_OUTCOMES = 1_000
MAX_ID_CHARS = 128
MAX_ARTICLES = 100
MAX_RESOLUTION_HOURS = 24 * 365 * 10  # ten years: anything longer is a unit mistake


def _id_violations(value: str, field: str) -> list[FieldViolation]:
    if not value.strip():
        return [FieldViolation(field, "empty")]
    if len(value) > MAX_ID_CHARS:
        return [FieldViolation(field, f"longer than {MAX_ID_CHARS} characters")]
    return []


def outcome_violations(outcome: outcome_pb2.Outcome, path: str) -> list[FieldViolation]:
    """Everything wrong with one outcome; `path` prefixes field names (e.g. `outcomes[2]`)."""
    out: list[FieldViolation] = []
    target = outcome.WhichOneof("target")
    if target is None:
        out.append(FieldViolation(f"{path}.prediction_id", "required: a prediction_id or a case_id"))
    elif target == "prediction_id":
        try:
            uuid.UUID(outcome.prediction_id)
        except ValueError:
            out.append(FieldViolation(f"{path}.prediction_id", "not a prediction id (a UUID from a CasePrediction)"))
    else:
        out += _id_violations(outcome.case_id, f"{path}.case_id")
    if outcome.HasField("resolved_queue"):
        out += _id_violations(outcome.resolved_queue, f"{path}.resolved_queue")
    if outcome.final_urgency and outcome.final_urgency not in URGENCY_NAMES:
        out.append(FieldViolation(f"{path}.final_urgency", f"unknown value {outcome.final_urgency}"))
    if outcome.csat_rating and outcome.csat_rating not in CSAT_NAMES:
        out.append(FieldViolation(f"{path}.csat_rating", f"unknown value {outcome.csat_rating}"))
    if not 0 <= outcome.csat_score <= 5:
        out.append(FieldViolation(f"{path}.csat_score", "must be 1 to 5 (0 means not given)"))
    if outcome.HasField("resolution_hours"):
        hours = outcome.resolution_hours
        if not math.isfinite(hours) or hours < 0:
            out.append(FieldViolation(f"{path}.resolution_hours", "must be a finite number of hours, 0 or more"))
        elif hours > MAX_RESOLUTION_HOURS:
            out.append(FieldViolation(f"{path}.resolution_hours", f"more than {MAX_RESOLUTION_HOURS} hours"))
    articles = outcome.helpful_article_ids
    if len(articles) > MAX_ARTICLES:
        out.append(FieldViolation(f"{path}.helpful_article_ids", f"more than {MAX_ARTICLES} articles"))
    for i, article in enumerate(articles[:MAX_ARTICLES]):
        out += _id_violations(article, f"{path}.helpful_article_ids[{i}]")
    if len(set(articles)) != len(articles):
        out.append(FieldViolation(f"{path}.helpful_article_ids", "lists an article more than once"))
    if outcome.HasField("occur_time"):
        out += timestamp_violations(outcome.occur_time, f"{path}.occur_time")
    if target is not None and not out and not _records_something(outcome):
        out.append(FieldViolation(f"{path}", "names a prediction but records no outcome field"))
    return out


def batch_size_violations(count: int) -> list[FieldViolation]:
    if count == 0:
        return [FieldViolation("outcomes", "at least one outcome is required")]
    if count > MAX_BATCH_OUTCOMES:
        return [FieldViolation("outcomes", f"{count} outcomes; at most {MAX_BATCH_OUTCOMES} per call")]
    return []


def _records_something(outcome: outcome_pb2.Outcome) -> bool:
    """Whether any outcome field is set (the cheap test, without building the values)."""
    return bool(
        outcome.final_urgency
        or outcome.csat_rating
        or outcome.csat_score
        or outcome.helpful_article_ids
        or any(outcome.HasField(name) for name in _OPTIONAL_FIELDS)
    )


_OPTIONAL_FIELDS = ("resolved_queue", "escalated", "resolution_hours", "decision_overridden")


@functools.lru_cache(maxsize=256)
def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    """Cached: a round's outcomes share their record and update times, and FromDatetime is slow
    (never mutate what this returns; it is copied)."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _set_time(target: object, field: str, value: datetime | None) -> None:
    if value is not None:
        getattr(target, field).CopyFrom(_timestamp(value))


def recorded_outcome_to_proto(stored: StoredOutcome) -> outcome_pb2.RecordedOutcome:
    recorded = outcome_pb2.RecordedOutcome(
        prediction_id=stored.prediction_id,
        case_id=stored.case_id,
        model_version=stored.model_version,
        outside_label_set=stored.outside_label_set,
    )
    outcome = recorded.outcome  # filled in place: a batch answers with a thousand of these
    outcome.prediction_id = stored.prediction_id
    v = stored.values
    if v.resolved_queue is not None:
        outcome.resolved_queue = v.resolved_queue
    if v.escalated is not None:
        outcome.escalated = v.escalated
    if v.final_urgency is not None:
        outcome.final_urgency = URGENCY_NUMBERS[v.final_urgency]
    if v.csat_rating is not None:
        outcome.csat_rating = CSAT_NUMBERS[v.csat_rating]
    if v.csat_score is not None:
        outcome.csat_score = v.csat_score
    if v.resolution_hours is not None:
        outcome.resolution_hours = v.resolution_hours
    if v.helpful_article_ids is not None:
        outcome.helpful_article_ids.extend(v.helpful_article_ids)
    if v.decision_overridden is not None:
        outcome.decision_overridden = v.decision_overridden
    _set_time(outcome, "occur_time", stored.occur_time)
    _set_time(recorded, "record_time", stored.record_time)
    _set_time(recorded, "update_time", stored.update_time)
    return recorded


def prediction_record_to_proto(record: PredictionRecord) -> outcome_pb2.PredictionRecord:
    out = outcome_pb2.PredictionRecord(
        prediction=prediction_pb2.CasePrediction.FromString(record.prediction.prediction)
    )
    _set_time(out, "predict_time", record.prediction.predict_time)
    if record.outcome is not None:
        out.recorded_outcome.CopyFrom(recorded_outcome_to_proto(record.outcome))
    for revision in record.revisions:
        entry = out.revisions.add(outcome=outcome_pb2.Outcome.FromString(revision.sent), request_id=revision.request_id)
        _set_time(entry, "record_time", revision.record_time)
    return out
