"""The decision's reason over gRPC: a model trained here without three of the queues, served by a
real server on a loopback port, gives every case the reason the in-process model gives it.
(tests/ml/test_scope.py measures how well the out-of-scope test finds the unseen queues.)"""

from __future__ import annotations

import numpy as np
import pytest

from supportability.client import Client
from supportability.data.generator import GeneratorConfig, generate
from supportability.registry import Registry
from supportability.serving.convert import case_from_proto
from supportability.testing import ServerProcess
from supportability.training import train_and_register
from supportability.training.trainer import TrainConfig
from supportability.v1 import prediction_pb2 as pb
from supportability.v1 import support_case_pb2 as sc

REASONS = {
    None: pb.DECISION_REASON_UNSPECIFIED,
    "low_confidence": pb.DECISION_REASON_LOW_CONFIDENCE,
    "out_of_scope": pb.DECISION_REASON_OUT_OF_SCOPE,
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    data = generate(GeneratorConfig(n_cases=4_000, seed=11))
    unseen = set(sorted(set(data.labels["queue"]))[:3])
    seen = np.array([q not in unseen for q in data.labels["queue"]])
    registry = tmp_path_factory.mktemp("registry")
    train_and_register(data.subset(np.flatnonzero(seen)), registry, config=TrainConfig(seed=11), report=False)
    cases = [
        sc.SupportCase(
            case_id=str(i),
            subject=data.cases[i].subject,
            body=data.cases[i].body,
            channel=sc.Channel.Value(f"CHANNEL_{data.cases[i].channel.upper()}"),
            language="en",
        )
        for i in range(len(data))[-300:]  # the newest cases, as in a test split
    ]
    with ServerProcess(registry) as server, Client(server.target) as client:
        yield client, Registry(registry).load(None), cases


def test_the_reasons_over_grpc_are_the_in_process_ones(served) -> None:
    client, model, cases = served
    expected = [REASONS[r.decision_reason] for r in model.predict([case_from_proto(c) for c in cases])]
    predictions = client.batch_predict_cases(cases).predictions
    assert [p.decision.reason for p in predictions] == expected
    for p in predictions:  # a reason exactly when the case goes to a person
        routed = p.decision.action == pb.DECISION_ACTION_AUTO_ROUTE
        assert routed == (p.decision.reason == pb.DECISION_REASON_UNSPECIFIED)
    assert pb.DECISION_REASON_OUT_OF_SCOPE in expected and pb.DECISION_REASON_LOW_CONFIDENCE in expected
    single = client.predict_case(cases[0]).prediction.decision
    assert single.reason == expected[0]
