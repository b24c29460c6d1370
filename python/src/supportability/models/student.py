"""The student: a small neural network over the linear model's TF-IDF n-grams, distilled from the
teacher, cheap enough for the serving hot path.

    hidden = relu(sum over the case's n-grams of tfidf x embedding row + context @ w_context_hidden + b)
    scores = hidden @ w_out + b_out            (every task's head, as in the linear model)

Trained in PyTorch (an EmbeddingBag with per-sample weights, see training/neural.py), served here
in numpy: for one case that is one gather of a few hundred embedding rows and two small matrix
products, tens of microseconds, with no framework dispatch (bench: `python -m
supportability.benchmarks.compare` prints eager PyTorch and onnxruntime beside it). ReLU makes
the network piecewise linear, so `explain` gives exact local attributions: each feature's value
times its effective weight through the active hidden units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse as sp

from supportability.domain import Case
from supportability.features.context import ContextEncoder
from supportability.features.storage import dump_features, load_features, text_and_context_schema
from supportability.features.text import TextFeaturizer
from supportability.models.api import CaseResult, ModelInfo
from supportability.models.heads import (
    Articles,
    Explanations,
    Head,
    HeadsModel,
    Inputs,
    attribute_linear,
    case_text,
    dump_heads,
    load_heads,
)
from supportability.models.scope import OutOfScope

FORMAT = "student-support-model/1"


@dataclass
class StudentSupportModel(HeadsModel):
    featurizer: TextFeaturizer
    context: ContextEncoder
    embedding: np.ndarray  # (text features, hidden)
    w_context_hidden: np.ndarray  # (context features, hidden)
    b_hidden: np.ndarray  # (hidden,)
    w_out: np.ndarray  # (hidden, head outputs)
    b_out: np.ndarray  # (head outputs,)
    heads: dict[str, Head]
    article_vectors: np.ndarray | None = None  # (text features, articles): unit TF-IDF vectors of the articles
    articles: Articles | None = None
    decision_threshold: float | None = None
    decision_target_precision: float | None = None
    decision_estimate: dict | None = None
    out_of_scope: OutOfScope | None = None
    info: ModelInfo = field(default=None)  # type: ignore[assignment]
    _feature_names: list[str] | None = field(default=None, repr=False)
    kind = "student"

    def feature_schema(self) -> dict:
        return {**text_and_context_schema(self.featurizer, self.context), "hidden": int(self.b_hidden.shape[0])}

    def raw_scores(self, cases: Sequence[Case], now: datetime | None = None) -> tuple[np.ndarray, Any]:
        indptr, columns, values = text = self.featurizer.csr_parts([case_text(c) for c in cases])
        if len(cases) == 1:  # a gather of the case's rows beats building a sparse matrix
            x_context = np.array([self.context.transform_one(cases[0], now)])
            pre = values @ self.embedding[columns] + x_context @ self.w_context_hidden + self.b_hidden
            x_text = None
        else:
            x_context = self.context.transform(cases, now)
            x_text = sp.csr_matrix((values, columns, indptr), shape=(len(cases), self.embedding.shape[0]))
            pre = x_text @ self.embedding + x_context @ self.w_context_hidden + self.b_hidden
        hidden = np.maximum(pre, 0.0)
        scores = hidden @ self.w_out + self.b_out
        if self.article_vectors is not None:
            if x_text is None:
                cosine = (values @ self.article_vectors[columns]) / (math.sqrt(values @ values) or 1.0)
            else:
                norm = np.sqrt(np.asarray(x_text.multiply(x_text).sum(axis=1)))
                cosine = (x_text @ self.article_vectors) / np.where(norm == 0, 1.0, norm)
            scores = np.hstack([scores, cosine.reshape(len(cases), -1)])
        return scores, (text, x_context, hidden)

    def scope_embedding(self, state: Any) -> np.ndarray:
        """The hidden layer (after its ReLU), from `raw_scores`' state."""
        return state[2]

    def explain(self, i: int, scores: np.ndarray, state: Any, result: CaseResult) -> Explanations:
        (indptr, columns, values), x_context, hidden = state[0], state[1][i], state[2][i]
        idx, vals = columns[indptr[i] : indptr[i + 1]], values[indptr[i] : indptr[i + 1]]
        through = (hidden > 0)[:, None] * self.w_out  # the output weights of the active hidden units
        if self._feature_names is None:
            self._feature_names = self.featurizer.feature_names()
        inputs = Inputs(idx, vals, self.embedding[idx] @ through, x_context, self.w_context_hidden @ through)
        return attribute_linear(self.heads, scores, inputs, self._feature_names, self.context.names, result)


def dump_model(model: StudentSupportModel) -> tuple[dict, dict[str, np.ndarray], dict[str, bytes]]:
    arrays = {
        "embedding": model.embedding,
        "w_context_hidden": model.w_context_hidden,
        "b_hidden": model.b_hidden,
        "w_out": model.w_out,
        "b_out": model.b_out,
    }
    if model.article_vectors is not None:
        arrays["article_vectors"] = model.article_vectors
    state = {"format": FORMAT, **dump_features(model.featurizer, model.context, arrays), **dump_heads(model, arrays)}
    return state, arrays, {}


def load_model(state: dict, arrays: Any, files: dict | None = None) -> StudentSupportModel:
    featurizer, context = load_features(state, arrays)
    return StudentSupportModel(
        featurizer=featurizer,
        context=context,
        embedding=arrays["embedding"],
        w_context_hidden=arrays["w_context_hidden"],
        b_hidden=arrays["b_hidden"],
        w_out=arrays["w_out"],
        b_out=arrays["b_out"],
        article_vectors=arrays.get("article_vectors"),
        **load_heads(state, arrays),
    )
