"""A running server refreshes the online gauges from its store."""

from __future__ import annotations

import time
import urllib.request

from supportability.client import Client
from supportability.testing import ServerProcess, free_port
from supportability.v1.outcome_pb2 import Outcome
from supportability.v1.support_case_pb2 import CHANNEL_EMAIL, SupportCase


def test_the_server_publishes_online_gauges(registry_path):
    port = free_port()
    args = ("--metrics-address", f"127.0.0.1:{port}", "--monitor-interval-seconds", "0.5")
    with ServerProcess(registry_path, *args) as server, Client(server.target) as client:
        cases = [SupportCase(case_id=f"m-{i}", subject="Payout missing", body="payout late", channel=CHANNEL_EMAIL)
                 for i in range(40)]  # fmt: skip
        predictions = client.batch_predict_cases(cases).predictions
        deadline = time.monotonic() + 20
        while True:  # the log is written off the request path
            try:
                client.get_prediction_record(prediction_id=predictions[-1].prediction_id)
                break
            except Exception:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        client.batch_record_outcomes(
            [Outcome(prediction_id=p.prediction_id, resolved_queue=p.routing.top_queues[0].queue) for p in predictions]
        )
        version = predictions[0].model_version
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                text = response.read().decode()
            if f'supportability_online_label_coverage{{version="{version}"}} 1.0' in text:
                break
            assert time.monotonic() < deadline, text[-3000:]
            time.sleep(0.2)
