"""What the online side stores, as plain frozen records, and the protocol of the store that holds them.

Everything above the store (the writer, the outcome service, online metrics, the report) codes
against `OnlineStore` and these records; the ORM rows stay in `sql_store.py`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

# The outcome fields, in the contract's order: each can be recorded once, then only corrected.
OUTCOME_FIELDS = (
    "resolved_queue",
    "escalated",
    "final_urgency",
    "csat_rating",
    "csat_score",
    "resolution_hours",
    "helpful_article_ids",
    "decision_overridden",
)


class Record:
    """Base of the records: they pickle as (class, field values), about ten times faster than a
    slots dataclass's own pickling, and they cross to and from the writer process by the thousand."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        values = _FIELD_VALUES.get(cls) or _FIELD_VALUES.setdefault(cls, _field_values(self.__slots__))
        return cls, values(self)


def _field_values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """One C call that reads a record's fields in order (a slots dataclass's slots are its fields)."""
    if len(names) == 1:  # attrgetter of one name returns the value itself, not a 1-tuple
        name = names[0]
        return lambda record: (getattr(record, name),)
    return operator.attrgetter(*names)


_FIELD_VALUES: dict[type, Callable[[Any], tuple[Any, ...]]] = {}  # by record class


@dataclass(frozen=True, slots=True)
class Assignment(Record):
    """How an experiment placed a served case (see `LoggedPrediction.experiment`)."""

    experiment: str
    arm: str | None  # None: the request named its model version, bypassing the experiment
    propensity: float | None
    unit_id: str


@dataclass(frozen=True, slots=True)
class LoggedPrediction(Record):
    """One served prediction as the log keeps it: the task outputs as columns, the rest as served."""

    prediction_id: str
    case_id: str
    model_version: str
    predict_time: datetime
    latency_ms: float
    routing: tuple[tuple[str, float], ...]  # the served top-k (queue, probability), descending
    escalation_probability: float | None
    urgency_level: str | None
    csat_risk_probability: float | None
    resolution_p50_hours: float | None
    resolution_p90_hours: float | None
    decision_action: str | None  # "auto_route" or "human_triage"
    decision_confidence: float | None
    decision_threshold: float | None
    inputs: Mapping[str, Any]  # the input summary drift is measured on (never the text)
    case_text: str | None  # only when the operator opted in
    prediction: bytes  # the CasePrediction as served, serialised
    # The experiment running on the case's unit (experiments/), if any. With an `arm`, the arm that
    # served and the probability the assignment gave it (for off-policy evaluation); without one,
    # the request named its model version and bypassed the experiment.
    experiment: str | None = None
    arm: str | None = None
    propensity: float | None = None
    unit_id: str | None = None  # the assignment unit's id: the merchant or the case
    # Why a human_triage decision was made: "low_confidence" or "out_of_scope" (None: auto-routed,
    # no decision, or a model that predates reasons).
    decision_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ShadowPrediction(Record):
    """A shadow version's prediction of a served case, under the served prediction's id."""

    prediction_id: str
    model_version: str
    experiment: str
    predict_time: datetime
    latency_ms: float
    routing: tuple[tuple[str, float], ...]
    decision_action: str | None
    prediction: bytes  # the shadow's CasePrediction, serialised (never sent to the caller)


@dataclass(frozen=True, slots=True)
class OutcomeValues(Record):
    """Outcome fields; None means not given (or not recorded yet)."""

    resolved_queue: str | None = None
    escalated: bool | None = None
    final_urgency: str | None = None  # "low" ... "critical"
    csat_rating: str | None = None  # "good" or "bad"
    csat_score: int | None = None  # 1-5
    resolution_hours: float | None = None
    helpful_article_ids: tuple[str, ...] | None = None
    decision_overridden: bool | None = None

    def given(self) -> dict[str, Any]:
        """The fields that are set."""
        values = values_in_order(self)
        return {name: value for name, value in zip(OUTCOME_FIELDS, values, strict=True) if value is not None}


values_in_order = operator.attrgetter(*OUTCOME_FIELDS)  # an OutcomeValues' fields, in order, in one C call


@dataclass(frozen=True, slots=True)
class OutcomeWrite(Record):
    """One outcome to record: its target, its values, and what was sent (kept in the history)."""

    prediction_id: str  # "" when the target is a case id
    case_id: str  # "" when the target is a prediction id
    values: OutcomeValues
    occur_time: datetime | None
    correction: bool
    request_id: str
    sent: bytes  # the Outcome message as sent


@dataclass(frozen=True, slots=True)
class StoredOutcome(Record):
    """A prediction's outcome as stored: every field recorded so far, merged."""

    prediction_id: str
    case_id: str
    model_version: str
    values: OutcomeValues
    occur_time: datetime | None
    outside_label_set: bool
    record_time: datetime
    update_time: datetime


@dataclass(frozen=True, slots=True)
class Revision(Record):
    """One accepted change to an outcome."""

    sent: bytes
    record_time: datetime
    request_id: str
    correction: bool


