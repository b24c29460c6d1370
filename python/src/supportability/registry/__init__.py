"""The on-disk model registry: versions, manifests with checksums, promote and roll back."""

from supportability.registry.store import (
    ArtifactError,
    DataSummary,
    ModelNotFoundError,
    Registry,
    RegistryError,
    UnreadableVersion,
)

__all__ = ["ArtifactError", "DataSummary", "ModelNotFoundError", "Registry", "RegistryError", "UnreadableVersion"]
