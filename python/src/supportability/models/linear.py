"""The linear multi-task support model: one feature vector per case, every task a few columns of
one weight matrix, then per-task calibration and post-processing.

Why one matrix: a case is featurised once, and a single gather + matrix product yields the raw
scores of every task (routing logits, escalation and CSAT logits, urgency logits, log-hours
quantile parameters, article similarities). A batch is one sparse matrix product and a few numpy
calls per task; a single case is one gather of its weight rows and plain Python floats after that
(see `HeadsModel._outputs_one`), tens of microseconds in all. No scikit-learn or pandas runs at prediction
time, and the model is stored as plain arrays plus JSON (no pickle).
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


@dataclass
class LinearSupportModel(HeadsModel):
    featurizer: TextFeaturizer
    context: ContextEncoder
    w_text: np.ndarray  # (text features, outputs)
    w_context: np.ndarray  # (context features, outputs)
    bias: np.ndarray  # (outputs,)
    heads: dict[str, Head]
    articles: Articles | None = None
    decision_threshold: float | None = None
    decision_target_precision: float | None = None
    decision_estimate: dict | None = None
    out_of_scope: OutOfScope | None = None
    info: ModelInfo = field(default=None)  # type: ignore[assignment]  # set by the registry or trainer
    _feature_names: list[str] | None = field(default=None, repr=False)
    kind = "linear"

    def feature_schema(self) -> dict:
        return text_and_context_schema(self.featurizer, self.context)

    # ---- prediction -------------------------------------------------------------------------
    def raw_scores(self, cases: Sequence[Case], now: datetime | None = None) -> tuple[np.ndarray, Any]:
        """(scores of every output, (text features as CSR parts (indptr, columns, values), context features))."""
        text = self.featurizer.csr_parts([case_text(c) for c in cases])
        indptr, columns, values = text
        if len(cases) == 1:  # a gather of the case's weight rows is far cheaper than building a sparse matrix
            x_context = np.array([self.context.transform_one(cases[0], now)])
            text_scores = values @ self.w_text[columns]
        else:
            x_context = self.context.transform(cases, now)
            text_scores = (
                sp.csr_matrix((values, columns, indptr), shape=(len(cases), self.w_text.shape[0])) @ self.w_text
            )
        scores = text_scores + x_context @ self.w_context + self.bias
        if self.articles is not None:  # dot products with unit article vectors -> cosines
            norm: float | np.ndarray  # one case's text norm, or a column of them
            if len(cases) == 1:
                norm = math.sqrt(values @ values) or 1.0
            else:
                rows = np.repeat(np.arange(len(cases)), np.diff(indptr))
                norm = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(cases)))[:, None]
                norm[norm == 0] = 1.0
            scores[:, self.articles.start : self.articles.stop] /= norm
        return scores, (text, x_context)

    # ---- explanations -----------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        if self._feature_names is None:
            self._feature_names = self.featurizer.feature_names()
        return self._feature_names

    def explain(self, i: int, scores: np.ndarray, state: Any, result: CaseResult) -> Explanations:
        """Per task, the features whose weight x value moved the predicted output most."""
        (indptr, columns, values), x_context = state[0], state[1][i]
        idx, vals = columns[indptr[i] : indptr[i + 1]], values[indptr[i] : indptr[i + 1]]
        return attribute_linear(
            self.heads,
            scores,
            Inputs(idx, vals, self.w_text[idx], x_context, self.w_context),
            self.feature_names(),
            self.context.names,
            result,
        )


# ---- storage as JSON + arrays (no pickle) ----------------------------------------------------
FORMAT = "linear-support-model/1"


def dump_model(model: LinearSupportModel) -> tuple[dict, dict[str, np.ndarray], dict[str, bytes]]:
    """(JSON-able description, named arrays, no further files) that `load_model` turns back into the model."""
    arrays = {"w_text": model.w_text, "w_context": model.w_context, "bias": model.bias}
    state = {"format": FORMAT, **dump_features(model.featurizer, model.context, arrays), **dump_heads(model, arrays)}
    return state, arrays, {}


def load_model(state: dict, arrays: Any, files: dict | None = None) -> LinearSupportModel:
    featurizer, context = load_features(state, arrays)
    return LinearSupportModel(
        featurizer=featurizer,
        context=context,
        w_text=arrays["w_text"],
        w_context=arrays["w_context"],
        bias=arrays["bias"],
        **load_heads(state, arrays),
    )
