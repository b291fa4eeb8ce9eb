"""Imports point one way (README "How it is built"): checked on the source, imports inside
functions included, so a shortcut cannot hide in a lazily imported command."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("statemachines", "workflows", "activities", "worker", "api", "persistence", "notifications", "runtime")


def imports(package: str, root: Path = ROOT) -> dict[str, set[str]]:
    """Module path → the project modules it imports (absolute imports; the project uses no relative ones)."""
    found: dict[str, set[str]] = {}
    for path in sorted((root / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.level == 0, f"{path}: relative import"
                names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        found[str(path.relative_to(root))] = {n for n in names if n.split(".")[0] in PACKAGES}
    return found


def offenders(package: str, allowed, root: Path = ROOT) -> list[str]:
    return [
        f"{module} imports {name}"
        for module, names in imports(package, root).items()
        for name in sorted(names)
        if not allowed(name)
    ]


def test_statemachines_import_nothing_else_of_the_project():
    assert offenders("statemachines", lambda name: name.startswith("statemachines")) == []


def test_runtime_depends_on_nothing_above_it():
    """runtime is what every entry point shares: only the pure statemachines may sit below it."""
    assert offenders("runtime", lambda name: name.split(".")[0] in ("runtime", "statemachines")) == []


def test_the_worker_entry_points_use_only_the_apps_front_door():
    """`fahrplan up` runs the API in its process through `api.app.create_app`, nothing deeper."""
    assert (
        offenders("worker", lambda name: not name.startswith("api") or name in ("api.app", "api.app.create_app")) == []
    )


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "worker"])
def test_nothing_imports_the_commands(package):
    assert offenders(package, lambda name: not name.startswith("worker")) == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "x.py").write_text("def f():\n    from api.routes import codec\n")
    assert offenders("runtime", lambda name: name.split(".")[0] in ("runtime", "statemachines"), tmp_path) == [
        "runtime/x.py imports api.routes",
        "runtime/x.py imports api.routes.codec",
    ]
