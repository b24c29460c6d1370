"""The drift reference a version's manifest carries ("drift_reference"), and the binning it fixes.

Made at training time: the inputs' distributions from the training cases (features/summary.py's
summary, the same one logged with every prediction) and the outputs' from the model's predictions
on the held-out calibration cases. Numeric values are binned by the reference's own deciles, so
each bin holds about a tenth of the reference; repeated values (counts that are mostly 0) merge
bins rather than make empty ones. Categorical values keep their share each. online/drift.py bins
live traffic with these same functions and compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from supportability.domain import Case
from supportability.features.summary import CATEGORICAL_INPUTS, NUMERIC_INPUTS, summarize_inputs
from supportability.models.heads import HeadsModel

REFERENCE_FORMAT = 1
BINS = 10  # quantile bins per numeric value: about 10% of the reference each


@dataclass(frozen=True)
class Categories:
    """A categorical column as integer codes into `labels`: counted per slice of rows with one bincount."""

    codes: np.ndarray
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray) -> Categories:
        return Categories(self.codes[rows], self.labels)


def encode(values: Iterable[Any]) -> Categories:
    """Values as `Categories` (a missing value is the category "")."""
    vocabulary: dict[Any, int] = {}
    codes = np.fromiter((vocabulary.setdefault(v, len(vocabulary)) for v in values), dtype=np.int64)
    return Categories(codes, tuple("" if v is None else str(v) for v in vocabulary))


def numeric_column(values: Sequence[Any]) -> np.ndarray:
    """Floats, NaN for a missing or non-numeric value."""
    try:
        return np.array(values, dtype=float)  # numpy reads None as NaN
    except (TypeError, ValueError):  # a string among the numbers: check them one by one
        return np.array([v if isinstance(v, int | float) else np.nan for v in values], dtype=float)


def numeric_summary(values: np.ndarray, bins: int = BINS) -> dict[str, Any]:
    """{"kind": "numeric", "edges", "proportions"}: interior quantile edges, and the share of each
    bin (x <= edges[0], ..., x > edges[-1]) followed by the share missing."""
    finite = values[np.isfinite(values)]
    # Edges are values the reference holds (not interpolated between them), so whole numbers stay whole.
    quantiles = np.quantile(finite, np.arange(1, bins) / bins, method="inverted_cdf") if len(finite) else []
    edges = np.unique(quantiles)
    return {"kind": "numeric", "edges": edges.tolist(), "proportions": numeric_proportions(values, edges).tolist()}


def numeric_proportions(values: np.ndarray, edges: Sequence[float] | np.ndarray) -> np.ndarray:
    """The share of `values` in each bin of `edges`, then the share missing (NaN)."""
    edges = np.asarray(edges, dtype=float)
    finite = np.isfinite(values)
    counts = np.bincount(np.searchsorted(edges, values[finite], side="left"), minlength=len(edges) + 1)
    counts = np.append(counts, (~finite).sum()).astype(float)
    return counts / max(len(values), 1)


def categorical_summary(column: Categories) -> dict[str, Any]:
    """{"kind": "categorical", "proportions": {value: share}}."""
    shares: dict[str, float] = {}
    counts = np.bincount(column.codes, minlength=len(column.labels)) / max(len(column), 1)
    for label, share in zip(column.labels, counts.tolist(), strict=True):
        shares[label] = shares.get(label, 0.0) + share  # 1 and "1" are one category
    return {"kind": "categorical", "proportions": dict(sorted(shares.items()))}


def categorical_proportions(column: Categories, categories: Sequence[str]) -> np.ndarray:
    """The share of each reference category, then the share of values the reference never saw."""
    counts = np.bincount(column.codes, minlength=len(column.labels)).astype(float)
    index = {c: i for i, c in enumerate(categories)}
    where = np.array([index.get(label, len(categories)) for label in column.labels], dtype=np.int64)
    return np.bincount(where, weights=counts, minlength=len(categories) + 1) / max(len(column), 1)


Column = np.ndarray | Categories  # numeric values, or categories


def input_columns(inputs: Sequence[Mapping[str, Any]]) -> dict[str, Column]:
    """The input summaries as one column per input: `Categories` or floats."""
    names = (*CATEGORICAL_INPUTS, *NUMERIC_INPUTS)
    try:  # one pass over the rows: a million summaries in about half a second
        values: list[Sequence[Any]] = list(zip(*map(itemgetter(*names), inputs), strict=True)) if inputs else []
    except KeyError:  # a summary without some input (from another version of summary.py)
        values = [[row.get(name) for row in inputs] for name in names]
    values = values or [[] for _ in names]
    columns: dict[str, Column] = {name: encode(v) for name, v in zip(names, values, strict=True)
                                  if name in CATEGORICAL_INPUTS}  # fmt: skip
    columns |= {name: numeric_column(v) for name, v in zip(names, values, strict=True) if name in NUMERIC_INPUTS}
    return columns


def summarize(columns: Mapping[str, Column]) -> dict[str, Any]:
    """The reference summary of each column: proportions of categories, quantile bins of numbers."""
    return {
        name: categorical_summary(c) if isinstance(c, Categories) else numeric_summary(c) for name, c in columns.items()
    }


def output_columns(model: HeadsModel, cases: Sequence[Case]) -> dict[str, Column]:
    """The compared outputs of `model` on `cases`, as the log records them (calibrated): the top-1
    queue as a category, the top-1 and escalation probabilities binned."""
    scores, _ = model.raw_scores(cases)
    probs = model.probabilities(scores)
    out: dict[str, Column] = {}
    if "routing" in probs:
        labels = np.array(model.heads["routing"].labels, dtype=object)
        out["top1_queue"] = encode(labels[probs["routing"].argmax(axis=1)].tolist())
        out["top1_probability"] = probs["routing"].max(axis=1)
    if "escalation" in probs:
        out["escalation_probability"] = np.asarray(probs["escalation"], dtype=float)
    return out


def drift_reference(model: HeadsModel, training: Sequence[Case], calibration: Sequence[Case]) -> dict[str, Any]:
    """The manifest's "drift_reference": inputs from `training`, outputs from the model on `calibration`."""
    return {
        "format": REFERENCE_FORMAT,
        "inputs": summarize(input_columns([summarize_inputs(c) for c in training])),
        "outputs": summarize(output_columns(model, calibration)),
        "case_counts": {"inputs": len(training), "outputs": len(calibration)},
    }
