"""What the MCP tools call: the gRPC service through `Client`, or a `Predictor` in this process.

Both take the contract's request messages and raise the same `SupportabilityError`s, so the
tools cannot tell them apart. The online figures for `get_model` come from the online store
when this process is given one (the contract has no RPC for them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from supportability.client import Client
from supportability.v1 import model_service_pb2, outcome_service_pb2, prediction_service_pb2

if TYPE_CHECKING:
    from supportability.online.store import OnlineStore
    from supportability.registry import Registry
    from supportability.serving.predictor import Predictor

ONLINE_WINDOW = timedelta(days=7)  # recent enough to describe the version as it serves now
ONLINE_CACHE_SECONDS = 60.0  # reading the window is a scan of the store: at most once a minute per version


class Backend(Protocol):
    def predict_case(
        self, request: prediction_service_pb2.PredictCaseRequest
    ) -> prediction_service_pb2.PredictCaseResponse: ...

    def record_outcome(
        self, request: outcome_service_pb2.RecordOutcomeRequest
    ) -> outcome_service_pb2.RecordOutcomeResponse: ...

    def get_model(self, request: model_service_pb2.GetModelRequest) -> model_service_pb2.GetModelResponse: ...

    def close(self) -> None: ...


class RemoteBackend:
    """The gRPC service, with the client's deadlines, retries, token and TLS."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def predict_case(
        self, request: prediction_service_pb2.PredictCaseRequest
    ) -> prediction_service_pb2.PredictCaseResponse:
        response: prediction_service_pb2.PredictCaseResponse = self.client.send(request)
        return response

    def record_outcome(
        self, request: outcome_service_pb2.RecordOutcomeRequest
    ) -> outcome_service_pb2.RecordOutcomeResponse:
        response: outcome_service_pb2.RecordOutcomeResponse = self.client.send(request)
        return response

    def get_model(self, request: model_service_pb2.GetModelRequest) -> model_service_pb2.GetModelResponse:
        response: model_service_pb2.GetModelResponse = self.client.send(request)
        return response

    def close(self) -> None:
        self.client.close()


class LocalBackend:
    """A `Predictor` on a registry in this process: no network hop, the same validation and errors."""

    def __init__(self, predictor: Predictor) -> None:
        self.predictor = predictor

    def predict_case(
        self, request: prediction_service_pb2.PredictCaseRequest
    ) -> prediction_service_pb2.PredictCaseResponse:
        return self.predictor.predict_case(request)

    def record_outcome(
        self, request: outcome_service_pb2.RecordOutcomeRequest
    ) -> outcome_service_pb2.RecordOutcomeResponse:
        return self.predictor.record_outcome(request)

    def get_model(self, request: model_service_pb2.GetModelRequest) -> model_service_pb2.GetModelResponse:
        return self.predictor.get_model(request)

    def close(self) -> None:
        if self.predictor.online is not None:
            self.predictor.online.close()


class OnlineFigures:
    """A version's online figures over the last `window`, from the online store (cached a minute)."""

    def __init__(self, store: OnlineStore, registry: Registry | None = None, window: timedelta = ONLINE_WINDOW) -> None:
        self.store = store
        self.registry = registry  # for the version's promised precision, when this process has it
        self.window = window
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def for_version(self, version: str) -> dict[str, Any]:
        with self._lock:
            cached = self._cache.get(version)
            if cached is not None and time.monotonic() - cached[0] < ONLINE_CACHE_SECONDS:
                return cached[1]
        figures = self._compute(version)
        with self._lock:
            self._cache[version] = (time.monotonic(), figures)
        return figures

    def _compute(self, version: str) -> dict[str, Any]:
        from supportability.online.evaluation import evaluate, target_precision
        from supportability.online.store import StoreError
        from supportability.registry import RegistryError

        since = datetime.now(UTC) - self.window
        try:
            frame = self.store.frame(since=since, version=version)
        except StoreError as exc:
            return {"available": False, "note": f"the online store did not answer: {exc}"}
        if len(frame) == 0:
            return {"available": False, "note": f"no predictions of {version} logged since {since:%Y-%m-%d %H:%M} UTC"}
        manifest = None
        if self.registry is not None:
            with contextlib.suppress(RegistryError):
                manifest = self.registry.manifest(version)
        overall = evaluate(frame, {version: target_precision(manifest)}, buckets=False).overall[0]
        return {"available": True, "since": since.isoformat(), **_finite(dataclasses.asdict(overall))}


def _finite(value: Any) -> Any:
    """JSON-ready: a non-finite float becomes None (a figure too thin to have a value says so in its note)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
