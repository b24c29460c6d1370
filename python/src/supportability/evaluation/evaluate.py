"""Evaluate a model on labelled cases: every metric of every task, per slice, beside the
Bayes-optimal reference when the data carries the generator's true probabilities."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import softmax

from supportability import metrics as m
from supportability.data.dataset import LabeledCases
from supportability.models.heads import HeadsModel

SLICE_ATTRIBUTES = ("channel", "language", "support_plan")
MIN_SLICE_CASES = 50


@dataclass
class Evaluation:
    """Metrics as (task, name, value, slice) plus the arrays the report plots."""

    metrics: list[tuple[str, str, float, str]] = field(default_factory=list)
    plots: dict[str, dict] = field(default_factory=dict)
    case_count: int = 0

    def add(self, task: str, name: str, value: float, slice_: str = "") -> None:
        if not math.isnan(value):  # skip NaN (e.g. AUROC of a slice with one class)
            self.metrics.append((task, name, float(value), slice_))

    def get(self, task: str, name: str, slice_: str = "") -> float | None:
        return next((v for t, n, v, s in self.metrics if (t, n, s) == (task, name, slice_)), None)


def evaluate(
    model: HeadsModel, data: LabeledCases, oos_label: str | None = None, scores: np.ndarray | None = None
) -> Evaluation:
    """Every metric on `data`; cases whose queue is `oos_label` are out of scope (see `_out_of_scope`).
    `scores`: the cases' raw scores from elsewhere (the trainer's out-of-fold scores) instead of the model's."""
    ev = Evaluation(case_count=len(data))
    state = None  # what an embedding out-of-scope score reads (models/scope.py)
    if scores is None:
        scores, state = model.raw_scores(data.cases)
    probs = model.probabilities(scores)
    slices = {"": np.ones(len(data), bool)}
    for attr in SLICE_ATTRIBUTES:
        values = np.array([getattr(c, attr) or "unknown" for c in data.cases], dtype=object)
        for value in sorted(set(values)):
            mask = values == value
            if mask.sum() >= MIN_SLICE_CASES:
                slices[f"{attr}={value}"] = mask

    if "routing" in probs:
        _classification(ev, model, "routing", "queue", data, probs["routing"], scores, slices)
        _decision(ev, model, data, scores, state, probs["routing"], oos_label)
    if "urgency" in probs:
        _classification(ev, model, "urgency", "urgency", data, probs["urgency"], scores, slices)
    for task, key in (("escalation", "escalated"), ("csat_risk", "csat_negative")):
        if task in probs and key in data.labels:
            _binary(ev, model, task, data.labels[key].astype(int), probs[task], scores, data, slices)
    if "resolution_time" in probs and "resolution_hours" in data.labels:
        _resolution(ev, data, probs["resolution_time"])
    if model.articles is not None and "article_ids" in data.labels:
        ranked = model.ranked_article_ids(scores, probs.get("routing"))
        for k in (1, 3, 5):
            recall, mrr = m.ranking_metrics(ranked, list(data.labels["article_ids"]), k)
            ev.add("articles", f"recall_at_{k}", recall)
        ev.add("articles", "mrr", mrr)
    return ev


def _classification(ev, model, task, key, data, p, scores, slices) -> None:
    if key not in data.labels:
        return
    head = model.heads[task]
    labels = np.array([head.labels.index(v) if v in head.labels else -1 for v in data.labels[key]])
    known = labels >= 0
    p, labels = p[known], labels[known]
    raw = softmax(scores[known, head.start : head.stop], axis=1)
    for name, mask in slices.items():
        mk = mask[known]
        if mk.sum() == 0:
            continue
        ev.add(task, "top1_accuracy", m.top_k_accuracy(p[mk], labels[mk], 1), name)
        ev.add(task, "ece", m.multiclass_ece(p[mk], labels[mk]), name)
        if name == "":
            ev.add(task, "top3_accuracy", m.top_k_accuracy(p, labels, 3))
            ev.add(task, "log_loss", m.log_loss(p, labels))
            ev.add(task, "macro_f1", m.macro_f1(p.argmax(1), labels, len(head.labels)))
            ev.add(task, "ece_uncalibrated", m.multiclass_ece(raw, labels))
            if task == "urgency":
                ev.add(task, "quadratic_weighted_kappa", m.quadratic_weighted_kappa(p.argmax(1), labels, 4))
    truth_key = task
    if truth_key in data.truth:
        truth = data.truth[truth_key][known]
        if task == "routing":  # reorder the generator's queue columns to the model's label order
            order = list(data.truth["queues"])
            truth = truth[:, [order.index(q) if q in order else 0 for q in head.labels]]
        ev.add(task, "bayes_top1_accuracy", m.top_k_accuracy(truth, labels, 1))
        ev.add(task, "bayes_expected_top1_accuracy", float(truth.max(axis=1).mean()))
        ev.add(task, "bayes_log_loss", m.log_loss(truth, labels))
        ev.add(task, "bayes_ece", m.multiclass_ece(truth, labels))
    if task == "routing" and "topic" in data.truth:
        # Against the topic the text is about (synthetic data): label noise never touches it.
        topic = np.array([head.labels.index(q) if q in head.labels else -1 for q in data.truth["topic"][known]])
        ev.add(task, "clean_top1_accuracy", float(np.mean(p.argmax(1) == topic)))
    ev.plots[task] = {
        "confidence": p.max(1),
        "correct": p.argmax(1) == labels,
        "raw_confidence": raw.max(1),
        "raw_correct": raw.argmax(1) == labels,
        "pred": p.argmax(1),
        "labels": labels,
        "names": head.labels,
    }


