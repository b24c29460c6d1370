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
    MODEL_KIND_BOOSTED: _ClassVar[ModelKind]

class ExperimentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPERIMENT_STATE_UNSPECIFIED: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_DRAFT: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_RUNNING: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_PAUSED: _ClassVar[ExperimentState]
    EXPERIMENT_STATE_STOPPED: _ClassVar[ExperimentState]

class ExperimentMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPERIMENT_MODE_UNSPECIFIED: _ClassVar[ExperimentMode]
    EXPERIMENT_MODE_AB: _ClassVar[ExperimentMode]
    EXPERIMENT_MODE_SHADOW: _ClassVar[ExperimentMode]
    EXPERIMENT_MODE_BANDIT: _ClassVar[ExperimentMode]
MODEL_STATE_UNSPECIFIED: ModelState
MODEL_STATE_AVAILABLE: ModelState
MODEL_STATE_PROMOTED: ModelState
MODEL_KIND_UNSPECIFIED: ModelKind
MODEL_KIND_LINEAR: ModelKind
MODEL_KIND_TEACHER: ModelKind
MODEL_KIND_STUDENT: ModelKind
MODEL_KIND_BOOSTED: ModelKind
EXPERIMENT_STATE_UNSPECIFIED: ExperimentState
EXPERIMENT_STATE_DRAFT: ExperimentState
EXPERIMENT_STATE_RUNNING: ExperimentState
EXPERIMENT_STATE_PAUSED: ExperimentState
EXPERIMENT_STATE_STOPPED: ExperimentState
EXPERIMENT_MODE_UNSPECIFIED: ExperimentMode
EXPERIMENT_MODE_AB: ExperimentMode
EXPERIMENT_MODE_SHADOW: ExperimentMode
EXPERIMENT_MODE_BANDIT: ExperimentMode

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

class ExperimentArm(_message.Message):
    __slots__ = ("version", "weight", "active")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    version: str
    weight: float
    active: bool
    def __init__(self, version: _Optional[str] = ..., weight: _Optional[float] = ..., active: _Optional[bool] = ...) -> None: ...

class Experiment(_message.Message):
    __slots__ = ("name", "state", "mode", "unit", "arms", "salt", "start_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    ARMS_FIELD_NUMBER: _ClassVar[int]
    SALT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: ExperimentState
    mode: ExperimentMode
    unit: str
    arms: _containers.RepeatedCompositeFieldContainer[ExperimentArm]
    salt: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[ExperimentState, str]] = ..., mode: _Optional[_Union[ExperimentMode, str]] = ..., unit: _Optional[str] = ..., arms: _Optional[_Iterable[_Union[ExperimentArm, _Mapping]]] = ..., salt: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListExperimentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListExperimentsResponse(_message.Message):
    __slots__ = ("experiments",)
    EXPERIMENTS_FIELD_NUMBER: _ClassVar[int]
    experiments: _containers.RepeatedCompositeFieldContainer[Experiment]
    def __init__(self, experiments: _Optional[_Iterable[_Union[Experiment, _Mapping]]] = ...) -> None: ...

class GetExperimentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetExperimentResponse(_message.Message):
    __slots__ = ("experiment",)
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    experiment: Experiment
    def __init__(self, experiment: _Optional[_Union[Experiment, _Mapping]] = ...) -> None: ...
