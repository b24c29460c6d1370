"""Offline metrics. Plain numpy; probabilities in, floats out."""

from __future__ import annotations

import numpy as np

ECE_BINS = 15


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE with equal-width bins: the |accuracy - confidence| gap, weighted by bin size.

    For a binary output pass (p, y); for a multi-class output pass (top probability, top is right).
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = np.bincount(which, minlength=bins)
    gap = np.abs(np.bincount(which, correct, bins) - np.bincount(which, confidence, bins))
    return float(gap.sum() / max(len(confidence), 1)) if total.sum() else 0.0


def reliability_bins(
    confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean confidence, accuracy, count) per non-empty bin, for reliability diagrams."""
    which = np.minimum((np.asarray(confidence) * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    conf = np.bincount(which, confidence, bins) / np.maximum(count, 1)
    acc = np.bincount(which, np.asarray(correct, dtype=float), bins) / np.maximum(count, 1)
    keep = count > 0
    return conf[keep], acc[keep], count[keep]


def multiclass_ece(probs: np.ndarray, labels: np.ndarray) -> float:
    return expected_calibration_error(probs.max(axis=1), probs.argmax(axis=1) == labels)


def binary_ece(p: np.ndarray, y: np.ndarray) -> float:
    return expected_calibration_error(p, y)


def log_loss(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-15, 1.0))))


def binary_log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def top_k_accuracy(probs: np.ndarray, labels: np.ndarray, k: int) -> float:
    top = np.argsort(-probs, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def auroc(scores: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve via the rank-sum statistic (ties get average ranks)."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = np.asarray(scores)[order]
    ranks = np.empty(len(scores))
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(scores: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(-np.asarray(scores), kind="mergesort")
    hits = np.asarray(y)[order].astype(float)
    if hits.sum() == 0:
        return float("nan")
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(p) - np.asarray(y)) ** 2))


def macro_f1(pred: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    scores = []
    for k in range(n_classes):
        tp = np.sum((pred == k) & (labels == k))
        fp = np.sum((pred == k) & (labels != k))
        fn = np.sum((pred != k) & (labels == k))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def quadratic_weighted_kappa(pred: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    observed = np.zeros((n_classes, n_classes))
    np.add.at(observed, (labels, pred), 1)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / max(observed.sum(), 1)
    weights = (np.subtract.outer(np.arange(n_classes), np.arange(n_classes)) ** 2) / (n_classes - 1) ** 2
    denominator = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denominator) if denominator else 0.0


def pinball_loss(y: np.ndarray, q: np.ndarray, level: float) -> float:
    diff = np.asarray(y) - np.asarray(q)
    return float(np.mean(np.maximum(level * diff, (level - 1) * diff)))


def ranking_metrics(ranked: list[list[str]], relevant: list[tuple[str, ...]], k: int) -> tuple[float, float]:
    """(Recall@k, MRR) over the cases that have at least one relevant item."""
    recalls, reciprocal = [], []
    for items, truth in zip(ranked, relevant, strict=True):
        if not truth:
            continue
        truth_set = set(truth)
        recalls.append(len(truth_set & set(items[:k])) / len(truth_set))
        rank = next((i + 1 for i, item in enumerate(items) if item in truth_set), None)
        reciprocal.append(1.0 / rank if rank else 0.0)
    if not recalls:
        return float("nan"), float("nan")
    return float(np.mean(recalls)), float(np.mean(reciprocal))


Z95 = 1.959963984540054  # the two-sided 95% quantile of the standard normal


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion: it keeps its coverage near 0 and 1 and
    on small samples, where the normal (Wald) interval collapses. (nan, nan) for n = 0."""
    if n <= 0:
        return float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def clopper_pearson_lower(successes: np.ndarray | float, n: np.ndarray | float, confidence_level: float) -> np.ndarray:
    """One-sided Clopper-Pearson (exact binomial) lower bound(s) on a proportion, successes of n,
    at confidence_level; 0 where there is no success. Vectorised over arrays of counts."""
    from scipy.stats import beta

    k, total = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        bound = beta.ppf(1.0 - confidence_level, k, total - k + 1.0)
    return np.where(k > 0, np.nan_to_num(bound), 0.0)


def clopper_pearson(successes: int, n: int, confidence_level: float = 0.95) -> tuple[float, float]:
    """Two-sided Clopper-Pearson interval of a proportion at confidence_level."""
    tail = (1 + confidence_level) / 2
    return float(clopper_pearson_lower(successes, n, tail)), float(1 - clopper_pearson_lower(n - successes, n, tail))


def expected_accuracy(confidence: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """Label-free estimate of accuracy from calibrated confidences (confidence-based performance
    estimation): (estimate, low, high). When the confidences are calibrated, case i is right with
    probability p_i, so the number right is Poisson-binomial: mean sum(p), variance sum(p(1 - p)).
    The interval is that of the realised accuracy on these cases, not of calibration error."""
    p = np.asarray(confidence, dtype=float)
    if len(p) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(p.mean())
    half = z * float(np.sqrt(np.sum(p * (1 - p)))) / len(p)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


PSI_FLOOR = 1e-4  # proportions are floored here, so an empty bin adds a large but finite term


def population_stability_index(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI = sum((a - e) * ln(a / e)) over bins of the two distributions (each sums to 1).

    The usual reading: below 0.1 stable, 0.1-0.25 a moderate shift, above 0.25 a major one.
    """
    e = np.maximum(np.asarray(expected, dtype=float), PSI_FLOOR)
    a = np.maximum(np.asarray(actual, dtype=float), PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))
