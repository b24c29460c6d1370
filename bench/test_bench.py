"""Tests of the bench's own logic; no ghz, MLServer or trained model needed (about a second).

    .venv/bin/python -m pytest -q bench
"""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.internal.decoder import _DecodeVarint

import experiments
import ghz
import paired
import targets
from mlserver_target import promoted_training_data
from processes import run_command
from report import BARE, BATCH, MLSERVER, ONE_WORKER, SERVICE, TWO_WORKERS, Report, ServerFigures
from supportability.data.generator import GeneratorConfig
from supportability.v1 import prediction_service_pb2

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "cases.json"


def test_requests_file_is_what_ghz_reads_back_varint_delimited(tmp_path: Path) -> None:
    requests = targets.golden_requests(VECTORS)
    batch = targets.batch_load(requests, tmp_path)  # one message over 128 bytes: a multi-byte prefix
    for path, expected in ((targets.predict_load(requests, tmp_path).requests, len(requests)), (batch.requests, 1)):
        data, position, decoded = path.read_bytes(), 0, []
        while position < len(data):
            size, position = _DecodeVarint(data, position)
            decoded.append(data[position:position + size])
            position += size
        assert len(decoded) == expected
    batch_request = prediction_service_pb2.BatchPredictCasesRequest.FromString(decoded[0])
    assert len(batch_request.support_cases) == targets.BATCH_SIZE
    assert len({case.body for case in batch_request.support_cases}) == targets.BATCH_SIZE


def test_protoset_holds_the_service_and_its_imports(tmp_path: Path) -> None:
    protoset = descriptor_pb2.FileDescriptorSet.FromString(targets.contract_protoset(tmp_path).read_bytes())
    names = [f.name for f in protoset.file]
    service_file = next(f for f in protoset.file if f.service)
    assert [m.name for m in service_file.service[0].method][:2] == ["PredictCase", "BatchPredictCases"]
    assert "google/rpc/status.proto" in names
    for file in protoset.file:  # dependencies come before the files that import them
        assert all(names.index(dependency) < names.index(file.name) for dependency in file.dependency)


def test_constant_server_answers_with_its_reply_and_stops_on_sigterm(tmp_path: Path) -> None:
    request = targets.golden_requests(VECTORS)[0]
    reply = targets.stand_in_reply(request)
    with targets.constant_server(reply, tmp_path) as server:
        assert targets.capture_reply(server.address, request) == reply
        assert server.rss_bytes() > 0 and server.cpu_seconds() > 0
        process = server.process
    assert process.returncode is not None
    with pytest.raises(grpc.RpcError):
        targets.capture_reply(server.address, request)


def test_a_command_that_overruns_is_stopped_with_what_it_printed() -> None:
    returncode, output = run_command(["bash", "-c", "echo started; sleep 30"], timeout=0.5)
    assert returncode is None
    assert output.startswith("started")


def test_mlserver_is_trained_on_the_promoted_models_generator_settings(tmp_path: Path) -> None:
    version = "20260101T000000Z-abcdef"
    config = GeneratorConfig(n_cases=1234, seed=11, typo_rate=0.5)
    manifest = tmp_path / "versions" / version / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({
        "name": "m", "version": version, "tasks": ["routing"], "label_sets": {},
        "created_time": "2026-01-01T00:00:00+00:00", "metrics": [],
        "data": {"source": config.describe(), "case_count": 1234, "fingerprint": "x"},
    }))
    (tmp_path / "promoted.json").write_text(json.dumps({"version": version, "history": []}))
    assert promoted_training_data(tmp_path)[0] == config
    assert promoted_training_data(tmp_path / "empty")[0] == GeneratorConfig()


def _measurement(target: str, concurrency: int, calls: int, p99_ms: float = 1.0, cases: int = 1) -> ghz.Measurement:
    return ghz.Measurement(target, concurrency, calls, {}, 1.0, 0.5, p99_ms, cases, 0.5, 0.1)


