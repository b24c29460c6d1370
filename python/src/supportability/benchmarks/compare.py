"""Linear, teacher and student side by side: accuracy, calibration, training time, latency.

    python -m supportability.benchmarks.compare [--data banking77,synthetic]
        [--kinds linear,teacher,student] [--registry DIR] [--out FILE]

For each dataset, trains the three model kinds on the same training cases (the student distilled
from whichever of the two others is more accurate on the held-out cases; a linear model refitted on
them cannot be judged there, so with the default settings that is the teacher), calibrates each on the
same held-out cases, evaluates each on the same test cases, and times in-process prediction
(`latency.measure`). Prints a table, and the whole result as JSON to --out.

- banking77: train.csv split as `train --data` splits it (banking77.py), reported on test.csv;
  skipped where the dataset is absent. The teacher fine-tunes MiniLM.
- synthetic: the default 30,000 generated cases, the newest 15% as the test set. The teacher keeps
  MiniLM frozen (fine-tuning on 25,000 long cases takes most of an hour on 2 cores) and the student
  reads the linear model's word-count features. Here the linear model is within a point of the
  Bayes-optimal accuracy and beats the teacher.

Also measured, for the choice of runtime: the student's numpy path against its eager PyTorch
network, and the teacher's onnxruntime encoder against eager PyTorch MiniLM.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from supportability.benchmarks import banking77, write_results
from supportability.benchmarks.latency import measure
from supportability.data.dataset import LabeledCases
from supportability.data.generator import GeneratorConfig, generate
from supportability.evaluation.evaluate import evaluate
from supportability.models.heads import HeadsModel, case_text
from supportability.models.student import StudentSupportModel
from supportability.models.teacher import TeacherSupportModel
from supportability.training import neural
from supportability.training.neural_config import NeuralConfig
from supportability.training.trainer import Splits, TrainConfig, split, train

KINDS = ("linear", "teacher", "student")


def _synthetic() -> tuple[LabeledCases, LabeledCases, Splits, TrainConfig, dict]:
    data = generate(GeneratorConfig(n_cases=30_000, seed=7))
    config = TrainConfig(seed=7)
    splits = split(data, config)
    text = {"text_weighting": "counts", "word_ngrams": config.word_ngrams, "char_ngrams": None}
    return (
        data,
        data.subset(splits.test),
        splits,
        config,
        {"teacher": {"fine_tune": False, "max_epochs": 30, "patience": 2}, "student": text},
    )


def _banking77(dataset: Path) -> tuple[LabeledCases, LabeledCases, Splits, TrainConfig, dict]:
    train_data, test_data, splits = banking77.load(dataset)
    return train_data, test_data, splits, banking77.CONFIG, {"teacher": {}, "student": {}}


def run_dataset(name: str, kinds: tuple[str, ...], dataset: Path, registry: str | None) -> dict:
    data, test, splits, config, settings = _synthetic() if name == "synthetic" else _banking77(dataset)
    say = lambda message: print(f"[{name}] {message}", file=sys.stderr, flush=True)  # noqa: E731
    results: dict[str, dict] = {}
    trained: dict[str, HeadsModel] = {}
    for kind in kinds:
        say(f"training {kind}")
        started = time.monotonic()
        model: HeadsModel
        if kind == "linear":
            model, _ = train(data, config, splits=splits)
        elif kind == "teacher":
            neural_config = NeuralConfig.for_kind("teacher", **settings["teacher"])
            model, _, _ = neural.train_teacher(
                data, neural_config, checkpoint_root=_checkpoints(registry), progress=say, splits=splits
            )
        else:
            neural_config = NeuralConfig.for_kind("student", **settings["student"])
            # A linear model refitted on the held-out cases (cross-fitted, or `refit_on_all`) cannot be
            # judged on them.
            refitted = config.refit_on_all or splits.folds is not None
            candidates = {k: m for k, m in trained.items() if not (k == "linear" and refitted)}
            teacher = _best_on_held_out(candidates, data.subset(splits.calibration))
            say(
                f"the student learns from the {teacher} model (the most accurate on held-out cases)"
                if teacher
                else "no model to learn from: labels only"
            )
            model, _, _ = neural.train_student(
                data,
                neural_config,
                teacher=trained[teacher] if teacher is not None else None,
                checkpoint_root=_checkpoints(registry),
                progress=say,
                splits=splits,
            )
        trained[kind] = model
        seconds = time.monotonic() - started
        say(f"evaluating {kind}")
        evaluation = evaluate(model, test)
        results[kind] = {
            "top1_accuracy": evaluation.get("routing", "top1_accuracy"),
            "ece": evaluation.get("routing", "ece"),
            "ece_uncalibrated": evaluation.get("routing", "ece_uncalibrated"),
            "bayes_top1_accuracy": evaluation.get("routing", "bayes_top1_accuracy"),
            "clean_top1_accuracy": evaluation.get("routing", "clean_top1_accuracy"),
            "escalation_auroc": evaluation.get("escalation", "auroc"),
            "decision_coverage": evaluation.get("decision", "coverage"),
            "decision_precision": evaluation.get("decision", "precision"),
            "train_seconds": round(seconds, 1),
            "distilled_from": teacher if kind == "student" else None,
            **measure(model, test.cases, repeat=300 if kind == "teacher" else 2_000, rounds=3),
            **_eager_latency(kind, model, test),
            **_without_companion(model, test),
        }
        if registry:
            from supportability.registry import DataSummary, Registry

            results[kind]["version"] = Registry(registry).register(
                model, data=DataSummary(data.source, len(splits.train), data.fingerprint()), metrics=evaluation.metrics
            )
    return results


def _routing_accuracy(model: HeadsModel, data: LabeledCases) -> float:
    scores, _ = model.raw_scores(data.cases)
    head = model.heads["routing"]
    predicted = np.array(head.labels)[scores[:, head.start : head.stop].argmax(axis=1)]
    return float((predicted == data.labels["queue"]).mean())


def _best_on_held_out(models: dict[str, HeadsModel], held_out: LabeledCases) -> str | None:
    """The kind whose routing is most accurate on the held-out cases (never the test cases)."""
    return max(models, key=lambda kind: _routing_accuracy(models[kind], held_out), default=None)


def _without_companion(model: HeadsModel, test: LabeledCases) -> dict:
    """The teacher's test accuracy from its encoder alone, beside the figure with its companion."""
    if not isinstance(model, TeacherSupportModel) or model.companion is None:
        return {}
    companion = model.companion
    model.companion = None
    try:
        return {
            "companion_weight": model.companion_weight,
            "top1_accuracy_encoder_only": _routing_accuracy(model, test),
        }
    finally:
        model.companion = companion


