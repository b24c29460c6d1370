"""The linear multi-task support model: one feature vector per case, every task a few columns of
one weight matrix, then per-task calibration and post-processing.

Why one matrix: a case is featurised once, and a single gather + matrix product yields the raw
scores of every task (routing logits, escalation and CSAT logits, urgency logits, log-hours
quantile parameters, article similarities). Prediction of one case costs tens of microseconds of
numpy on top of the tokenisation; no scikit-learn or pandas runs at prediction time, and the model
is stored as plain arrays plus JSON (no pickle).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np


from supportability.features.context import ContextEncoder
from supportability.features.text import TextFeaturizer
from supportability.models.api import Case, CaseResult, ModelInfo
from supportability.models.calibration import Isotonic, Platt, Temperature

Z90 = 1.2815515655446004
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
    def raw_scores(self, cases: Sequence[Case], now: datetime | None = None) -> tuple[np.ndarray, Any, np.ndarray]:
        """(scores of every output, text features, context features) for a batch of cases."""
        x_context = self.context.transform(cases, now)
        if len(cases) == 1:
            idx, vals = self.featurizer.transform_one(_text(cases[0]))
            text = (idx, vals)
            scores = (vals @ self.w_text[idx])[None, :] + x_context @ self.w_context + self.bias
        else:
            text = self.featurizer.transform([_text(c) for c in cases])
            scores = np.asarray(text @ self.w_text) + x_context @ self.w_context + self.bias
        return scores, text, x_context

    def probabilities(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        """Calibrated outputs per task, vectorised over the batch."""
        out: dict[str, np.ndarray] = {}
        for task, head in self.heads.items():
            s = scores[:, head.start:head.stop]
            if task == "resolution_time":
                mu, sigma = s[:, 0], np.maximum(s[:, 1], 0.05) * head.calibrator.t
                out[task] = np.exp(np.stack([mu, mu + Z90 * sigma], axis=1))
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
        probs = self.probabilities(scores)
        article_scores = self._article_scores(scores, text, probs.get("routing"))
        results = []
        for i in range(len(cases)):
            result = CaseResult()
            if "routing" in probs:
                p = probs["routing"][i]
                labels = self.heads["routing"].labels
                top = np.argsort(-p, kind="stable")[:top_k]
                result.routing = [(labels[k], float(p[k])) for k in top]
                if self.decision_threshold is not None:
                    confidence = float(p[top[0]])
                    action = "auto_route" if confidence >= self.decision_threshold else "human_triage"
                    result.decision = (action, labels[top[0]], confidence, self.decision_threshold)
            if "escalation" in probs:
                result.escalation = float(probs["escalation"][i])
            if "csat_risk" in probs:
                result.csat_risk = float(probs["csat_risk"][i])
            if "urgency" in probs:
                p = probs["urgency"][i]
                levels = self.heads["urgency"].labels
                result.urgency = (levels[int(np.argmax(p))], {lvl: float(v) for lvl, v in zip(levels, p)})
            if "resolution_time" in probs:
                p50, p90 = probs["resolution_time"][i]
                result.resolution_time = (float(p50), float(p90))
            if article_scores is not None and self.articles is not None:
                row = article_scores[i]
                top = np.argsort(-row, kind="stable")[:article_count]
                result.articles = [(self.articles.ids[k], self.articles.titles[k], float(row[k])) for k in top]
            if explain:
                result.explanations = self._explain(i, scores[i], text, x_context[i], result)
            results.append(result)
        return results

    def _article_scores(self, scores: np.ndarray, text: Any, routing: np.ndarray | None) -> np.ndarray | None:
        if self.articles is None:
            return None
        if isinstance(text, tuple):
            norm = np.array([math.sqrt(float(text[1] @ text[1])) or 1.0])
        else:
            norm = np.sqrt(np.asarray(text.multiply(text).sum(axis=1)).ravel())
            norm[norm == 0] = 1.0
        cosine = scores[:, self.articles.start:self.articles.stop] / norm[:, None]
        if routing is not None:
            known = self.articles.queue_index >= 0
            cosine[:, known] += self.articles.routing_weight * routing[:, self.articles.queue_index[known]]
        return cosine

    # ---- explanations -----------------------------------------------------------------------
    def feature_names(self) -> list[str]:
        if self._feature_names is None:
            self._feature_names = self.featurizer.feature_names()
        return self._feature_names

    def _explain(self, i: int, scores: np.ndarray, text: Any, x_context: np.ndarray,
                 result: CaseResult) -> list[tuple[str, str, list[tuple[str, float]]]]:
        """Per task, the features whose weight x value moved the predicted output most."""
        if isinstance(text, tuple):
            idx, vals = text
        else:
            row = text.getrow(i)
            idx, vals = row.indices, row.data
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
            names = self.feature_names()
            top = np.argsort(-np.abs(contributions))[:EXPLAIN_TOP]
            features = [(names[idx[k]] if k < len(idx) else self.context.names[k - len(idx)],
                         float(contributions[k])) for k in top if contributions[k] != 0]
            explanations.append((task, target, features))
        if result.decision is not None and "routing" in self.heads:
            explanations.append(("decision", result.decision[0], explanations[0][2] if explanations else []))
        return explanations


def _text(case: Case) -> str:
    return f"{case.subject}\n{case.body}"


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
