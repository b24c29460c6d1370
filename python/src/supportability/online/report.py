"""The online report: report.html with PNG plots and metrics.json, from the store and the registry.

    write_online_report(store, registry, "var/online-report", since=..., version=...)

One read of the store (`frame`), then the online metrics (evaluation.py), drift (drift.py) and the
plots (plots.py). Each version's promise (decision target precision) and drift reference come from
its manifest; a version the registry does not hold is still reported, without them.
Measured: 1,000,000 predictions with outcomes in about 22 s on 2 cores, two thirds of it reading
and decoding the rows (`python -m supportability.benchmarks.online_report`).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from supportability.online import plots
from supportability.online.columns import paused_gc
from supportability.online.drift import Drift, drift, drift_columns
from supportability.online.evaluation import Figure, OnlineEvaluation, WindowEvaluation, evaluate, target_precision
from supportability.online.store import OnlineStore
from supportability.registry import Registry, RegistryError

MAX_PLOTTED_VERSIONS = 8  # per-version figures beyond this many versions go to metrics.json only


def _manifest(registry: Registry, version: str) -> dict[str, Any] | None:
    try:
        return registry.manifest(version)
    except RegistryError:
        return None


def _plain(value: Any) -> Any:
    """JSON-ready: NaN becomes null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _time(seconds: float) -> str:
    return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%d %H:%M} UTC"


def _cell(f: Figure, digits: int = 3) -> str:
    if f.value is None:
        return f'<span class="thin">— {html.escape(f.note)}</span>'
    interval = f" [{f.low:.{digits}f}, {f.high:.{digits}f}]" if f.low is not None and f.high is not None else ""
    return f"{f.value:.{digits}f}{interval} <small>n={f.n:,}</small>"


# (section, row label, how to read the row from a version's overall evaluation)
ROWS: tuple[tuple[str, str, Callable[[WindowEvaluation], str]], ...] = (
    ("labels", "predictions", lambda e: f"{e.predictions:,}"),
    ("labels", "with an outcome", lambda e: f"{e.outcomes:,}"),
    ("labels", "label coverage", lambda e: _cell(e.labels.coverage)),
    ("labels", "label delay, median (hours)", lambda e: _cell(e.labels.delay_median_hours, 1)),
    ("labels", "label delay, p90 (hours)", lambda e: _cell(e.labels.delay_p90_hours, 1)),
    ("routing", "resolved queue known", lambda e: f"{e.routing.labelled:,}"),
    ("routing", "outside the label set (left out)", lambda e: f"{e.routing.outside_label_set:,}"),
    ("routing", "top-1 accuracy (realised)", lambda e: _cell(e.routing.top1)),
    ("routing", "top-1, label-free estimate on the same cases", lambda e: _cell(e.routing.estimated_top1_labelled)),
    ("routing", "top-1, label-free estimate (queue not known yet)", lambda e: _cell(e.routing.estimated_top1)),
    ("routing", "top-3 accuracy", lambda e: _cell(e.routing.top3)),
    ("routing", "ECE of the top-1 probability", lambda e: _cell(e.routing.ece, 4)),
    (
        "decision",
        "target precision (manifest)",
        lambda e: "—" if e.decision.target_precision is None else f"{e.decision.target_precision:.3f}",
    ),
    ("decision", "live precision", lambda e: _cell(e.decision.precision)),
    (
        "decision",
        "below target (upper bound under it)",
        lambda e: '<b class="bad">yes</b>' if e.decision.below_target else "no",
    ),
    ("decision", "coverage (share auto-routed)", lambda e: _cell(e.decision.coverage)),
    (
        "decision",
        "precision, label-free estimate (queue not known yet)",
        lambda e: _cell(e.decision.estimated_precision),
    ),
    ("outcomes", "escalation AUROC", lambda e: _cell(e.escalation.auroc)),
    ("outcomes", "escalation Brier", lambda e: _cell(e.escalation.brier, 4)),
    ("outcomes", "CSAT risk AUROC", lambda e: _cell(e.csat.auroc)),
    ("outcomes", "CSAT risk Brier", lambda e: _cell(e.csat.brier, 4)),
    ("outcomes", "resolution pinball loss p50 (hours)", lambda e: _cell(e.resolution.pinball_p50_hours, 2)),
    ("outcomes", "resolution pinball loss p90 (hours)", lambda e: _cell(e.resolution.pinball_p90_hours, 2)),
    ("outcomes", "resolution p90 coverage (0.9 if right)", lambda e: _cell(e.resolution.p90_coverage)),
)
SECTIONS = {
    "labels": "Label coverage and delay",
    "routing": "Routing: top-1/top-3, calibration and label-free estimates",
    "decision": "Decision: live precision and coverage against the target",
    "outcomes": "Escalation, CSAT and resolution time",
}


