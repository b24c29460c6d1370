"""The linear multi-task support model: one feature vector per case, every task a few columns of
one weight matrix, then per-task calibration and post-processing.

Why one matrix: a case is featurised once, and a single gather + matrix product yields the raw
scores of every task (routing logits, escalation and CSAT logits, urgency logits, log-hours
quantile parameters, article similarities). A batch is one sparse matrix product and a few numpy
calls per task; a single case is one gather of its weight rows and plain Python floats after that
(see `_outputs_one`), tens of microseconds in all. No scikit-learn or pandas runs at prediction
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

from supportability.features.context import ContextEncoder
from supportability.features.text import TextFeaturizer
from supportability.models.api import Case, CaseResult, ModelInfo
from supportability.models.calibration import Isotonic, Platt, Temperature

Z90 = 1.2815515655446004  # the standard normal's 90% quantile
_MEDIAN_AND_P90 = np.array([0.0, Z90])
EXPLAIN_TOP = 5
BINARY_TARGETS = {"escalation": "escalated", "csat_risk": "negative_csat"}


@dataclass
class Head:
    """A task's columns [start, stop) in the weight matrix, its labels and its calibrator."""

    task: str
    start: int
    stop: int
    labels: tuple[str, ...] = ()
    calibrator: Temperature | Platt | Isotonic | None = None


@dataclass
class Articles:
    """The help centre retrieval: article columns hold unit-length article text vectors."""

    start: int  # the article columns [start, stop) of the weight matrix
    stop: int
    ids: tuple[str, ...]
    titles: tuple[str, ...]
    queue_index: np.ndarray  # routing label index of each article's queue, -1 if unknown
    routing_weight: float  # score = cosine(case, article) + routing_weight * P(article's queue)

    def __post_init__(self) -> None:
        self.with_queue = np.flatnonzero(self.queue_index >= 0)  # the articles that get the routing term
        self.queue_of = self.queue_index[self.with_queue]  # and their queues' routing columns
        self.queue_list = self.queue_index.tolist()  # for one case, in plain Python


