"""An experiment's report: report.html with PNG plots and readout.json, in the online report's look.

    write_experiment_report(experiment, frame, "var/experiment-report")

Two questions, one plot each: how far apart are the arms on each metric (the difference with its
anytime-valid interval), and how did the primary difference and its interval move day by day
(the view a team peeks at; the interval is valid at every look, so peeking is allowed). A shadow
experiment instead gets, per shadow version, its paired difference from the served version on the
same cases (shadow_readout.py), in a table and a plot.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from supportability.experiments import readout, shadow_readout
from supportability.experiments.definition import Experiment
from supportability.experiments.readout import Readout
from supportability.experiments.sequential import Interval
from supportability.online.plots import pyplot
from supportability.online.store import OutcomeFrame, ShadowFrame

DAY = 86_400.0


@dataclasses.dataclass(frozen=True)
class DailyLook:
    day: str
    units: int
    estimate: float | None
    low: float | None
    high: float | None


def daily_looks(experiment: Experiment, frame: OutcomeFrame) -> list[DailyLook]:
    """The primary comparison of the first treatment as it stood at the end of each day."""
    if not len(frame):
        return []
    treated = next(a.version for a in experiment.arms[1:] if a.weight > 0)
    first, last = math.floor(frame.predict_time.min() / DAY), math.floor(frame.predict_time.max() / DAY)
    looks = []
    for day in range(first, last + 1):
        r = readout.read(experiment, readout.frame_rows(frame, frame.predict_time < (day + 1) * DAY))
        c = next(c for c in r.comparisons if c.metric == r.primary and c.arm == treated)
        d = c.difference
        looks.append(
            DailyLook(
                str(np.datetime64(day * 86_400, "s"))[:10],
                sum(r.units.values()),
                None if d is None else d.estimate,
                None if d is None else d.low,
                None if d is None else d.high,
            )
        )
    return looks


def _save(fig: Any, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    pyplot().close(fig)
    return name


def _intervals_plot(rows: list[tuple[str, Interval]], xlabel: str, out: Path, name: str) -> str:
    """Each labelled difference with its interval: green above 0, red below, blue across it."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * max(len(rows), 1)))
    for i, (_, d) in enumerate(rows):
        colour = "#2f6a3a" if d.low > 0 else "#c0392b" if d.high < 0 else "#4a7ab5"
        ax.errorbar(d.estimate, i, xerr=[[d.estimate - d.low], [d.high - d.estimate]], fmt="o", color=colour)
    ax.axvline(0, color="#777", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_xlabel(xlabel)
    return _save(fig, out, name)


def _looks_plot(looks: list[DailyLook], primary: str, out: Path) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    shown = [k for k in looks if k.estimate is not None]
    x = list(range(len(shown)))
    ax.fill_between(x, [k.low for k in shown], [k.high for k in shown], color="#4a7ab5", alpha=0.25)
    ax.plot(x, [k.estimate for k in shown], color="#4a7ab5", marker="o", markersize=3)
    ax.axhline(0, color="#777", linewidth=0.8)
    ax.set_xticks(x, [k.day[5:] for k in shown], rotation=60, fontsize=7)
    ax.set_ylabel(f"{primary} difference")
    return _save(fig, out, "daily.png")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_experiment_report(
    experiment: Experiment,
    frame: OutcomeFrame,
    out_dir: str | Path,
    shadow_frame: ShadowFrame | None = None,
    pre: OutcomeFrame | None = None,
) -> Path:
    """Write report.html, its plots and readout.json into `out_dir`; returns the HTML's path. With
    `shadow_frame` (the experiment's stored shadow predictions), a shadow experiment's report
    compares each shadow with the served version on the same cases (shadow_readout.py). With `pre`
    (the predictions before the start), the comparisons are also CUPED-adjusted (cuped.py)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    r = readout.read(experiment, frame, pre)
    shadows = () if shadow_frame is None else shadow_readout.compare(experiment, frame, shadow_frame)
    looks = daily_looks(experiment, frame) if experiment.mode != "shadow" else []
    document = {"readout": r, "daily": looks, "shadows": shadows}
    (out / "readout.json").write_text(json.dumps(_plain(document), indent=2))
    differences = [
        (f"{c.metric} · {c.arm}{' · CUPED' if c.cuped else ''}", c.difference)
        for c in (*r.comparisons, *r.adjusted)
        if c.difference is not None
    ]
    images = [_intervals_plot(differences, f"treatment - control {experiment.control} (anytime-valid interval)", out,
                              "differences.png")] if differences else []  # fmt: skip
    paired = [(f"{p.metric} · {c.version}", p.difference) for c in shadows for p in c.metrics.values() if p.difference]
    if paired:
        xlabel = "shadow - served, on the same cases (anytime-valid interval)"
        images.append(_intervals_plot(paired, xlabel, out, "shadows.png"))
    if looks:
        images.append(_looks_plot(looks, r.primary, out))
    verdict = shadow_readout.verdict(experiment, shadows) if experiment.mode == "shadow" else r.verdict
    path = out / "report.html"
    path.write_text(_page(r, verdict, _shadow_rows(shadows), images))
    return path


def _shadow_rows(shadows: tuple[shadow_readout.ShadowComparison, ...]) -> str:
    """Per shadow: agreement with the primary, then each metric served vs shadow with the paired difference."""
    parts = []
    for c in shadows:
        agreement = ", ".join(
            f"{what} {value:.1%}"
            for what, value in (("top queue", c.top_queue_agreement), ("decision", c.decision_agreement))
            if value is not None
        )
        head = f"<tr><th>metric</th><th>served {html.escape(c.served_version)}</th>"
        head += f"<th>shadow {html.escape(c.version)}</th><th>shadow - served</th></tr>"
        body = []
        for p in c.metrics.values():
            d = p.difference
            cells = "".join(
                f"<td>{m.value:.4f} <small>({m.rows:,} cases)</small></td>" if m.value is not None else "<td>-</td>"
                for m in (p.served, p.shadow)
            )
            shown = f"{d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]" if d else f"<span class=thin>{p.note}</span>"
            body.append(f"<tr><td>{p.metric.replace('_', ' ')}</td>{cells}<td>{shown}</td></tr>")
        parts.append(
            f"<h3>{html.escape(c.version)}</h3><p>Scored {c.cases:,} of the served cases; agreement with the "
            f"served version: {agreement or 'no cases yet'}.</p><table>{head}{''.join(body)}</table>"
        )
    return "".join(parts)


def _metric_rows(r: Readout) -> str:
    arms = list(r.units)
    head = "<tr><th>metric</th>" + "".join(f"<th>{html.escape(a)}</th>" for a in arms) + "</tr>"
    body = []
    for name, per_arm in r.metrics.items():
        cells = []
        for arm in arms:
            m = per_arm[arm]
            cells.append(
                f"<td>{m.value:.4f} <small>({m.rows:,} cases, {m.units:,} units)</small></td>"
                if m.value is not None and not m.note
                else f"<td class=thin>{html.escape(m.note or '-')}</td>"
            )
        body.append(f"<tr><td>{name.replace('_', ' ')}</td>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _page(r: Readout, verdict: str, shadows: str, images: list[str]) -> str:
    e, s = r.experiment, r.sample_ratio
    srm = (
        f'<p class="alert">Sample ratio mismatch: χ² p = {s.p_value:.2g}. Do not read this experiment.</p>'
        if s.flagged
        else f"<p>Sample ratio: {', '.join(f'{a} {n:,}' for a, n in s.observed.items())} units"
        + (f" (χ² p = {s.p_value:.3g}; flagged below 0.001)" if s.p_value is not None else f" ({s.note})")
        + "</p>"
    )
    figures = "".join(f'<figure><img src="{name}" alt="{name}"></figure>' for name in images)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Experiment {html.escape(e.name)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} td,th{{padding:2px 10px;text-align:left}}
figure{{display:inline-block;margin:8px}} small,.thin{{color:#777}} .alert{{background:#fbe3e1;padding:6px 10px}}
table{{border-collapse:collapse}} tr:nth-child(even){{background:#f3f3f3}}</style>
</head><body>
<h1>Experiment {html.escape(e.name)}</h1>
<p>{e.state} {e.mode} experiment on {e.unit}; control {html.escape(e.control)}; α = {e.alpha}. Intervals are
anytime-valid confidence sequences (valid at every look), split between treatments (Bonferroni); means are over
the cases of each arm, their variances clustered by unit. {r.bypassed:,} predictions named their version and
are left out.</p>
<p><b>Verdict:</b> {html.escape(verdict)}</p>
{srm}
<h2>Per arm</h2>
{_metric_rows(r)}
{"<h2>Shadows against the served version, on the same cases and outcomes</h2>" + shadows if shadows else ""}
<h2>Differences</h2>
{figures}
<p>All figures are in <a href="readout.json">readout.json</a>.</p>
</body></html>
"""
