"""What every model kind shares once it has raw scores: per-task heads, calibration, top-k,
article ranking, the auto-route decision and the `CaseResult`s.

A model kind (linear, student, teacher) computes one row of raw scores per case: each task's
head owns a range of columns (routing logits, escalation and CSAT logits, urgency logits,
log-hours quantile parameters), and the help-centre articles own further columns holding the
cosine similarity of the case to each article. `HeadsModel` turns those rows into calibrated
predictions, the same way for every kind, so a new model kind only writes `raw_scores` (and,
when it can, `explain`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import numpy as np

from supportability.domain import Case
from supportability.models.api import CaseResult, ModelInfo
from supportability.models.calibration import Calibrator, Isotonic, Platt, Temperature
from supportability.models.scope import OutOfScope

Z90 = 1.2815515655446004  # the standard normal's 90% quantile
_MEDIAN_AND_P90 = np.array([0.0, Z90])
BINARY_TARGETS = {"escalation": "escalated", "csat_risk": "negative_csat"}
EXPLAIN_TOP = 5  # features per explained task
SCOPE_PREFIX = "out_of_scope."  # the out-of-scope score's arrays among the model's
Explanations = list[tuple[str, str, list[tuple[str, float]]]]


@dataclass
class Head:
    """A task's columns [start, stop) in the score row, its labels and its calibrator."""

    task: str
    start: int
    stop: int
    labels: tuple[str, ...] = ()
    calibrator: Calibrator | None = None  # set by trainer.calibrate


@dataclass
class Articles:
    """The help centre: article columns [start, stop) of the score row hold cosine similarities."""

    start: int
    stop: int
    ids: tuple[str, ...]
    titles: tuple[str, ...]
    queue_index: np.ndarray  # routing label index of each article's queue, -1 if unknown
    routing_weight: float  # score = cosine(case, article) + routing_weight * P(article's queue)

    def __post_init__(self) -> None:
        self.with_queue = np.flatnonzero(self.queue_index >= 0)  # the articles that get the routing term
        self.queue_of = self.queue_index[self.with_queue]  # and their queues' routing columns
        self.queue_list = self.queue_index.tolist()  # for one case, in plain Python


def case_text(case: Case) -> str:
    """The text every model reads: subject and body."""
    return f"{case.subject}\n{case.body}"


