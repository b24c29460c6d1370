"""The breaking-change guard works: renaming a released field fails `buf breaking`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / "node_modules" / ".bin" / "buf"


def _breaking(workspace: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BUF), "breaking", "proto", "--against", str(ROOT / "releases" / "contract.binpb")],
                          cwd=workspace, capture_output=True, text=True, timeout=120)


def test_current_contract_is_compatible_with_the_release() -> None:
    result = _breaking(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_renaming_a_released_field_is_caught(tmp_path: Path) -> None:
    for part in ("proto", "third_party", "buf.yaml"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / part)
    case_proto = tmp_path / "proto" / "supportability" / "v1" / "support_case.proto"
    case_proto.write_text(case_proto.read_text().replace("string case_id = 1;", "string case_ref = 1;"))
    result = _breaking(tmp_path)
    assert result.returncode != 0
    assert 'changed name from "case_id" to "case_ref"' in result.stdout
