"""Fuzzing the wire: random and mutated requests never get INTERNAL, never crash the server,
and do not grow its memory without bound."""

from __future__ import annotations

import random
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportability.testing import ServerProcess
from supportability.v1 import outcome_pb2 as oc
from supportability.v1 import outcome_service_pb2 as os_
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
# Out-of-range seconds and nanos too: converting them raises, which once answered INTERNAL.
timestamps = st.none() | st.builds(
    timestamp_pb2.Timestamp, seconds=st.integers(min_value=-(2**40), max_value=2**40), nanos=ints
)
cases = st.builds(
    sc.SupportCase,
    subject=texts,
    body=texts,
    channel=ints,
    language=st.text(max_size=12),
    create_time=timestamps,
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


# -- the OutcomeService -------------------------------------------------------------------------

OUTCOME_METHODS = ("RecordOutcome", "BatchRecordOutcomes", "GetPredictionRecord")
# An outcome may also name an unknown prediction or conflict with one recorded before.
OUTCOME_ACCEPTABLE = ACCEPTABLE | {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}


@pytest.fixture(scope="module")
def outcome_calls(server: ServerProcess):
    with grpc.insecure_channel(server.target) as channel:
        yield {m: channel.unary_unary(f"/supportability.v1.OutcomeService/{m}") for m in OUTCOME_METHODS}


@pytest.fixture(scope="module")
def known_prediction_id(server: ServerProcess) -> str:
    from supportability.client import Client

    with Client(server.target) as client:
        case = sc.SupportCase(subject="Payout missing", channel=sc.CHANNEL_EMAIL)
        return client.predict_case(case).prediction.prediction_id


floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([-1.0, 0.0, 1e12])
outcomes = st.builds(
    oc.Outcome,
    prediction_id=st.sampled_from(["", "x", "01900000-0000-7000-8000-000000000000"]) | st.text(max_size=40),
    resolved_queue=texts,
    escalated=st.booleans(),
    final_urgency=ints,
    csat_rating=ints,
    csat_score=ints,
    resolution_hours=floats,
    helpful_article_ids=st.lists(texts, max_size=4),
    occur_time=timestamps,
    correction=st.booleans(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outcome=outcomes, use_known=st.booleans(), count=st.integers(min_value=0, max_value=3))
def test_random_outcomes_never_fail_internally(outcome_calls, known_prediction_id, outcome, use_known, count) -> None:
    if use_known:
        outcome.prediction_id = known_prediction_id
    single = os_.RecordOutcomeRequest(outcome=outcome)
    assert _code(outcome_calls["RecordOutcome"], single.SerializeToString()) in OUTCOME_ACCEPTABLE
    batch = os_.BatchRecordOutcomesRequest(outcomes=[outcome] * count)
    assert _code(outcome_calls["BatchRecordOutcomes"], batch.SerializeToString()) in OUTCOME_ACCEPTABLE
    lookup = os_.GetPredictionRecordRequest(prediction_id=outcome.prediction_id)
    assert _code(outcome_calls["GetPredictionRecord"], lookup.SerializeToString()) in OUTCOME_ACCEPTABLE


def test_an_oversized_outcome_batch_is_invalid(outcome_calls, known_prediction_id) -> None:
    batch = os_.BatchRecordOutcomesRequest(
        outcomes=[oc.Outcome(prediction_id=known_prediction_id, escalated=True)] * 1001
    )
    assert _code(outcome_calls["BatchRecordOutcomes"], batch.SerializeToString()) == grpc.StatusCode.INVALID_ARGUMENT


def test_mutated_outcome_bytes_never_fail_internally(server: ServerProcess, outcome_calls, known_prediction_id) -> None:
    rng = random.Random(20261201)
    seed = os_.RecordOutcomeRequest(
        request_id="fuzz",
        outcome=oc.Outcome(
            prediction_id=known_prediction_id,
            resolved_queue="payouts",
            resolution_hours=3.5,
            helpful_article_ids=["kb-1"],
            csat_score=4,
        ),
    ).SerializeToString()
    for _ in range(1500):
        payload = _mutate(seed, rng) if rng.random() < 0.9 else rng.randbytes(rng.randint(0, 120))
        code = _code(outcome_calls[rng.choice(OUTCOME_METHODS)], payload)
        assert code in OUTCOME_ACCEPTABLE, f"{code} for payload {payload!r}"
    assert server.process.poll() is None, "the server died"
