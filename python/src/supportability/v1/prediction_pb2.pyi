from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Task(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_UNSPECIFIED: _ClassVar[Task]
    TASK_ROUTING: _ClassVar[Task]
    TASK_ESCALATION: _ClassVar[Task]
    TASK_URGENCY: _ClassVar[Task]
    TASK_CSAT_RISK: _ClassVar[Task]
    TASK_RESOLUTION_TIME: _ClassVar[Task]
    TASK_ARTICLES: _ClassVar[Task]
    TASK_DECISION: _ClassVar[Task]

class Urgency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    URGENCY_UNSPECIFIED: _ClassVar[Urgency]
    URGENCY_LOW: _ClassVar[Urgency]
    URGENCY_NORMAL: _ClassVar[Urgency]
    URGENCY_HIGH: _ClassVar[Urgency]
    URGENCY_CRITICAL: _ClassVar[Urgency]

class DecisionAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_ACTION_UNSPECIFIED: _ClassVar[DecisionAction]
    DECISION_ACTION_AUTO_ROUTE: _ClassVar[DecisionAction]
    DECISION_ACTION_HUMAN_TRIAGE: _ClassVar[DecisionAction]

class DecisionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_REASON_UNSPECIFIED: _ClassVar[DecisionReason]
    DECISION_REASON_LOW_CONFIDENCE: _ClassVar[DecisionReason]
    DECISION_REASON_OUT_OF_SCOPE: _ClassVar[DecisionReason]
TASK_UNSPECIFIED: Task
TASK_ROUTING: Task
TASK_ESCALATION: Task
TASK_URGENCY: Task
TASK_CSAT_RISK: Task
TASK_RESOLUTION_TIME: Task
TASK_ARTICLES: Task
TASK_DECISION: Task
URGENCY_UNSPECIFIED: Urgency
URGENCY_LOW: Urgency
URGENCY_NORMAL: Urgency
URGENCY_HIGH: Urgency
URGENCY_CRITICAL: Urgency
DECISION_ACTION_UNSPECIFIED: DecisionAction
DECISION_ACTION_AUTO_ROUTE: DecisionAction
DECISION_ACTION_HUMAN_TRIAGE: DecisionAction
DECISION_REASON_UNSPECIFIED: DecisionReason
DECISION_REASON_LOW_CONFIDENCE: DecisionReason
DECISION_REASON_OUT_OF_SCOPE: DecisionReason

class QueueScore(_message.Message):
    __slots__ = ("queue", "probability")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    queue: str
    probability: float
    def __init__(self, queue: _Optional[str] = ..., probability: _Optional[float] = ...) -> None: ...

class RoutingPrediction(_message.Message):
    __slots__ = ("top_queues",)
    TOP_QUEUES_FIELD_NUMBER: _ClassVar[int]
    top_queues: _containers.RepeatedCompositeFieldContainer[QueueScore]
    def __init__(self, top_queues: _Optional[_Iterable[_Union[QueueScore, _Mapping]]] = ...) -> None: ...

class EscalationPrediction(_message.Message):
    __slots__ = ("probability",)
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    probability: float
    def __init__(self, probability: _Optional[float] = ...) -> None: ...

class UrgencyScore(_message.Message):
    __slots__ = ("level", "probability")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    level: Urgency
    probability: float
    def __init__(self, level: _Optional[_Union[Urgency, str]] = ..., probability: _Optional[float] = ...) -> None: ...

class UrgencyPrediction(_message.Message):
    __slots__ = ("level", "scores")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    level: Urgency
    scores: _containers.RepeatedCompositeFieldContainer[UrgencyScore]
    def __init__(self, level: _Optional[_Union[Urgency, str]] = ..., scores: _Optional[_Iterable[_Union[UrgencyScore, _Mapping]]] = ...) -> None: ...

class CsatRiskPrediction(_message.Message):
    __slots__ = ("probability",)
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    probability: float
    def __init__(self, probability: _Optional[float] = ...) -> None: ...

class ResolutionTimePrediction(_message.Message):
    __slots__ = ("p50_hours", "p90_hours")
    P50_HOURS_FIELD_NUMBER: _ClassVar[int]
    P90_HOURS_FIELD_NUMBER: _ClassVar[int]
    p50_hours: float
    p90_hours: float
    def __init__(self, p50_hours: _Optional[float] = ..., p90_hours: _Optional[float] = ...) -> None: ...

class ArticleSuggestion(_message.Message):
    __slots__ = ("article_id", "title", "score")
    ARTICLE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    article_id: str
    title: str
    score: float
    def __init__(self, article_id: _Optional[str] = ..., title: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class ArticleSuggestions(_message.Message):
    __slots__ = ("articles",)
    ARTICLES_FIELD_NUMBER: _ClassVar[int]
    articles: _containers.RepeatedCompositeFieldContainer[ArticleSuggestion]
    def __init__(self, articles: _Optional[_Iterable[_Union[ArticleSuggestion, _Mapping]]] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("action", "queue", "confidence", "threshold", "reason")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    action: DecisionAction
    queue: str
    confidence: float
    threshold: float
    reason: DecisionReason
    def __init__(self, action: _Optional[_Union[DecisionAction, str]] = ..., queue: _Optional[str] = ..., confidence: _Optional[float] = ..., threshold: _Optional[float] = ..., reason: _Optional[_Union[DecisionReason, str]] = ...) -> None: ...

class FeatureAttribution(_message.Message):
    __slots__ = ("feature", "weight")
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    feature: str
    weight: float
    def __init__(self, feature: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class Explanation(_message.Message):
    __slots__ = ("task", "target", "top_features")
    TASK_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TOP_FEATURES_FIELD_NUMBER: _ClassVar[int]
    task: Task
    target: str
    top_features: _containers.RepeatedCompositeFieldContainer[FeatureAttribution]
    def __init__(self, task: _Optional[_Union[Task, str]] = ..., target: _Optional[str] = ..., top_features: _Optional[_Iterable[_Union[FeatureAttribution, _Mapping]]] = ...) -> None: ...

class CasePrediction(_message.Message):
    __slots__ = ("case_id", "model_version", "routing", "escalation", "urgency", "csat_risk", "resolution_time", "suggested_articles", "decision", "explanations", "prediction_id", "experiment")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    CSAT_RISK_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_ARTICLES_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    EXPLANATIONS_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    model_version: str
    routing: RoutingPrediction
    escalation: EscalationPrediction
    urgency: UrgencyPrediction
    csat_risk: CsatRiskPrediction
    resolution_time: ResolutionTimePrediction
    suggested_articles: ArticleSuggestions
    decision: Decision
    explanations: _containers.RepeatedCompositeFieldContainer[Explanation]
    prediction_id: str
    experiment: ExperimentAssignment
    def __init__(self, case_id: _Optional[str] = ..., model_version: _Optional[str] = ..., routing: _Optional[_Union[RoutingPrediction, _Mapping]] = ..., escalation: _Optional[_Union[EscalationPrediction, _Mapping]] = ..., urgency: _Optional[_Union[UrgencyPrediction, _Mapping]] = ..., csat_risk: _Optional[_Union[CsatRiskPrediction, _Mapping]] = ..., resolution_time: _Optional[_Union[ResolutionTimePrediction, _Mapping]] = ..., suggested_articles: _Optional[_Union[ArticleSuggestions, _Mapping]] = ..., decision: _Optional[_Union[Decision, _Mapping]] = ..., explanations: _Optional[_Iterable[_Union[Explanation, _Mapping]]] = ..., prediction_id: _Optional[str] = ..., experiment: _Optional[_Union[ExperimentAssignment, _Mapping]] = ...) -> None: ...

class ExperimentAssignment(_message.Message):
    __slots__ = ("experiment", "arm")
    EXPERIMENT_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    experiment: str
    arm: str
    def __init__(self, experiment: _Optional[str] = ..., arm: _Optional[str] = ...) -> None: ...

class PredictionOptions(_message.Message):
    __slots__ = ("top_k", "article_count", "explain")
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    top_k: int
    article_count: int
    explain: bool
    def __init__(self, top_k: _Optional[int] = ..., article_count: _Optional[int] = ..., explain: _Optional[bool] = ...) -> None: ...
