"""A prepared workspace for the workbench's tests: a small world ingested, detected, with users.

Built once per test run (simulate → ingest → knowledge → detect → train → detect) on
SQLite and copied for each xdist worker; tests work on distinct accounts so they can share
that copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from iru.cases.access import Role
from iru.cli import cli
from iru.config import load_settings
from iru.engine.services.auth import AuthService
from iru.engine.services.cases import CaseService
from iru.sim.config import WorldConfig
from iru.workspace import Workspace

from .. import shared

PASSWORD = "a long test password"
USERS = (
    ("root", Role.ADMIN, "EU"),
    ("anna", Role.ANALYST, "DE"),
    ("sven", Role.SUPERVISOR, "DE"),
    ("audrey", Role.AUDITOR, "DE"),
    ("fabien", Role.ANALYST, "FR"),
)


@dataclass(frozen=True)
class WebWorld:
    root: Path
    world: Path

    def open(self) -> Workspace:
        return Workspace(load_settings(flags={"workspace": str(self.root)}, environ={}))


@pytest.fixture(scope="session")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """Built once per run (whichever xdist worker comes first), copied for each worker."""
    world = shared.world(tmp_path_factory, WorldConfig(seed=21, days=2, scale=0.01))
    built = shared.once(tmp_path_factory, "web-world", lambda root: _prepare(root, world))
    root = tmp_path_factory.mktemp("web-world") / "ws"
    shutil.copytree(built, root)
    yield WebWorld(root, world)


def _prepare(root: Path, world: Path) -> None:
    runner = CliRunner()
    env = {
        "IRU_WORKSPACE": str(root),
        "IRU_DATABASE_URL": "",
        "IRU_MEDIA_DIR": str(world / "media"),
    }
    for args in (
        ["ingest", str(world / "twitter"), str(world / "telegram"), str(world / "follows.jsonl")],
        ["label", "import", str(world / "knowledge" / "labels.csv")],
        ["indicators", "import", str(world / "knowledge" / "indicators.toml")],
        ["detect"],
        ["train"],
        ["detect"],
    ):
        result = runner.invoke(cli, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    ws = WebWorld(root, world).open()
    try:
        cases = CaseService(ws.database)
        auth = AuthService(ws.database)
        now = datetime.now(UTC)
        for name, role, unit in USERS:
            actor = cases.principal("root") if name != "root" else None
            cases.add_user(actor, name, role, unit, now, contact=f"{unit} desk")
            auth.set_password(cases.principal("root"), name, PASSWORD, now)
    finally:
        ws.close()
