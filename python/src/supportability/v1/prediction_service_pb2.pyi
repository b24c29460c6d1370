from google.rpc import status_pb2 as _status_pb2
from supportability.v1 import prediction_pb2 as _prediction_pb2
from supportability.v1 import support_case_pb2 as _support_case_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PredictCaseRequest(_message.Message):
    __slots__ = ("support_case", "model_version", "options", "request_id")
    SUPPORT_CASE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    support_case: _support_case_pb2.SupportCase
    model_version: str
    options: _prediction_pb2.PredictionOptions
    request_id: str
    def __init__(self, support_case: _Optional[_Union[_support_case_pb2.SupportCase, _Mapping]] = ..., model_version: _Optional[str] = ..., options: _Optional[_Union[_prediction_pb2.PredictionOptions, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PredictCaseResponse(_message.Message):
    __slots__ = ("prediction", "request_id")
    PREDICTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    prediction: _prediction_pb2.CasePrediction
    request_id: str
    def __init__(self, prediction: _Optional[_Union[_prediction_pb2.CasePrediction, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchPredictCasesRequest(_message.Message):
    __slots__ = ("support_cases", "model_version", "options", "request_id")
    SUPPORT_CASES_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    support_cases: _containers.RepeatedCompositeFieldContainer[_support_case_pb2.SupportCase]
    model_version: str
    options: _prediction_pb2.PredictionOptions
    request_id: str
    def __init__(self, support_cases: _Optional[_Iterable[_Union[_support_case_pb2.SupportCase, _Mapping]]] = ..., model_version: _Optional[str] = ..., options: _Optional[_Union[_prediction_pb2.PredictionOptions, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchPredictCasesResponse(_message.Message):
    __slots__ = ("predictions", "request_id")
    PREDICTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    predictions: _containers.RepeatedCompositeFieldContainer[_prediction_pb2.CasePrediction]
    request_id: str
    def __init__(self, predictions: _Optional[_Iterable[_Union[_prediction_pb2.CasePrediction, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StreamPredictCasesRequest(_message.Message):
    __slots__ = ("support_case", "model_version", "options", "request_id")
    SUPPORT_CASE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    support_case: _support_case_pb2.SupportCase
    model_version: str
    options: _prediction_pb2.PredictionOptions
    request_id: str
    def __init__(self, support_case: _Optional[_Union[_support_case_pb2.SupportCase, _Mapping]] = ..., model_version: _Optional[str] = ..., options: _Optional[_Union[_prediction_pb2.PredictionOptions, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StreamPredictCasesResponse(_message.Message):
    __slots__ = ("request_id", "prediction", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    prediction: _prediction_pb2.CasePrediction
    error: _status_pb2.Status
    def __init__(self, request_id: _Optional[str] = ..., prediction: _Optional[_Union[_prediction_pb2.CasePrediction, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...
