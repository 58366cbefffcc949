"""The codebase keeps its own rules: a docstring per module, imports pointing inward, small modules."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import iru.domain

SRC = Path(__file__).resolve().parents[1] / "src" / "iru"
MODULES = sorted(p for p in SRC.rglob("*.py") if "migrations/versions" not in p.as_posix())

# What each package may not import (DESIGN.md section 2: imports point inward).
FORBIDDEN = {
    "domain": (
        "iru.sim",
        "iru.ingest",
        "iru.detect",
        "iru.network",
        "iru.cases",
        "iru.storage",
        "iru.engine",
        "iru.web",
        "iru.cli",
        "iru.app",
        "sqlalchemy",
        "psycopg",
        "duckdb",
    ),
    "ingest": (
        "iru.storage",
        "iru.engine",
        "iru.web",
        "iru.cli",
        "iru.app",
        "sqlalchemy",
        "psycopg",
    ),
    "storage": ("iru.engine", "iru.web", "iru.cli", "iru.app"),
    # The pure core: logic only, no storage, no driver, no interface.
    **dict.fromkeys(
        ("detect", "network", "cases", "counter"),
        (
            "iru.storage",
            "iru.engine",
            "iru.web",
            "iru.cli",
            "iru.app",
            "sqlalchemy",
            "psycopg",
            "duckdb",
        ),
    ),
    "engine": ("iru.web", "iru.cli", "iru.app"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_every_module_says_what_it_is_for() -> None:
    missing = [
        str(p.relative_to(SRC))
        for p in MODULES
        if p.name != "__main__.py"
        and not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert missing == []


def test_imports_point_inward() -> None:
    violations = []
    for path in MODULES:
        package = path.relative_to(SRC).parts[0]
        for name in _imports(path):
            for banned in FORBIDDEN.get(package, ()):
                if name == banned or name.startswith(banned + "."):
                    violations.append(f"{path.relative_to(SRC)} imports {name}")
    assert violations == []


def test_modules_stay_small() -> None:
    large = {
        str(p.relative_to(SRC)): n
        for p in MODULES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert large == {}


def test_domain_public_api_is_explicit() -> None:
    exported = set(iru.domain.__all__)
    public = {
        name
        for name, value in vars(iru.domain).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)  # submodules
    }
    assert exported == public
