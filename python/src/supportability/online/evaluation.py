"""Online metrics: each model version judged on what really happened, per time window.

From an `OutcomeFrame`, per version, over the whole frame and per time bucket (a day or an hour):
- label coverage (the share of predictions with an outcome) and label delay (record - predict time);
- routing top-1/top-3 against the resolved queue, ECE of the top-1 probability with its bins;
  outcomes in a queue the version never knew are counted, and left out of every routing
  and decision figure (the version could not have named them; its probabilities are calibrated over
  its label set);
- the decision's live precision (auto-routed cases resolved in the queue they were routed to) and
  coverage (the share auto-routed), with Wilson 95% intervals, against the promised target;
- escalation AUROC and Brier, CSAT AUROC and Brier, resolution pinball loss (p50, p90), p90 coverage;
- label-free estimates (the mean calibrated top-1 probability, valid because the outputs are
  calibrated): for the predictions whose queue has not arrived, and, beside the realised figure,
  for those whose queue has, so the estimate can be checked where both exist.

A figure from too few cases has no value and says why (`Figure.note`): a thin window is an answer,
not an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from supportability import metrics as m
from supportability.online.store import OutcomeFrame

MIN_CASES = 30  # a share, a mean or a quantile from fewer cases has no value
MIN_CLASS_CASES = 10  # AUROC needs this many cases of each class
MIN_CALIBRATION_CASES = 100  # ECE's 15 bins need about this many cases to mean anything
DAY, HOUR = 86_400.0, 3_600.0


@dataclass(frozen=True, slots=True)
class Figure:
    """One metric: its value (None when the data is too thin: `note` says why), its 95% interval
    when it has one, and how many cases it rests on."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    note: str = ""


def _thin(n: int, needed: int, what: str = "cases") -> Figure:
    return Figure(None, n, note=f"not enough data: {n} {what}, {needed} needed")


def proportion(successes: int, n: int, needed: int = MIN_CASES) -> Figure:
    """A share with its Wilson interval."""
    if n < needed:
        return _thin(n, needed)
    low, high = m.wilson_interval(successes, n)
    return Figure(successes / n, n, low, high)


def _value(n: int, compute: float, needed: int = MIN_CASES) -> Figure:
    return Figure(compute, n) if n >= needed else _thin(n, needed)


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in POSIX seconds; `label` names it in the report ("all" for the whole frame)."""

    start: float
    end: float
    label: str


@dataclass(frozen=True, slots=True)
class Reliability:
    """The reliability diagram's bins: mean confidence, observed accuracy and count per non-empty bin."""

    confidence: tuple[float, ...] = ()
    accuracy: tuple[float, ...] = ()
    count: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Labels:
    coverage: Figure  # the share of predictions with an outcome
    delay_median_hours: Figure
    delay_p90_hours: Figure


@dataclass(frozen=True, slots=True)
class Routing:
    labelled: int  # predictions whose resolved queue is known
    outside_label_set: int  # of those, resolved in a queue the version never knew (left out below)
    top1: Figure
    top3: Figure  # the resolved queue among the served top 3 (the served top-k, when k < 3)
    ece: Figure
    reliability: Reliability
    estimated_top1: Figure  # label-free, on the predictions whose resolved queue has not arrived
    estimated_top1_labelled: Figure  # the same estimate on the labelled ones, to set beside `top1`


@dataclass(frozen=True, slots=True)
class Decision:
    target_precision: float | None  # the version's promise (manifest "decision.target_precision")
    precision: Figure  # of auto-routed cases with a known queue, resolved where they were routed
    coverage: Figure  # the share of decided predictions auto-routed
    estimated_precision: Figure  # label-free, on the auto-routed cases without a resolved queue yet
    below_target: bool  # the precision's upper 95% bound is under the target: the promise is broken


@dataclass(frozen=True, slots=True)
class Binary:
    auroc: Figure
    brier: Figure


@dataclass(frozen=True, slots=True)
class Resolution:
    pinball_p50_hours: Figure
    pinball_p90_hours: Figure
    p90_coverage: Figure  # the share resolved within the predicted p90 (0.9 if the quantile is right)


