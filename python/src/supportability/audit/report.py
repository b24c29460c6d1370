"""The audit's output directory: report.html, flagged.csv (one row per flagged case and reason) and
audit.json (every figure). It is written whole into a temporary sibling and renamed into place, so
a failed run leaves nothing half-written, and it only ever replaces an earlier audit."""

from __future__ import annotations

import csv
import html
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from supportability.audit.duplicates import MAX_GROUP, dissenters
from supportability.audit.labels import LabelAudit
from supportability.audit.run import Audit, AuditError
from supportability.models.heads import case_text

CSV_COLUMNS = (
    "file",
    "row",
    "task",
    "reason",
    "given_label",
    "suggested_label",
    "confidence",
    "case_id",
    "text",
)
MARKER = "audit.json"  # what makes a directory an earlier audit, safe to replace
EXAMPLES = 20
TEXT_CHARS = 240


def check_target(out: Path) -> None:
    """Refuse, before any work, an output directory that is neither absent, empty nor an earlier audit."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise AuditError(f"{out} exists and is not an earlier audit: choose another --out")


def write_audit(audit: Audit, out: Path, file: str) -> Path:
    """Write the audit of `file` to the directory `out` (replacing an earlier audit there)."""
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        rows = flagged_rows(audit, file)
        with (staging / "flagged.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        (staging / MARKER).write_text(json.dumps(summary(audit, file, len(rows)), indent=2, allow_nan=False))
        (staging / "report.html").write_text(_page(audit, file, rows))
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(retired / out.name)
            staging.rename(out)
            shutil.rmtree(retired)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "report.html"


def flagged_rows(audit: Audit, file: str) -> list[dict[str, Any]]:
    """One row per flagged case and reason, most confident first within each task and reason. `row` is
    the case's 1-based position among the file's records (header not counted)."""
    cases = audit.data.cases
    rows = []

    def row(i: int, task: str, reason: str, given: str, suggested: str, confidence: float) -> dict[str, Any]:
        text = case_text(cases[i]).replace("\n", " | ")
        return {
            "file": file,
            "row": i + 1,
            "task": task,
            "reason": reason,
            "given_label": given,
            "suggested_label": suggested,
            "confidence": round(float(confidence), 4),
            "case_id": cases[i].case_id,
            "text": text[:TEXT_CHARS],
        }

    for task, found in audit.labels.items():
        given = audit.data.labels["queue" if task == "routing" else task]
        for i in _ranked(found):
            rows.append(
                row(
                    i, task, "confident_learning", str(given[i]), found.classes[found.suggested[i]], found.confidence[i]
                )
            )
    routing = audit.labels["routing"]
    labels = np.array([routing.classes.index(q) for q in audit.data.labels["queue"]])
    dissent = sorted(dissenters(audit.conflicts, labels), key=lambda d: (-d[2], d[0]))
    for i, majority, agreement in dissent:
        rows.append(
            row(
                i,
                "routing",
                "near_duplicate_conflict",
                routing.classes[labels[i]],
                routing.classes[majority],
                agreement,
            )
        )
    return rows


def summary(audit: Audit, file: str, flagged_rows_written: int) -> dict[str, Any]:
    """Every figure of the audit, as JSON-ready values (NaN as null)."""
    tasks = {}
    for task, found in audit.labels.items():
        tasks[task] = {
            "flagged": int(found.flagged.sum()),
            "cases": len(found.flagged),
            "accuracy_ceiling": found.accuracy_ceiling,
            "expected_accuracy": found.expected_accuracy,
            "noise_rates": found.noise_rates,
            "label_counts": found.label_counts,
            "confusable_pairs": [
                {"a": p.a, "b": p.b, "joint": p.joint, "cases": p.cases, "example_rows": [i + 1 for i in p.examples]}
                for p in found.confusable
            ],
        }
        if task in audit.truth:
            t = audit.truth[task]
            tasks[task]["against_truth"] = {
                "noisy": t.noisy,
                "flagged_precision": t.flagged_precision,
                "flagged_recall": t.flagged_recall,
                "average_precision": t.average_precision,
                "curve": [{"threshold": c[0], "flagged": c[1], "precision": c[2], "recall": c[3]} for c in t.curve],
            }
    figures: dict[str, Any] = _finite(
        {
            "file": file,
            "source": audit.data.source,
            "cases": len(audit.data),
            "settings": audit.settings,
            "near_duplicates": {**audit.grouping, "groups_with_different_labels": len(audit.conflicts)},
            "tasks": tasks,
            "flagged_rows": flagged_rows_written,
            "notes": audit.notes,
        }
    )
    return figures


def _ranked(found: LabelAudit) -> np.ndarray:
    flagged = np.flatnonzero(found.flagged)
    return flagged[np.argsort(-found.confidence[flagged], kind="stable")]


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _fmt(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>\n{body}</table>"


def _page(audit: Audit, file: str, rows: list[dict[str, Any]]) -> str:
    data = audit.data
    parts = [
        f"<p>File: {html.escape(file)} — {len(data)} cases. Out-of-fold probabilities: {audit.settings['folds']}"
        f"-fold cross-fitting ({html.escape(audit.settings['model'])}), near-duplicates kept in one fold; "
        "likely label errors by confident learning (cleanlab, prune by noise rate). "
        f"{len(rows)} flagged rows are in <a href='flagged.csv'>flagged.csv</a>, every figure in "
        f"<a href='{MARKER}'>{MARKER}</a>.</p>"
    ]
    parts += [f"<p class='note'>{html.escape(note)}</p>" for note in audit.notes]
    for task, found in audit.labels.items():
        given = data.labels["queue" if task == "routing" else task]
        parts.append(f"<h2>{html.escape(task)}</h2>")
        parts.append(
            f"<p>{int(found.flagged.sum())} of {len(given)} labels are likely wrong. Estimated share of right labels "
            f"(the best top-1 accuracy a classifier of the true class can score against these labels): "
            f"<b>{found.accuracy_ceiling:.3f}</b>; the cross-fitted model's own expected top-1: "
            f"{found.expected_accuracy:.3f}.</p>"
        )
        if task in audit.truth:
            t = audit.truth[task]
            parts.append(
                f"<h3>Against the recorded truth</h3><p>{t.noisy} labels came from the generator's noise. The "
                f"flagged cases: precision {_fmt(t.flagged_precision)}, recall {_fmt(t.flagged_recall)}; average "
                f"precision of the confidence ranking {_fmt(t.average_precision)}. By confidence threshold:</p>"
            )
            parts.append(
                _table(
                    ("confidence ≥", "flagged", "precision", "recall"),
                    [(f"{c[0]:.2f}", c[1], _fmt(c[2]), _fmt(c[3])) for c in t.curve],
                )
            )
        parts.append("<h3>Estimated noise rate per label</h3>")
        header: tuple[str, ...] = ("label", "cases", "estimated share wrong")
        table: list[tuple[Any, ...]] = [
            (c, found.label_counts[c], f"{found.noise_rates[c]:.3f}") for c in found.classes
        ]
        noise = data.truth.get(f"{task}_noise")
        if noise is not None:  # beside the estimate, the recorded share (a noise label may name the right class)
            header += ("recorded share from the noise",)
            table = [(*r, f"{noise[given == r[0]].mean():.3f}") for r in table]
        parts.append(_table(header, table))
        parts.append("<h3>Labels the data cannot tell apart</h3>")
        pair_rows = []
        for p in found.confusable:
            examples = "; ".join(f"row {i + 1} ({given[i]}): {_excerpt(data, i)}" for i in p.examples)
            pair_rows.append((f"{p.a} / {p.b}", p.cases, f"{p.joint:.4f}", examples or "–"))
        parts.append(_table(("pair", "cases", "joint share", "examples"), pair_rows))
        parts.append(f"<h3>The {EXAMPLES} most confident flags</h3>")
        shown = [r for r in rows if r["task"] == task and r["reason"] == "confident_learning"][:EXAMPLES]
        parts.append(
            _table(
                ("row", "given", "suggested", "confidence", "text"),
                [(r["row"], r["given_label"], r["suggested_label"], r["confidence"], r["text"]) for r in shown],
            )
        )
    parts.append("<h2>Near-duplicate texts with different routing labels</h2>")
    parts.append(
        f"<p>{len(audit.conflicts)} groups of near-duplicates ({html.escape(audit.grouping['near_duplicates'])}) "
        f"of at most {MAX_GROUP} cases carry more than one label; the largest:</p>"
    )
    conflict_rows = [
        (
            len(c.members),
            audit.labels["routing"].classes[c.majority],
            ", ".join(f"row {i + 1}: {data.labels['queue'][i]}" for i in c.members[:8]),
            _excerpt(data, c.members[0]),
        )
        for c in audit.conflicts[:EXAMPLES]
    ]
    parts.append(_table(("cases", "majority label", "labels", "text"), conflict_rows))
    body = "\n".join(parts)
    title = f"Label audit of {html.escape(Path(file).name)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} td,th{{padding:2px 10px;text-align:left}}
table{{border-collapse:collapse}} tr:nth-child(even){{background:#f3f3f3}} .note{{color:#a40}}</style>
</head><body>
<h1>{title}</h1>
{body}
</body></html>
"""


def _excerpt(data: Any, i: int) -> str:
    return case_text(data.cases[i]).replace("\n", " | ")[:120]
