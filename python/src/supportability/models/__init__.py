"""Models: the serving interface (api.py), what every kind shares (heads.py), the kinds (linear, teacher,
student), their storage (kinds.py) and the calibrators."""

from supportability.models.api import TASKS, Case, CaseResult, ModelInfo, SupportModel

__all__ = ["TASKS", "Case", "CaseResult", "ModelInfo", "SupportModel"]
