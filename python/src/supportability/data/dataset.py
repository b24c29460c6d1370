"""A set of labelled support cases: what the loaders and the generator produce and training consumes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from supportability.domain import Case

# The label columns a dataset may carry, one per task they train. Missing labels -> task not trained.
LABEL_COLUMNS = {
    "queue": "routing",
    "escalated": "escalation",
    "urgency": "urgency",
    "csat_negative": "csat_risk",
    "resolution_hours": "resolution_time",
    "article_ids": "articles",
}


@dataclass(frozen=True)
class Article:
    """A help-centre article that the articles task can suggest."""

    article_id: str
    queue: str
    title: str
    text: str  # what retrieval matches cases against


@dataclass
class LabeledCases:
    """Cases plus whatever labels are known, aligned by position.

    `labels` maps a LABEL_COLUMNS key to an array: str for queue/urgency, int 0/1 for escalated and
    csat_negative, float hours for resolution_hours, and a tuple of article ids per case for article_ids.
    `truth` holds the generator's true label probabilities when the data is synthetic (see generator.py).
    """

    cases: list[Case]
    labels: dict[str, np.ndarray]
    source: str
    articles: tuple[Article, ...] = ()
    truth: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cases)

    def subset(self, index: np.ndarray) -> LabeledCases:
        index = np.asarray(index)
        return LabeledCases(
            cases=[self.cases[i] for i in index],
            labels={k: v[index] for k, v in self.labels.items()},
            source=self.source,
            articles=self.articles,
            truth={k: (v if k == "queues" else v[index]) for k, v in self.truth.items()},
        )

    def fingerprint(self) -> str:
        """SHA-256 over every case field and label, in order: equal data, equal fingerprint."""
        digest = hashlib.sha256()
        for case in self.cases:
            row = [getattr(case, name) for name in Case.__slots__ if name != "extra_features"]
            row.append(sorted(case.extra_features.items()))
            digest.update(json.dumps(row, default=str, ensure_ascii=False).encode())
        for name in sorted(self.labels):
            digest.update(name.encode())
            digest.update(json.dumps([_plain(v) for v in self.labels[name]], ensure_ascii=False).encode())
        return digest.hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value
