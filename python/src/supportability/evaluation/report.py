"""The evaluation report: metrics.json (every metric) and report.html with PNG plots beside it."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from supportability.evaluation.evaluate import Evaluation
from supportability.metrics import reliability_bins


def write_report(ev: Evaluation, directory: str | Path, *, title: str, data_source: str = "") -> Path:
    """Write metrics.json, the PNG plots and report.html into `directory`; returns the HTML path."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never a display
    import matplotlib.pyplot as plt

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(
        json.dumps(
            {
                "title": title,
                "data_source": data_source,
                "case_count": ev.case_count,
                "metrics": [{"task": t, "name": n, "value": v, "slice": s} for t, n, v, s in ev.metrics],
            },
            indent=2,
        )
    )

    images: list[tuple[str, str]] = []

    def save(fig, name: str, caption: str) -> None:
        fig.tight_layout()
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        images.append((name, caption))

    for task, plot in ev.plots.items():
        if "confidence" not in plot:
            continue
        fig, ax = plt.subplots(figsize=(4.5, 4.2))
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
        for key, label, style in (("raw", "before calibration", "o--"), ("", "after calibration", "s-")):
            conf = plot[f"{key}_confidence" if key else "confidence"]
            correct = plot[f"{key}_correct" if key else "correct"]
            x, y, _ = reliability_bins(conf, correct)
            ax.plot(x, y, style, ms=4, label=label)
        ax.set(
            xlabel="predicted probability" + (" (top class)" if "names" in plot else ""),
            ylabel="observed frequency",
            title=f"{task}: reliability",
            xlim=(0, 1),
            ylim=(0, 1),
        )
        ax.legend(loc="upper left", fontsize=8)
        save(fig, f"reliability_{task}.png", f"Reliability diagram of {task}, before and after calibration.")
        if "names" in plot:
            names = plot["names"]
            matrix = np.zeros((len(names), len(names)))
            np.add.at(matrix, (plot["labels"], plot["pred"]), 1)
            matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1)
            fig, ax = plt.subplots(figsize=(6.5, 5.8))
            ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
            ticks = range(len(names)) if len(names) <= 30 else []
            ax.set_xticks(list(ticks), [names[k] for k in ticks], rotation=90, fontsize=7)
            ax.set_yticks(list(ticks), [names[k] for k in ticks], fontsize=7)
            ax.set(xlabel="predicted", ylabel="actual", title=f"{task}: confusion matrix (row-normalised)")
            save(fig, f"confusion_{task}.png", f"Confusion matrix of {task}.")

    if "decision" in ev.plots:
        plot = ev.plots["decision"]
        fig, ax = plt.subplots(figsize=(4.8, 4))
        ax.plot(plot["coverage"], plot["precision"], label="precision at coverage")
        ax.axhline(plot["target"], color="grey", ls="--", lw=1, label="target precision")
        ax.plot(*plot["operating_point"], "o", color="red", label="chosen threshold")
        ax.set(
            xlabel="coverage (share auto-routed)",
            ylabel="precision of auto-routed cases",
            title="auto-route decision",
            ylim=(max(0.0, min(plot["precision"]) - 0.05), 1.0),
        )
        ax.legend(fontsize=8)
        save(fig, "decision_precision_coverage.png", "Precision-coverage curve of the auto-route decision.")

    if "out_of_scope" in ev.plots:
        plot = ev.plots["out_of_scope"]
        fig, ax = plt.subplots(figsize=(4.8, 4))
        low = min(plot["in_scope"].min(), plot["out_of_scope"].min())
        high = max(plot["in_scope"].max(), plot["out_of_scope"].max())
        bins = np.linspace(low, high, 40).tolist()
        ax.hist(plot["in_scope"], bins=bins, density=True, alpha=0.6, label="in scope")
        ax.hist(plot["out_of_scope"], bins=bins, density=True, alpha=0.6, label="out of scope")
        ax.axvline(plot["at_95"], color="grey", ls="--", lw=1, label="95% in-scope coverage")
        ax.set(xlabel="in-scope score", ylabel="density", title="out-of-scope detection")
        ax.legend(fontsize=8)
        save(fig, "out_of_scope.png", "In-scope score of in-scope and out-of-scope cases; below the line: flagged.")

    sliced = [(t, n, v, s) for t, n, v, s in ev.metrics if s]
    if sliced:
        keys = sorted({(t, n) for t, n, _, _ in sliced if n in ("top1_accuracy", "auroc", "ece")})
        fig, axes = plt.subplots(len(keys), 1, figsize=(7, 1.9 * len(keys)), squeeze=False)
        for ax, (task, name) in zip(axes[:, 0], keys, strict=True):
            bars = [(s, v) for t, n, v, s in sliced if (t, n) == (task, name)]
            ax.barh([s for s, _ in bars], [v for _, v in bars], color="#4a7ab5")
            ax.set_title(f"{task} {name} by slice", fontsize=9)
            ax.tick_params(labelsize=7)
        save(fig, "slices.png", "Per-slice metrics by channel, language and support plan.")

    rows = "\n".join(
        f"<tr><td>{html.escape(t)}</td><td>{html.escape(n)}</td><td>{v:.4f}</td><td>{html.escape(s)}</td></tr>"
        for t, n, v, s in ev.metrics
    )
    figures = "\n".join(
        f'<figure><img src="{name}" alt="{html.escape(caption)}"><figcaption>'
        f"{html.escape(caption)}</figcaption></figure>"
        for name, caption in images
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} td,th{{padding:2px 10px;text-align:left}}
figure{{display:inline-block;margin:8px}}
table{{border-collapse:collapse}} tr:nth-child(even){{background:#f3f3f3}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p>Data: {html.escape(data_source)} — {ev.case_count} evaluation cases. Metrics named <code>bayes_*</code> are
the Bayes-optimal reference computed from the generator's true label probabilities; <code>clean_top1_accuracy</code>
is measured against the generator's latent topic instead of the (noisy) label. All metrics are also in
<a href="metrics.json">metrics.json</a>.</p>
{figures}
<h2>Metrics</h2>
<table><tr><th>task</th><th>metric</th><th>value</th><th>slice</th></tr>
{rows}
</table></body></html>
"""
    path = out / "report.html"
    path.write_text(page)
    return path
