"""The codebase keeps its own rules: a docstring per module, imports pointing inward, small modules."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import click
from click.testing import CliRunner

import iru.domain
from iru.cli import COMMANDS, LazyCommand, LazyGroup

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
        "iru.workspace",
        "sqlalchemy",
        "psycopg",
        "duckdb",
    ),
    "ingest": (
        "iru.storage",
        "iru.engine",
        "iru.web",
        "iru.cli",
        "iru.workspace",
        "sqlalchemy",
        "psycopg",
    ),
    "storage": ("iru.engine", "iru.web", "iru.cli", "iru.workspace"),
    # The pure core: logic only, no storage, no driver, no interface.
    **dict.fromkeys(
        ("detect", "network", "cases", "counter"),
        (
            "iru.storage",
            "iru.engine",
            "iru.web",
            "iru.cli",
            "iru.workspace",
            "sqlalchemy",
            "psycopg",
            "duckdb",
        ),
    ),
    "engine": ("iru.web", "iru.cli", "iru.workspace"),
    # The composition root (workspace.py) builds engines; the edges build on it.
    "workspace.py": ("iru.web", "iru.cli"),
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


# The only CLI modules that start an HTTP server, and what of iru.web each starts.
CLI_SERVES_HTTP = {
    "cli/serve.py": {"iru.web.app"},  # iru serve, iru demo: the workbench
    "cli/referrals.py": {"iru.web.callbacks"},  # iru referrals track --listen: the callbacks
}


def test_the_cli_uses_the_web_only_to_start_a_server() -> None:
    """Log-in, sessions and tokens live outside web/ (engine/services/auth.py): the CLI needs no web."""
    uses = {}
    for path in sorted((SRC / "cli").rglob("*.py")):
        web = {n for n in _imports(path) if n == "iru.web" or n.startswith("iru.web.")}
        if web:
            uses[str(path.relative_to(SRC))] = web
    assert uses == CLI_SERVES_HTTP


# SQL in one place: the edges render read models, and only storage/ speaks SQL.
EDGE_MAY_NOT_IMPORT = ("sqlalchemy", "duckdb", "numpy", "pyarrow", "iru.storage")
DRIVERS = ("sqlalchemy", "duckdb")
# SQL as iru writes it: keywords in capitals at the start of the text.
SQL_TEXT = re.compile(
    r"^\s*(SELECT\s|WITH\s+\w+\s+AS\s*\(|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|"
    r"DELETE\s+FROM\s|CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?(TABLE|VIEW|INDEX)\s|DESCRIBE\s)"
)


def _banned(names: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names for b in banned if n == b or n.startswith(b + "."))


def test_the_cli_and_the_web_use_no_database_and_no_array_library() -> None:
    """cli/ and web/ render the read models of iru.engine; they never query a store."""
    violations = {
        str(p.relative_to(SRC)): found
        for p in MODULES
        if p.relative_to(SRC).parts[0] in {"cli", "web"}
        and (found := _banned(_imports(p), EDGE_MAY_NOT_IMPORT))
    }
    assert violations == {}


def test_only_storage_speaks_sql() -> None:
    """No database driver and no SQL text outside storage/ (the engine uses typed readers)."""
    drivers = {}
    sql = []
    for path in MODULES:
        name = str(path.relative_to(SRC))
        if path.relative_to(SRC).parts[0] == "storage":
            continue
        if found := _banned(_imports(path), DRIVERS):
            drivers[name] = found
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL_TEXT.match(node.value)
            ):
                sql.append(f"{name}:{node.lineno}")
    assert drivers == {}
    assert sql == []


def test_only_the_lab_imports_the_simulator() -> None:
    """engine/lab/ runs simulated worlds; nothing else outside sim/ imports iru.sim."""
    users = sorted(
        str(p.relative_to(SRC))
        for p in MODULES
        if p.relative_to(SRC).parts[0] != "sim"
        and p.relative_to(SRC).parts[:2] != ("engine", "lab")
        and _banned(_imports(p), ("iru.sim",))
    )
    assert users == []


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


# -- start-up: `import iru.cli` and `iru --help` load no command module, no heavy library ----

HEAVY = (
    "sklearn",
    "igraph",
    "numba",
    "faiss",
    "fastapi",
    "uvicorn",
    "stix2",
    "duckdb",
    "pyarrow",
    "matplotlib",
)


def _modules_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code`` (which prints nothing)."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=SRC.parent
    )
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def _heavy(modules: list[str]) -> list[str]:
    return sorted({m for m in modules if m.split(".", 1)[0] in HEAVY})


def test_importing_the_cli_loads_no_heavy_library() -> None:
    modules = _modules_after("import iru.cli")
    assert _heavy(modules) == []
    assert [m for m in modules if m.startswith("iru.cli.")] == []
    # The Workspace builds its engines when asked: importing it loads none of them.
    workspace = _modules_after("import iru.workspace")
    assert _heavy(workspace) == []
    assert [m for m in workspace if m.startswith(("iru.engine", "iru.detect", "iru.network"))] == []


def test_help_lists_every_command_of_the_table_and_imports_none() -> None:
    code = (
        "import contextlib, io\n"
        "from iru.cli import main\n"
        "sys.argv = ['iru', '--help']\n"
        "shown = io.StringIO()\n"
        "with contextlib.redirect_stdout(shown):\n"
        "    main()\n"
        "sys.stderr.write(shown.getvalue())"
    )
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=SRC.parent
    )
    modules = json.loads(done.stdout.splitlines()[-1])
    assert _heavy(modules) == []
    assert [m for m in modules if m.startswith("iru.cli.")] == []
    listed = {}
    for line in done.stderr.split("Commands:", 1)[1].splitlines():
        name, _, text = line.strip().partition(" ")
        if name:
            listed[name] = text.strip()
    assert sorted(listed) == sorted(COMMANDS)
    for name, entry in COMMANDS.items():
        text = listed[name]
        shortened = text.endswith("...") and entry.summary.startswith(text[:-3])
        assert text == entry.summary or shortened, (name, text)


def test_the_command_table_names_each_command_with_its_own_help() -> None:
    """Each entry loads a click command of that name whose one-line help is the table's."""
    for name, entry in COMMANDS.items():
        command = LazyGroup.load(name, entry)
        assert command.name == name
        assert command.get_short_help_str(limit=1000) == entry.summary, name
    users = LazyGroup.load("users", COMMANDS["users"])
    assert isinstance(users, click.Group)
    assert {"add", "list", "passwd"} <= set(users.commands)  # passwd: added by cli/auth.py


def test_a_command_whose_module_is_missing_fails_clearly_when_invoked() -> None:
    group = LazyGroup(
        "iru",
        lazy={
            **COMMANDS,
            "gone": LazyCommand("iru.cli.no_such_module", "gone", "A command not installed."),
        },
    )
    runner = CliRunner()
    shown = runner.invoke(group, ["--help"])
    assert shown.exit_code == 0
    assert "gone" in shown.output and "A command not installed." in shown.output
    failed = runner.invoke(group, ["gone"])
    assert failed.exit_code == 1
    assert "command 'gone' is not available" in failed.output
    assert "iru.cli.no_such_module" in failed.output
