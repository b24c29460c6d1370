"""Fixtures of the batch tests: a file of synthetic cases with the awkward rows real files have,
and one Spark session for the module (local[2], UI off): Java and PySpark are part of the
machine's setup, so a missing one fails the tests rather than skipping them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from supportability.data.generator import GeneratorConfig, generate
from supportability.data.io import write_cases

AWKWARD = [
    {"subject": None, "body": "Unsere Auszahlung ist nicht angekommen – bitte prüfen 💶"},
    {"subject": "", "body": "支払いが届いていません"},
    {"subject": "Remboursement refusé", "body": None},
]


@pytest.fixture(scope="session")
def cases_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 synthetic cases, then rows with null or empty subject or body and non-ASCII text."""
    directory = tmp_path_factory.mktemp("batch")
    plain = write_cases(generate(GeneratorConfig(n_cases=3_000, seed=11)), directory / "plain.parquet")
    table = pq.read_table(plain)
    rows: list[dict[str, Any]] = table.to_pylist()
    for i, awkward in enumerate(AWKWARD):
        rows.append(rows[i] | awkward | {"case_id": f"awkward-{i}"})
    path = directory / "cases.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path, row_group_size=1_000)
    return path


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from supportability.batch import spark as batch_spark

    session = batch_spark.session("local[2]", "supportability-tests")
    yield session
    session.stop()
