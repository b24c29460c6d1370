"""How well the audit finds the noise, where the truth is known: the synthetic generator records
which labels came from its noise component (`truth["routing_noise"]`, `truth["urgency_noise"]`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supportability import metrics

# Confidence thresholds of the curve: every 0.05, then finer where the most confident flags are.
THRESHOLDS = (*(k / 20 for k in range(1, 19)), 0.95, 0.96, 0.97, 0.98, 0.99)


@dataclass(frozen=True)
class PrecisionRecall:
    """Precision and recall of the flags against the recorded noise, at each confidence threshold
    and for the confident-learning flags themselves."""

    noisy: int  # cases whose label came from the noise
    cases: int
    flagged_precision: float
    flagged_recall: float
    flagged: int
    average_precision: float  # of the confidence ranking
    curve: tuple[tuple[float, int, float, float], ...]  # (threshold, flagged, precision, recall)


def against_truth(noisy: np.ndarray, flagged: np.ndarray, confidence: np.ndarray) -> PrecisionRecall:
    """The flags and the confidence ranking judged against the recorded noise indicator."""
    noisy = noisy.astype(bool)
    curve = []
    for t in THRESHOLDS:
        chosen = confidence >= t
        curve.append((t, int(chosen.sum()), *_precision_recall(chosen, noisy)))
    precision, recall = _precision_recall(flagged, noisy)
    return PrecisionRecall(
        noisy=int(noisy.sum()),
        cases=len(noisy),
        flagged_precision=precision,
        flagged_recall=recall,
        flagged=int(flagged.sum()),
        average_precision=metrics.average_precision(confidence, noisy.astype(int)) if noisy.any() else float("nan"),
        curve=tuple(curve),
    )


def _precision_recall(chosen: np.ndarray, noisy: np.ndarray) -> tuple[float, float]:
    hits = int((chosen & noisy).sum())
    precision = hits / int(chosen.sum()) if chosen.any() else float("nan")
    recall = hits / int(noisy.sum()) if noisy.any() else float("nan")
    return precision, recall
