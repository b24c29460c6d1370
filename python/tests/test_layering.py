"""The package reads top-down: no module imports from a floor above its own (python/README.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import supportability

PACKAGE = Path(supportability.__file__).parent
# Lowest first. A module may import from its own floor and the ones below it.
FLOORS = [
    {"v1", "domain", "metrics", "errors", "progress", "prediction_ids"},
    {"client"},
    {"data"},
    {"features"},
    {"models"},
    {"registry"},
    {"evaluation"},
    {"training"},
    {"audit"},
    {"online", "batch"},
    {"experiments"},
    {"benchmarks"},
    {"serving"},
    {"cli", "assistant"},
    {"testing", "__main__", "__init__"},
]
FLOOR = {name: level for level, names in enumerate(FLOORS) for name in names}


def _part(module: str) -> str:
    """The top-level part of a module of the package: 'serving' for supportability.serving.server."""
    return module.split(".")[1] if "." in module else "__init__"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "supportability":  # from supportability import errors
            found |= {f"supportability.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("supportability."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("supportability.")}
    return found


def test_every_part_of_the_package_has_a_floor():
    parts = {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    }
    assert parts - set(FLOOR) == set(), "give the new module a floor in FLOORS (and python/README.md)"


def test_no_import_runs_back_up():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "v1":
            continue
        own = relative.parts[0].removesuffix(".py")
        for module in _imports(path):
            target = _part(module)
            if target in FLOOR and FLOOR[target] > FLOOR[own]:
                upward.append(f"{relative} imports {module}")
    assert not upward, "imports that run back up:\n" + "\n".join(sorted(upward))