def _checkpoints(registry: str | None) -> Path:
    return Path(registry or "var/registry") / ".checkpoints"


def _eager_latency(kind: str, model: HeadsModel, test: LabeledCases) -> dict:
    """Single-case p50 of the same computation in eager PyTorch (one thread, as served)."""
    texts = [case_text(c) for c in test.cases[:300]]
    if kind == "student":
        assert isinstance(model, StudentSupportModel)
        net = neural.student_net(model)

        def one(k: int) -> None:
            indptr, columns, values = model.featurizer.csr_parts([texts[k]])
            context = torch.tensor([model.context.transform_one(test.cases[k])], dtype=torch.float32)
            net(
                torch.from_numpy(indptr[:-1]),
                torch.from_numpy(columns),
                torch.from_numpy(values.astype(np.float32)),
                context,
            )
    elif kind == "teacher":
        assert isinstance(model, TeacherSupportModel)
        pooled, _ = neural.load_minilm()  # as shipped: the same architecture and cost as the fine-tuned one
        pooled.eval()
        tokenizer = model.encoder.tokenizer

        def one(k: int) -> None:
            ids = tokenizer.encode(texts[k]).ids
            pooled(torch.tensor([ids]), torch.ones((1, len(ids)), dtype=torch.int64))
    else:
        return {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            for k in range(20):
                one(k)
            wall = []
            for k in range(len(texts)):
                t0 = time.perf_counter()
                one(k)
                wall.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return {"eager_pytorch_single_p50_us": round(float(np.median(wall)) * 1e6, 1)}


def table(results: dict) -> str:
    columns = (
        ("top1_accuracy", "top-1", "{:.2%}"),
        ("ece", "ECE", "{:.4f}"),
        ("train_seconds", "train s", "{:,.0f}"),
        ("single_p50_us", "p50 µs", "{:,.0f}"),
        ("single_p99_us", "p99 µs", "{:,.0f}"),
        ("batch_cases_per_s", "batch cases/s", "{:,}"),
        ("eager_pytorch_single_p50_us", "eager torch p50 µs", "{:,.0f}"),
    )
    lines = [f"{'data':10} {'model':8} " + " ".join(f"{title:>18}" for _, title, _ in columns)]
    for name, kinds in results.items():
        for kind, r in kinds.items():
            cells = [fmt.format(r[key]) if r.get(key) is not None else "-" for key, _, fmt in columns]
            lines.append(f"{name:10} {kind:8} " + " ".join(f"{c:>18}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="banking77,synthetic", help="datasets (default: %(default)s)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="model kinds (default: %(default)s)")
    parser.add_argument("--dataset", type=Path, default=banking77.default_dataset(), help="BANKING77 folder")
    parser.add_argument("--registry", default=None, help="also register every trained model here (not promoted)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    results = {}
    for name in args.data.split(","):
        if name == "banking77" and not (args.dataset / "train.csv").is_file():
            print(f"BANKING77 not found at {args.dataset}; skipping", file=sys.stderr)
            continue
        results[name] = run_dataset(name, tuple(args.kinds.split(",")), args.dataset, args.registry)
    print(table(results))
    write_results(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
