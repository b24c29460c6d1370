"""Serving: the in-process `Predictor` and the gRPC server over it."""

from supportability.serving.errors import FieldViolation, SupportabilityError
from supportability.serving.predictor import Predictor

__all__ = ["FieldViolation", "Predictor", "SupportabilityError"]
