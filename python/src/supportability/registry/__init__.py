"""The on-disk model registry: versions, manifests with checksums, promote and roll back."""

from supportability.registry.store import (
    ArtifactError,
    DataSummary,
    ModelNotFoundError,
    Registry,
    RegistryError,
    UnreadableVersion,
    write_json_atomic,
)

__all__ = [
    "ArtifactError",
    "DataSummary",
    "ModelNotFoundError",
    "Registry",
    "RegistryError",
    "UnreadableVersion",
    "write_json_atomic",
]