def _table(section: str, overall: Sequence[WindowEvaluation]) -> str:
    head = "".join(f"<th>{html.escape(e.version)}</th>" for e in overall)
    body = "\n".join(
        f"<tr><td>{html.escape(label)}</td>" + "".join(f"<td>{read(e)}</td>" for e in overall) + "</tr>"
        for s, label, read in ROWS
        if s == section
    )
    return f"<table><tr><th></th>{head}</tr>\n{body}\n</table>"


def _window_table(windows: Sequence[WindowEvaluation]) -> str:
    rows = "\n".join(
        f"<tr><td>{html.escape(w.version)}</td><td>{html.escape(w.window.label)}</td><td>{w.predictions:,}</td>"
        f"<td>{_cell(w.labels.coverage)}</td><td>{_cell(w.routing.top1)}</td><td>{_cell(w.routing.estimated_top1)}</td>"
        f"<td>{_cell(w.decision.precision)}</td><td>{_cell(w.decision.coverage)}</td></tr>"
        for w in windows
    )
    return (
        "<table><tr><th>version</th><th>window</th><th>predictions</th><th>label coverage</th><th>top-1</th>"
        "<th>top-1 estimate (queue not known yet)</th><th>decision precision</th><th>decision coverage</th></tr>\n"
        f"{rows}\n</table>"
    )


def _drift_section(drifts: Sequence[Drift]) -> str:
    parts = []
    for d in drifts:
        if d.note:
            parts.append(f"<h3>{html.escape(d.version)}</h3><p class=thin>{html.escape(d.note)}</p>")
            continue
        rows = "\n".join(
            f"<tr><td>{html.escape(s.name)}</td><td>{s.group}</td>"
            f"<td>{'—' if s.psi is None else f'{s.psi:.3f}'}</td><td class={s.level or 'thin'}>"
            f"{html.escape(s.level or s.note)}</td><td>{s.n:,}</td></tr>"
            for s in d.scores
        )
        parts.append(
            f"<h3>{html.escape(d.version)}</h3><table><tr><th>input or output</th><th>group</th><th>PSI</th>"
            f"<th>reading</th><th>n</th></tr>\n{rows}\n</table>"
        )
    return "\n".join(parts)


def _figures(images: Sequence[tuple[str, str]]) -> str:
    return "\n".join(
        f'<figure><img src="{name}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, caption in images
    )


