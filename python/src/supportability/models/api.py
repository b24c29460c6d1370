"""The serving interface: what a trained model takes and returns, in plain Python.

The service and the in-process `Predictor` code against exactly these types; everything behind them
(featurisation, linear heads, calibration) is free to change between model versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from supportability.domain import Case


@dataclass(slots=True)
class CaseResult:
    """Every prediction for one case; a field is None when the model does not serve that task."""

    routing: list[tuple[str, float]] | None = None  # top-k (queue, calibrated prob), descending
    escalation: float | None = None
    urgency: tuple[str, dict[str, float]] | None = None  # (level, probability per level)
    csat_risk: float | None = None
    resolution_time: tuple[float, float] | None = None  # (p50_hours, p90_hours)
    articles: list[tuple[str, str, float]] | None = None  # (article_id, title, score)
    decision: tuple[str, str, float, float] | None = None  # (action, queue, confidence, threshold)
    decision_reason: str | None = None  # of a human_triage decision: "low_confidence" or "out_of_scope"
    explanations: list[tuple[str, str, list[tuple[str, float]]]] | None = None  # (task, target, features)


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model version."""

    name: str
    version: str
    tasks: tuple[str, ...]
    label_sets: dict[str, tuple[str, ...]]
    created_time: datetime
    data_source: str
    data_case_count: int
    data_fingerprint: str
    metrics: list[tuple[str, str, float, str]]  # (task, metric name, value, slice or "")
    kind: str = "linear"  # the model kind: linear, boosted, teacher or student


@runtime_checkable
class SupportModel(Protocol):
    info: ModelInfo

    def predict(
        self, cases: Sequence[Case], *, top_k: int = 3, article_count: int = 3, explain: bool = False
    ) -> list[CaseResult]: ...
