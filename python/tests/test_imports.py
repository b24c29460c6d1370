"""What each long-lived process imports, which is most of its resident memory (python/README.md,
`--workers`): checked in a fresh interpreter, as the process starts."""

from __future__ import annotations

import json
import subprocess
import sys


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_log_writer_process_imports_no_model_code_grpc_or_alembic() -> None:
    # What writer_process._child_main imports: the records, the SQL store, the rounds.
    code = (
        "import supportability.online.writer_process, supportability.online.records, "
        "supportability.online.sql_store, supportability.online.writer, supportability.registry"
    )
    heavy = ("grpc", "alembic", "scipy", "supportability.models.heads", "supportability.errors")
    assert _loaded_after(code, heavy) == []


def test_the_server_with_its_model_imports_no_fitting_or_readout_statistics(registry_path) -> None:
    code = (
        "import supportability.serving.server\n"
        "from supportability.serving.predictor import Predictor\n"
        f"Predictor({str(registry_path)!r})"
    )
    assert _loaded_after(code, ("scipy.optimize", "scipy.stats")) == []
