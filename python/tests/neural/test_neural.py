"""The neural model kinds in tiny configurations: a teacher on frozen MiniLM embeddings and a small
student distilled from it train, register, load, predict deterministically, match their PyTorch
networks, resume after an interruption, and serve over gRPC exactly as in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from supportability.cli import main as cli
from supportability.client import Client
from supportability.data.generator import GeneratorConfig, generate
from supportability.models.heads import case_text
from supportability.registry import ArtifactError, Registry
from supportability.serving import Predictor
from supportability.testing import ServerProcess, assert_close
from supportability.training import neural
from supportability.training.neural_config import NeuralConfig
from supportability.training.pipeline import train_and_register
from supportability.v1 import model_service_pb2

TINY_TEACHER = NeuralConfig(max_epochs=3, fine_tune=False, text_weighting="counts", char_ngrams=None)
TINY_STUDENT = NeuralConfig.for_kind("student", max_epochs=3, hidden=16, text_weighting="counts", char_ngrams=None)
TASKS = {"routing", "urgency", "escalation", "csat_risk", "resolution_time", "articles", "decision"}


@pytest.fixture(scope="module")
def data():
    return generate(GeneratorConfig(n_cases=600, seed=5))


@pytest.fixture(scope="module")
def registry(tmp_path_factory, data) -> Path:
    """A registry holding a tiny teacher and a tiny student distilled from it (promoted)."""
    path = tmp_path_factory.mktemp("registry")
    teacher = train_and_register(data, path, kind="teacher", neural=TINY_TEACHER, promote=False, report=False)
    train_and_register(data, path, kind="student", neural=TINY_STUDENT, teacher_version=teacher, report=False)
    return path


def _versions(registry: Path) -> dict[str, str]:
    """kind -> version."""
    return {Registry(registry).load(i.version).kind: i.version for i in Registry(registry).list()}


def test_both_kinds_register_serve_every_task_and_are_calibrated(registry: Path, data) -> None:
    reg = Registry(registry)
    versions = _versions(registry)
    assert set(versions) == {"teacher", "student"}
    assert reg.promoted_version() == versions["student"]
    for kind, version in versions.items():
        model = reg.load(version)
        assert set(model.tasks) == TASKS, kind
        result = model.predict(data.cases[:1])[0]
        assert result.routing and result.urgency and result.articles and result.decision, kind
        assert 0 <= result.escalation <= 1 and result.resolution_time[0] <= result.resolution_time[1]
        metrics = {(t, n) for t, n, _, s in model.info.metrics if not s}
        assert {("routing", "ece"), ("routing", "ece_uncalibrated"), ("escalation", "ece")} <= metrics
    manifest = reg.manifest(versions["teacher"])
    assert {"encoder.onnx", "tokenizer.json"} <= set(manifest["artifacts"])
    assert manifest["training_config"]["fine_tune"] is False
    assert reg.manifest(versions["student"])["training_config"]["teacher_version"] == versions["teacher"]


def test_a_tampered_encoder_is_refused(registry: Path, tmp_path: Path) -> None:
    copy = tmp_path / "registry"
    shutil.copytree(registry, copy)
    version = _versions(copy)["teacher"]
    with (copy / "versions" / version / "encoder.onnx").open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    with pytest.raises(ArtifactError, match=r"checksum mismatch for encoder\.onnx"):
        Registry(copy).load(version)


def test_predictions_are_deterministic_and_a_case_alone_equals_it_in_a_batch(registry: Path, data) -> None:
    cases = data.cases[:40]
    for kind, version in _versions(registry).items():
        first, second = Registry(registry).load(version), Registry(registry).load(version)
        batch = first.predict(cases)
        assert [r.routing for r in batch] == [r.routing for r in second.predict(cases)], kind
        # Alone, a case takes other code paths (and, for the teacher, unpadded matrix shapes through
        # the encoder): the same probabilities to rounding.
        tolerance = 1e-5 if kind == "teacher" else 1e-12
        for case, in_batch in zip(cases, batch, strict=True):
            alone = dict(first.predict([case], top_k=20)[0].routing)
            np.testing.assert_allclose(
                [alone[q] for q, _ in in_batch.routing],
                [p for _, p in in_batch.routing],
                rtol=tolerance,
                atol=tolerance,
            )


def test_the_students_numpy_path_equals_its_pytorch_network(registry: Path, data) -> None:
    model = Registry(registry).load(_versions(registry)["student"])
    net = neural.student_net(model)
    x = model.featurizer.transform([case_text(c) for c in data.cases[:50]])
    context = torch.tensor(model.context.transform(data.cases[:50], now=None), dtype=torch.float32)
    with torch.no_grad():
        eager = net(
            torch.from_numpy(x.indptr[:-1].astype(np.int64)),
            torch.from_numpy(x.indices.astype(np.int64)),
            torch.from_numpy(x.data.astype(np.float32)),
            context,
        ).numpy()
    scores, _ = model.raw_scores(data.cases[:50], now=None)
    np.testing.assert_allclose(scores[:, : eager.shape[1]], eager, rtol=1e-4, atol=1e-4)


def test_the_teachers_onnx_graph_equals_the_pytorch_encoder(registry: Path, data) -> None:
    model = Registry(registry).load(_versions(registry)["teacher"])  # frozen encoder: MiniLM as shipped
    pooled, _ = neural.load_minilm()
    texts = [case_text(c) for c in data.cases[:5]]
    encodings = model.encoder.tokenizer.encode_batch(texts)
    with torch.no_grad():
        eager = np.vstack(
            [
                pooled.eval()(torch.tensor([e.ids]), torch.ones((1, len(e.ids)), dtype=torch.int64)).numpy()
                for e in encodings
            ]
        )
    np.testing.assert_allclose(model.encoder(texts), eager, rtol=1e-4, atol=1e-5)


def test_the_student_explains_with_exact_local_attributions(registry: Path, data) -> None:
    model = Registry(registry).load(_versions(registry)["student"])
    result = model.predict(data.cases[:1], explain=True)[0]
    explained = {task: features for task, _, features in result.explanations}
    assert explained["routing"] and explained["escalation"]
    assert all(isinstance(name, str) and value != 0 for name, value in explained["routing"])


def test_an_interrupted_run_resumes_and_ends_where_an_uninterrupted_one_does(data, tmp_path: Path) -> None:
    config = NeuralConfig.for_kind(
        "student", max_epochs=3, patience=5, hidden=8, text_weighting="counts", char_ngrams=None
    )
    whole, _, _ = neural.train_student(data, config, checkpoint_root=tmp_path / "a")

    class Interrupted(Exception):
        pass

    def stop_after_first_epoch(message: str) -> None:
        if message.startswith("epoch 1:"):
            raise Interrupted

    with pytest.raises(Interrupted):
        neural.train_student(data, config, checkpoint_root=tmp_path / "b", progress=stop_after_first_epoch)
    assert any((tmp_path / "b").glob("*/last.pt"))
    said: list[str] = []
    resumed, _, history = neural.train_student(data, config, checkpoint_root=tmp_path / "b", progress=said.append)
    assert any(m.startswith("resuming after epoch 1") for m in said)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    np.testing.assert_array_equal(resumed.embedding, whole.embedding)
    assert not any((tmp_path / "b").iterdir()), "the checkpoint is removed once the run has finished"


def test_served_over_grpc_exactly_as_in_process(registry: Path, golden_requests: list) -> None:
    versions = _versions(registry)
    predictor = Predictor(registry)
    with ServerProcess(registry) as server, Client(server.target) as client:
        for kind in ("student", "teacher"):
            for golden in golden_requests:
                request = type(golden)()
                request.CopyFrom(golden)  # the fixture is shared: leave it as it was
                request.model_version = versions[kind]
                remote = client.send(request)
                assert remote.prediction.model_version == versions[kind]
                assert_close(remote, predictor.predict_case(request))
            model = client.get_model(versions[kind]).model
            assert model_service_pb2.ModelKind.Name(model.kind) == f"MODEL_KIND_{kind.upper()}"


def test_train_command_trains_a_student(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "--model",
            "student",
            "--cases",
            "300",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--teacher",
            "none",
            "--registry",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    (version,) = [i.version for i in Registry(tmp_path).list()]
    manifest = json.loads((tmp_path / "versions" / version / "manifest.json").read_text())
    assert manifest["model_format"] == "student-support-model/1"


def test_a_student_learns_by_default_from_the_most_accurate_model_on_its_data(registry: Path, tmp_path: Path) -> None:
    copy = tmp_path / "registry"
    shutil.copytree(registry, copy)
    best = max(
        Registry(copy).list(),
        key=lambda info: next(v for t, n, v, s in info.metrics if (t, n, s) == ("routing", "top1_accuracy", "")),
    )
    # --cases 600 --seed 5 regenerates the fixture's data: the same fingerprint
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "--model",
            "student",
            "--cases",
            "600",
            "--seed",
            "5",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--no-promote",
            "--registry",
            str(copy),
        ],
    )
    assert result.exit_code == 0, result.output
    newest = Registry(copy).list()[0]
    assert Registry(copy).manifest(newest.version)["training_config"]["teacher_version"] == best.version


def test_the_teachers_linear_companion_is_stored_and_read_back(registry: Path, data, tmp_path: Path) -> None:
    from supportability.registry import DataSummary
    from supportability.training.trainer import TrainConfig, train

    teacher = Registry(registry).load(_versions(registry)["teacher"])
    teacher.companion, _ = train(data, TrainConfig(seed=3))
    teacher.companion_weight = 0.5
    version = Registry(tmp_path).register(teacher, data=DataSummary("test", len(data), data.fingerprint()))
    loaded = Registry(tmp_path).load(version)
    assert loaded.companion_weight == 0.5
    np.testing.assert_array_equal(
        loaded.raw_scores(data.cases[:20], now=None)[0], teacher.raw_scores(data.cases[:20], now=None)[0]
    )
    teacher.companion = None
    assert not np.allclose(
        loaded.raw_scores(data.cases[:20], now=None)[0], teacher.raw_scores(data.cases[:20], now=None)[0]
    )
