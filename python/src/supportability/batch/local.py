"""The local engine: stream the input a chunk at a time, score each chunk, append it to the output.

Memory holds one chunk of cases and its predictions, whatever the file's size. The output is
written to a temporary file beside the target and renamed at the end, so a failed run (a bad row,
an interrupt) leaves no half-written output behind.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from supportability.batch.columns import SCHEMA, score
from supportability.data.loaders import iter_cases
from supportability.models.api import SupportModel
from supportability.progress import progress_bar

CHUNK_ROWS = 10_000  # cases per chunk: large enough for the vectorised models, small in memory


def score_file(
    model: SupportModel,
    input_path: str | Path,
    output_path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: bool = False,
) -> int:
    """Score every case of `input_path` into the Parquet file `output_path`; returns the count."""
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    count = 0
    bar = progress_bar(desc="scoring", unit="case") if progress else None
    try:
        with pq.ParquetWriter(partial, SCHEMA) as writer:
            for chunk in iter_cases(input_path, columns=columns, defaults=defaults, chunk_rows=chunk_rows):
                rows, cases = [n for n, _ in chunk], [c for _, c in chunk]
                writer.write_batch(score(model, rows, cases))
                count += len(cases)
                if bar is not None:
                    bar.update(len(cases))
        os.replace(partial, output)
    finally:
        if bar is not None:
            bar.close()
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return count
