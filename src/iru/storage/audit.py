"""The audit log table: append under a lock, stream in order, verify the chain.

Appending reads the last event and inserts the next in one transaction that holds the
log's append lock: ``BEGIN IMMEDIATE`` on SQLite (one writer at a time), a
transaction-level advisory lock on PostgreSQL. So concurrent writers, threads or
processes, never fork the chain or reuse a seq. Rows are never updated or deleted
here; reading the log is not itself audited (it is the audit).

Reads are many (every page view of the workbench is audited) and one transaction per
read made the log's lock the workbench's bottleneck. :class:`ReadAuditBuffer` keeps read
events in memory, in the order they happened, and appends them in one transaction per
short interval (``interval`` seconds, or sooner once ``max_events`` wait), chained in that
order; it is flushed when closed (the workbench closes it when it stops). The trade-off:
a process killed outright (kill -9, a power cut) loses the read events of its last
interval. Decisions, referrals, log-ins and every other write are never buffered: they
are audited in their own transaction, with the change they record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Row

from iru.cases.audit import AuditEvent, verify_chain
from iru.cases.chain import GENESIS_HASH, ChainReport, canonical_json
from iru.domain import require_zone, utc
from iru.storage.database import Database
from iru.storage.schema import audit_log

AUDIT_CHAIN = "iru.audit_log"
_CHUNK = 1000

log = logging.getLogger(__name__)


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
        entry = Entry(actor, unit, action, subject, before, after, at or datetime.now(UTC))
        return self.append_all_in(conn, [entry])[0]

    def append_all_in(self, conn: Connection, entries: Sequence[Entry]) -> list[AuditEvent]:
        """Append ``entries`` in their order, chained, with one INSERT, inside the caller's
        :func:`locked_transaction` (which names AUDIT_CHAIN)."""
        if not entries:
            return []
        last = conn.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        seq, prev_hash = (last.seq + 1, last.hash) if last is not None else (1, GENESIS_HASH)
        events: list[AuditEvent] = []
        for entry in entries:
            event = entry.sealed(seq, prev_hash)
            events.append(event)
            seq, prev_hash = seq + 1, event.hash
        conn.execute(
            audit_log.insert(),
            [
                {
                    "seq": event.seq,
                    "at": event.at,
                    "actor": event.actor,
                    "unit": event.unit,
                    "action": event.action,
                    "subject": event.subject,
                    "before": _json_text(event.before),
                    "after": _json_text(event.after),
                    "prev_hash": event.prev_hash,
                    "hash": event.hash,
                }
                for event in events
            ],
        )
        return events

    def append_all(self, entries: Sequence[Entry]) -> list[AuditEvent]:
        """Record ``entries`` in their order, chained, in one transaction."""
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            return self.append_all_in(conn, entries)

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


@dataclass(frozen=True, slots=True)
class Entry:
    """An event not yet chained: what happened, by whom, to what, and when."""

    actor: str
    unit: str
    action: str
    subject: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    at: datetime

    def check(self) -> None:
        """Refuse what :meth:`sealed` would refuse, without sealing (cheaper)."""
        for name, value in (("actor", self.actor), ("unit", self.unit), ("action", self.action)):
            if not value or not value.strip():
                raise ValueError(f"an audit event needs a non-empty {name}")
        require_zone(self.at)
        for change in (self.before, self.after):
            if change is not None:
                canonical_json(dict(change))

    def sealed(self, seq: int, prev_hash: str) -> AuditEvent:
        """The event at ``seq`` after the event whose hash is ``prev_hash``."""
        return AuditEvent.create(
            seq,
            at=self.at,
            actor=self.actor,
            unit=self.unit,
            action=self.action,
            subject=self.subject,
            before=self.before,
            after=self.after,
            prev_hash=prev_hash,
        )


class ReadAuditBuffer:
    """Read events kept in order and appended in one transaction per ``interval`` seconds
    (sooner once ``max_events`` wait); :meth:`flush` writes them now, :meth:`close` flushes
    and stops. Thread-safe. See the module docstring for what a hard kill loses."""

    def __init__(self, store: AuditStore, *, interval: float = 0.2, max_events: int = 500) -> None:
        self.store = store
        self.interval = interval
        self.max_events = max_events
        self._pending: list[Entry] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time: batches stay in order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(
        self,
        actor: str,
        unit: str,
        action: str,
        subject: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Keep one read event; an event the log would refuse is refused here, at once."""
        entry = Entry(actor, unit, action, subject, before, after, at or datetime.now(UTC))
        entry.check()  # what the append would refuse is refused now, in the request
        with self._lock:
            if self._stop.is_set():
                closed = True
            else:
                closed = False
                self._pending.append(entry)
                full = len(self._pending) >= self.max_events
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="iru-audit-reads", daemon=True
                    )
                    self._thread.start()
        if closed:  # after close (a late request): written at once, never dropped
            self.store.append_all([entry])
        elif full:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Events kept and not yet written."""
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write every event kept so far, in one transaction; how many were written."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                self.store.append_all(batch)
            except BaseException:
                with self._lock:  # kept, in order, ahead of newer events: retried next time
                    self._pending[:0] = batch
                raise
            return len(batch)

    def close(self) -> None:
        """Flush and stop the writer thread; later events are written one by one."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self.flush()

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the database busy or gone for a moment: retried
                if not failing:  # logged once, not every interval
                    log.exception("writing %d audited reads failed; retrying", self.pending)
                failing = True
            else:
                if failing:
                    log.warning("audited reads are written again")
                failing = False


__all__ = [
    "AUDIT_CHAIN",
    "AuditStore",
    "Entry",
    "ReadAuditBuffer",
    "locked_transaction",
]