@dataclass
class LinearSupportModel:
    featurizer: TextFeaturizer
    context: ContextEncoder
    w_text: np.ndarray  # (text features, outputs)
    w_context: np.ndarray  # (context features, outputs)
    bias: np.ndarray  # (outputs,)
    heads: dict[str, Head]
    articles: Articles | None = None
    decision_threshold: float | None = None
    decision_target_precision: float | None = None
    info: ModelInfo = field(default=None)  # type: ignore[assignment]  # set by the registry or trainer
    _feature_names: list[str] | None = field(default=None, repr=False)

    @property
    def tasks(self) -> tuple[str, ...]:
        tasks = list(self.heads)
        if self.articles is not None:
            tasks.append("articles")
        if self.decision_threshold is not None:
            tasks.append("decision")
        return tuple(tasks)

    # ---- prediction -------------------------------------------------------------------------
    # A batch runs vectorised in numpy. A single case (the serving hot path) takes plain-Python
    # routes in `raw_scores` and `_outputs_one`, where numpy's per-call overhead would dominate;
    # tests/ml/test_prediction_paths.py holds the two to the same answers within 1e-12.
    def raw_scores(self, cases: Sequence[Case], now: datetime | None = None) -> tuple[np.ndarray, Any, np.ndarray]:
        """(scores of every output, text features as CSR parts (indptr, columns, values), context features)."""
        text = self.featurizer.csr_parts([_text(c) for c in cases])
        indptr, columns, values = text
        if len(cases) == 1:  # a gather of the case's weight rows is far cheaper than building a sparse matrix
            x_context = np.array([self.context.transform_one(cases[0], now)])
            text_scores = values @ self.w_text[columns]
        else:
            x_context = self.context.transform(cases, now)
            text_scores = sp.csr_matrix((values, columns, indptr), shape=(len(cases), self.w_text.shape[0])) @ self.w_text
        return text_scores + x_context @ self.w_context + self.bias, text, x_context

    def probabilities(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        """Calibrated outputs per task, vectorised over the batch."""
        out: dict[str, np.ndarray] = {}
        for task, head in self.heads.items():
            s = scores[:, head.start:head.stop]
            if task == "resolution_time":
                # log-hours ~ N(mu, sigma): columns exp(mu) and exp(mu + z90 * sigma)
                sigma = np.maximum(s[:, 1:], 0.05) * head.calibrator.t
                out[task] = np.exp(s[:, :1] + _MEDIAN_AND_P90 * sigma)
            elif head.stop - head.start == 1:
                out[task] = head.calibrator(s[:, 0])
            else:
                out[task] = head.calibrator(s)
        return out

    def predict(self, cases: Sequence[Case], *, top_k: int = 3, article_count: int = 3,
                explain: bool = False) -> list[CaseResult]:
        if not cases:
            return []
        scores, text, x_context = self.raw_scores(cases)
        outputs = self._outputs_one if len(cases) == 1 else self._outputs_many
        out = outputs(scores, text, max(top_k, 1), article_count)
        results = [CaseResult() for _ in cases]
        if "routing" in out:
            labels, threshold = self.heads["routing"].labels, self.decision_threshold
            for result, (p, top) in zip(results, out["routing"]):
                result.routing = [(labels[k], p[k]) for k in top[:top_k]]
                if threshold is not None:
                    confidence = p[top[0]]
                    action = "auto_route" if confidence >= threshold else "human_triage"
                    result.decision = (action, labels[top[0]], confidence, threshold)
        if "urgency" in out:
            levels = self.heads["urgency"].labels
            for result, (p, k) in zip(results, out["urgency"]):
                result.urgency = (levels[k], dict(zip(levels, p)))
        for result, value in zip(results, out.get("escalation", ())):
            result.escalation = value
        for result, value in zip(results, out.get("csat_risk", ())):
            result.csat_risk = value
        for result, (p50, p90) in zip(results, out.get("resolution_time", ())):
            result.resolution_time = (p50, p90)
        if "articles" in out:
            ids, titles = self.articles.ids, self.articles.titles
            for result, (row, top) in zip(results, out["articles"]):
                result.articles = [(ids[k], titles[k], row[k]) for k in top]
        if explain:
            for i, result in enumerate(results):
                result.explanations = self._explain(i, scores[i], text, x_context[i], result)
        return results

    # The outputs of every case as plain Python values, per task: (probabilities, top classes) for
    # routing, urgency and articles, a float or a (p50, p90) pair for the others. Two ways to the
    # same numbers: numpy over the whole batch, or Python floats for a single case, where numpy's
    # per-call overhead on tiny arrays would cost more than the arithmetic itself.
    def _outputs_many(self, scores: np.ndarray, text: Any, top_k: int, article_count: int) -> dict[str, list]:
        probs = self.probabilities(scores)
        out: dict[str, list] = {}
        for task, p in probs.items():
            if task == "routing":
                out[task] = list(zip(p.tolist(), _top(p, top_k).tolist()))
            elif task == "urgency":
                out[task] = list(zip(p.tolist(), p.argmax(axis=1).tolist()))
            else:
                out[task] = p.tolist()
        articles = self._article_scores(scores, text, probs.get("routing"))
        if articles is not None:
            out["articles"] = list(zip(articles.tolist(), _top(articles, article_count).tolist()))
        return out

    def _outputs_one(self, scores: np.ndarray, text: Any, top_k: int, article_count: int) -> dict[str, list]:
        row = scores[0].tolist()
        out: dict[str, list] = {}
        for task, head in self.heads.items():
            s = row[head.start:head.stop]
            if task == "resolution_time":
                sigma = max(s[1], 0.05) * head.calibrator.t
                out[task] = [(math.exp(s[0]), math.exp(s[0] + Z90 * sigma))]
            elif len(s) == 1:
                out[task] = [head.calibrator.one(s[0])]
            else:
                p = head.calibrator.one(s)
                order = sorted(range(len(p)), key=p.__getitem__, reverse=True)  # stable: ties keep column order
                out[task] = [(p, order[:top_k] if task == "routing" else order[0])]
        if self.articles is not None:
            a = self.articles
            values = text[2]
            norm = math.sqrt(values @ values) or 1.0
            scores_a = row[a.start:a.stop]
            if "routing" in out and a.routing_weight:
                routing, weight = out["routing"][0][0], a.routing_weight
                cosine = [v / norm + weight * routing[q] if q >= 0 else v / norm
                          for v, q in zip(scores_a, a.queue_list)]
            else:
                cosine = [v / norm for v in scores_a]
            order = sorted(range(len(cosine)), key=cosine.__getitem__, reverse=True)
            out["articles"] = [(cosine, order[:article_count])]
        return out

    def _article_scores(self, scores: np.ndarray, text: Any, routing: np.ndarray | None) -> np.ndarray | None:
        """cosine(case text, article) + routing_weight * P(article's queue), per case and article."""
        if self.articles is None:
            return None
        indptr, _, values = text
        rows = np.repeat(np.arange(len(scores)), np.diff(indptr))
        norm = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(scores)))
        norm[norm == 0] = 1.0
        cosine = scores[:, self.articles.start:self.articles.stop] / norm[:, None]
        if routing is not None and self.articles.routing_weight:
            cosine[:, self.articles.with_queue] += self.articles.routing_weight * routing[:, self.articles.queue_of]
        return cosine

    # ---- explanations -----------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        if self._feature_names is None:
            self._feature_names = self.featurizer.feature_names()
        return self._feature_names

    def _explain(self, i: int, scores: np.ndarray, text: Any, x_context: np.ndarray,
                 result: CaseResult) -> list[tuple[str, str, list[tuple[str, float]]]]:
        """Per task, the features whose weight x value moved the predicted output most."""
        indptr, columns, values = text
        idx, vals = columns[indptr[i]:indptr[i + 1]], values[indptr[i]:indptr[i + 1]]
        feature_ids = np.concatenate([idx, len(self.w_text) + np.arange(len(x_context))])
        names = self.feature_names()
        explanations = []
        for task, head in self.heads.items():
            width = head.stop - head.start
            if task == "resolution_time":
                column, target, scale, baseline = head.start, "p50_hours", 1.0, None
            elif width == 1:
                column, target, scale, baseline = head.start, BINARY_TARGETS.get(task, task), 1.0, None
            else:
                k = int(np.argmax(scores[head.start:head.stop]))
                column, target, scale = head.start + k, head.labels[k], 1.0 / head.calibrator.t
                baseline = (head.start, head.stop)  # contributions relative to the average class
            w_text = self.w_text[idx, column]
            w_ctx = self.w_context[:, column]
            if baseline:
                w_text = w_text - self.w_text[idx, baseline[0]:baseline[1]].mean(axis=1)
                w_ctx = w_ctx - self.w_context[:, baseline[0]:baseline[1]].mean(axis=1)
            contributions = np.concatenate([vals * w_text, x_context * w_ctx]) * scale
            # Ties (e.g. n-grams that always occur together get equal weights) go to the lower feature column.
            top = np.lexsort((feature_ids, -np.abs(contributions)))[:EXPLAIN_TOP]
            features = [(names[idx[k]] if k < len(idx) else self.context.names[k - len(idx)],
                         float(contributions[k])) for k in top if contributions[k] != 0]
            explanations.append((task, target, features))
        if result.decision is not None and "routing" in self.heads:
            explanations.append(("decision", result.decision[0], explanations[0][2] if explanations else []))
        return explanations


