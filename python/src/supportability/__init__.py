"""Supportability: calibrated, explainable predictions for merchant support cases.

- `supportability.Client`: call a running service over gRPC.
- `supportability.Predictor`: the same API in-process, straight from a model registry.
- `supportability.SupportabilityError`: what both raise, with reason and field violations.
- `supportability.v1`: the contract's generated messages.

Names are imported on first use, so a process that only calls the service never loads the
machine-learning stack.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Client": "supportability.client",
    "Predictor": "supportability.serving.predictor",
    "SupportabilityError": "supportability.errors",
    "FieldViolation": "supportability.errors",
}
__all__ = sorted(_EXPORTS)  # noqa: PLE0605 -- built from _EXPORTS so the two never disagree


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'supportability' has no attribute {name!r}")
