"""A comparable picture of a whole store: every row of every table, run-specific fields left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iru.storage.archive import KEYS
from iru.workspace import Workspace


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    return str(value)


def snapshot(ws: Workspace) -> dict[str, Any]:
    """Accounts, quarantine (without ids and times) and every archive table, sorted."""
    accounts = sorted(
        tuple(sorted((k, _value(v)) for k, v in row.items())) for row in ws.database.iter_accounts()
    )
    quarantine = sorted(
        (r["source"], r["format"], r["locator"], r["reason"], bytes(r["raw"]))
        for r in ws.database.quarantine_rows()
    )
    archive: dict[str, Any] = {}
    with ws.archive.query() as conn:
        for table, key in KEYS.items():
            rows = conn.execute(f"SELECT * FROM {table} ORDER BY platform, {key}").fetchall()
            archive[table] = [tuple(_value(v) for v in row) for row in rows]
            dupes = conn.execute(
                f"SELECT count(*) - count(DISTINCT (platform, {key})) FROM {table}"
            ).fetchone()
            assert dupes == (0,), f"{table} holds duplicate keys"
    return {"accounts": accounts, "quarantine": quarantine, **archive}
