"""Shedding by deadline: a call with too little of its deadline left when its handler starts is
refused, unparsed, with RESOURCE_EXHAUSTED and RetryInfo, and the server counts what it admitted,
shed and completed. The margin is set far above the test's deadlines, so nothing here depends on
timing: a 2 s call is always under a 5 s margin, a 60 s call never is. And the per-connection
stream limit, which keeps a connection's excess calls in its client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from supportability.client import Client
from supportability.errors import SupportabilityError
from supportability.testing import ServerProcess
from supportability.v1 import prediction_service_pb2 as ps
from supportability.v1 import support_case_pb2 as sc

CASE = sc.SupportCase(subject="Refund not showing", body="The refund has not arrived.", channel=sc.CHANNEL_CHAT)
MARGIN_SECONDS = 5.0
SHORT, LONG = 2.0, 60.0  # deadlines under and over the margin


@pytest.fixture(scope="module")
def server(registry_path: Path):
    with ServerProcess(
        registry_path,
        "--shed-deadline-margin-seconds",
        str(MARGIN_SECONDS),
        "--shed-retry-delay-seconds",
        "0.2",
        "--metrics-address",
        "127.0.0.1:0",
        "--store",
        "none",
    ) as running:
        yield running


def _metrics(server: ServerProcess) -> dict[str, float]:
    lines = server.metrics_text().splitlines()
    return {name: float(value) for name, _, value in (line.rpartition(" ") for line in lines if line[:1] != "#")}


def _counts(server: ServerProcess) -> tuple[float, float, float, float]:
    """(admitted, shed by deadline, PredictCase answered OK, deadlines observed)."""
    m = _metrics(server)
    return (
        m["supportability_calls_admitted_total"],
        m['supportability_load_shed_total{reason="deadline"}'],
        m.get('supportability_rpc_calls_total{code="OK",method="PredictCase"}', 0.0),
        m["supportability_deadline_remaining_seconds_count"],
    )


def test_a_call_with_too_little_deadline_left_is_shed_with_retry_info(server: ServerProcess) -> None:
    with Client(server.target, retries=False) as client:
        with pytest.raises(SupportabilityError) as caught:
            client.predict_case(CASE, timeout=SHORT)
        error = caught.value
        assert (error.code, error.reason, error.retry_delay_seconds) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "OVERLOADED",
            0.2,
        )
        assert "deadline" in error.message
        assert client.predict_case(CASE, timeout=LONG).prediction.routing.top_queues


def test_shedding_comes_before_parsing(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.target) as channel:
        call = channel.unary_unary("/supportability.v1.PredictionService/PredictCase")
        with pytest.raises(grpc.RpcError) as shed:
            call(b"\xff\xff not a message", timeout=SHORT)
        with pytest.raises(grpc.RpcError) as parsed:
            call(b"\xff\xff not a message", timeout=LONG)
    assert shed.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert parsed.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_server_counts_what_it_admitted_shed_and_completed(server: ServerProcess) -> None:
    """Concurrent callers, half with deadlines under the margin: the server's own counters agree
    with what the callers saw, call for call."""
    before = _counts(server)

    def call(i: int) -> str:
        try:
            client.predict_case(CASE, timeout=SHORT if i % 2 else LONG)
            return "ok"
        except SupportabilityError as exc:
            return exc.reason

    with Client(server.target, retries=False, connections=4) as client, ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(call, range(80)))
    admitted, shed, completed, observed = (after - b for after, b in zip(_counts(server), before, strict=True))
    assert (outcomes.count("ok"), outcomes.count("OVERLOADED")) == (40, 40)
    assert (admitted, shed, completed, observed) == (40, 40, 40, 80)


def test_calls_without_a_deadline_are_never_shed_by_it(server: ServerProcess) -> None:
    before = _counts(server)
    with grpc.insecure_channel(server.target) as channel:
        call = channel.unary_unary("/supportability.v1.ModelService/ListModels")
        call(b"")  # no timeout: no deadline
    admitted, shed, _, observed = (after - b for after, b in zip(_counts(server), before, strict=True))
    assert (admitted, shed, observed) == (1, 0, 0)


def test_a_connection_past_its_stream_limit_holds_its_calls_in_the_client(registry_path: Path) -> None:
    """--max-concurrent-streams 1: while a stream holds a connection's one slot, a call on that
    connection never reaches the server (the client holds it until its deadline); on another
    connection, or once the stream ends, calls go through."""
    predict = "/supportability.v1.PredictionService/PredictCase"
    request = ps.PredictCaseRequest(support_case=CASE).SerializeToString()
    with (
        ServerProcess(registry_path, "--max-concurrent-streams", "1", "--store", "none") as limited,
        grpc.insecure_channel(limited.target) as channel,
        grpc.insecure_channel(limited.target, [("grpc.use_local_subchannel_pool", 1)]) as other,
    ):
        channel.unary_unary(predict)(request, timeout=LONG)  # connected, and the server's limit known
        release = threading.Event()

        def one_message_then_wait() -> Iterator[bytes]:
            yield ps.StreamPredictCasesRequest(support_case=CASE).SerializeToString()
            release.wait(LONG)

        stream = channel.stream_stream("/supportability.v1.PredictionService/StreamPredictCases")(
            one_message_then_wait(), timeout=LONG
        )
        next(stream)  # the stream is open in the server
        with pytest.raises(grpc.RpcError) as held:
            channel.unary_unary(predict)(request, timeout=3.0)
        assert held.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert other.unary_unary(predict)(request, timeout=LONG)
        release.set()
        assert list(stream) == []
        assert channel.unary_unary(predict)(request, timeout=LONG)
