"""The service's error model: one exception type that becomes a rich `google.rpc.Status`.

Every error carries an `ErrorInfo` (domain + reason from the contract's `ErrorReason`), plus
`BadRequest` field violations for invalid input and `RetryInfo` when load is shed. The same
exception is what in-process callers of `Predictor` catch, so both paths fail identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import grpc
from google.protobuf import duration_pb2, timestamp_pb2
from google.rpc import error_details_pb2, status_pb2

ERROR_DOMAIN = "supportability.dev"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: its path in the request (e.g. `support_cases[3].subject`) and why."""

    field: str
    description: str


LATEST_TIMESTAMP_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


def timestamp_violations(stamp: timestamp_pb2.Timestamp, path: str) -> list[FieldViolation]:
    """A Timestamp that converting would refuse (ToDatetime raises on both): a typed error, never INTERNAL."""
    if not 0 <= stamp.seconds <= LATEST_TIMESTAMP_SECONDS:
        return [FieldViolation(path, "outside years 1970 to 9999")]
    if not 0 <= stamp.nanos <= 999_999_999:
        return [FieldViolation(path, "nanos must be 0 to 999,999,999")]
    return []


@dataclass
class SupportabilityError(Exception):
    """An error with a gRPC status code, an `ErrorReason` name and optional details."""

    code: grpc.StatusCode
    reason: str
    message: str
    violations: Sequence[FieldViolation] = ()
    retry_delay_seconds: float | None = None
    request_id: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __reduce__(self) -> tuple[type[SupportabilityError], tuple[object, ...]]:
        # Exceptions pickle as cls(*args), and args holds only the message: rebuild from every
        # field instead, so Spark workers and process pools can send the error back whole.
        return type(self), tuple(getattr(self, f.name) for f in fields(self))

    def __str__(self) -> str:
        return f"{self.code.name} {self.reason}: {self.message}"

    def to_status(self) -> status_pb2.Status:
        """The `google.rpc.Status` sent in the `grpc-status-details-bin` trailer."""
        details = [
            error_details_pb2.ErrorInfo(
                reason=self.reason,
                domain=ERROR_DOMAIN,
                metadata={**self.metadata, **({"request_id": self.request_id} if self.request_id else {})},
            )
        ]
        if self.violations:
            details.append(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                        for v in self.violations
                    ]
                )
            )
        if self.retry_delay_seconds is not None:
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(int(self.retry_delay_seconds * 1e9))
            details.append(error_details_pb2.RetryInfo(retry_delay=delay))
        status = status_pb2.Status(code=_code_number(self.code), message=self.message)
        for detail in details:
            status.details.add().Pack(detail)
        return status


def _code_number(code: grpc.StatusCode) -> int:
    return code.value[0]  # grpc.StatusCode values are (number, name) pairs


def _invalid(reason: str, what: str, violations: Sequence[FieldViolation], request_id: str) -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.INVALID_ARGUMENT,
        reason,
        f"the {what} is invalid: " + "; ".join(f"{v.field}: {v.description}" for v in violations),
        violations=violations,
        request_id=request_id,
    )


def invalid_case(violations: Sequence[FieldViolation], request_id: str = "") -> SupportabilityError:
    return _invalid("INVALID_CASE", "case", violations, request_id)


def invalid_request(violations: Sequence[FieldViolation], request_id: str = "") -> SupportabilityError:
    return _invalid("INVALID_REQUEST", "request", violations, request_id)


def model_version_not_found(
    version: str, *, field_name: str, code: grpc.StatusCode, request_id: str = ""
) -> SupportabilityError:
    return SupportabilityError(
        code,
        "MODEL_VERSION_NOT_FOUND",
        f"model version {version!r} is not in the registry",
        violations=[FieldViolation(field_name, f"unknown model version {version!r}")],
        request_id=request_id,
        metadata={"model_version": version},
    )


def model_not_loaded(request_id: str = "") -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.UNAVAILABLE, "MODEL_NOT_LOADED", "no model version is loaded yet", request_id=request_id
    )


def overloaded(
    retry_delay_seconds: float, request_id: str = "", why: str = "the service is at its concurrency limit"
) -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "OVERLOADED",
        f"{why}; retry later",
        retry_delay_seconds=retry_delay_seconds,
        request_id=request_id,
    )


def deadline_exceeded(request_id: str = "") -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.DEADLINE_EXCEEDED,
        "DEADLINE_EXCEEDED",
        "the caller's deadline passed before the work started",
        request_id=request_id,
    )


def internal() -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.INTERNAL, "INTERNAL", "the service failed unexpectedly; the error is in its log"
    )


def unauthenticated() -> SupportabilityError:
    return SupportabilityError(grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", "missing or invalid bearer token")


def invalid_outcome(violations: Sequence[FieldViolation], request_id: str = "") -> SupportabilityError:
    return _invalid("INVALID_OUTCOME", "outcome", violations, request_id)


def prediction_not_found(
    message: str, *, prediction_id: str, case_id: str, request_id: str = ""
) -> SupportabilityError:
    target = {"prediction_id": prediction_id} if prediction_id else {"case_id": case_id}
    return SupportabilityError(
        grpc.StatusCode.NOT_FOUND, "PREDICTION_NOT_FOUND", message, request_id=request_id, metadata=target
    )


def outcome_conflict(message: str, *, prediction_id: str, field_name: str, request_id: str = "") -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.FAILED_PRECONDITION,
        "OUTCOME_CONFLICT",
        message,
        request_id=request_id,
        metadata={"prediction_id": prediction_id, "field": field_name},
    )


def store_unavailable(message: str, request_id: str = "") -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.UNAVAILABLE,
        "STORE_UNAVAILABLE",
        f"{message}; nothing was recorded, retry later",
        request_id=request_id,
    )


def experiment_not_found(name: str) -> SupportabilityError:
    return SupportabilityError(
        grpc.StatusCode.NOT_FOUND,
        "EXPERIMENT_NOT_FOUND",
        f"no experiment named {name!r} in the registry",
        violations=[FieldViolation("name", f"unknown experiment {name!r}")],
        metadata={"experiment": name},
    )
