from supportability.v1 import outcome_pb2 as _outcome_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordOutcomeRequest(_message.Message):
    __slots__ = ("outcome", "request_id")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    outcome: _outcome_pb2.Outcome
    request_id: str
    def __init__(self, outcome: _Optional[_Union[_outcome_pb2.Outcome, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordOutcomeResponse(_message.Message):
    __slots__ = ("recorded_outcome", "request_id")
    RECORDED_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    recorded_outcome: _outcome_pb2.RecordedOutcome
    request_id: str
    def __init__(self, recorded_outcome: _Optional[_Union[_outcome_pb2.RecordedOutcome, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchRecordOutcomesRequest(_message.Message):
    __slots__ = ("outcomes", "request_id")
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[_outcome_pb2.Outcome]
    request_id: str
    def __init__(self, outcomes: _Optional[_Iterable[_Union[_outcome_pb2.Outcome, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchRecordOutcomesResponse(_message.Message):
    __slots__ = ("recorded_outcomes", "request_id")
    RECORDED_OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    recorded_outcomes: _containers.RepeatedCompositeFieldContainer[_outcome_pb2.RecordedOutcome]
    request_id: str
    def __init__(self, recorded_outcomes: _Optional[_Iterable[_Union[_outcome_pb2.RecordedOutcome, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetPredictionRecordRequest(_message.Message):
    __slots__ = ("prediction_id", "case_id")
    PREDICTION_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    prediction_id: str
    case_id: str
    def __init__(self, prediction_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class GetPredictionRecordResponse(_message.Message):
    __slots__ = ("prediction_record",)
    PREDICTION_RECORD_FIELD_NUMBER: _ClassVar[int]
    prediction_record: _outcome_pb2.PredictionRecord
    def __init__(self, prediction_record: _Optional[_Union[_outcome_pb2.PredictionRecord, _Mapping]] = ...) -> None: ...
