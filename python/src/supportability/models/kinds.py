"""The model kinds the registry stores, by format name, and how each is written and read.

Every kind's module has `FORMAT`, `dump_model(model) -> (state, arrays, files)` and
`load_model(state, arrays, files) -> model`: `state` is JSON, `arrays` numpy arrays (stored in
one .npz, read back without pickle), `files` further artifacts by name (bytes when written, paths
of checksum-verified files when read), such as the teacher's ONNX graph. Modules are imported on
first use, so serving a linear model never imports onnxruntime.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the registry imports this module, and reading manifests needs no model code
    from supportability.models.heads import HeadsModel

KINDS = {
    "boosted": "supportability.models.boosted",
    "linear": "supportability.models.linear",
    "student": "supportability.models.student",
    "teacher": "supportability.models.teacher",
}


def _module(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; this code reads {', '.join(sorted(KINDS))}")
    return importlib.import_module(KINDS[kind])


def kind_of(format_name: str) -> str:
    """'student-support-model/1' -> 'student'."""
    return format_name.split("-", 1)[0]


def dump(model: HeadsModel) -> tuple[dict, dict[str, np.ndarray], dict[str, bytes]]:
    return _module(model.kind).dump_model(model)


def load(state: dict, arrays: dict[str, np.ndarray], files: dict[str, Path]) -> HeadsModel:
    module = _module(kind_of(str(state.get("format"))))
    if state.get("format") != module.FORMAT:
        raise ValueError(f"unsupported model format {state.get('format')!r}; this code reads {module.FORMAT!r}")
    return module.load_model(state, arrays, files)
