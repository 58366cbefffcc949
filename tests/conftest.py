"""Shared fixtures: workspaces on a real SQLite file and on a real PostgreSQL database.

The PostgreSQL server runs at 127.0.0.1:5432 with trust auth (user postgres); each
test that asks for it gets a database of its own, created and dropped here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from iru.cli import cli
from iru.config import load_settings
from iru.workspace import Workspace

from . import numba_warm, shared

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DATA = ROOT / "tests" / "data"
PG_ADMIN = os.environ.get("IRU_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config) -> None:
    """With ``-n``: compile the numba kernels once, while the workers start and collect."""
    numba_warm.start()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any) -> None:
    """Hold back the first tests until that compile is done (the workers then load it)."""
    numba_warm.wait(node.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    numba_warm.stop()
    if not hasattr(config, "workerinput"):  # xdist's controller, or the only process
        shared.drop_templates()  # the prepared workspaces' PostgreSQL templates


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"iru_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite (a file in tmp) and on PostgreSQL (its own database)."""
    if request.param == "sqlite":
        return ""  # empty: SQLite in the workspace
    url: str = request.getfixturevalue("pg_url")
    return url


def open_workspace(root: Path, database_url: str = "", **flags: Any) -> Workspace:
    """A workspace on ``root`` with only the given settings (the environment is not read)."""
    return Workspace(
        load_settings(
            flags={"workspace": str(root), "database_url": database_url, **flags}, environ={}
        )
    )


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> Iterator[Workspace]:
    ws = open_workspace(tmp_path / "ws", database_url)
    yield ws
    ws.close()


class Iru:
    """Runs ``iru`` in-process against one workspace and database."""

    def __init__(self, workspace: Path, database_url: str) -> None:
        self.workspace = workspace
        self.database_url = database_url
        self.runner = CliRunner()

    def open(self) -> Workspace:
        """The same workspace, opened in-process (close it when done)."""
        return open_workspace(self.workspace, self.database_url)

    def env(self) -> dict[str, str]:
        return {"IRU_WORKSPACE": str(self.workspace), "IRU_DATABASE_URL": self.database_url}

    def __call__(self, *args: str, ok: bool = True) -> Result:
        result = self.runner.invoke(cli, list(args), env=self.env(), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result


@pytest.fixture
def iru(tmp_path: Path, database_url: str) -> Iru:
    return Iru(tmp_path / "ws", database_url)


# The issuing authority's table (iru.toml [authority]) for tests that make removal orders.
AUTHORITY = {
    "issuing_member_state": "DE",
    "type": "law_enforcement",
    "name": "Synthetic Federal Police Referral Unit",
    "representative": "Officer A. Example",
    "post": "Head of unit",
    "address": "1 Example Street, 10000 Example City",
    "telephone": "+49 000 0000000",
    "email": "iru@police.example",
    "feedback_contact": "iru-desk@police.example",
    "redress_body": "Administrative Court of Example City",
    "redress_time_limit": "one month from notification",
    "providers": {
        platform: {
            "addressee": f"{platform.title()} Sim International Ltd",
            "contact_point": f"tco@{platform}.sim.example",
            "member_state": "IE",
            "home_state_authority": "Example Media Regulator (IE)",
        }
        for platform in ("twitter", "telegram", "activitypub")
    },
}