@dataclass(frozen=True, slots=True)
class WindowEvaluation:
    """Every online figure of one version over one window."""

    version: str
    window: Window
    predictions: int
    outcomes: int
    labels: Labels
    routing: Routing
    decision: Decision
    escalation: Binary
    csat: Binary
    resolution: Resolution


@dataclass(frozen=True)
class OnlineEvaluation:
    """Per version over the whole frame (`overall`) and per version and bucket (`windows`, oldest first)."""

    overall: tuple[WindowEvaluation, ...]
    windows: tuple[WindowEvaluation, ...]
    bucket_seconds: float


@dataclass(frozen=True)
class _Derived:
    """Per-prediction columns every window reads, computed once per frame (the served top-k is a
    list of tuples; comparing queues as numpy object arrays is what makes a million rows quick)."""

    top1_probability: np.ndarray
    in_top3: np.ndarray
    routing_known: np.ndarray  # a resolved queue inside the version's label set
    correct: np.ndarray
    auto: np.ndarray
    decided: np.ndarray


def _derive(frame: OutcomeFrame) -> _Derived:
    routing = frame.routing
    top = [np.array([r[k][0] if len(r) > k else None for r in routing], dtype=object) for k in range(3)]
    top1_probability = np.array([r[0][1] if r else np.nan for r in routing], dtype=float)
    resolved = frame.resolved_queue
    correct = resolved == top[0]
    return _Derived(
        top1_probability=top1_probability,
        in_top3=correct | (resolved == top[1]) | (resolved == top[2]),
        routing_known=(resolved != "") & ~frame.outside_label_set & np.isfinite(top1_probability),
        correct=correct,
        auto=frame.decision_action == "auto_route",
        decided=frame.decision_action != "",
    )


def _labels(frame: OutcomeFrame, rows: np.ndarray) -> Labels:
    done = rows[frame.has_outcome[rows]]
    delay = (frame.record_time[done] - frame.predict_time[done]) / HOUR
    delay = delay[np.isfinite(delay)]
    enough = len(delay) >= MIN_CASES
    return Labels(
        coverage=proportion(len(done), len(rows)),
        delay_median_hours=Figure(float(np.median(delay)), len(delay)) if enough else _thin(len(delay), MIN_CASES),
        delay_p90_hours=Figure(float(np.quantile(delay, 0.9)), len(delay)) if enough else _thin(len(delay), MIN_CASES),
    )


def _estimate(confidence: np.ndarray) -> Figure:
    if len(confidence) < MIN_CASES:
        return _thin(len(confidence), MIN_CASES)
    value, low, high = m.expected_accuracy(confidence)
    return Figure(value, len(confidence), low, high)


def _routing(frame: OutcomeFrame, d: _Derived, rows: np.ndarray) -> Routing:
    labelled = rows[frame.resolved_queue[rows] != ""]
    known = rows[d.routing_known[rows]]
    # Waiting: no resolved queue yet (an outcome with only, say, the CSAT rating is still waiting here).
    waiting = rows[(frame.resolved_queue[rows] == "") & np.isfinite(d.top1_probability[rows])]
    confidence, correct = d.top1_probability[known], d.correct[known]
    if len(known) >= MIN_CALIBRATION_CASES:
        ece = Figure(m.expected_calibration_error(confidence, correct), len(known))
        x, y, count = m.reliability_bins(confidence, correct)
        reliability = Reliability(tuple(x.tolist()), tuple(y.tolist()), tuple(int(c) for c in count))
    else:
        ece, reliability = _thin(len(known), MIN_CALIBRATION_CASES), Reliability()
    return Routing(
        labelled=len(labelled),
        outside_label_set=int(frame.outside_label_set[labelled].sum()),
        top1=proportion(int(correct.sum()), len(known)),
        top3=proportion(int(d.in_top3[known].sum()), len(known)),
        ece=ece,
        reliability=reliability,
        estimated_top1=_estimate(d.top1_probability[waiting]),
        estimated_top1_labelled=_estimate(confidence),
    )


def _decision(frame: OutcomeFrame, d: _Derived, rows: np.ndarray, target: float | None) -> Decision:
    decided = rows[d.decided[rows]]
    auto = decided[d.auto[decided]]
    judged = auto[d.routing_known[auto]]
    waiting = auto[frame.resolved_queue[auto] == ""]
    precision = proportion(int(d.correct[judged].sum()), len(judged))
    return Decision(
        target_precision=target,
        precision=precision,
        coverage=proportion(len(auto), len(decided)),
        estimated_precision=_estimate(d.top1_probability[waiting]),
        below_target=target is not None and precision.high is not None and precision.high < target,
    )


