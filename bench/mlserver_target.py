"""The reference point: MLServer 1.7.1 serving the routing model over the V2 gRPC protocol.

Our promoted model is not a scikit-learn object (its featuriser and heads are the package's own
code), so MLServer's sklearn runtime cannot load it. The bench therefore trains the closest
scikit-learn equivalent of its routing head, text-only word TF-IDF + logistic regression, on the
same synthetic data, and serves that (bench/mlserver_train.py, run under MLServer's venv). It is
cached under .cache/bench until the data, MLServer's lock file or the training code changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from ghz import Load, write_requests
from processes import Server, running
from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig, generate
from supportability.registry import Registry
from supportability.v1 import prediction_service_pb2

MODEL_NAME = "routing"
MODEL_INFER = "inference.GRPCInferenceService.ModelInfer"
BENCH_DIR = Path(__file__).resolve().parent
SYNTHETIC_PREFIX = "synthetic:"


@dataclass(frozen=True)
class RoutingModel:
    directory: Path  # holds model.joblib and model-settings.json
    description: str  # what was trained on what, for the report


def routing_model(mlserver_python: Path, lock_file: Path, workdir: Path, registry: Path) -> RoutingModel:
    """A text-only TF-IDF + logistic regression routing pipeline that MLServer's sklearn runtime loads."""
    data, origin = promoted_training_data(registry)
    directory = workdir / "mlserver-models" / MODEL_NAME
    # Retrain when the data, MLServer's packages or the training code change.
    trainer = BENCH_DIR / "mlserver_train.py"
    key = f"{data.describe()};{hashlib.sha256(lock_file.read_bytes() + trainer.read_bytes()).hexdigest()}"
    stamp = directory / "trained-on.json"
    trained = json.loads(stamp.read_text()) if stamp.is_file() else {}
    if trained.get("key") != key:
        trained = _train(mlserver_python, trainer, generate(data), directory, workdir) | {"key": key}
        stamp.write_text(json.dumps(trained))
    description = (f"text-only word 1-2-gram TF-IDF + LogisticRegression, trained by the bench on "
                   f"{trained['train_cases']} of {data.n_cases} synthetic cases made with {origin}; "
                   f"held-out top-1 accuracy {trained['holdout_accuracy']:.3f}")
    return RoutingModel(directory, description)


def _train(mlserver_python: Path, trainer: Path, cases: LabeledCases, directory: Path, workdir: Path) -> dict:
    training_data = workdir / "mlserver-training-cases.json"
    training_data.write_text(json.dumps({
        "texts": [f"{case.subject}\n{case.body}" for case in cases.cases],  # the text our model reads too
        "queues": [str(queue) for queue in cases.labels["queue"]],
    }))
    result = subprocess.run([str(mlserver_python), str(trainer), str(training_data), str(directory)],
                            check=True, capture_output=True, text=True, timeout=600)
    (directory / "model-settings.json").write_text(json.dumps({
        "name": MODEL_NAME,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": "bench"},
    }, indent=2))
    return json.loads(result.stdout)


def promoted_training_data(registry: Path) -> tuple[GeneratorConfig, str]:
    """The generator settings the promoted model was trained on, and where they came from.

    A synthetic training set records its settings as its source ("synthetic:n_cases=30000,seed=7,...");
    anything else (no model yet, the user's own data) falls back to the generator's defaults.
    """
    store = Registry(registry)
    version = store.promoted_version()
    source = store.info(version).data_source if version else ""
    if not source.startswith(SYNTHETIC_PREFIX):
        return GeneratorConfig(), f"the generator's defaults (the promoted model's data: {source or 'none'})"
    types = {f.name: f.type for f in dataclasses.fields(GeneratorConfig)}
    settings = dict(item.split("=", 1) for item in source.removeprefix(SYNTHETIC_PREFIX).split(","))
    converters = {"int": int, "float": float, "str": str}
    config = GeneratorConfig(**{k: converters[types[k]](v) for k, v in settings.items()})
    return config, f"the promoted model {version}'s generator settings (seed {config.seed})"


def dataplane_protoset(mlserver_python: Path, workdir: Path) -> Path:
    """MLServer ships its V2 dataplane compiled (no .proto, no reflection): take it from the module."""
    path = workdir / "dataplane.protoset"
    subprocess.run([str(mlserver_python), str(BENCH_DIR / "protoset.py"), "mlserver.grpc.dataplane_pb2", str(path)],
                   check=True, timeout=60)
    return path


def infer_load(requests: list[prediction_service_pb2.PredictCaseRequest], protoset: Path, workdir: Path) -> Load:
    """The golden cases as V2 ModelInferRequests: one string tensor in, routing probabilities out."""
    model_infer_request = _message_class(protoset, "inference.ModelInferRequest")
    messages = []
    for request in requests:
        text = f"{request.support_case.subject}\n{request.support_case.body}"
        messages.append(model_infer_request(
            model_name=MODEL_NAME,
            id=request.request_id,
            # Content type "str": MLServer decodes the tensor to a list of str, the pipeline's input.
            inputs=[{
                "name": "text", "datatype": "BYTES", "shape": [1],
                "parameters": {"content_type": {"string_param": "str"}},
                "contents": {"bytes_contents": [text.encode()]},
            }],
            # Probabilities, as our service returns: the same work, not just an argmax.
            outputs=[{"name": "predict_proba"}],
        ))
    return Load(MODEL_INFER, protoset, write_requests(messages, workdir / "infer.bin"))


@contextlib.contextmanager
def mlserver(mlserver_python: Path, model: RoutingModel, workdir: Path) -> Iterator[Server]:
    """`mlserver start` on loopback with its leanest settings (see settings below)."""
    http_port, grpc_port, metrics_port = _free_ports(3)
    root = model.directory.parent
    (root / "settings.json").write_text(json.dumps({
        "host": "127.0.0.1", "http_port": http_port, "grpc_port": grpc_port, "metrics_port": metrics_port,
        # One process, as our service is: the default worker pool is slower here, and with uvloop
        # newer than 0.21 it fails to start.
        "parallel_workers": 0,
        # Production settings: no per-call access log, no Prometheus interceptor (our service is
        # started with its metrics endpoint off too).
        "debug": False, "metrics_endpoint": None,
    }, indent=2))

    def probe() -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/models/{MODEL_NAME}/ready", timeout=1):
                pass
            with socket.create_connection(("127.0.0.1", grpc_port), timeout=1):
                return f"127.0.0.1:{grpc_port}"
        except OSError:
            return None

    command = [str(mlserver_python.parent / "mlserver"), "start", str(root)]
    with running("MLServer", command, probe, workdir / "logs" / "mlserver.log", cwd=workdir) as server:
        yield server


def _message_class(protoset: Path, full_name: str) -> type:
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(protoset.read_bytes()).file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


def _free_ports(count: int) -> list[int]:
    """Ports the kernel says are free now; MLServer cannot bind port 0 and report it back."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
