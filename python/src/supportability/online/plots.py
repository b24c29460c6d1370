"""The online report's PNG plots, in the offline report's look (evaluation/report.py): one figure per
question, small, 90 dpi. Each function saves one file and returns (file name, caption)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportability.online.drift import SHIFT_FROM, STABLE_BELOW, Drift
from supportability.online.evaluation import Figure, WindowEvaluation

Saved = tuple[str, str]
LEVEL_COLOURS = {"stable": "#4a7ab5", "moderate": "#e0a030", "shift": "#c0392b"}


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; never a display
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, out: Path, name: str, caption: str) -> Saved:
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    pyplot().close(fig)
    return name, caption


def _series(
    windows: Sequence[WindowEvaluation], version: str, pick: Callable[[WindowEvaluation], Figure]
) -> tuple[list[datetime], list[float], list[float], list[float]]:
    """(window starts, values, lower errors, upper errors) of the windows where the figure has a value."""
    x, y, below, above = [], [], [], []
    for w in windows:
        f = pick(w)
        if w.version != version or f.value is None:
            continue
        x.append(datetime.fromtimestamp(w.window.start, UTC))
        y.append(f.value)
        below.append(f.value - (f.low if f.low is not None else f.value))
        above.append((f.high if f.high is not None else f.value) - f.value)
    return x, y, below, above


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:  # a window too thin for any series has nothing to name
        ax.legend(fontsize=7)


def _safe(version: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in version)


def reliability(out: Path, w: WindowEvaluation) -> Saved:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
    r, ece = w.routing.reliability, w.routing.ece
    if r.confidence:
        ax.plot(r.confidence, r.accuracy, "s-", ms=4, label=f"live (ECE {ece.value:.3f}, n={ece.n:,})")
        ax.legend(loc="upper left", fontsize=8)
    else:
        ax.text(0.5, 0.5, ece.note, ha="center", fontsize=8, wrap=True)
    ax.set(xlabel="predicted probability (top queue)", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1),
           title=f"{w.version}: routing reliability")  # fmt: skip
    return _save(fig, out, f"reliability_{_safe(w.version)}.png", f"Live reliability diagram of {w.version}'s routing.")


def decision_precision(out: Path, windows: Sequence[WindowEvaluation], overall: Sequence[WindowEvaluation]) -> Saved:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, w in enumerate(overall):
        colour = f"C{i}"
        x, y, lo, hi = _series(windows, w.version, lambda e: e.decision.precision)
        if x:
            ax.errorbar(x, y, yerr=[lo, hi], fmt="o-", ms=4, capsize=2, color=colour, label=f"{w.version} live")
        if w.decision.target_precision is not None:
            ax.axhline(w.decision.target_precision, color=colour, ls="--", lw=1, label=f"{w.version} target")
    ax.set(ylabel="precision of auto-routed cases", title="decision: live precision (95% CI) against the target")
    _legend(ax)
    fig.autofmt_xdate()
    return _save(fig, out, "decision_precision.png", "Live precision of the auto-route decision per window, with "
                 "Wilson 95% intervals, against each version's promised target.")  # fmt: skip


def accuracy(out: Path, windows: Sequence[WindowEvaluation], overall: Sequence[WindowEvaluation]) -> Saved:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, w in enumerate(overall):
        colour = f"C{i}"
        x, y, lo, hi = _series(windows, w.version, lambda e: e.routing.top1)
        if x:
            ax.errorbar(x, y, yerr=[lo, hi], fmt="o-", ms=4, capsize=2, color=colour, label=f"{w.version} realised")
        x, y, lo, hi = _series(windows, w.version, lambda e: e.routing.estimated_top1)
        if x:
            ax.errorbar(x, y, yerr=[lo, hi], fmt="^:", ms=4, capsize=2, color=colour, mfc="none",
                        label=f"{w.version} label-free estimate (queue not known yet)")  # fmt: skip
    ax.set(ylabel="routing top-1 accuracy", title="routing top-1: realised and label-free estimate")
    _legend(ax)
    fig.autofmt_xdate()
    return _save(fig, out, "accuracy.png", "Routing top-1 accuracy per window: realised where outcomes arrived, "
                 "estimated from calibrated confidence where they have not.")  # fmt: skip


def coverage_delay(out: Path, windows: Sequence[WindowEvaluation], overall: Sequence[WindowEvaluation]) -> Saved:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, w in enumerate(overall):
        colour = f"C{i}"
        x, y, _, _ = _series(windows, w.version, lambda e: e.labels.coverage)
        left.plot(x, y, "o-", ms=3, color=colour, label=f"{w.version} label coverage")
        x, y, _, _ = _series(windows, w.version, lambda e: e.decision.coverage)
        left.plot(x, y, "s--", ms=3, color=colour, label=f"{w.version} auto-route coverage")
        x, y, _, _ = _series(windows, w.version, lambda e: e.labels.delay_median_hours)
        right.plot(x, y, "o-", ms=3, color=colour, label=f"{w.version} median")
        x, y, _, _ = _series(windows, w.version, lambda e: e.labels.delay_p90_hours)
        right.plot(x, y, "s--", ms=3, color=colour, label=f"{w.version} p90")
    left.set(ylabel="share of predictions", ylim=(0, 1.02), title="label and auto-route coverage")
    right.set(ylabel="hours", title="label delay (outcome recorded - predicted)")
    for ax in (left, right):
        _legend(ax)
    fig.autofmt_xdate()
    return _save(fig, out, "coverage_delay.png", "Label coverage, auto-route coverage and label delay per window.")


DRIFT_AXIS_MAX = 1.0  # PSI beyond this is a shift however large: the bar is cut and its value written


def drift_bars(out: Path, d: Drift) -> Saved:
    plt = pyplot()
    scored = [(s, s.psi) for s in d.scores if s.psi is not None]
    right = min(DRIFT_AXIS_MAX, max([SHIFT_FROM * 1.2] + [psi * 1.05 for _, psi in scored]))
    fig, ax = plt.subplots(figsize=(6, 0.28 * max(len(scored), 4) + 1.2))
    names = [f"{s.name} ({s.group})" for s, _ in scored]
    ax.barh(names, [min(psi, right) for _, psi in scored], color=[LEVEL_COLOURS[s.level] for s, _ in scored])
    for i, (_, psi) in enumerate(scored):
        if psi > right:
            ax.text(right, i, f"{psi:.2f} ", ha="right", va="center", fontsize=7, color="white")
    ax.axvline(STABLE_BELOW, color="grey", ls="--", lw=1, label=f"{STABLE_BELOW} moderate")
    ax.axvline(SHIFT_FROM, color="grey", ls=":", lw=1, label=f"{SHIFT_FROM} shift")
    ax.invert_yaxis()
    ax.set_xlim(0, right)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    ax.set(xlabel="PSI against the training reference", title=f"{d.version}: drift (n={d.n:,})")
    return _save(fig, out, f"drift_{_safe(d.version)}.png", f"Drift of {d.version}'s inputs and predictions (PSI).")
