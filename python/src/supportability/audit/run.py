"""The audit of one labelled data set: group, featurise, cross-fit each audited label, run confident
learning, find disagreeing near-duplicates and, on synthetic data, judge it all against the truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from supportability.audit.crossfit import CrossFitError, features, out_of_fold
from supportability.audit.duplicates import Conflict, conflicts
from supportability.audit.labels import LabelAudit, confident_learning
from supportability.audit.truth import PrecisionRecall, against_truth
from supportability.data.dataset import LabeledCases
from supportability.models.heads import case_text
from supportability.training.folds import near_duplicate_groups
from supportability.training.trainer import TrainConfig

AUDITED = {"queue": "routing", "urgency": "urgency"}  # label column -> task; routing is required


class AuditError(ValueError):
    """The data cannot be audited; the message says why."""


@dataclass(frozen=True)
class Audit:
    """Everything the report shows."""

    data: LabeledCases
    grouping: dict[str, Any]
    labels: dict[str, LabelAudit]  # by task
    conflicts: list[Conflict]  # near-duplicates with different routing labels
    truth: dict[str, PrecisionRecall]  # by task, when the data records its noise
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def audit(
    data: LabeledCases,
    seed: int = 7,
    text_weighting: str = "tfidf",
    char_ngrams: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Audit:
    """Audit the routing labels (and the urgency labels, if any) of `data`."""
    step = progress or (lambda _message: None)
    if "queue" not in data.labels:
        raise AuditError("no routing label: the file needs a 'queue' column (or map one with --column queue=COLUMN)")
    queues = sorted(set(data.labels["queue"].tolist()))
    if len(queues) < 2:
        raise AuditError(f"the routing label has one class ({queues[0]!r}): there is nothing to tell apart")
    config = TrainConfig(seed=seed, text_weighting=text_weighting, char_ngrams=(2, 5) if char_ngrams else None)
    step("grouping near-duplicate texts")
    grouping = near_duplicate_groups([case_text(c) for c in data.cases], seed)
    step("featurising")
    try:
        feats = features(data, grouping.groups, config)
    except CrossFitError as e:
        raise AuditError(str(e)) from e
    audits: dict[str, LabelAudit] = {}
    truth: dict[str, PrecisionRecall] = {}
    notes: list[str] = []
    routing_probabilities = np.zeros(0)
    for key, task in AUDITED.items():
        if key not in data.labels:
            continue
        step(f"cross-fitting {task}")
        try:
            oof = out_of_fold(feats, data.labels[key].tolist(), config)
        except CrossFitError as e:
            if task == "routing":
                raise AuditError(str(e)) from e
            notes.append(f"{task} not audited: {e}")
            continue
        step(f"confident learning on {task}")
        audits[task] = found = confident_learning(task, oof)
        if task == "routing":
            routing_probabilities = oof.probabilities
        if f"{task}_noise" in data.truth:
            truth[task] = against_truth(data.truth[f"{task}_noise"], found.flagged, found.confidence)
    routing = audits["routing"]
    labels = np.array([routing.classes.index(q) for q in data.labels["queue"]])
    return Audit(
        data=data,
        grouping=grouping.describe(),
        labels=audits,
        conflicts=conflicts(grouping.groups, labels, routing_probabilities),
        truth=truth,
        settings={
            "seed": seed,
            "folds": len(feats.folds),
            "text_weighting": text_weighting,
            "char_ngrams": config.char_ngrams,
            "model": "logistic regression per fold on the training features, temperature-calibrated",
        },
        notes=notes,
    )
