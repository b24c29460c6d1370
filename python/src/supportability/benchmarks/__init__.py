"""Benchmarks that train or time models: the model-kind comparison (BANKING77, synthetic) and latency."""

import json
from pathlib import Path
from typing import Any


def write_results(path: Path | None, results: Any) -> None:
    """A benchmark's results as indented JSON at `path` (its --out), when one is given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2) + "\n")