def _text(case: Case) -> str:
    return f"{case.subject}\n{case.body}"


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the k highest scores, highest first (ties: lowest column first)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


# ---- storage as JSON + arrays (no pickle) ----------------------------------------------------
FORMAT = "linear-support-model/1"


def _calibrator_state(c: Temperature | Platt | Isotonic, arrays: dict[str, np.ndarray], key: str) -> dict:
    if isinstance(c, Isotonic):
        arrays[f"{key}.x"], arrays[f"{key}.y"] = c.x, c.y
        return {"kind": "isotonic", "method": c.method}
    if isinstance(c, Platt):
        return {"kind": "platt", "method": c.method, "a": c.a, "b": c.b}
    return {"kind": "temperature", "method": c.method, "t": c.t, "floor": c.floor}


def _calibrator_from(state: dict, arrays: Any, key: str) -> Temperature | Platt | Isotonic:
    kind = state["kind"]
    if kind == "isotonic":
        return Isotonic(arrays[f"{key}.x"], arrays[f"{key}.y"], state["method"])
    if kind == "platt":
        return Platt(state["a"], state["b"], state["method"])
    if kind == "temperature":
        return Temperature(state["t"], state["method"], state.get("floor", 0.0))
    raise ValueError(f"unknown calibrator kind {kind!r}")


