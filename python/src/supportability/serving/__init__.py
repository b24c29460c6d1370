"""Serving: the in-process `Predictor` and the gRPC server over it."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportability.serving.predictor import Predictor


def __getattr__(name: str) -> Any:
    # Imported on first use, as the package's own names are: a process that needs only
    # validation.py (the MCP server in front of the gRPC service) never loads the models.
    if name == "Predictor":
        from supportability.serving.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'supportability.serving' has no attribute {name!r}")


__all__ = ["Predictor"]
