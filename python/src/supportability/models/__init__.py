"""Models: the serving interface (api.py), what every kind shares (heads.py), the kinds (linear, teacher,
student), their storage (kinds.py) and the calibrators."""

from supportability.models.api import CaseResult, ModelInfo, SupportModel

__all__ = ["CaseResult", "ModelInfo", "SupportModel"]
