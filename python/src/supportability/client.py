"""A thin Python client for the service: one long-lived object per process, thread-safe.

with Client("127.0.0.1:50051") as client:
    prediction = client.predict_case(SupportCase(subject="Payout missing", channel=CHANNEL_EMAIL))
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from supportability.errors import FieldViolation, SupportabilityError
from supportability.v1 import (
    model_service_pb2,
    model_service_pb2_grpc,
    outcome_pb2,
    outcome_service_pb2,
    outcome_service_pb2_grpc,
    prediction_pb2,
    prediction_service_pb2,
    prediction_service_pb2_grpc,
    support_case_pb2,
)

DEFAULT_TIMEOUT_SECONDS = 5.0
R = TypeVar("R", prediction_service_pb2.PredictCaseRequest, prediction_service_pb2.BatchPredictCasesRequest)


@functools.cache
def service_config() -> str:
    """The contract's retry and timeout policy, copied beside the generated code."""
    return resources.files("supportability.v1").joinpath("supportability_grpc_service_config.json").read_text()


class Client:
    """Calls a Supportability service.

    Args:
        target: "host:port" or any gRPC target such as "dns:///svc:50051".
        token: bearer token sent as `authorization` metadata on every call.
        timeout: default deadline in seconds for every unary call (never unbounded).
        retries: retry UNAVAILABLE per the contract's service config; False turns it off.
        credentials: channel credentials for TLS / mutual TLS; None means plaintext.
        connections: HTTP/2 connections to open, each call taking the next in turn. A server run
            with `--workers N` shares its port between N processes and the kernel gives each
            connection to one of them, so one connection (the default) reaches one worker. The
            kernel hashes connections to workers: give several times N (16 connections all land
            on one of 2 workers with probability 2**-15).
    """

    def __init__(
        self,
        target: str,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retries: bool = True,
        credentials: grpc.ChannelCredentials | None = None,
        connections: int = 1,
    ) -> None:
        if connections < 1:
            raise ValueError(f"connections must be at least 1, not {connections}")
        options: list[tuple[str, Any]] = [("grpc.enable_retries", int(retries))]
        if retries:
            options.append(("grpc.service_config", service_config()))
        if connections > 1:
            # Channels with equal settings share one connection (gRPC's global subchannel pool);
            # a pool of its own per channel gives each channel a connection of its own.
            options.append(("grpc.use_local_subchannel_pool", 1))
        self._channels = [
            grpc.secure_channel(target, credentials, options) if credentials else grpc.insecure_channel(target, options)
            for _ in range(connections)
        ]
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.timeout = timeout
        self._pool = [self._stubs(channel) for channel in self._channels]
        self._turn = itertools.cycle(self._pool)  # next() on a cycle is atomic under the GIL: thread-safe

    @staticmethod
    def _stubs(channel: grpc.Channel) -> tuple[dict[type, Any], Any]:
        """The unary method for each request type of the contract (so `send` is one look-up), and the stream."""
        predictions = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        models = model_service_pb2_grpc.ModelServiceStub(channel)
        outcomes = outcome_service_pb2_grpc.OutcomeServiceStub(channel)
        methods = {
            prediction_service_pb2.PredictCaseRequest: predictions.PredictCase,
            prediction_service_pb2.BatchPredictCasesRequest: predictions.BatchPredictCases,
            model_service_pb2.ListModelsRequest: models.ListModels,
            model_service_pb2.GetModelRequest: models.GetModel,
            model_service_pb2.ListExperimentsRequest: models.ListExperiments,
            model_service_pb2.GetExperimentRequest: models.GetExperiment,
            outcome_service_pb2.RecordOutcomeRequest: outcomes.RecordOutcome,
            outcome_service_pb2.BatchRecordOutcomesRequest: outcomes.BatchRecordOutcomes,
            outcome_service_pb2.GetPredictionRecordRequest: outcomes.GetPredictionRecord,
        }
        return methods, predictions.StreamPredictCases

    def close(self) -> None:
        for channel in self._channels:
            channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def predict_case(
        self,
        support_case: support_case_pb2.SupportCase | prediction_service_pb2.PredictCaseRequest,
        *,
        model_version: str | None = None,
        options: prediction_pb2.PredictionOptions | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> prediction_service_pb2.PredictCaseResponse:
        """Predict one case: a `SupportCase`, or a whole `PredictCaseRequest` (as `Predictor.predict_case`)."""
        request_id = request_id or getattr(support_case, "request_id", "") or str(uuid.uuid4())
        request = predict_case_request(
            support_case, model_version=model_version, options=options, request_id=request_id
        )
        return self.send(request, timeout=timeout)

    def batch_predict_cases(
        self,
        support_cases: Sequence[support_case_pb2.SupportCase] | prediction_service_pb2.BatchPredictCasesRequest,
        *,
        model_version: str | None = None,
        options: prediction_pb2.PredictionOptions | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> prediction_service_pb2.BatchPredictCasesResponse:
        """Predict up to 1,000 cases: a sequence of `SupportCase`, or a `BatchPredictCasesRequest`."""
        request_id = request_id or getattr(support_cases, "request_id", "") or str(uuid.uuid4())
        request = batch_predict_cases_request(
            support_cases, model_version=model_version, options=options, request_id=request_id
        )
        return self.send(request, timeout=timeout)

    def stream_predict_cases(
        self, requests: Iterable[prediction_service_pb2.StreamPredictCasesRequest], *, timeout: float | None = None
    ) -> Iterator[prediction_service_pb2.StreamPredictCasesResponse]:
        """One response per request, in order; a bad case is an error in its own response."""

        def with_ids() -> Iterator[prediction_service_pb2.StreamPredictCasesRequest]:
            for r in requests:
                if not r.request_id:
                    r.request_id = str(uuid.uuid4())
                yield r

        stream = next(self._turn)[1]
        try:
            yield from stream(with_ids(), timeout=timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise error_from_rpc(exc) from exc

    def list_models(self, page_size: int = 0, page_token: str = "") -> model_service_pb2.ListModelsResponse:
        return self.send(model_service_pb2.ListModelsRequest(page_size=page_size, page_token=page_token))

    def get_model(self, version: str = "") -> model_service_pb2.GetModelResponse:
        return self.send(model_service_pb2.GetModelRequest(version=version))

    def list_experiments(self) -> model_service_pb2.ListExperimentsResponse:
        """Every experiment in the server's registry, with the arms it is assigning to."""
        return self.send(model_service_pb2.ListExperimentsRequest())

    def get_experiment(self, name: str) -> model_service_pb2.GetExperimentResponse:
        return self.send(model_service_pb2.GetExperimentRequest(name=name))

    def record_outcome(
        self, outcome: outcome_pb2.Outcome, *, request_id: str | None = None, timeout: float | None = None
    ) -> outcome_service_pb2.RecordOutcomeResponse:
        """Record what happened to a predicted case; durable once this returns. Sending the same
        outcome again (a retry) changes nothing; a different value for a recorded field raises
        FAILED_PRECONDITION (reason OUTCOME_CONFLICT) unless `outcome.correction` is set."""
        request = outcome_service_pb2.RecordOutcomeRequest(outcome=outcome, request_id=request_id or str(uuid.uuid4()))
        return self.send(request, timeout=timeout)

    def batch_record_outcomes(
        self, outcomes: Sequence[outcome_pb2.Outcome], *, request_id: str | None = None, timeout: float | None = None
    ) -> outcome_service_pb2.BatchRecordOutcomesResponse:
        """Record up to 1,000 outcomes atomically: all of them, or none (the error names the index)."""
        request = outcome_service_pb2.BatchRecordOutcomesRequest(
            outcomes=outcomes, request_id=request_id or str(uuid.uuid4())
        )
        return self.send(request, timeout=timeout)

    def get_prediction_record(
        self, *, prediction_id: str = "", case_id: str = "", timeout: float | None = None
    ) -> outcome_service_pb2.GetPredictionRecordResponse:
        """A stored prediction with its outcome and history, by prediction id or (latest) case id."""
        request = outcome_service_pb2.GetPredictionRecordRequest()
        if prediction_id:
            request.prediction_id = prediction_id
        elif case_id:
            request.case_id = case_id
        return self.send(request, timeout=timeout)

    def send(self, request: Any, *, timeout: float | None = None) -> Any:
        """Send any unary request message of the contract to its method."""
        method = next(self._turn)[0][type(request)]
        try:
            return method(request, timeout=timeout or self.timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise error_from_rpc(exc, getattr(request, "request_id", "")) from exc


def predict_case_request(
    case: support_case_pb2.SupportCase | prediction_service_pb2.PredictCaseRequest,
    *,
    model_version: str | None = None,
    options: prediction_pb2.PredictionOptions | None = None,
    request_id: str | None = None,
) -> prediction_service_pb2.PredictCaseRequest:
    """The request that `Client.predict_case` and `Predictor.predict_case` answer, from a case or a request.

    The keywords that are given replace the request's fields, in a copy: the caller's message is never changed.
    """
    if isinstance(case, support_case_pb2.SupportCase):
        case = prediction_service_pb2.PredictCaseRequest(support_case=case)
    elif not isinstance(case, prediction_service_pb2.PredictCaseRequest):
        raise TypeError(f"predict_case takes a SupportCase or a PredictCaseRequest, not {_type_name(case)}")
    return _with_fields(case, model_version, options, request_id)


def batch_predict_cases_request(
    cases: Sequence[support_case_pb2.SupportCase] | prediction_service_pb2.BatchPredictCasesRequest,
    *,
    model_version: str | None = None,
    options: prediction_pb2.PredictionOptions | None = None,
    request_id: str | None = None,
) -> prediction_service_pb2.BatchPredictCasesRequest:
    """The request of `batch_predict_cases`, from a sequence of cases or a request (keywords as above)."""
    expected = "a sequence of SupportCase or a BatchPredictCasesRequest"
    if isinstance(cases, Iterable) and not isinstance(cases, str | bytes | Mapping | Message):
        cases = list(cases)
        for i, case in enumerate(cases):
            if not isinstance(case, support_case_pb2.SupportCase):
                raise TypeError(f"batch_predict_cases takes {expected}; item {i} is {_type_name(case)}")
        cases = prediction_service_pb2.BatchPredictCasesRequest(support_cases=cases)
    elif not isinstance(cases, prediction_service_pb2.BatchPredictCasesRequest):
        hint = "; predict_case takes one case" if isinstance(cases, support_case_pb2.SupportCase) else ""
        raise TypeError(f"batch_predict_cases takes {expected}, not {_type_name(cases)}{hint}")
    return _with_fields(cases, model_version, options, request_id)


def _with_fields(
    request: R, model_version: str | None, options: prediction_pb2.PredictionOptions | None, request_id: str | None
) -> R:
    """`request` itself when no keyword is given; else a copy with those fields set."""
    if model_version is None and options is None and request_id is None:
        return request
    out = type(request)()
    out.CopyFrom(request)
    if model_version is not None:
        out.model_version = model_version
    if options is not None:
        out.options.CopyFrom(options)
    if request_id is not None:
        out.request_id = request_id
    return out


def _type_name(value: object) -> str:
    if isinstance(value, Message):
        return value.DESCRIPTOR.full_name
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def error_from_rpc(exc: grpc.RpcError, request_id: str = "") -> SupportabilityError:
    """A failed call as the same `SupportabilityError` that the in-process `Predictor` raises."""
    status = rpc_status.from_call(exc)
    reason, violations, retry_delay, metadata = "", [], None, {}
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations = [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info_retry = error_details_pb2.RetryInfo()
            detail.Unpack(info_retry)
            retry_delay = info_retry.retry_delay.ToTimedelta().total_seconds()
    return SupportabilityError(
        exc.code(),
        reason,
        exc.details() or "",
        violations=violations,
        retry_delay_seconds=retry_delay,
        request_id=metadata.pop("request_id", request_id),
        metadata=metadata,
    )