@dataclass(frozen=True, slots=True)
class PredictionRecord(Record):
    """A logged prediction joined with its outcome and the outcome's history."""

    prediction: LoggedPrediction
    outcome: StoredOutcome | None
    revisions: tuple[Revision, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class OutcomeFrame:
    """Predictions joined with outcomes, column by column (numpy arrays of equal length, oldest first).

    Missing values: NaN in float columns, "" in string columns. Times are POSIX seconds.
    """

    prediction_id: np.ndarray  # str
    model_version: np.ndarray  # str
    predict_time: np.ndarray  # float
    routing: list[tuple[tuple[str, float], ...]]  # the served top-k per prediction
    escalation_probability: np.ndarray
    urgency_level: np.ndarray  # str
    csat_risk_probability: np.ndarray
    resolution_p50_hours: np.ndarray
    resolution_p90_hours: np.ndarray
    decision_action: np.ndarray  # str
    decision_confidence: np.ndarray
    decision_threshold: np.ndarray
    inputs: list[Mapping[str, Any]]
    has_outcome: np.ndarray  # bool
    record_time: np.ndarray  # float; NaN without an outcome
    resolved_queue: np.ndarray  # str
    outside_label_set: np.ndarray  # bool
    escalated: np.ndarray  # float 0/1, NaN when not recorded
    final_urgency: np.ndarray  # str
    csat_bad: np.ndarray  # float 0/1 (rating bad, or score 1-2), NaN when not recorded
    resolution_hours: np.ndarray
    decision_overridden: np.ndarray  # float 0/1, NaN
    experiment: np.ndarray  # str; "" outside experiments
    arm: np.ndarray  # str; "" outside experiments and when the request named its version
    propensity: np.ndarray  # float; NaN without an arm
    unit_id: np.ndarray  # str

    def __len__(self) -> int:
        return len(self.prediction_id)


@dataclass(frozen=True)
class ShadowFrame:
    """Shadow predictions, column by column: what a shadow version answered for served predictions
    (joined to an `OutcomeFrame` by prediction id, each outcome judges both versions)."""

    prediction_id: np.ndarray  # str: the served prediction's id
    model_version: np.ndarray  # str: the shadow version
    routing: list[tuple[tuple[str, float], ...]]  # the shadow's top-k
    decision_action: np.ndarray  # str; "" without a decision
    escalation_probability: np.ndarray  # float; NaN without one

    def __len__(self) -> int:
        return len(self.prediction_id)


class StoreError(Exception):
    """Base class of the online store's errors."""

    index: int | None = None  # which write of a group failed, when one did


class StoreUnavailable(StoreError):
    """The database cannot be reached, is locked past the timeout, or refused the connection."""


class PredictionNotFound(StoreError):
    """No logged prediction has this prediction id, or no prediction was logged for this case id."""

    def __init__(self, prediction_id: str, case_id: str) -> None:
        self.prediction_id, self.case_id = prediction_id, case_id
        super().__init__(
            f"no prediction with prediction_id {prediction_id!r}"
            if prediction_id
            else f"no prediction for case_id {case_id!r}"
        )

    def __reduce__(self) -> tuple[Any, ...]:  # errors cross to the server from the writer process
        return type(self), (self.prediction_id, self.case_id), {"index": self.index}


class OutcomeConflict(StoreError):
    """An outcome gives another value for a field already recorded, without saying it corrects it."""

    def __init__(self, prediction_id: str, field_name: str, recorded: Any, sent: Any) -> None:
        self.prediction_id, self.field_name, self.recorded, self.sent = prediction_id, field_name, recorded, sent
        super().__init__(
            f"{field_name} of prediction {prediction_id} is already recorded as {recorded!r}, "
            f"not {sent!r}; send the outcome with correction=true to replace it"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.prediction_id, self.field_name, self.recorded, self.sent), {"index": self.index}


class SchemaError(StoreError):
    """The database's schema is older or newer than this code's; the message says what to run."""


class OnlineStore(Protocol):
    """The prediction log and the outcome store, on one database."""

    def log_predictions(self, predictions: Sequence[LoggedPrediction]) -> None:
        """Append served predictions (a prediction id already logged is ignored)."""
        ...

    def log_shadow_predictions(self, shadows: Sequence[ShadowPrediction]) -> None:
        """Append shadow predictions (one already logged for its prediction id and version is ignored)."""
        ...

    def shadow_frame(self, experiment: str, *, since: datetime | None = None) -> ShadowFrame:
        """The experiment's shadow predictions made since `since`, as columns."""
        ...

    def record_outcomes(
        self,
        groups: Sequence[Sequence[OutcomeWrite]],
    ) -> list[list[StoredOutcome] | StoreError]:
        """Record each group atomically, all groups in one durable commit (group commit).

        A group that fails (unknown prediction, conflict) changes nothing and gets its error in
        its place; the other groups are recorded. Raises StoreUnavailable when nothing could be.
        """
        ...

    def prediction_record(self, *, prediction_id: str = "", case_id: str = "") -> PredictionRecord:
        """A logged prediction with its outcome and history; raises PredictionNotFound."""
        ...

    def frame(
        self, *, since: datetime | None = None, until: datetime | None = None, version: str | None = None
    ) -> OutcomeFrame:
        """Logged predictions in the window joined with their outcomes, as columns (for metrics)."""
        ...

    def prune(self, before: datetime) -> int:
        """Delete predictions made before `before` (with their outcomes); returns how many."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers."""
        ...

    def close(self) -> None: ...