def write_online_report(
    store: OnlineStore,
    registry: Registry,
    out_dir: str | Path,
    since: datetime | None = None,
    version: str | None = None,
) -> Path:
    """Write report.html, its PNG plots and metrics.json into `out_dir`; returns the HTML's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with paused_gc():  # millions of small objects, no cycles: see online/columns.py
        frame = store.frame(since=since, version=version)
        versions = sorted(set(frame.model_version.tolist()))
        manifests = {v: _manifest(registry, v) for v in versions}
        evaluation = evaluate(frame, {v: target_precision(manifests[v]) for v in versions})
        columns = drift_columns(frame)
        drifts = [
            drift(v, columns, np.flatnonzero(frame.model_version == v), (manifests[v] or {}).get("drift_reference"))
            for v in versions
        ]
        span = (float(frame.predict_time.min()), float(frame.predict_time.max())) if len(frame) else None
        counts = len(frame), int(frame.has_outcome.sum())
        del frame, columns
    _write_json(out / "metrics.json", evaluation, drifts, since, version, counts)
    images = _plots(out, evaluation, drifts)
    path = out / "report.html"
    path.write_text(_page(evaluation, drifts, images, since, version, span, counts, manifests))
    return path


def _write_json(
    path: Path,
    evaluation: OnlineEvaluation,
    drifts: Sequence[Drift],
    since: datetime | None,
    version: str | None,
    counts: tuple[int, int],
) -> None:
    document = {
        "generated_time": datetime.now(UTC).isoformat(),
        "since": since.isoformat() if since else None,
        "version": version,
        "predictions": counts[0],
        "outcomes": counts[1],
        "bucket_seconds": evaluation.bucket_seconds,
        "overall": [dataclasses.asdict(e) for e in evaluation.overall],
        "windows": [dataclasses.asdict(e) for e in evaluation.windows],
        "drift": [dataclasses.asdict(d) for d in drifts],
    }
    path.write_text(json.dumps(_plain(document), indent=1, allow_nan=False))


def _plots(out: Path, evaluation: OnlineEvaluation, drifts: Sequence[Drift]) -> dict[str, list[tuple[str, str]]]:
    overall = evaluation.overall[:MAX_PLOTTED_VERSIONS]
    shown = {e.version for e in overall}
    windows = [w for w in evaluation.windows if w.version in shown]
    images: dict[str, list[tuple[str, str]]] = {s: [] for s in (*SECTIONS, "drift")}
    if not overall:
        return images
    images["labels"].append(plots.coverage_delay(out, windows, overall))
    images["routing"].append(plots.accuracy(out, windows, overall))
    images["routing"] += [plots.reliability(out, e) for e in overall]
    images["decision"].append(plots.decision_precision(out, windows, overall))
    images["drift"] += [plots.drift_bars(out, d) for d in drifts if d.version in shown and d.scores]
    return images


def _page(
    evaluation: OnlineEvaluation,
    drifts: Sequence[Drift],
    images: Mapping[str, Sequence[tuple[str, str]]],
    since: datetime | None,
    version: str | None,
    span: tuple[float, float] | None,
    counts: tuple[int, int],
    manifests: Mapping[str, Mapping[str, Any] | None],
) -> str:
    overall = evaluation.overall
    scope = (f"since {since:%Y-%m-%d %H:%M} UTC" if since else "all stored predictions") + (
        f", version {html.escape(version)}" if version else ""
    )
    when = f"from {_time(span[0])} to {_time(span[1])}" if span else "none in this window"
    alerts = "".join(
        f'<p class="alert">{html.escape(e.version)}: the live decision precision\'s upper 95% bound '
        f"({e.decision.precision.high:.3f}) is below its target ({e.decision.target_precision:.3f}).</p>"
        for e in overall
        if e.decision.below_target and e.decision.precision.high is not None and e.decision.target_precision
    )
    missing = [v for v, manifest in manifests.items() if manifest is None]
    unknown = (
        f"<p class=thin>Not in the registry (no target, no drift reference): {html.escape(', '.join(missing))}</p>"
        if missing
        else ""
    )
    bucket = "day" if evaluation.bucket_seconds >= 86_400 else "hour"
    sections = "\n".join(
        f"<h2>{title}</h2>\n{_table(key, overall)}\n{_figures(images.get(key, ()))}" for key, title in SECTIONS.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Online evaluation</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} td,th{{padding:2px 10px;text-align:left}}
figure{{display:inline-block;margin:8px}} small,.thin{{color:#777}} .alert{{background:#fbe3e1;padding:6px 10px}}
.bad,.shift{{color:#c0392b}} .moderate{{color:#b07810}} .stable{{color:#2f6a3a}}
table{{border-collapse:collapse}} tr:nth-child(even){{background:#f3f3f3}}</style>
</head><body>
<h1>Online evaluation</h1>
<p>{counts[0]:,} predictions ({scope}), {when}; {counts[1]:,} with an outcome. Each version is judged on what
really happened: figures are given with their 95% interval and the number of cases they rest on, and a figure
from too few cases says so. Outcomes in a queue the version never knew are counted, and left out of the
routing and decision figures. Label-free estimates are the mean calibrated top-1 probability: valid while the
outputs stay calibrated. All figures, per {bucket} as well, are in <a href="metrics.json">metrics.json</a>.</p>
{alerts}{unknown}
{sections}
<h2>Drift against the training reference</h2>
<p>Population stability index per input and per prediction output, against the reference stored in the
version's manifest at training time: below 0.1 stable, 0.1–0.25 moderate, 0.25 and above a shift.</p>
{_drift_section(drifts)}
{_figures(images.get("drift", ()))}
<h2>Per {bucket}</h2>
{_window_table(evaluation.windows)}
</body></html>
"""
