"""The SQL schema and its migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from iru.domain import Account
from iru.storage.database import Database, QuarantineRow, redact_url
from iru.storage.schema import metadata
from iru.workspace import Workspace


def test_migrations_from_empty_to_head_match_the_schema(workspace: Workspace) -> None:
    database = Database(workspace.settings.database_url)
    workspace.create()
    assert database.current_revision() is None
    database.upgrade()
    assert database.current_revision() == database.head_revision() == "0008"
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    # And back down to nothing, and up again.
    database.downgrade("base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    database.upgrade()
    assert {"accounts", "quarantine", "ingest_runs"} <= set(
        inspect(database.engine).get_table_names()
    )
    database.dispose()


def test_first_use_migrates_automatically(workspace: Workspace) -> None:
    assert workspace.database.current_revision() == "0008"
    if workspace.database.dialect == "sqlite":
        with workspace.database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _account(observed: datetime | None, followers: int | None, handle: str | None) -> Account:
    return Account(
        platform="twitter",
        account_id="42",
        handle=handle,
        followers_count=followers,
        observed_at=observed,
    )


def test_account_upsert_keeps_the_newest_snapshot_in_any_order(workspace: Workspace) -> None:
    db = workspace.database
    old = _account(datetime(2024, 1, 1, tzinfo=UTC), 10, "old_handle")
    new = _account(datetime(2024, 2, 1, tzinfo=UTC), 20, None)
    assert db.write_ingest_batch([new], []) == (1, 0)
    assert db.write_ingest_batch([old], []) == (0, 0)
    assert db.write_ingest_batch([new], []) == (0, 0)
    (row,) = list(db.iter_accounts())
    assert row["followers_count"] == 20
    # A newer snapshot with a gap keeps what was known.
    assert row["handle"] is None or row["handle"] == "old_handle"
    assert row["status"] == "active"
    assert row["observed_at"].replace(tzinfo=UTC) == datetime(2024, 2, 1, tzinfo=UTC)


def test_quarantine_is_idempotent_per_source_and_locator(workspace: Workspace) -> None:
    db = workspace.database
    reject = QuarantineRow("/data/a.jsonl", "jsonl", "line 3", "bad date", b"\xff{not json")
    assert db.write_ingest_batch([], [reject]) == (0, 1)
    assert db.write_ingest_batch([], [reject]) == (0, 0)
    (row,) = db.quarantine_rows()
    assert row["raw"] == b"\xff{not json"
    assert row["locator"] == "line 3"


def test_redact_url_hides_passwords() -> None:
    shown = redact_url("postgresql+psycopg://iru:s3cret@db.example:5432/iru")
    assert "s3cret" not in shown and "db.example" in shown