def _binary(p: np.ndarray, y: np.ndarray) -> Binary:
    keep = np.isfinite(p) & np.isfinite(y)
    p, y = p[keep], y[keep]
    positives = int(y.sum())
    fewest = min(positives, len(y) - positives)
    auroc = (
        Figure(m.auroc(p, y), len(y))
        if fewest >= MIN_CLASS_CASES
        else _thin(fewest, MIN_CLASS_CASES, "cases of the rarer class")
    )
    return Binary(auroc=auroc, brier=_value(len(y), m.brier(p, y) if len(y) else np.nan))


def _resolution(frame: OutcomeFrame, rows: np.ndarray) -> Resolution:
    hours, p50, p90 = frame.resolution_hours[rows], frame.resolution_p50_hours[rows], frame.resolution_p90_hours[rows]
    keep = np.isfinite(hours) & np.isfinite(p50) & np.isfinite(p90)
    hours, p50, p90 = hours[keep], p50[keep], p90[keep]
    n = len(hours)
    return Resolution(
        pinball_p50_hours=_value(n, m.pinball_loss(hours, p50, 0.5) if n else np.nan),
        pinball_p90_hours=_value(n, m.pinball_loss(hours, p90, 0.9) if n else np.nan),
        p90_coverage=proportion(int((hours <= p90).sum()), n),
    )


def _evaluate_rows(
    frame: OutcomeFrame, d: _Derived, rows: np.ndarray, version: str, window: Window, target: float | None
) -> WindowEvaluation:
    return WindowEvaluation(
        version=version,
        window=window,
        predictions=len(rows),
        outcomes=int(frame.has_outcome[rows].sum()),
        labels=_labels(frame, rows),
        routing=_routing(frame, d, rows),
        decision=_decision(frame, d, rows, target),
        escalation=_binary(frame.escalation_probability[rows], frame.escalated[rows]),
        csat=_binary(frame.csat_risk_probability[rows], frame.csat_bad[rows]),
        resolution=_resolution(frame, rows),
    )


def target_precision(manifest: Mapping[str, Any] | None) -> float | None:
    """A version's promised decision precision, from its manifest ("decision.target_precision")."""
    value = ((manifest or {}).get("decision") or {}).get("target_precision")
    return None if value is None else float(value)


def bucket_for(span_seconds: float) -> float:
    """Daily buckets, or hourly ones when the frame spans under three days."""
    return HOUR if span_seconds < 3 * DAY else DAY


def _label(start: float, bucket: float) -> str:
    stamp = np.datetime64(int(start), "s")
    return str(stamp)[:10] if bucket >= DAY else str(stamp)[:13].replace("T", " ") + ":00"


def evaluate(
    frame: OutcomeFrame,
    targets: Mapping[str, float | None] | None = None,
    *,
    bucket_seconds: float | None = None,
    buckets: bool = True,
) -> OnlineEvaluation:
    """Every version's figures over the frame and per bucket (UTC-aligned; None: `bucket_for` the span).

    `targets` gives each version's promised decision precision (missing: no target).
    """
    targets = targets or {}
    d = _derive(frame)
    times = frame.predict_time
    start, end = (float(times.min()), float(times.max()) + 1e-6) if len(frame) else (0.0, 0.0)
    bucket = bucket_seconds or bucket_for(end - start)
    overall, windows = [], []
    for version in sorted(set(frame.model_version.tolist())):
        rows = np.flatnonzero(frame.model_version == version)
        target = targets.get(version)
        overall.append(_evaluate_rows(frame, d, rows, version, Window(start, end, "all"), target))
        if not buckets:
            continue
        which = np.floor(times[rows] / bucket)
        for b in np.unique(which):
            lo = float(b * bucket)
            window = Window(lo, lo + bucket, _label(lo, bucket))
            windows.append(_evaluate_rows(frame, d, rows[which == b], version, window, target))
    windows.sort(key=lambda w: (w.window.start, w.version))
    return OnlineEvaluation(tuple(overall), tuple(windows), bucket)
