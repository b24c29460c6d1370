"""Our side of the comparison: the service, the bare constant-reply server, and their payloads."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
from google.protobuf import json_format

from ghz import Load, write_requests
from processes import Server, ready_file_probe, running
from protoset import file_descriptor_set
from supportability.v1 import prediction_pb2, prediction_service_pb2

SERVICE = "supportability.v1.PredictionService"
PREDICT_CASE = f"{SERVICE}.PredictCase"
BATCH_PREDICT_CASES = f"{SERVICE}.BatchPredictCases"
BATCH_SIZE = 1000  # the contract's maximum

BENCH_DIR = Path(__file__).resolve().parent


def golden_requests(vectors: Path) -> list[prediction_service_pb2.PredictCaseRequest]:
    """The shared golden vectors (tests/vectors/cases.json), parsed from proto3 JSON, without
    their `explain` option: the bench measures the default prediction path (explanations are
    an opt-in that costs about twice a plain prediction)."""
    document = json.loads(vectors.read_text())
    requests = [json_format.ParseDict(vector["request"], prediction_service_pb2.PredictCaseRequest())
                for vector in document["vectors"]]
    for request in requests:
        request.options.explain = False
    return requests


def contract_protoset(workdir: Path) -> Path:
    path = workdir / "supportability.protoset"
    path.write_bytes(file_descriptor_set(prediction_service_pb2.DESCRIPTOR).SerializeToString())
    return path


def predict_load(requests: list[prediction_service_pb2.PredictCaseRequest], workdir: Path) -> Load:
    return Load(PREDICT_CASE, contract_protoset(workdir), write_requests(requests, workdir / "predict.bin"))


def batch_load(requests: list[prediction_service_pb2.PredictCaseRequest], workdir: Path) -> Load:
    """One BatchPredictCasesRequest of BATCH_SIZE cases, cycling through the golden cases.

    Each copy gets its own case id and a distinct body, so a cache keyed by text could not turn
    the batch into five predictions.
    """
    batch = prediction_service_pb2.BatchPredictCasesRequest(request_id="00000000-0000-4000-8000-00000000b001")
    for i in range(BATCH_SIZE):
        case = batch.support_cases.add()
        case.CopyFrom(requests[i % len(requests)].support_case)
        case.case_id = f"bench-{i}"
        case.body = f"{case.body} (ref {i})"
    path = write_requests([batch], workdir / "batch.bin")
    return Load(BATCH_PREDICT_CASES, contract_protoset(workdir), path, cases_per_call=BATCH_SIZE)


@contextlib.contextmanager
def service(registry: Path, workdir: Path, *options: str, name: str = "service",
            store: str | None = None) -> Iterator[Server]:
    """`python -m supportability serve` on a free loopback port, serving the promoted model.

    Its online store is a fresh SQLite file in `workdir` unless `store` names one, so the bench's
    traffic never lands in the user's var/online.db.
    """
    ready = workdir / f"{name}.ready"
    ready.unlink(missing_ok=True)
    if store is None:
        database = workdir / f"{name}-online.db"
        for leftover in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
            leftover.unlink(missing_ok=True)
        store = f"sqlite:///{database}"
    command = [sys.executable, "-m", "supportability", "serve", "--address", "127.0.0.1:0",
               "--ready-file", str(ready), "--registry", str(registry), "--reload-interval-seconds", "0",
               "--store", store, *options]
    # Measure the defaults, not whatever SUPPORTABILITY_* settings the caller's shell carries.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTABILITY_")}
    with running(name, command, ready_file_probe(ready), workdir / "logs" / f"{name}.log", env=env) as server:
        yield server


@contextlib.contextmanager
def constant_server(reply: bytes, workdir: Path) -> Iterator[Server]:
    ready, reply_file = workdir / "constant.ready", workdir / "constant-reply.bin"
    ready.unlink(missing_ok=True)
    reply_file.write_bytes(reply)
    command = [sys.executable, str(BENCH_DIR / "constant_server.py"),
               "--reply-file", str(reply_file), "--ready-file", str(ready)]
    with running("bare server", command, ready_file_probe(ready), workdir / "logs" / "constant.log") as server:
        yield server


def capture_reply(address: str, request: prediction_service_pb2.PredictCaseRequest) -> bytes:
    """The service's serialized PredictCaseResponse to `request`: the bare server's constant reply."""
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(f"/{SERVICE}/PredictCase")  # no deserializer: raw bytes back
        return call(request.SerializeToString(), timeout=10)


def stand_in_reply(request: prediction_service_pb2.PredictCaseRequest) -> bytes:
    """A plausible full PredictCaseResponse, for when the service cannot run (no model yet)."""
    p = prediction_pb2
    prediction = p.CasePrediction(
        case_id=request.support_case.case_id, model_version="stand-in-0000000000",
        routing=p.RoutingPrediction(top_queues=[p.QueueScore(queue=q, probability=s) for q, s in
                                                (("payouts", 0.8123), ("billing", 0.1011), ("refunds", 0.0412))]),
        escalation=p.EscalationPrediction(probability=0.1234),
        urgency=p.UrgencyPrediction(level=p.URGENCY_NORMAL, scores=[
            p.UrgencyScore(level=level, probability=0.25) for level in range(1, 5)]),
        csat_risk=p.CsatRiskPrediction(probability=0.2345),
        resolution_time=p.ResolutionTimePrediction(p50_hours=5.25, p90_hours=30.5),
        suggested_articles=p.ArticleSuggestions(articles=[
            p.ArticleSuggestion(article_id=f"kb-{i:04d}", title="When will my payout arrive?", score=0.5)
            for i in range(3)]),
        decision=p.Decision(action=p.DECISION_ACTION_AUTO_ROUTE, queue="payouts", confidence=0.8123, threshold=0.6),
    )
    return prediction_service_pb2.PredictCaseResponse(prediction=prediction,
                                                      request_id=request.request_id).SerializeToString()
