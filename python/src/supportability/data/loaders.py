"""Read the user's own cases from CSV, JSONL or Parquet.

Column mapping (a column's name is the field name unless `columns` maps FIELD -> COLUMN):

| field | type | required |
|---|---|---|
| subject, body | text | at least one of the two |
| channel | email, chat, phone, web_form, api (any case; CHANNEL_EMAIL also accepted) | yes (column or default) |
| language, case_id, merchant_id, country_code, industry | text | no |
| create_time | ISO 8601 timestamp (UTC if no offset) | no |
| support_plan | standard, premium, enterprise | no (standard) |
| integration_type | hosted, direct_api, plugin, platform, terminal | no |
| account_age_days, disputes_30d, failed_payouts_30d, declined_charges_30d, previous_cases_30d | integer >= 0 | no (0) |
| monthly_volume_usd | number >= 0 | no (0) |
| extra.NAME | number, boolean or text: the case's extra feature NAME | no |
| queue | routing label (any text) | label: trains routing + decision |
| escalated, csat_negative | 0/1, true/false | labels: escalation, CSAT risk |
| urgency | low, normal, high, critical | label: urgency |
| resolution_hours | number > 0 | label: time to resolution |
| article_ids | article ids separated by ";" (empty: no article answers the case) | label: articles |
| true_* | the generator's truth: probabilities, latent topic, noise indicators (synthetic files only) | no |

`defaults` gives a value for a field the file lacks (e.g. channel=web_form for BANKING77). Columns
that map to no field are ignored and listed in the result. A missing required column, a value of
the wrong type, or an unknown enum value raises DataError naming the file, the row (1-based, header
not counted; the line for JSONL) and the column. With skip_invalid=True invalid rows are skipped and
returned as the list of those errors instead: nothing is dropped silently.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from supportability.data.dataset import Article, LabeledCases
from supportability.domain import CHANNELS, INTEGRATION_TYPES, SUPPORT_PLANS, URGENCY_LEVELS, Case

TEXT_FIELDS = ("subject", "body", "language", "case_id", "merchant_id", "country_code", "industry")
INT_FIELDS = ("account_age_days", "disputes_30d", "failed_payouts_30d", "declined_charges_30d", "previous_cases_30d")
ENUM_FIELDS = {"channel": CHANNELS, "support_plan": SUPPORT_PLANS, "integration_type": INTEGRATION_TYPES}
ENUM_PREFIX = {"channel": "channel_", "support_plan": "support_plan_", "integration_type": "integration_type_"}
LABEL_FIELDS = ("queue", "escalated", "urgency", "csat_negative", "resolution_hours", "article_ids")
CASE_FIELDS = TEXT_FIELDS + INT_FIELDS + tuple(ENUM_FIELDS) + ("create_time", "monthly_volume_usd")
KNOWN_FIELDS = frozenset(CASE_FIELDS) | frozenset(LABEL_FIELDS)


@dataclass
class DataError(Exception):
    path: str
    row: int | None
    column: str | None
    message: str
    row_word: str = "row"

    def __str__(self) -> str:
        where = [self.path]
        if self.row is not None:
            where.append(f"{self.row_word} {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return ", ".join(where) + f": {self.message}"


class _Invalid(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def _rows(path: Path) -> tuple[list[str], Any, str]:
    """(column names, iterator of (row number, dict), word for row numbers) for a supported file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        handle = path.open(newline="", encoding="utf-8")
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            raise DataError(str(path), None, None, "empty file: no header row")
        return list(reader.fieldnames), ((i, row) for i, row in enumerate(reader, start=1)), "row"
    if suffix in (".jsonl", ".ndjson"):
        records = list(_jsonl_records(path))
        names = list(dict.fromkeys(k for _, r in records for k in r))
        return names, iter(records), "line"
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return table.column_names, enumerate(table.to_pylist(), start=1), "row"
    raise DataError(str(path), None, None, f"unsupported file type {suffix!r}: use .csv, .jsonl or .parquet")