def dump_model(model: LinearSupportModel) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON-able description, named arrays) that `load_model` turns back into the same model."""
    f, c = model.featurizer, model.context
    arrays = {"w_text": model.w_text, "w_context": model.w_context, "bias": model.bias,
              "idf": f.idf, "context.mean": c.mean, "context.scale": c.scale}
    state: dict[str, Any] = {
        "format": FORMAT,
        "featurizer": {"word_ngrams": f.word_ngrams, "char_ngrams": f.char_ngrams, "min_df": f.min_df,
                       "normalize": f.normalize, "sublinear_tf": f.sublinear_tf, "use_idf": f.use_idf,
                       "n_word_features": f.n_word_features,
                       "vocabulary": f.feature_names()},
        "context": {"categories": c.categories, "extra_numeric": c.extra_numeric, "names": c.names},
        "heads": [{"task": h.task, "start": h.start, "stop": h.stop, "labels": list(h.labels),
                   "calibrator": _calibrator_state(h.calibrator, arrays, f"calibrator.{h.task}")}
                  for h in model.heads.values()],
        "decision": {"threshold": model.decision_threshold, "target_precision": model.decision_target_precision},
        "articles": None,
    }
    if model.articles is not None:
        a = model.articles
        arrays["articles.queue_index"] = a.queue_index
        state["articles"] = {"start": a.start, "stop": a.stop, "ids": list(a.ids), "titles": list(a.titles),
                             "routing_weight": a.routing_weight}
    return state, arrays


def load_model(state: dict, arrays: Any) -> LinearSupportModel:
    if state.get("format") != FORMAT:
        raise ValueError(f"unsupported model format {state.get('format')!r}; this code reads {FORMAT!r}")
    fs = state["featurizer"]
    featurizer = TextFeaturizer(word_ngrams=fs["word_ngrams"],
                                char_ngrams=tuple(fs["char_ngrams"]) if fs["char_ngrams"] else None,
                                min_df=fs["min_df"], normalize=fs["normalize"], sublinear_tf=fs["sublinear_tf"],
                                use_idf=fs["use_idf"],
                                vocabulary={name: k for k, name in enumerate(fs["vocabulary"])},
                                idf=arrays["idf"], n_word_features=fs["n_word_features"])
    cs = state["context"]
    context = ContextEncoder(categories=cs["categories"], extra_numeric=cs["extra_numeric"],
                             mean=arrays["context.mean"], scale=arrays["context.scale"], names=cs["names"])
    heads = {h["task"]: Head(h["task"], h["start"], h["stop"], tuple(h["labels"]),
                             _calibrator_from(h["calibrator"], arrays, f"calibrator.{h['task']}"))
             for h in state["heads"]}
    articles = None
    if state["articles"]:
        a = state["articles"]
        articles = Articles(a["start"], a["stop"], tuple(a["ids"]), tuple(a["titles"]),
                            arrays["articles.queue_index"], a["routing_weight"])
    return LinearSupportModel(
        featurizer=featurizer, context=context, w_text=arrays["w_text"],
        w_context=arrays["w_context"], bias=arrays["bias"], heads=heads, articles=articles,
        decision_threshold=state["decision"]["threshold"],
        decision_target_precision=state["decision"]["target_precision"],
    )
