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

class ModelState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_STATE_UNSPECIFIED: _ClassVar[ModelState]
    MODEL_STATE_AVAILABLE: _ClassVar[ModelState]
    MODEL_STATE_PROMOTED: _ClassVar[ModelState]

class ModelKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_KIND_UNSPECIFIED: _ClassVar[ModelKind]
    MODEL_KIND_LINEAR: _ClassVar[ModelKind]
    MODEL_KIND_TEACHER: _ClassVar[ModelKind]
    MODEL_KIND_STUDENT: _ClassVar[ModelKind]
MODEL_STATE_UNSPECIFIED: ModelState
MODEL_STATE_AVAILABLE: ModelState
MODEL_STATE_PROMOTED: ModelState
MODEL_KIND_UNSPECIFIED: ModelKind
MODEL_KIND_LINEAR: ModelKind
MODEL_KIND_TEACHER: ModelKind
MODEL_KIND_STUDENT: ModelKind

class LabelSet(_message.Message):
    __slots__ = ("task", "labels")
    TASK_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    task: _prediction_pb2.Task
    labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task: _Optional[_Union[_prediction_pb2.Task, str]] = ..., labels: _Optional[_Iterable[str]] = ...) -> None: ...

class TrainingDataSummary(_message.Message):
    __slots__ = ("source", "case_count", "fingerprint")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CASE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    source: str
    case_count: int
    fingerprint: str
    def __init__(self, source: _Optional[str] = ..., case_count: _Optional[int] = ..., fingerprint: _Optional[str] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("task", "name", "value", "slice")
    TASK_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SLICE_FIELD_NUMBER: _ClassVar[int]
    task: _prediction_pb2.Task
    name: str
    value: float
    slice: str
    def __init__(self, task: _Optional[_Union[_prediction_pb2.Task, str]] = ..., name: _Optional[str] = ..., value: _Optional[float] = ..., slice: _Optional[str] = ...) -> None: ...

class Model(_message.Message):
    __slots__ = ("name", "version", "state", "tasks", "label_sets", "create_time", "training_data", "offline_metrics", "kind")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    LABEL_SETS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DATA_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_METRICS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    state: ModelState
    tasks: _containers.RepeatedScalarFieldContainer[_prediction_pb2.Task]
    label_sets: _containers.RepeatedCompositeFieldContainer[LabelSet]
    create_time: _timestamp_pb2.Timestamp
    training_data: TrainingDataSummary
    offline_metrics: _containers.RepeatedCompositeFieldContainer[Metric]
    kind: ModelKind
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., state: _Optional[_Union[ModelState, str]] = ..., tasks: _Optional[_Iterable[_Union[_prediction_pb2.Task, str]]] = ..., label_sets: _Optional[_Iterable[_Union[LabelSet, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., training_data: _Optional[_Union[TrainingDataSummary, _Mapping]] = ..., offline_metrics: _Optional[_Iterable[_Union[Metric, _Mapping]]] = ..., kind: _Optional[_Union[ModelKind, str]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "next_page_token")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[Model]
    next_page_token: str
    def __init__(self, models: _Optional[_Iterable[_Union[Model, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: str
    def __init__(self, version: _Optional[str] = ...) -> None: ...

class GetModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: Model
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ...) -> None: ...
