"""The teacher: all-MiniLM-L6-v2, fine-tuned, with every task's linear head on its mean-pooled
sentence embedding plus the account-context features.

    embedding = mean over tokens of MiniLM(subject + body)      (encoder.onnx, run by onnxruntime)
    scores    = embedding @ w_embedding + context @ w_context + bias
    routing  += companion_weight * log P_linear(queue)         (a second opinion, when it helps)
    articles  = cosine(embedding, each article's embedding)

The companion is a linear model trained on the same cases: n-gram evidence and sentence
embeddings make different mistakes, and their product of experts is more accurate than either
(BANKING77: +0.5 points on held-out and test cases). Its weight is chosen on held-out cases and
may be 0, in which case no companion is stored.

The most accurate model kind and the slowest (milliseconds a case on a CPU); its main job is to
teach the student (training/neural.py). The fine-tuned encoder is stored in the registry as an
ONNX graph beside its tokenizer.json, both checksummed like every artifact, and is run by
onnxruntime with one thread, the same kernels in every process, so a case gets the same
probabilities in-process and over gRPC. Explanations are not offered (the response carries none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import log_softmax

from supportability.domain import Case
from supportability.features.context import ContextEncoder
from supportability.features.storage import dump_context, load_context
from supportability.models import linear
from supportability.models.api import ModelInfo
from supportability.models.heads import Articles, Head, HeadsModel, case_text, dump_heads, load_heads
from supportability.models.linear import LinearSupportModel
from supportability.models.scope import OutOfScope

FORMAT = "teacher-support-model/1"
MAX_TOKENS = 128  # BANKING77 queries are ~15 tokens, synthetic cases ~60; longer texts are truncated
BATCH = 64  # texts per encoder call when predicting many (sorted by length, so little padding)


def load_tokenizer(tokenizer_json: str) -> Any:
    """MiniLM's WordPiece tokenizer (the `tokenizers` library), truncating at MAX_TOKENS, no padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(tokenizer_json)
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


class Encoder:
    """Text -> mean-pooled MiniLM embedding, through onnxruntime and the `tokenizers` library."""

    def __init__(self, onnx: bytes | Path, tokenizer_json: str, threads: int = 1):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # Serving: one thread, so that no thread pool fights the server's event loop and every
        # process runs the same kernels. Training scores thousands of held-out cases with more.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            onnx if isinstance(onnx, bytes) else str(onnx), options, providers=["CPUExecutionProvider"]
        )
        self.width = self.session.get_outputs()[0].shape[-1]  # the embedding's size
        self.tokenizer_json = tokenizer_json
        self.tokenizer = load_tokenizer(tokenizer_json)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.width), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda k: len(encodings[k].ids))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            width = max(len(encodings[k].ids) for k in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, k in enumerate(chunk):
                n = len(encodings[k].ids)
                ids[row, :n], mask[row, :n] = encodings[k].ids, 1
            out[chunk] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out


@dataclass
class TeacherSupportModel(HeadsModel):
    encoder: Encoder
    encoder_onnx: bytes  # kept to write the version back out
    context: ContextEncoder
    w_embedding: np.ndarray  # (embedding, head outputs)
    w_context: np.ndarray  # (context features, head outputs)
    bias: np.ndarray
    heads: dict[str, Head]
    article_embeddings: np.ndarray | None = None  # (embedding, articles), unit length
    companion: LinearSupportModel | None = None  # routing's second opinion (see the module docstring)
    companion_weight: float = 0.0
    articles: Articles | None = None
    decision_threshold: float | None = None
    decision_target_precision: float | None = None
    decision_estimate: dict | None = None
    out_of_scope: OutOfScope | None = None
    info: ModelInfo = field(default=None)  # type: ignore[assignment]
    kind = "teacher"

    def feature_schema(self) -> dict:
        return {
            "text": {
                "encoder": "all-MiniLM-L6-v2 (fine-tuned)",
                "max_tokens": MAX_TOKENS,
                "embedding": int(self.w_embedding.shape[0]),
            },
            "context": self.context.names,
        }

    def raw_scores(self, cases: Sequence[Case], now: datetime | None = None) -> tuple[np.ndarray, Any]:
        embedding = self.encoder([case_text(c) for c in cases]).astype(np.float64)
        x_context = (
            np.array([self.context.transform_one(cases[0], now)])
            if len(cases) == 1
            else self.context.transform(cases, now)
        )
        scores = embedding @ self.w_embedding + x_context @ self.w_context + self.bias
        if self.companion is not None:
            scores[:, self._routing] += self.companion_weight * self.companion_log_probabilities(cases, now)
        if self.article_embeddings is not None:
            unit = embedding / np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-12)
            scores = np.hstack([scores, unit @ self.article_embeddings])
        return scores, embedding

    def scope_embedding(self, state: Any) -> np.ndarray:
        """The fine-tuned encoder's mean-pooled embedding (`raw_scores`' state)."""
        return state

    @property
    def _routing(self) -> slice:
        head = self.heads["routing"]
        return slice(head.start, head.stop)

    def companion_log_probabilities(self, cases: Sequence[Case], now: datetime | None = None) -> np.ndarray:
        """log P(queue) of the companion's uncalibrated routing head, in this model's label order
        (the companion is trained on the same labels)."""
        companion = self.companion
        assert companion is not None, "the model has no companion"
        scores, _ = companion.raw_scores(cases, now)
        head = companion.heads["routing"]
        return log_softmax(scores[:, head.start : head.stop], axis=1)


def dump_model(model: TeacherSupportModel) -> tuple[dict, dict[str, np.ndarray], dict[str, bytes]]:
    arrays = {"w_embedding": model.w_embedding, "w_context": model.w_context, "bias": model.bias}
    if model.article_embeddings is not None:
        arrays["article_embeddings"] = model.article_embeddings
    state = {
        "format": FORMAT,
        "max_tokens": MAX_TOKENS,
        **dump_context(model.context, arrays),
        **dump_heads(model, arrays),
        "companion": None,
    }
    if model.companion is not None:
        companion_state, companion_arrays, _ = linear.dump_model(model.companion)
        state["companion"] = {"weight": model.companion_weight, "model": companion_state}
        arrays.update({f"companion.{name}": value for name, value in companion_arrays.items()})
    files = {"encoder.onnx": model.encoder_onnx, "tokenizer.json": model.encoder.tokenizer_json.encode()}
    return state, arrays, files


def load_model(state: dict, arrays: Any, files: dict[str, Path]) -> TeacherSupportModel:
    if "encoder.onnx" not in files or "tokenizer.json" not in files:
        raise ValueError("a teacher version needs the artifacts encoder.onnx and tokenizer.json")
    onnx = files["encoder.onnx"].read_bytes()
    encoder = Encoder(onnx, files["tokenizer.json"].read_text())
    companion, weight = None, 0.0
    if state.get("companion"):
        prefix = "companion."
        companion = linear.load_model(
            state["companion"]["model"], {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        )
        weight = float(state["companion"]["weight"])
    return TeacherSupportModel(
        encoder=encoder,
        encoder_onnx=onnx,
        context=load_context(state, arrays),
        w_embedding=arrays["w_embedding"],
        w_context=arrays["w_context"],
        bias=arrays["bias"],
        article_embeddings=arrays.get("article_embeddings"),
        companion=companion,
        companion_weight=weight,
        **load_heads(state, arrays),
    )