def _binary(ev, model, task, y, p, scores, data, slices) -> None:
    head = model.heads[task]
    raw = 1 / (1 + np.exp(-scores[:, head.start]))
    for name, mask in slices.items():
        ev.add(task, "auroc", m.auroc(p[mask], y[mask]), name)
        ev.add(task, "ece", m.binary_ece(p[mask], y[mask]), name)
    ev.add(task, "pr_auc", m.average_precision(p, y))
    ev.add(task, "brier", m.brier(p, y))
    ev.add(task, "log_loss", m.binary_log_loss(p, y))
    ev.add(task, "ece_uncalibrated", m.binary_ece(raw, y))
    ev.add(task, "positive_rate", float(y.mean()))
    if task in data.truth:
        truth = data.truth[task]
        ev.add(task, "bayes_auroc", m.auroc(truth, y))
        ev.add(task, "bayes_ece", m.binary_ece(truth, y))
        ev.add(task, "bayes_brier", m.brier(truth, y))
        ev.add(task, "bayes_log_loss", m.binary_log_loss(truth, y))
    ev.plots[task] = {
        "confidence": p,
        "correct": y,
        "raw_confidence": raw,
        "raw_correct": y,
        "calibrator": head.calibrator.method,
    }


def _resolution(ev, data, quantiles) -> None:
    hours = data.labels["resolution_hours"].astype(float)
    ev.add("resolution_time", "pinball_p50_hours", m.pinball_loss(hours, quantiles[:, 0], 0.5))
    ev.add("resolution_time", "pinball_p90_hours", m.pinball_loss(hours, quantiles[:, 1], 0.9))
    ev.add("resolution_time", "p90_coverage", float((hours <= quantiles[:, 1]).mean()))
    ev.add("resolution_time", "mae_log_hours", float(np.mean(np.abs(np.log(hours) - np.log(quantiles[:, 0])))))
    if "resolution_p50" in data.truth:
        ev.add("resolution_time", "bayes_pinball_p50_hours", m.pinball_loss(hours, data.truth["resolution_p50"], 0.5))
        ev.add("resolution_time", "bayes_pinball_p90_hours", m.pinball_loss(hours, data.truth["resolution_p90"], 0.9))
        ev.add(
            "resolution_time",
            "bayes_mae_log_hours",
            float(np.mean(np.abs(np.log(hours) - np.log(data.truth["resolution_p50"])))),
        )


def _decision(ev, model, data, scores, state, p, oos_label) -> None:
    if model.decision_threshold is None or "queue" not in data.labels:
        return
    head = model.heads["routing"]
    labels = np.array([head.labels.index(v) if v in head.labels else -1 for v in data.labels["queue"]])
    confidence = p.max(1)
    correct = p.argmax(1) == labels
    auto, flagged, in_scope_score = model.decide(scores, p, state)
    ev.add("decision", "threshold", model.decision_threshold)
    ev.add("decision", "target_precision", model.decision_target_precision)
    ev.add("decision", "coverage", float(auto.mean()))
    ev.add("decision", "precision", float(correct[auto].mean()) if auto.any() else float("nan"))
    if auto.any():  # the precision's two-sided 95% Clopper-Pearson interval, beside the point estimate
        low, high = m.clopper_pearson(int(correct[auto].sum()), int(auto.sum()))
        ev.add("decision", "precision_ci_low", low)
        ev.add("decision", "precision_ci_high", high)
    estimate = model.decision_estimate or {}
    if estimate.get("precision_lower_bound") is not None:  # what training promised, on its held-out cases
        ev.add("decision", "held_out_precision", estimate["precision"])
        ev.add("decision", "held_out_precision_lower_bound", estimate["precision_lower_bound"])
    ev.add("decision", "out_of_scope_share", float(flagged.mean()))
    if oos_label is not None:
        _out_of_scope(ev, data.labels["queue"] == oos_label, auto, flagged, in_scope_score, correct)
    order = np.argsort(-np.where(flagged, -1.0, confidence), kind="stable")
    ev.plots["decision"] = {
        "coverage": np.arange(1, len(order) + 1) / len(order),
        "precision": np.cumsum(correct[order]) / np.arange(1, len(order) + 1),
        "operating_point": (float(auto.mean()), float(correct[auto].mean()) if auto.any() else 0.0),
        "target": model.decision_target_precision,
    }


def _out_of_scope(ev, out, auto, flagged, score, correct) -> None:
    """Cases labelled out of scope (`out`) against the rest: how well the in-scope score separates
    them, and what the decision did with each."""
    inside = ~out
    if not out.any() or not inside.any():
        return
    at_95 = np.quantile(score[inside], 0.05)  # the score that keeps 95% of the in-scope cases
    ev.add("out_of_scope", "recall_at_95_in_scope_coverage", float(np.mean(score[out] < at_95)))
    ev.add("out_of_scope", "auroc", m.auroc(score, inside.astype(int)))
    ev.add("out_of_scope", "recall", float(flagged[out].mean()))  # at the model's own threshold
    ev.add("out_of_scope", "in_scope_coverage", float(1 - flagged[inside].mean()))
    ev.add("out_of_scope", "auto_routed_share", float(auto[out].mean()))
    ev.add("out_of_scope", "case_count", float(out.sum()))
    routed = auto & inside
    if routed.any():
        ev.add("decision", "in_scope_precision", float(correct[routed].mean()))
    ev.plots["out_of_scope"] = {"in_scope": score[inside], "out_of_scope": score[out], "at_95": float(at_95)}