def test_report_ratios_and_targets() -> None:
    report = Report(settings={})
    report.measurements = [
        _measurement(BARE, 1, 1000), _measurement(SERVICE, 1, 800, p99_ms=2.5), _measurement(MLSERVER, 1, 300),
        _measurement(BATCH, 8, 25, cases=1000), _measurement(ONE_WORKER, 8, 1000), _measurement(TWO_WORKERS, 8, 1500),
    ]
    report.servers = [ServerFigures(SERVICE, 1.5, 600 * 1024 * 1024)]
    assert report.ratio(SERVICE, BARE, 1) == pytest.approx(0.8)
    assert report.ratio(SERVICE, MLSERVER, 8) is None
    checks = {target: met for target, _, met in report.target_checks()}
    assert checks["PredictCase >= 2x MLServer calls/s (c=1)"] is True
    assert checks["PredictCase >= 80% of bare calls/s (c=1)"] is True
    assert checks["PredictCase >= 70% of bare calls/s (c=8)"] is None
    assert checks["PredictCase >= 2x MLServer calls/s (c=8)"] is None
    assert checks["PredictCase p99 at c=1 <= 2 ms"] is False
    assert checks["BatchPredictCases >= 25,000 cases/s (c=8)"] is True
    assert checks["service RSS per worker <= 250 MB"] is False
    assert checks["service ready <= 3 s after start"] is True
    assert report.workers_ratios()["calls/s"] == pytest.approx(1.5)
    assert "service PredictCase" in report.render() and "--workers 2 / --workers 1" in report.render()
    json.dumps(report.to_json())  # serialisable as written to latest.json


def test_overload_latency_is_of_the_calls_answered_ok() -> None:
    from overload import ok_latency_ms

    details = [{"latency": ms * 1e6, "status": status} for ms, status in
               [(1, "OK"), (2, "OK"), (3, "OK"), (4, "OK"), (100, "DeadlineExceeded"), (0.1, "ResourceExhausted")]]
    assert ok_latency_ms({"details": details}, (50, 99)) == [3.0, 4.0]
    assert ok_latency_ms({"details": details[4:]}, (50, 99)) == [None, None]


def test_experiments_bench_ratios_are_of_medians_and_every_request_names_its_merchant() -> None:
    def run(p99: float, cpu: float) -> dict[str, float | None]:
        return {"calls_per_second": 1000.0, "p50_ms": 1.0, "p99_ms": p99, "errors": 0, "server_cpu_ms_per_call": cpu}

    runs = {"none": [run(2.0, 1.0), run(9.0, 1.0), run(2.2, 1.0)],
            "shadow": [run(2.1, 1.5), run(2.3, 1.5), run(99.0, 1.5)]}
    summary = experiments.summary(runs)
    assert summary["shadow"]["p99_ms_vs_none"] == pytest.approx(2.3 / 2.2 - 1)  # one wild run moves no median
    assert summary["shadow"]["server_cpu_ms_per_call_vs_none"] == pytest.approx(0.5)
    assert summary["shadow"]["server_cpu_ms_per_call_vs_none_ci95"] == pytest.approx([0.5, 0.5])  # +50% each round
    kept = {"answered": 10, "stored": 9}
    in_process = {"none_us_per_call": 130.0, "ab_99_1_us_per_call": 136.0, "added_us_per_call": 6.0,
                  "added_us_ci95": [4.0, 8.0], "rounds": 40, "calls_per_round": 500}
    shown = experiments.render({"runs": runs, "summary": summary, "shadow_kept_up": kept, "in_process": in_process,
                                "load_average": (1, 1, 1)})
    assert "p99 rises <= 10% (shadow): +4.5% (95% CI" in shown and "not settled" in shown  # the wild rounds' spread
    # 6 us [4, 8] of the 1,000 us a call costs the server: 0.6% [0.4%, 0.8%]
    assert "PredictCase's CPU per call: those microseconds" in shown and "+0.6% (95% CI +0.4% to +0.8%): met" in shown
    requests = experiments._requests()
    merchants = {r.support_case.account.merchant_id for r in requests}
    assert len(merchants) == len(requests) == experiments.MERCHANTS and all(not r.request_id for r in requests)


def test_paired_intervals_are_of_paired_rounds_and_a_verdict_needs_all_of_its_interval() -> None:
    base = [1.0, 1.4, 0.8, 1.1]  # rounds that swing together leave the paired ratio alone
    assert paired.paired_interval([1.05 * b for b in base], base) == pytest.approx([0.05, 0.05])
    noisy = paired.paired_interval([1.0, 1.1, 0.95, 1.08], [1.0] * 4)
    assert noisy is not None and noisy[0] < 0.0 < 0.02 < noisy[1]
    assert paired.paired_interval([1.0], [1.0]) is None
    assert paired.verdict(0.01, [0.0, 0.015], 0.02).endswith(": met")
    assert paired.verdict(0.05, [0.03, 0.07], 0.02).endswith(": missed")
    assert "not settled" in paired.verdict(0.01, noisy, 0.02)
    # A floor (bench/online.py: the log may cost at most 5% of calls/s): met when all of the interval is above it.
    assert paired.verdict(-0.01, [-0.03, 0.01], -0.05, floor=True).endswith(": met")
    assert paired.verdict(-0.09, [-0.12, -0.06], -0.05, floor=True).endswith(": missed")
    assert "not settled" in paired.verdict(-0.04, [-0.08, 0.0], -0.05, floor=True)
