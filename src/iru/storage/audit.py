"""The audit log table: append under a lock, stream in order, verify the chain.

Appending reads the last event and inserts the next in one transaction that holds the
log's append lock: ``BEGIN IMMEDIATE`` on SQLite (one writer at a time), a
transaction-level advisory lock on PostgreSQL. So concurrent writers, threads or
processes, never fork the chain or reuse a seq. Rows are never updated or deleted
here; reading the log is not itself audited (it is the audit).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Row

from iru.cases.audit import AuditEvent, verify_chain
from iru.cases.chain import GENESIS_HASH, ChainReport, canonical_json
from iru.domain import utc
from iru.storage.database import Database
from iru.storage.schema import audit_log

AUDIT_CHAIN = "iru.audit_log"
_CHUNK = 1000


def _lock_key(chain: str) -> int:
    """A stable signed 64-bit advisory-lock key per chain name."""
    return int.from_bytes(hashlib.sha256(chain.encode()).digest()[:8], "big", signed=True)


@contextmanager
def locked_transaction(database: Database, *chains: str) -> Iterator[Connection]:
    """One write transaction holding the append lock of each chain named (take them in
    the same order everywhere: evidence before audit). Commits on success."""
    with database.engine.connect() as conn:
        if database.dialect == "sqlite":
            # Take the write lock now, not at the first INSERT, so reads see the last row.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            for chain in chains:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(chain)})
        yield conn
        conn.commit()


def _json_text(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else canonical_json(dict(value)).decode("utf-8")


def _json_value(stored: str | None) -> dict[str, Any] | None:
    """A stored JSON object; text that is not one reads as a marker whose hash cannot match."""
    if stored is None:
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        return {"unreadable": stored}
    return value if isinstance(value, dict) else {"unreadable": stored}


def _event(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        seq=row.seq,
        at=utc(row.at),
        actor=row.actor,
        unit=row.unit,
        action=row.action,
        subject=row.subject,
        before=_json_value(row.before),
        after=_json_value(row.after),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class AuditStore:
    """The audit log of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def append(
        self,
        actor: str,
        unit: str,
        action: str,
        subject: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        """Record one action, chained to the last; safe under concurrent writers."""
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            return self.append_in(
                conn, actor, unit, action, subject, before=before, after=after, at=at
            )

    def append_in(
        self,
        conn: Connection,
        actor: str,
        unit: str,
        action: str,
        subject: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        """Append inside the caller's :func:`locked_transaction` (which names AUDIT_CHAIN),
        so the event commits or rolls back with the caller's own writes."""
        last = conn.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        seq, prev_hash = (last.seq + 1, last.hash) if last is not None else (1, GENESIS_HASH)
        event = AuditEvent.create(
            seq,
            at=at or datetime.now(UTC),
            actor=actor,
            unit=unit,
            action=action,
            subject=subject,
            before=before,
            after=after,
            prev_hash=prev_hash,
        )
        conn.execute(
            audit_log.insert().values(
                seq=event.seq,
                at=event.at,
                actor=event.actor,
                unit=event.unit,
                action=event.action,
                subject=event.subject,
                before=_json_text(event.before),
                after=_json_text(event.after),
                prev_hash=event.prev_hash,
                hash=event.hash,
            )
        )
        return event

    def events(
        self,
        since_seq: int = 0,
        subject: str | None = None,
        chunk: int = _CHUNK,
        *,
        actions: tuple[str, ...] | None = None,
    ) -> Iterator[AuditEvent]:
        """Events after ``since_seq`` in seq order (only ``actions`` when given), read
        ``chunk`` rows at a time."""
        last = since_seq
        while True:
            query = select(audit_log).where(audit_log.c.seq > last)
            if subject is not None:
                query = query.where(audit_log.c.subject == subject)
            if actions is not None:
                query = query.where(audit_log.c.action.in_(actions))
            with self.database.engine.connect() as conn:
                rows = conn.execute(query.order_by(audit_log.c.seq).limit(chunk)).all()
            for row in rows:
                yield _event(row)
            if len(rows) < chunk:
                return
            last = rows[-1].seq

    def verify(self) -> ChainReport:
        """Check the whole log; the report names the first broken event."""
        return verify_chain(self.events())


__all__ = ["AUDIT_CHAIN", "AuditStore", "locked_transaction"]
