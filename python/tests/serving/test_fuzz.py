"""Fuzzing the wire: random and mutated requests never get INTERNAL, never crash the server,
and do not grow its memory without bound."""

from __future__ import annotations

import random
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportability.testing import ServerProcess
from supportability.v1 import prediction_service_pb2 as ps
from supportability.v1 import support_case_pb2 as sc

METHODS = ("PredictCase", "BatchPredictCases")
# What a well-behaved server may answer to garbage: never INTERNAL or UNKNOWN.
ACCEPTABLE = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}


@pytest.fixture(scope="module")
def calls(server: ServerProcess):
    with grpc.insecure_channel(server.target) as channel:
        yield {m: channel.unary_unary(f"/supportability.v1.PredictionService/{m}") for m in METHODS}


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _code(call, payload: bytes) -> grpc.StatusCode:
    try:
        call(payload, timeout=10)
        return grpc.StatusCode.OK
    except grpc.RpcError as exc:
        return exc.code()


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        if op < 0.4 and buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op < 0.7:
            buf.insert(rng.randrange(len(buf) + 1), rng.randrange(256))
        elif buf:
            del buf[rng.randrange(len(buf))]
    return bytes(buf)


texts = st.text(max_size=60) | st.sampled_from(["", " ", "x" * 1001, "payout 💸", "\u0000"])
ints = st.integers(min_value=-(2**31), max_value=2**31 - 1)
cases = st.builds(
    sc.SupportCase,
    subject=texts,
    body=texts,
    channel=ints,
    language=st.text(max_size=12),
    account=st.builds(
        sc.AccountContext,
        disputes_30d=ints,
        support_plan=ints,
        integration_type=ints,
        monthly_volume_usd=st.floats(allow_nan=True, allow_infinity=True),
        account_age_days=ints,
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases, top_k=ints, model_version=st.sampled_from(["", "nope"]))
def test_random_requests_never_fail_internally(calls, case: sc.SupportCase, top_k: int, model_version: str) -> None:
    request = ps.PredictCaseRequest(support_case=case, model_version=model_version, options={"top_k": top_k})
    assert _code(calls["PredictCase"], request.SerializeToString()) in ACCEPTABLE
    batch = ps.BatchPredictCasesRequest(support_cases=[case, case], options={"top_k": top_k})
    assert _code(calls["BatchPredictCases"], batch.SerializeToString()) in ACCEPTABLE


def test_mutated_bytes_never_fail_internally_nor_leak(server: ServerProcess, calls) -> None:
    rng = random.Random(20261128)
    seed = ps.PredictCaseRequest(
        request_id="fuzz",
        support_case=sc.SupportCase(
            subject="Payout missing",
            body="where is my money",
            channel=sc.CHANNEL_EMAIL,
            language="en",
            account=sc.AccountContext(merchant_id="m", disputes_30d=3, monthly_volume_usd=10.5),
            extra_features={"tier": struct_pb2.Value(string_value="gold"), "n": struct_pb2.Value(number_value=2)},
        ),
    ).SerializeToString()
    codes: dict[grpc.StatusCode, int] = {}

    def round_of(n: int) -> None:
        for _ in range(n):
            payload = _mutate(seed, rng) if rng.random() < 0.9 else rng.randbytes(rng.randint(0, 200))
            code = _code(calls[rng.choice(METHODS)], payload)
            codes[code] = codes.get(code, 0) + 1
            assert code in ACCEPTABLE, f"{code} for payload {payload!r}"

    round_of(500)  # warm-up: caches and allocator pools fill
    before = _rss_kib(server.process.pid)
    round_of(2000)
    after = _rss_kib(server.process.pid)
    assert server.process.poll() is None, "the server died"
    assert after - before < 50 * 1024, f"RSS grew by {after - before} KiB over 2,000 requests"
    assert codes.get(grpc.StatusCode.INVALID_ARGUMENT) and codes.get(grpc.StatusCode.OK), codes
