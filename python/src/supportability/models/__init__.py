"""Models: the serving interface (api.py), the linear multi-task model and its calibrators."""

from supportability.models.api import TASKS, Case, CaseResult, ModelInfo, SupportModel

__all__ = ["TASKS", "Case", "CaseResult", "ModelInfo", "SupportModel"]
