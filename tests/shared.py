"""Expensive set-ups built once per test run and shared by every xdist worker.

Three kinds:

- :func:`once` — a folder made by a function, once per run: whichever worker asks first
  builds it while the others wait on a lock, then all read it. Read-only by contract.
- :func:`world` — a simulated world (:func:`iru.sim.output.simulate`) for a config, once per
  run however many modules and workers ask for the same config.
- :func:`template` and :func:`clone` — a prepared workspace (ingested, detected, users
  added, ...) built once per run and backend, then copied into each test's own workspace:
  the folder by ``copytree``, the PostgreSQL database by ``CREATE DATABASE ... TEMPLATE``.
  Each test then changes its copy as it likes; no test sees another's changes.

The PostgreSQL template databases are named ``iru_tpl_<pid>_<name>`` after the process
that runs the session (the xdist controller); :func:`drop_templates` drops them at its
end, and those of runs that died.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from iru.sim.config import WorldConfig
from iru.sim.output import simulate

PG_ADMIN = os.environ.get("IRU_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
_PREFIX = "iru_tpl_"


def _run_dir(factory: pytest.TempPathFactory) -> Path:
    """This run's folder that every worker sees: under xdist each worker's base folder
    (``.../pytest-N/popen-gwK``) sits in the run's own (``.../pytest-N``)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _run_id() -> int:
    """The process that runs the session: the xdist controller, or this one without xdist."""
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name`` of this run, made by ``build(folder)`` the first time any worker
    asks (a build that failed is tried again by the next one). Do not change it."""
    shared = _run_dir(factory) / "shared"
    shared.mkdir(exist_ok=True)
    folder, done = shared / name, shared / f"{name}.done"
    with _locked(shared / f"{name}.lock"):
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            build(folder)
            done.touch()
    return folder


def world(factory: pytest.TempPathFactory, config: WorldConfig) -> Path:
    """The world ``config`` makes (the same config always makes the same files), once per run."""
    digest = hashlib.sha256(repr(config).encode()).hexdigest()[:16]
    return once(factory, f"world-{config.seed}-{digest}", lambda out: _simulate(config, out))


def _simulate(config: WorldConfig, out: Path) -> None:
    simulate(config, out)


# -- prepared workspaces -------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A workspace as built: its folder, its PostgreSQL template database ("" for SQLite,
    which lives in the folder), and what the builder returned (JSON)."""

    root: Path
    database: str
    meta: Any


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _database_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def template(
    factory: pytest.TempPathFactory,
    name: str,
    postgresql: bool,
    build: Callable[[Path, str], Any],
) -> Template:
    """The workspace ``build(root, database_url)`` prepares, once per run and backend.

    ``build`` must close every workspace it opens (a template database takes no copies
    while it has a connection); what it returns (JSON-able) comes back as ``meta``.
    """
    backend = "postgresql" if postgresql else "sqlite"
    key = f"template-{name}-{backend}"
    database = f"{_PREFIX}{_run_id()}_{re.sub(r'[^a-z0-9_]', '_', name.lower())}"[:63]

    def make(folder: Path) -> None:
        url = ""
        if postgresql:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{database}"')
            url = _database_url(database)
        meta = build(folder / "ws", url)
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    folder = once(factory, key, make)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return Template(folder / "ws", database if postgresql else "", meta)


def clone(prepared: Template, root: Path, database_url: str) -> None:
    """Makes the workspace at ``root`` on ``database_url`` a copy of ``prepared``.

    ``root`` must not exist yet; ``database_url`` is "" (SQLite, in the folder) or a test's
    own PostgreSQL database (the ``pg_url`` fixture's), which is replaced by a copy.
    """
    assert bool(database_url) == bool(prepared.database), "clone to the template's backend"
    shutil.copytree(prepared.root, root)
    if not database_url:
        return
    name = _database_name(database_url)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for attempt in range(50):
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{prepared.database}"')
                return
            except psycopg.errors.ObjectInUse:  # another worker is copying it right now
                if attempt == 49:
                    raise
                time.sleep(0.1)


def drop_templates() -> None:
    """Drops this run's template databases, and those of runs whose process has gone."""
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2)
    except psycopg.Error:
        return  # no server: no template was made
    with admin:
        names = [
            row[0]
            for row in admin.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (_PREFIX,)
            )
        ]
        for name in names:
            pid = name[len(_PREFIX) :].split("_", 1)[0]
            if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
