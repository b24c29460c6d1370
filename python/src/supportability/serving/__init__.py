"""Serving: the in-process `Predictor` and the gRPC server over it."""

from supportability.serving.predictor import Predictor

__all__ = ["Predictor"]
