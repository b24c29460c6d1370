"""The server over a real loopback socket: answers, errors, health, reflection, auth, TLS."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from supportability.client import Client
from supportability.errors import SupportabilityError
from supportability.serving import Predictor
from supportability.testing import ServerProcess, assert_close
from supportability.v1 import model_service_pb2
from supportability.v1 import prediction_service_pb2 as ps
from supportability.v1 import support_case_pb2 as sc

GOOD_CASE = sc.SupportCase(
    subject="Payout missing", body="Our payout did not arrive this week.", channel=sc.CHANNEL_EMAIL, language="en"
)


@pytest.fixture(scope="module")
def client(server: ServerProcess):
    with Client(server.target) as c:
        yield c


def test_predict_case_answers_with_the_promoted_model(client: Client, registry_path: Path) -> None:
    response = client.predict_case(GOOD_CASE, request_id="r-1")
    prediction = response.prediction
    assert response.request_id == "r-1"
    assert prediction.model_version == client.get_model().model.version
    queues = prediction.routing.top_queues
    assert len(queues) == 3
    assert [q.probability for q in queues] == sorted((q.probability for q in queues), reverse=True)
    assert 0 < sum(q.probability for q in queues) <= 1 + 1e-9
    assert prediction.decision.threshold > 0


def test_server_assigns_a_request_id_when_none_is_given(client: Client) -> None:
    response = client.send(ps.PredictCaseRequest(support_case=GOOD_CASE))
    assert len(response.request_id) == 36


def test_batch_keeps_the_order_of_the_request(client: Client, golden_requests: list) -> None:
    cases = [r.support_case for r in golden_requests]
    batch = client.batch_predict_cases(cases).predictions
    singles = [client.predict_case(c).prediction for c in cases]
    assert [p.case_id for p in batch] == [c.case_id for c in cases]
    for b, s in zip(batch, singles, strict=True):
        assert_close(s, b)


def test_stream_answers_each_message_and_survives_a_bad_one(client: Client) -> None:
    requests = [
        ps.StreamPredictCasesRequest(support_case=GOOD_CASE, request_id="a"),
        ps.StreamPredictCasesRequest(support_case=sc.SupportCase(channel=sc.CHANNEL_CHAT), request_id="b"),
        ps.StreamPredictCasesRequest(support_case=GOOD_CASE, request_id="c"),
    ]
    responses = list(client.stream_predict_cases(iter(requests)))
    assert [r.request_id for r in responses] == ["a", "b", "c"]
    assert [r.WhichOneof("result") for r in responses] == ["prediction", "error", "prediction"]
    assert responses[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]


def _error(call) -> SupportabilityError:
    with pytest.raises(SupportabilityError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    ("case", "field"),
    [
        (sc.SupportCase(channel=sc.CHANNEL_EMAIL), "support_case.subject"),
        (sc.SupportCase(subject="x" * 1001, channel=sc.CHANNEL_EMAIL), "support_case.subject"),
        (sc.SupportCase(subject="hi", body="x" * 20_001, channel=sc.CHANNEL_EMAIL), "support_case.body"),
        (sc.SupportCase(subject="hi", channel=99), "support_case.channel"),
        (sc.SupportCase(subject="hi", channel=sc.CHANNEL_EMAIL, language="english please"), "support_case.language"),
        (
            sc.SupportCase(subject="hi", channel=sc.CHANNEL_EMAIL, account=sc.AccountContext(disputes_30d=-1)),
            "support_case.account.disputes_30d",
        ),
        (
            sc.SupportCase(
                subject="hi", channel=sc.CHANNEL_EMAIL, account=sc.AccountContext(monthly_volume_usd=float("nan"))
            ),
            "support_case.account.monthly_volume_usd",
        ),
        (
            sc.SupportCase(subject="hi", channel=sc.CHANNEL_EMAIL, account=sc.AccountContext(support_plan=42)),
            "support_case.account.support_plan",
        ),
        (
            sc.SupportCase(subject="hi", account=sc.AccountContext(integration_type=42)),
            "support_case.account.integration_type",
        ),
    ],
)
def test_invalid_case_is_invalid_argument_with_the_field(client: Client, case: sc.SupportCase, field: str) -> None:
    error = _error(lambda: client.predict_case(case, request_id="bad-1"))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "INVALID_CASE"
    assert field in [v.field for v in error.violations]
    assert error.request_id == "bad-1"


def test_batch_errors_name_the_case_by_index(client: Client) -> None:
    error = _error(lambda: client.batch_predict_cases([GOOD_CASE, sc.SupportCase(subject="hi", channel=99)]))
    assert [v.field for v in error.violations] == ["support_cases[1].channel"]


@pytest.mark.parametrize("count", [0, 1001])
def test_empty_or_oversized_batch_is_rejected(client: Client, count: int) -> None:
    error = _error(lambda: client.batch_predict_cases([GOOD_CASE] * count))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert error.violations[0].field == "support_cases"


def test_unknown_model_version_is_invalid_argument(client: Client) -> None:
    error = _error(lambda: client.predict_case(GOOD_CASE, model_version="no-such-version"))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MODEL_VERSION_NOT_FOUND")
    assert error.violations[0].field == "model_version"


def test_bytes_that_do_not_parse_are_invalid_argument_not_internal(server: ServerProcess) -> None:
    # Field 1 (support_case) holding field 2 (subject) with bytes that are not UTF-8.
    payload = b"\x0a\x04\x12\x02\xff\xfe"
    with grpc.insecure_channel(server.target) as channel:
        call = channel.unary_unary("/supportability.v1.PredictionService/PredictCase")
        with pytest.raises(grpc.RpcError) as caught:
            call(payload, timeout=5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_health_is_serving_and_reflection_lists_the_services(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "supportability.v1.PredictionService", "supportability.v1.ModelService"):
            status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
            assert status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        reply = next(
            reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        )
        names = {s.name for s in reply.list_services_response.service}
    assert {"supportability.v1.PredictionService", "supportability.v1.ModelService"} <= names


def test_models_are_listed_with_metrics_and_labels(client: Client) -> None:
    models = client.list_models().models
    model = client.get_model().model
    assert [m.version for m in models if m.state == model_service_pb2.MODEL_STATE_PROMOTED] == [model.version]
    assert model.label_sets and model.label_sets[0].labels
    assert model.offline_metrics
    assert model.kind == model_service_pb2.MODEL_KIND_LINEAR
    assert _error(lambda: client.get_model("no-such-version")).code == grpc.StatusCode.NOT_FOUND


def test_in_process_predictor_answers_exactly_as_the_server(
    client: Client, registry_path: Path, golden_requests: list
) -> None:
    predictor = Predictor(registry_path)
    for request in golden_requests:
        assert_close(client.send(request), predictor.predict_case(request))


def test_in_process_errors_equal_the_servers(client: Client, registry_path: Path) -> None:
    request = ps.PredictCaseRequest(support_case=sc.SupportCase(subject="hi", channel=99), request_id="same")
    local = _error(lambda: Predictor(registry_path).predict_case(request))
    remote = _error(lambda: client.send(request))
    assert (local.code, local.reason, list(local.violations), local.request_id) == (
        remote.code,
        remote.reason,
        list(remote.violations),
        remote.request_id,
    )


def test_bearer_token_is_required_except_for_health(registry_path: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("s3cret-token\n")
    with ServerProcess(registry_path, "--token-file", str(tokens)) as secured:
        error = _error(lambda: Client(secured.target).predict_case(GOOD_CASE))
        assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")
        assert "s3cret" not in error.message
        error = _error(lambda: Client(secured.target, token="wrong").predict_case(GOOD_CASE))
        assert error.code == grpc.StatusCode.UNAUTHENTICATED
        assert Client(secured.target, token="s3cret-token").predict_case(GOOD_CASE).prediction.routing.top_queues
        with grpc.insecure_channel(secured.target) as channel:
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.SERVING
        assert "s3cret" not in secured.log_path.read_text()


def test_tls_and_mutual_tls(registry_path: Path, tmp_path: Path) -> None:
    def make_cert(name: str) -> tuple[Path, Path]:
        key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        return key, cert

    server_key, server_cert = make_cert("server")
    client_key, client_cert = make_cert("client")
    with ServerProcess(
        registry_path, "--tls-cert", str(server_cert), "--tls-key", str(server_key), "--tls-client-ca", str(client_cert)
    ) as secured:
        mutual = grpc.ssl_channel_credentials(
            server_cert.read_bytes(), client_key.read_bytes(), client_cert.read_bytes()
        )
        assert Client(secured.target, credentials=mutual).predict_case(GOOD_CASE).prediction.routing.top_queues
        one_way = grpc.ssl_channel_credentials(server_cert.read_bytes())
        error = _error(lambda: Client(secured.target, credentials=one_way, retries=False).predict_case(GOOD_CASE))
        assert error.code == grpc.StatusCode.UNAVAILABLE


def test_tracing_records_a_span_per_call(registry_path: Path) -> None:
    with ServerProcess(registry_path, "--tracing", "console") as traced:
        Client(traced.target).predict_case(GOOD_CASE)
        traced.stop()
        assert '"name": "/supportability.v1.PredictionService/PredictCase"' in traced.log_path.read_text()


def test_prometheus_metrics_on_their_own_port(registry_path: Path) -> None:
    with ServerProcess(registry_path, "--metrics-address", "127.0.0.1:0") as observed:
        client = Client(observed.target)
        client.predict_case(GOOD_CASE)
        client.batch_predict_cases([GOOD_CASE] * 3)
        _error(lambda: client.predict_case(sc.SupportCase()))
        list(client.stream_predict_cases(iter([ps.StreamPredictCasesRequest(support_case=GOOD_CASE)])))
        text = observed.metrics_text()
    assert 'supportability_rpc_calls_total{code="OK",method="PredictCase"} 1.0' in text
    assert 'supportability_rpc_calls_total{code="INVALID_ARGUMENT",method="PredictCase"} 1.0' in text
    assert 'supportability_rpc_latency_seconds_count{code="OK",method="BatchPredictCases"} 1.0' in text
    predicted = [line for line in text.splitlines() if line.startswith("supportability_predictions_total{")]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in predicted) == 5.0
    assert 'supportability_rpc_calls_total{code="OK",method="StreamPredictCases"} 1.0' in text
    assert 'supportability_model_info{kind="linear",version=' in text
    assert 'supportability_load_shed_total{reason="deadline"} 0.0' in text
    assert 'supportability_load_shed_total{reason="concurrency"} 0.0' in text