def load_cases(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    skip_invalid: bool = False,
) -> tuple[LabeledCases, list[DataError]]:
    """Read labelled cases; returns (dataset, errors of skipped rows). See the module docstring."""
    path = _checked_path(path, columns, defaults)
    names, rows, row_word = _rows(path)
    mapping = _Mapping.of(path, names, columns, defaults)
    truth_columns = [c for c in names if c.startswith("true_")]
    labels_present = [f for f in LABEL_FIELDS if f in mapping.present]

    cases: list[Case] = []
    labels: dict[str, list] = {f: [] for f in labels_present}
    truth_rows: list[dict[str, float | str]] = []
    skipped: list[DataError] = []
    for number, row in rows:
        try:
            case, label_values = _parse_row(mapping.reader(row), labels_present, row, mapping.extra_columns)
            truth = {c: str(row.get(c) or "") if c == "true_topic" else _number(row.get(c), c) for c in truth_columns}
        except _Invalid as e:
            error = DataError(str(path), number, _column_name(e.column, mapping.source_of), e.message, row_word)
            if not skip_invalid:
                raise error from None
            skipped.append(error)
            continue
        cases.append(case)
        for field in labels_present:
            labels[field].append(label_values[field])
        truth_rows.append(truth)
    if not cases:
        raise DataError(str(path), None, None, "no valid cases in the file")
    return LabeledCases(
        cases=cases, labels=_label_arrays(labels), source=str(path), truth=_truth_arrays(truth_rows, truth_columns)
    ), skipped


def iter_cases(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    chunk_rows: int = 10_000,
) -> Iterator[list[tuple[int, Case]]]:
    """The file's cases as (row number, case), `chunk_rows` at a time, reading only what each chunk
    needs (for files larger than memory). Labels are ignored; the first invalid row raises
    DataError as `load_cases` reports it."""
    path = _checked_path(path, columns, defaults)
    names, rows, row_word = _stream_rows(path)
    parse = case_parser(path, names, columns, defaults, row_word)
    chunk: list[tuple[int, Case]] = []
    for number, row in rows:
        chunk.append((number, parse(number, row)))
        if len(chunk) == chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def case_parser(
    path: str | Path,
    names: list[str],
    columns: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    row_word: str = "row",
) -> Callable[[int, dict[str, Any]], Case]:
    """For rows with the columns `names` (of the file `path`): a function from (row number, row) to
    the row's case, raising DataError naming the file, the row and the column. The mapping is
    checked here, once."""
    _checked_fields(Path(path), columns, defaults)
    mapping = _Mapping.of(Path(path), names, columns, defaults)

    def parse(number: int, row: dict[str, Any]) -> Case:
        try:
            case, _ = _parse_row(mapping.reader(row), [], row, mapping.extra_columns)
        except _Invalid as e:
            raise DataError(str(path), number, _column_name(e.column, mapping.source_of), e.message, row_word) from None
        return case

    return parse


def _checked_path(path: str | Path, columns: dict[str, str] | None, defaults: dict[str, Any] | None) -> Path:
    path = Path(path)
    _checked_fields(path, columns, defaults)
    if not path.is_file():
        raise DataError(str(path), None, None, "no such file")
    return path


def _checked_fields(path: Path, columns: dict[str, str] | None, defaults: dict[str, Any] | None) -> None:
    for field in list(columns or {}) + list(defaults or {}):
        if field not in KNOWN_FIELDS and not field.startswith("extra."):
            raise DataError(str(path), None, None, f"unknown field {field!r} in the column mapping or defaults")


@dataclass(frozen=True)
class _Mapping:
    """Which column each field comes from, checked against the file's columns."""

    source_of: dict[str, str]
    present: set[str]
    extra_columns: dict[str, str]
    defaults: dict[str, Any]

    @classmethod
    def of(
        cls, path: Path, names: list[str], columns: dict[str, str] | None, defaults: dict[str, Any] | None
    ) -> _Mapping:
        columns, defaults = dict(columns or {}), dict(defaults or {})
        source_of = {field: columns.get(field, field) for field in KNOWN_FIELDS}
        for field, column in columns.items():
            if column not in names:
                raise DataError(str(path), None, column, f"missing column (mapped to field {field!r})")
        present = {field for field, column in source_of.items() if column in names}
        if not present & {"subject", "body"}:
            raise DataError(
                str(path),
                None,
                None,
                "missing column: a case needs a 'subject' or 'body' column (map one with --column body=COLUMN)",
            )
        if "channel" not in present and "channel" not in defaults:
            raise DataError(
                str(path),
                None,
                "channel",
                "missing column (add it, map it with --column channel=COLUMN or set --default channel=VALUE)",
            )
        extra_columns = {c[len("extra.") :]: c for c in names if c.startswith("extra.")}
        extra_columns.update({f[len("extra.") :]: c for f, c in columns.items() if f.startswith("extra.")})
        return cls(source_of, present, extra_columns, defaults)

    def reader(self, row: dict[str, Any]) -> Callable[[str], Any]:
        """A field's raw value in `row`, or its default when the row has none."""

        def value(field: str) -> Any:
            raw = row.get(self.source_of[field]) if field in self.present else None
            if raw is None or raw == "":
                return self.defaults.get(field)
            return raw

        return value


