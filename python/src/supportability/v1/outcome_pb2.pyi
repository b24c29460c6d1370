import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from supportability.v1 import prediction_pb2 as _prediction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CsatRating(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CSAT_RATING_UNSPECIFIED: _ClassVar[CsatRating]
    CSAT_RATING_GOOD: _ClassVar[CsatRating]
    CSAT_RATING_BAD: _ClassVar[CsatRating]
CSAT_RATING_UNSPECIFIED: CsatRating
CSAT_RATING_GOOD: CsatRating
CSAT_RATING_BAD: CsatRating

class Outcome(_message.Message):
    __slots__ = ("prediction_id", "case_id", "resolved_queue", "escalated", "final_urgency", "csat_rating", "csat_score", "resolution_hours", "helpful_article_ids", "decision_overridden", "occur_time", "correction")
    PREDICTION_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_QUEUE_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FIELD_NUMBER: _ClassVar[int]
    FINAL_URGENCY_FIELD_NUMBER: _ClassVar[int]
    CSAT_RATING_FIELD_NUMBER: _ClassVar[int]
    CSAT_SCORE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_HOURS_FIELD_NUMBER: _ClassVar[int]
    HELPFUL_ARTICLE_IDS_FIELD_NUMBER: _ClassVar[int]
    DECISION_OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    CORRECTION_FIELD_NUMBER: _ClassVar[int]
    prediction_id: str
    case_id: str
    resolved_queue: str
    escalated: bool
    final_urgency: _prediction_pb2.Urgency
    csat_rating: CsatRating
    csat_score: int
    resolution_hours: float
    helpful_article_ids: _containers.RepeatedScalarFieldContainer[str]
    decision_overridden: bool
    occur_time: _timestamp_pb2.Timestamp
    correction: bool
    def __init__(self, prediction_id: _Optional[str] = ..., case_id: _Optional[str] = ..., resolved_queue: _Optional[str] = ..., escalated: _Optional[bool] = ..., final_urgency: _Optional[_Union[_prediction_pb2.Urgency, str]] = ..., csat_rating: _Optional[_Union[CsatRating, str]] = ..., csat_score: _Optional[int] = ..., resolution_hours: _Optional[float] = ..., helpful_article_ids: _Optional[_Iterable[str]] = ..., decision_overridden: _Optional[bool] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., correction: _Optional[bool] = ...) -> None: ...

class RecordedOutcome(_message.Message):
    __slots__ = ("prediction_id", "case_id", "model_version", "outcome", "outside_label_set", "record_time", "update_time")
    PREDICTION_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    OUTSIDE_LABEL_SET_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    prediction_id: str
    case_id: str
    model_version: str
    outcome: Outcome
    outside_label_set: bool
    record_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, prediction_id: _Optional[str] = ..., case_id: _Optional[str] = ..., model_version: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, _Mapping]] = ..., outside_label_set: _Optional[bool] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OutcomeRevision(_message.Message):
    __slots__ = ("outcome", "record_time", "request_id")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    outcome: Outcome
    record_time: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, outcome: _Optional[_Union[Outcome, _Mapping]] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PredictionRecord(_message.Message):
    __slots__ = ("prediction", "predict_time", "recorded_outcome", "revisions")
    PREDICTION_FIELD_NUMBER: _ClassVar[int]
    PREDICT_TIME_FIELD_NUMBER: _ClassVar[int]
    RECORDED_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    prediction: _prediction_pb2.CasePrediction
    predict_time: _timestamp_pb2.Timestamp
    recorded_outcome: RecordedOutcome
    revisions: _containers.RepeatedCompositeFieldContainer[OutcomeRevision]
    def __init__(self, prediction: _Optional[_Union[_prediction_pb2.CasePrediction, _Mapping]] = ..., predict_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_outcome: _Optional[_Union[RecordedOutcome, _Mapping]] = ..., revisions: _Optional[_Iterable[_Union[OutcomeRevision, _Mapping]]] = ...) -> None: ...