class HeadsModel:
    """Base of the model kinds. Subclasses are dataclasses with the attributes below and implement
    `raw_scores` (and `explain`, when they can attribute a prediction to input features)."""

    heads: dict[str, Head]
    articles: Articles | None
    decision_threshold: float | None
    decision_target_precision: float | None
    decision_estimate: dict | None  # how the threshold was chosen: held-out precision and its lower bound
    out_of_scope: OutOfScope | None
    info: ModelInfo
    kind: ClassVar[str]  # the format name's prefix (models/kinds.py)

    def raw_scores(self, cases: Sequence[Case], now: datetime | None = None) -> tuple[np.ndarray, Any]:
        """(one row of scores per case, whatever `explain` needs from the same forward pass)."""
        raise NotImplementedError

    def feature_schema(self) -> dict:
        """What the model reads, for the registry manifest."""
        raise NotImplementedError

    def explain(self, i: int, scores: np.ndarray, state: Any, result: CaseResult) -> Explanations:
        """Per task, the input features that moved case i's prediction most. Default: none."""
        return []

    def scope_embedding(self, state: Any) -> np.ndarray:
        """(cases, width): the embedding an embedding out-of-scope score (models/scope.py) reads, from
        `raw_scores`' state. Default: none, so only the logit scores."""
        raise ValueError(f"the {self.kind} kind has no embedding for an out-of-scope distance score")

    @property
    def has_scope_embedding(self) -> bool:
        """Whether this kind gives an embedding score its input (it overrides `scope_embedding`)."""
        return type(self).scope_embedding is not HeadsModel.scope_embedding

    def _scope_input(self, state: Any) -> np.ndarray | None:
        """The cases' embedding if the out-of-scope score reads one."""
        return (
            self.scope_embedding(state) if self.out_of_scope is not None and self.out_of_scope.needs_embedding else None
        )

    @property
    def tasks(self) -> tuple[str, ...]:
        tasks = list(self.heads)
        if self.articles is not None:
            tasks.append("articles")
        if self.decision_threshold is not None:
            tasks.append("decision")
        return tuple(tasks)

    def probabilities(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        """Calibrated outputs per task, vectorised over the batch."""
        out: dict[str, np.ndarray] = {}
        for task, head in self.heads.items():
            s, calibrator = scores[:, head.start : head.stop], head.calibrator
            assert calibrator is not None, f"{task}: calibrate the model first"
            if task == "resolution_time":
                # log-hours ~ N(mu, sigma): columns exp(mu) and exp(mu + z90 * sigma)
                assert isinstance(calibrator, Temperature)  # the spread scale
                sigma = np.maximum(s[:, 1:], 0.05) * calibrator.t
                out[task] = np.exp(s[:, :1] + _MEDIAN_AND_P90 * sigma)
            elif head.stop - head.start == 1:
                out[task] = calibrator(s[:, 0])
            else:
                out[task] = calibrator(s)
        return out

    # A batch runs vectorised in numpy; a single case (the serving hot path) goes through plain
    # Python floats in `_outputs_one`, where numpy's per-call overhead on tiny arrays would cost
    # more than the arithmetic. tests/ml/test_prediction_paths.py holds the two to the same answers.
    def predict(
        self, cases: Sequence[Case], *, top_k: int = 3, article_count: int = 3, explain: bool = False
    ) -> list[CaseResult]:
        if not cases:
            return []
        scores, state = self.raw_scores(cases)
        outputs = self._outputs_one if len(cases) == 1 else self._outputs_many
        out = outputs(scores, max(top_k, 1), article_count, self._scope_input(state))
        results = [CaseResult() for _ in cases]
        if "routing" in out:
            labels, threshold, scope = self.heads["routing"].labels, self.decision_threshold, self.out_of_scope
            in_scope = out.get("scope", [])
            for i, (result, (p, top)) in enumerate(zip(results, out["routing"], strict=True)):
                result.routing = [(labels[k], p[k]) for k in top[:top_k]]
                if threshold is not None:
                    confidence, queue = p[top[0]], labels[top[0]]
                    if scope is not None and scope.is_out(in_scope[i], queue):
                        action, result.decision_reason = "human_triage", "out_of_scope"
                    elif confidence < threshold:
                        action, result.decision_reason = "human_triage", "low_confidence"
                    else:
                        action = "auto_route"
                    result.decision = (action, queue, confidence, threshold)
        if "urgency" in out:
            levels = self.heads["urgency"].labels
            for result, (p, k) in zip(results, out["urgency"], strict=True):
                result.urgency = (levels[k], dict(zip(levels, p, strict=True)))
        for result, value in zip(results, out.get("escalation", ()), strict=False):
            result.escalation = value
        for result, value in zip(results, out.get("csat_risk", ()), strict=False):
            result.csat_risk = value
        for result, (p50, p90) in zip(results, out.get("resolution_time", ()), strict=False):
            result.resolution_time = (p50, p90)
        if "articles" in out:
            assert self.articles is not None  # "articles" is in out only when the model has articles
            ids, titles = self.articles.ids, self.articles.titles
            for result, (row, top) in zip(results, out["articles"], strict=True):
                result.articles = [(ids[k], titles[k], row[k]) for k in top]
        if explain:
            for i, result in enumerate(results):
                result.explanations = self.explain(i, scores[i], state, result)
        return results

    # The outputs of every case as plain Python values, per task: (probabilities, top classes) for
    # routing, urgency and articles, a float or a (p50, p90) pair for the others.
    def _outputs_many(
        self, scores: np.ndarray, top_k: int, article_count: int, embedding: np.ndarray | None = None
    ) -> dict[str, list]:
        probs = self.probabilities(scores)
        out: dict[str, list] = {}
        for task, p in probs.items():
            if task == "routing":
                out[task] = list(zip(p.tolist(), top_columns(p, top_k).tolist(), strict=True))
            elif task == "urgency":
                out[task] = list(zip(p.tolist(), p.argmax(axis=1).tolist(), strict=True))
            else:
                out[task] = p.tolist()
        if self.out_of_scope is not None and "routing" in probs:
            head = self.heads["routing"]
            out["scope"] = self.out_of_scope.scores(
                scores[:, head.start : head.stop], probs["routing"], _temperature(head), head.labels, embedding
            ).tolist()
        articles = self.article_scores(scores, probs.get("routing"))
        if articles is not None:
            out["articles"] = list(zip(articles.tolist(), top_columns(articles, article_count).tolist(), strict=True))
        return out

    def _outputs_one(
        self, scores: np.ndarray, top_k: int, article_count: int, embedding: np.ndarray | None = None
    ) -> dict[str, list]:
        row = scores[0].tolist()
        out: dict[str, list] = {}
        for task, head in self.heads.items():
            s, calibrator = row[head.start : head.stop], head.calibrator
            assert calibrator is not None, f"{task}: calibrate the model first"
            if task == "resolution_time":
                assert isinstance(calibrator, Temperature)  # the spread scale
                sigma = max(s[1], 0.05) * calibrator.t
                out[task] = [(math.exp(s[0]), math.exp(s[0] + Z90 * sigma))]
            elif len(s) == 1:
                out[task] = [calibrator.one(s[0])]
            else:
                assert isinstance(calibrator, Temperature)  # a class head's
                p = calibrator.one(s)
                order = sorted(range(len(p)), key=p.__getitem__, reverse=True)  # stable: ties keep column order
                out[task] = [(p, order[:top_k] if task == "routing" else order[0])]
                if task == "routing" and self.out_of_scope is not None:
                    temperature = calibrator.t
                    out["scope"] = [self.out_of_scope.score_one(s, p, temperature, head.labels, embedding)]
        if self.articles is not None:
            a = self.articles
            cosine = row[a.start : a.stop]
            if "routing" in out and a.routing_weight:
                routing, weight = out["routing"][0][0], a.routing_weight
                cosine = [v + weight * routing[q] if q >= 0 else v for v, q in zip(cosine, a.queue_list, strict=True)]
            order = sorted(range(len(cosine)), key=cosine.__getitem__, reverse=True)
            out["articles"] = [(cosine, order[:article_count])]
        return out

    def decide(
        self, scores: np.ndarray, probs: np.ndarray, state: Any = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(auto-routed, out of scope, in-scope score) per case, from raw scores, their `raw_scores`
        state and calibrated routing probabilities already computed: `predict`'s decisions, vectorised
        (for evaluation)."""
        head = self.heads["routing"]
        top = probs.argmax(axis=1)
        if self.out_of_scope is None:
            in_scope = probs.max(axis=1)
            out = np.zeros(len(probs), dtype=bool)
        else:
            in_scope = self.out_of_scope.scores(
                scores[:, head.start : head.stop], probs, _temperature(head), head.labels, self._scope_input(state)
            )
            out = np.array([self.out_of_scope.is_out(v, head.labels[k]) for v, k in zip(in_scope, top, strict=True)])
        threshold = self.decision_threshold if self.decision_threshold is not None else np.inf
        return (probs.max(axis=1) >= threshold) & ~out, out, in_scope

    def article_scores(self, scores: np.ndarray, routing: np.ndarray | None) -> np.ndarray | None:
        """cosine(case, article) + routing_weight * P(article's queue), per case and article."""
        if self.articles is None:
            return None
        a = self.articles
        ranked = scores[:, a.start : a.stop].copy()
        if routing is not None and a.routing_weight:
            ranked[:, a.with_queue] += a.routing_weight * routing[:, a.queue_of]
        return ranked

    def ranked_article_ids(self, scores: np.ndarray, routing: np.ndarray | None, k: int = 10) -> list[list[str]]:
        """Per case, the ids of the k best articles, ranked as `predict` ranks them, from raw scores
        already computed (evaluation and tuning rank many cases without predicting them again)."""
        ranked = self.article_scores(scores, routing)
        assert self.articles is not None and ranked is not None, "the model has no articles"
        ids = self.articles.ids
        return [[ids[j] for j in row] for row in top_columns(ranked, k).tolist()]


@dataclass
class Inputs:
    """One case's features and the weights that map them to the score row, for attributions:
    scores = sum over text features of value x weight row + context x context weights + a constant."""

    text_columns: np.ndarray  # the case's text feature columns
    text_values: np.ndarray
    text_weights: np.ndarray  # (len(text_columns), score columns)
    context: np.ndarray  # (context features,)
    context_weights: np.ndarray  # (context features, score columns)


def attribute_linear(
    heads: dict[str, Head],
    scores: np.ndarray,
    inputs: Inputs,
    text_names: list[str],
    context_names: list[str],
    result: CaseResult,
) -> Explanations:
    """Per task, the features whose value x weight moved the predicted output most: for a class,
    relative to the average class; for the resolution time, its median. Exact for a linear model,
    the local (gradient x input) attribution for a piecewise-linear one."""
    idx, vals = inputs.text_columns, inputs.text_values
    feature_ids = np.concatenate([idx, np.iinfo(np.int64).max - np.arange(len(inputs.context))[::-1]])
    explanations = []
    for task, head in heads.items():
        width = head.stop - head.start
        if task == "resolution_time":
            column, target, scale, baseline = head.start, "p50_hours", 1.0, None
        elif width == 1:
            column, target, scale, baseline = head.start, BINARY_TARGETS.get(task, task), 1.0, None
        else:
            k = int(np.argmax(scores[head.start : head.stop]))
            assert isinstance(head.calibrator, Temperature)  # a class head's
            column, target, scale = head.start + k, head.labels[k], 1.0 / head.calibrator.t
            baseline = (head.start, head.stop)  # contributions relative to the average class
        w_text = inputs.text_weights[:, column]
        w_ctx = inputs.context_weights[:, column]
        if baseline:
            w_text = w_text - inputs.text_weights[:, baseline[0] : baseline[1]].mean(axis=1)
            w_ctx = w_ctx - inputs.context_weights[:, baseline[0] : baseline[1]].mean(axis=1)
        contributions = np.concatenate([vals * w_text, inputs.context * w_ctx]) * scale
        # Ties (e.g. n-grams that always occur together get equal weights) go to the lower feature column.
        top = np.lexsort((feature_ids, -np.abs(contributions)))[:EXPLAIN_TOP]
        features = [
            (text_names[idx[k]] if k < len(idx) else context_names[k - len(idx)], float(contributions[k]))
            for k in top
            if contributions[k] != 0
        ]
        explanations.append((task, target, features))
    if result.decision is not None and "routing" in heads:
        explanations.append(("decision", result.decision[0], explanations[0][2] if explanations else []))
    return explanations


def _temperature(head: Head) -> float:
    assert isinstance(head.calibrator, Temperature)  # a class head's
    return head.calibrator.t


def top_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the k highest scores, highest first (ties: lowest column first)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


# ---- storage of heads, calibrators and articles as JSON + arrays (no pickle) -----------------
def _calibrator_state(c: Calibrator | None, arrays: dict[str, np.ndarray], key: str) -> dict:
    assert c is not None, f"{key}: calibrate the model first"
    if isinstance(c, Isotonic):
        assert c.x is not None and c.y is not None, f"{key}: fit the calibrator first"
        arrays[f"{key}.x"], arrays[f"{key}.y"] = c.x, c.y
        return {"kind": "isotonic", "method": c.method}
    if isinstance(c, Platt):
        return {"kind": "platt", "method": c.method, "a": c.a, "b": c.b}
    return {"kind": "temperature", "method": c.method, "t": c.t, "floor": c.floor}


def _calibrator_from(state: dict, arrays: Any, key: str) -> Calibrator:
    kind = state["kind"]
    if kind == "isotonic":
        return Isotonic(arrays[f"{key}.x"], arrays[f"{key}.y"], state["method"])
    if kind == "platt":
        return Platt(state["a"], state["b"], state["method"])
    if kind == "temperature":
        return Temperature(state["t"], state["method"], state.get("floor", 0.0))
    raise ValueError(f"unknown calibrator kind {kind!r}")


def dump_heads(model: HeadsModel, arrays: dict[str, np.ndarray]) -> dict:
    """The JSON-able part every model kind stores alike; array parts go into `arrays`."""
    state: dict[str, Any] = {
        "heads": [
            {
                "task": h.task,
                "start": h.start,
                "stop": h.stop,
                "labels": list(h.labels),
                "calibrator": _calibrator_state(h.calibrator, arrays, f"calibrator.{h.task}"),
            }
            for h in model.heads.values()
        ],
        "decision": {
            "threshold": model.decision_threshold,
            "target_precision": model.decision_target_precision,
            "estimate": model.decision_estimate,
            "out_of_scope": model.out_of_scope.state() if model.out_of_scope is not None else None,
        },
        "articles": None,
    }
    if model.out_of_scope is not None:
        model.out_of_scope.dump_arrays(arrays, SCOPE_PREFIX)
    if model.articles is not None:
        a = model.articles
        arrays["articles.queue_index"] = a.queue_index
        state["articles"] = {
            "start": a.start,
            "stop": a.stop,
            "ids": list(a.ids),
            "titles": list(a.titles),
            "routing_weight": a.routing_weight,
        }
    return state


def load_heads(state: dict, arrays: Any) -> dict[str, Any]:
    """Keyword arguments (heads, articles, the decision's threshold, target, estimate and out-of-scope
    test) for a model kind."""
    heads = {
        h["task"]: Head(
            h["task"],
            h["start"],
            h["stop"],
            tuple(h["labels"]),
            _calibrator_from(h["calibrator"], arrays, f"calibrator.{h['task']}"),
        )
        for h in state["heads"]
    }
    articles = None
    if state["articles"]:
        a = state["articles"]
        articles = Articles(
            a["start"],
            a["stop"],
            tuple(a["ids"]),
            tuple(a["titles"]),
            arrays["articles.queue_index"],
            a["routing_weight"],
        )
    return {
        "heads": heads,
        "articles": articles,
        "decision_threshold": state["decision"]["threshold"],
        "decision_target_precision": state["decision"]["target_precision"],
        "decision_estimate": state["decision"].get("estimate"),  # absent from models saved before it
        "out_of_scope": (
            OutOfScope.load(scope, arrays, SCOPE_PREFIX) if (scope := state["decision"].get("out_of_scope")) else None
        ),
    }
