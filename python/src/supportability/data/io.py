"""Write labelled cases to CSV, JSONL or Parquet in the loaders' column layout (round-trips)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from supportability.data.dataset import LabeledCases
from supportability.data.loaders import CASE_FIELDS
from supportability.domain import URGENCY_LEVELS


def _records(data: LabeledCases) -> tuple[list[str], list[dict[str, Any]]]:
    columns = list(CASE_FIELDS) + [
        k
        for k in ("queue", "escalated", "urgency", "csat_negative", "resolution_hours", "article_ids")
        if k in data.labels
    ]
    truth = data.truth
    truth_columns: list[tuple[str, Any]] = []
    if "routing" in truth:
        truth_columns += [
            (f"true_queue_{q}", (lambda i, k=k: truth["routing"][i, k])) for k, q in enumerate(truth["queues"])
        ]
    if "urgency" in truth:
        truth_columns += [
            (f"true_urgency_{lvl}", (lambda i, k=k: truth["urgency"][i, k])) for k, lvl in enumerate(URGENCY_LEVELS)
        ]
    for name in ("escalation", "csat_risk", "resolution_p50", "resolution_p90", "routing_noise", "urgency_noise"):
        if name in truth:
            truth_columns.append((f"true_{name}", (lambda i, name=name: truth[name][i])))
    topic_column = ["true_topic"] if "topic" in truth else []
    records = []
    for i, case in enumerate(data.cases):
        record: dict[str, Any] = {f: getattr(case, f) for f in CASE_FIELDS}
        record["create_time"] = case.create_time.isoformat() if case.create_time else ""
        for key in columns[len(CASE_FIELDS) :]:
            value = data.labels[key][i]
            record[key] = (
                ";".join(value) if key == "article_ids" else (value.item() if hasattr(value, "item") else value)
            )
        for name, get in truth_columns:
            record[name] = round(float(get(i)), 10)
        if topic_column:
            record["true_topic"] = str(truth["topic"][i])
        for name, value in case.extra_features.items():
            record[f"extra.{name}"] = value
        records.append(record)
    names = columns + [n for n, _ in truth_columns] + topic_column
    names += sorted({k for r in records for k in r} - set(names))
    return names, records


# Rows per Parquet row group: readers split a file by row group (Spark gives each one to a task),
# so a million cases in pyarrow's default single group of 1Mi rows would be read by one core.
PARQUET_ROW_GROUP_ROWS = 100_000


def write_cases(data: LabeledCases, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names, records = _records(data)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=names)
            writer.writeheader()
            writer.writerows(records)
    elif suffix in (".jsonl", ".ndjson"):
        with path.open("w", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({n: [r.get(n) for r in records] for n in names})
        pq.write_table(table, path, row_group_size=PARQUET_ROW_GROUP_ROWS)
    else:
        raise ValueError(f"unsupported output type {suffix!r}: use .csv, .jsonl or .parquet")
    return path