def _stream_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]], str]:
    """As `_rows`, without holding the file: JSONL is read twice (its columns are the union of
    every line's keys), Parquet a row group at a time."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        names: dict[str, None] = {}
        for _, record in _jsonl_records(path):
            names.update(dict.fromkeys(record))
        return list(names), _jsonl_records(path), "line"
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        # pre_buffer keeps every row group it has read (measured: +32 MB per 100k rows, past 1 GB
        # by 5M); without it a file larger than memory streams in flat RSS (389 MB for 5M rows).
        parquet = pq.ParquetFile(path, pre_buffer=False)

        def parquet_rows() -> Iterator[tuple[int, dict[str, Any]]]:
            number = 0
            for batch in parquet.iter_batches(batch_size=4_096):
                for row in batch.to_pylist():
                    number += 1
                    yield number, row

        return list(parquet.schema_arrow.names), parquet_rows(), "row"
    return _rows(path)  # CSV is read a row at a time already


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as e:
                raise DataError(str(path), line_number, None, f"not valid JSON: {e}", "line") from e
            if not isinstance(record, dict):
                raise DataError(str(path), line_number, None, "each line must be a JSON object", "line")
            yield line_number, record


def _column_name(field: str, source_of: dict[str, str]) -> str:
    return source_of.get(field, field)


def _parse_row(value, labels_present: list[str], row: dict, extra_columns: dict[str, str]) -> tuple[Case, dict]:
    fields: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        raw = value(field)
        fields[field] = "" if raw is None else str(raw)
    if not (fields["subject"].strip() or fields["body"].strip()):
        raise _Invalid("body", "empty case: subject and body are both empty")
    for field in INT_FIELDS:
        fields[field] = _integer(value(field), field, default=0, minimum=0)
    volume = value("monthly_volume_usd")
    fields["monthly_volume_usd"] = 0.0 if volume is None else _number(volume, "monthly_volume_usd", minimum=0.0)
    for field, allowed in ENUM_FIELDS.items():
        raw = value(field)
        if raw is None:
            if field == "channel":
                raise _Invalid(field, "empty value: every case needs a channel")
            fields[field] = "standard" if field == "support_plan" else ""
            continue
        text = str(raw).strip().lower()
        text = text[len(ENUM_PREFIX[field]) :] if text.startswith(ENUM_PREFIX[field]) else text
        if text not in allowed:
            raise _Invalid(field, f"unknown value {raw!r}; expected one of {', '.join(allowed)}")
        fields[field] = text
    fields["create_time"] = _timestamp(value("create_time"))
    extra = {}
    for name, column in extra_columns.items():
        raw = row.get(column)
        if raw is None or raw == "":
            continue
        extra[name] = _extra_value(raw)
    case = Case(**fields, extra_features=extra)

    label_values: dict[str, Any] = {}
    for field in labels_present:
        raw = value(field)
        if raw is None and field == "article_ids":
            raw = ""  # a case no article answers
        elif raw is None:
            raise _Invalid(field, "empty label")
        if field == "queue":
            label_values[field] = str(raw).strip()
        elif field in ("escalated", "csat_negative"):
            label_values[field] = _boolean(raw, field)
        elif field == "urgency":
            text = str(raw).strip().lower().removeprefix("urgency_")
            if text not in URGENCY_LEVELS:
                raise _Invalid(field, f"unknown value {raw!r}; expected one of {', '.join(URGENCY_LEVELS)}")
            label_values[field] = text
        elif field == "resolution_hours":
            hours = _number(raw, field)
            if hours <= 0:
                raise _Invalid(field, f"must be positive, got {raw!r}")
            label_values[field] = hours
        else:  # article_ids
            items = raw if isinstance(raw, list) else str(raw).split(";")
            label_values[field] = tuple(str(a).strip() for a in items if str(a).strip())
    return case, label_values


def _number(raw: Any, field: str, minimum: float | None = None) -> float:
    if isinstance(raw, bool):
        raise _Invalid(field, f"expected a number, got {raw!r}")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise _Invalid(field, f"expected a number, got {raw!r}") from None
    if not math.isfinite(number):
        raise _Invalid(field, f"expected a finite number, got {raw!r}")
    if minimum is not None and number < minimum:
        raise _Invalid(field, f"must be >= {minimum:g}, got {raw!r}")
    return number


def _integer(raw: Any, field: str, default: int, minimum: int) -> int:
    if raw is None:
        return default
    number = _number(raw, field)
    if number != int(number):
        raise _Invalid(field, f"expected an integer, got {raw!r}")
    if number < minimum:
        raise _Invalid(field, f"must be >= {minimum}, got {raw!r}")
    return int(number)


def _boolean(raw: Any, field: str) -> int:
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "1.0"):
        return 1
    if text in ("0", "false", "no", "0.0"):
        return 0
    raise _Invalid(field, f"expected 0/1 or true/false, got {raw!r}")


def _timestamp(raw: Any) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid("create_time", f"expected an ISO 8601 timestamp, got {raw!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _extra_value(raw: Any) -> float | str | bool:
    if isinstance(raw, bool | int | float):
        return raw
    text = str(raw)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        return text


def _label_arrays(labels: dict[str, list]) -> dict[str, np.ndarray]:
    out = {}
    for field, values in labels.items():
        if field in ("escalated", "csat_negative"):
            out[field] = np.array(values, dtype=np.int8)
        elif field == "resolution_hours":
            out[field] = np.array(values, dtype=float)
        else:
            array = np.empty(len(values), dtype=object)
            array[:] = values
            out[field] = array
    return out


def _truth_arrays(rows: list[dict[str, float | str]], columns: list[str]) -> dict[str, np.ndarray]:
    """Rebuild the generator's truth arrays from true_* columns (as written by data/io.py)."""
    if not columns:
        return {}
    table = {c: np.array([r[c] for r in rows]) for c in columns}
    truth: dict[str, np.ndarray] = {}
    queues = [c[len("true_queue_") :] for c in columns if c.startswith("true_queue_")]
    if queues:
        truth["queues"] = np.array(queues, dtype=object)
        truth["routing"] = np.stack([table[f"true_queue_{q}"] for q in queues], axis=1)
    if all(f"true_urgency_{lvl}" in table for lvl in URGENCY_LEVELS):
        truth["urgency"] = np.stack([table[f"true_urgency_{lvl}"] for lvl in URGENCY_LEVELS], axis=1)
    for name in ("escalation", "csat_risk", "resolution_p50", "resolution_p90"):
        if f"true_{name}" in table:
            truth[name] = table[f"true_{name}"]
    for name in ("routing_noise", "urgency_noise"):
        if f"true_{name}" in table:
            truth[name] = table[f"true_{name}"] > 0.5
    if "true_topic" in table:
        truth["topic"] = table["true_topic"].astype(object)
    return truth


def load_articles(path: str | Path) -> tuple[Article, ...]:
    """Help-centre articles from a .csv/.jsonl/.parquet file with article_id, queue, title, text."""
    path = Path(path)
    names, rows, row_word = _rows(path)
    for column in ("article_id", "queue", "title", "text"):
        if column not in names:
            raise DataError(str(path), None, column, "missing column")
    articles = []
    for number, row in rows:
        if not str(row.get("article_id") or "").strip():
            raise DataError(str(path), number, "article_id", "empty value", row_word)
        articles.append(
            Article(
                str(row["article_id"]).strip(),
                str(row.get("queue") or ""),
                str(row.get("title") or ""),
                f"{row.get('title') or ''} {row.get('text') or ''}",
            )
        )
    return tuple(articles)
