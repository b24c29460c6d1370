"""The error model: reasons match the contract's ErrorReason, errors cross processes, causes survive."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import grpc
import pytest

from supportability import errors
from supportability.client import Client
from supportability.v1 import error_reason_pb2

PACKAGE = Path(errors.__file__).parent
PREFIX = "ERROR_REASON_"
# Values of the enum that the service deliberately never raises (none today).
RESERVED: set[str] = set()


def _reasons_in_code() -> dict[str, list[str]]:
    """Every literal reason passed to SupportabilityError or errors' helpers, with where it is."""
    found: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "v1" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            candidates = [k.value for k in node.keywords if k.arg == "reason"]
            if name in ("SupportabilityError", "_invalid") and len(node.args) > (name == "SupportabilityError"):
                candidates.append(node.args[1] if name == "SupportabilityError" else node.args[0])
            for value in candidates:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.setdefault(value.value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_reason_is_a_name_of_the_contracts_enum():
    names = {n.removeprefix(PREFIX) for n in error_reason_pb2.ErrorReason.DESCRIPTOR.values_by_name}
    used = _reasons_in_code()
    assert used, "the scan found no reasons: it is broken"
    unknown = {reason: where for reason, where in used.items() if reason not in names}
    assert not unknown, f"reasons not in ErrorReason: {unknown}"


def test_every_enum_value_is_used_or_reserved():
    used = set(_reasons_in_code())
    values = {n.removeprefix(PREFIX) for n in error_reason_pb2.ErrorReason.DESCRIPTOR.values_by_name} - {"UNSPECIFIED"}
    assert values - used - RESERVED == set()


@pytest.mark.parametrize(
    "error",
    [
        errors.invalid_case([errors.FieldViolation("support_case.body", "required")], "req-1"),
        errors.overloaded(0.25, "req-2"),
        errors.SupportabilityError(grpc.StatusCode.NOT_FOUND, "PREDICTION_NOT_FOUND", "x", metadata={"k": "v"}),
    ],
)
def test_errors_survive_pickle(error):
    copy = pickle.loads(pickle.dumps(error))
    assert copy == error
    assert str(copy) == str(error)
    assert copy.to_status() == error.to_status()


def test_the_client_keeps_the_grpc_cause():
    # Nothing listens on this port: the channel fails with UNAVAILABLE at once.
    with Client("127.0.0.1:1", retries=False, timeout=2) as client, pytest.raises(errors.SupportabilityError) as caught:
        client.get_model()
    assert isinstance(caught.value.__cause__, grpc.RpcError)
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.__cause__.debug_error_string()
