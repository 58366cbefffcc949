"""Opening a workspace whose database is already at head loads no alembic; any other stays migrated.

The check reads the head revision from the migration files as text and the stored one with
plain SQL; these tests hold it to alembic's own answer, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from iru.storage.database import Database, head_from_files

from .conftest import ROOT, open_workspace


def _database(tmp_path: Path, database_url: str) -> Database:
    return Database(database_url or f"sqlite:///{tmp_path / 'iru.sqlite'}")


def test_the_head_read_from_the_files_is_alembics_head(tmp_path: Path, database_url: str) -> None:
    database = _database(tmp_path, database_url)
    try:
        assert head_from_files() is not None
        assert head_from_files() == database.head_revision()
    finally:
        database.dispose()


def test_a_database_behind_head_is_still_migrated(tmp_path: Path, database_url: str) -> None:
    database = _database(tmp_path, database_url)
    try:
        database.upgrade("0007")
        assert database.current_revision() == "0007"
        database.ensure_schema()
        assert database.current_revision() == database.head_revision()
        with database.engine.connect() as conn:  # 0008's table exists now
            assert conn.execute(text("SELECT count(*) FROM web_sessions")).scalar() == 0
    finally:
        database.dispose()


def test_an_empty_database_is_migrated_to_head(tmp_path: Path, database_url: str) -> None:
    database = _database(tmp_path, database_url)
    try:
        database.ensure_schema()
        assert database.current_revision() == head_from_files()
    finally:
        database.dispose()


def test_a_command_on_a_migrated_workspace_loads_no_alembic(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    ws.database  # noqa: B018 - create and migrate it
    ws.close()
    script = (
        "import json, sys\n"
        "from iru.cli import main\n"
        f"sys.argv = ['iru', 'stats', '--format', 'json', '--workspace', {str(ws.root)!r}]\n"
        "main()\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRU_")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    assert json.loads(done.stdout)["quarantined"] == 0
    modules = json.loads(done.stderr)
    assert [m for m in modules if m.split(".", 1)[0] == "alembic"] == []
