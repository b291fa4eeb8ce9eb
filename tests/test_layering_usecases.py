"""The layers keep their direction (README "How it is built"): the use cases and the bodies they
speak know no HTTP, the domain core imports nothing of the project, activities never import the
API, and problem+json is built in one place only."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTTP = ("fastapi", "starlette")
PROJECT = ("statemachines", "workflows", "activities", "worker", "api", "persistence", "notifications", "runtime")
HTTP_FREE = ("api/usecases", "api/schemas")


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Top-level packages and full names a module imports (absolute imports; the project uses no others)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _roots(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", [p for folder in HTTP_FREE for p in _modules(folder)], ids=lambda p: p.name)
def test_use_cases_and_schemas_import_no_http_framework(path):
    assert not _roots(_imports(path)) & set(HTTP), f"{path.relative_to(ROOT)} imports {_imports(path)}"


def test_use_cases_pull_in_no_http_framework_through_their_imports():
    """Importing every use case and schema module loads neither FastAPI nor Starlette."""
    names = [
        str(p.relative_to(ROOT).with_suffix("")).replace("/", ".").removesuffix(".__init__")
        for folder in HTTP_FREE
        for p in _modules(folder)
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HTTP!r})))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(loaded.stdout) == []


@pytest.mark.parametrize("path", _modules("statemachines"), ids=lambda p: p.name)
def test_domain_core_imports_nothing_else_of_the_project(path):
    assert _roots(_imports(path)) & (set(PROJECT) - {"statemachines"}) == set()


@pytest.mark.parametrize("path", _modules("activities"), ids=lambda p: p.name)
def test_activities_never_import_the_api_or_an_entry_point(path):
    assert _roots(_imports(path)) & {"api", "worker"} == set()


def test_problem_json_is_built_in_the_error_module_only():
    """Everything else raises a DomainError (or, at the HTTP edge, calls errors.unauthorized)."""
    builders = []
    for path in _modules("api"):
        if path.relative_to(ROOT).as_posix() == "api/errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Problem":
                builders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert builders == []
