"""The evidence store: content-addressed files plus the hash-chained manifest table.

Bytes live under ``<root>/sha256/ab/cd/<digest>``, written to a temporary name and
renamed, read-only, once per distinct content. Each capture appends a manifest entry
and an ``evidence.capture`` audit event in one transaction; a purge appends a
tombstone per removed item and an ``evidence.purge`` audit event; :meth:`EvidenceStore.verify`
checks the two against each other (a manifest cut short is found that way) and
:meth:`EvidenceStore.anchor_problem` against an anchor kept elsewhere. A file lock on
``<root>/.lock`` keeps captures and purges from interleaving their file and table
steps (a purge never deletes bytes a concurrent capture has just relied on).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from iru.cases.audit import EVIDENCE_CAPTURE, EVIDENCE_PURGE, AuditEvent
from iru.cases.chain import GENESIS_HASH, ChainReport
from iru.cases.evidence import (
    CAPTURE,
    PURGE,
    EvidenceReport,
    Holdings,
    ManifestEntry,
    Recorded,
    blob_path,
    capture_entry,
    check_digest,
    content_address,
    cross_check,
    purge_entry,
    verify_manifest,
)
from iru.domain import utc
from iru.storage.audit import AUDIT_CHAIN, AuditStore, locked_transaction
from iru.storage.database import Database
from iru.storage.schema import evidence_manifest

EVIDENCE_CHAIN = "iru.evidence_manifest"
DEFAULT_RETENTION = timedelta(days=183)
_CHUNK = 1000
_BLOCK = 1 << 20


class EvidenceError(Exception):
    """An evidence item cannot be given back as captured."""


class EvidenceMissing(EvidenceError):
    """The item's bytes are not in the store."""


class EvidenceAltered(EvidenceError):
    """The item's bytes no longer hash to its name."""


def _entry(row: Row[Any]) -> ManifestEntry:
    return ManifestEntry(
        seq=row.seq,
        action=row.action,
        sha256=row.sha256,
        size=row.size,
        subject=row.subject,
        kind=row.kind,
        source=row.source,
        at=utc(row.at),
        actor=row.actor,
        unit=row.unit,
        mime_type=row.mime_type,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _recorded(event: AuditEvent) -> Recorded:
    """What an ``evidence.capture`` or ``evidence.purge`` audit event says of its entry."""
    after = event.after or {}
    seq = after.get("manifest_seq")
    if event.action == EVIDENCE_PURGE:
        digest = event.subject.removeprefix("sha256:")
        return Recorded(event.seq, seq if isinstance(seq, int) else None, PURGE, digest, "")
    digest = str(after.get("sha256", ""))
    return Recorded(
        event.seq, seq if isinstance(seq, int) else None, CAPTURE, digest, event.subject
    )


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class EvidenceStore:
    """The evidence of one workspace: files under ``root``, the manifest in ``database``."""

    def __init__(self, database: Database, root: Path) -> None:
        self.database = database
        self.root = root
        self.audit = AuditStore(database)

    def path(self, digest: str) -> Path:
        return self.root / blob_path(digest)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _store(self, digest: str, data: bytes) -> str:
        """Write the bytes under their digest (temp name, fsync, rename), once only.

        Returns "held" (already there), "stored" (new) or "repaired" (a file of that
        name held other bytes and was replaced; the audit event says so).
        """
        path = self.path(digest)
        exists = path.is_file()
        if exists and _file_digest(path) == digest:
            return "held"
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{digest}.{os.getpid()}.{uuid.uuid4().hex}.partial")
        try:
            with partial.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            partial.chmod(0o444)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return "repaired" if exists else "stored"

    @staticmethod
    def _last(conn: Connection) -> tuple[int, str]:
        last = conn.execute(
            select(evidence_manifest.c.seq, evidence_manifest.c.hash)
            .order_by(evidence_manifest.c.seq.desc())
            .limit(1)
        ).first()
        return (last.seq + 1, last.hash) if last is not None else (1, GENESIS_HASH)

    @staticmethod
    def _insert(conn: Connection, entry: ManifestEntry) -> None:
        conn.execute(
            evidence_manifest.insert().values({**entry.body(), "at": entry.at, "hash": entry.hash})
        )

    def capture(
        self,
        subject: str,
        kind: str,
        data: bytes,
        *,
        source: str,
        captured_by: str,
        unit: str,
        mime_type: str,
        now: datetime | None = None,
    ) -> ManifestEntry:
        """Preserve ``data`` as evidence about ``subject``; audited as ``evidence.capture``."""
        digest = content_address(data)
        captured_at = now or datetime.now(UTC)
        with self._file_lock():
            blob = self._store(digest, data)
            with locked_transaction(self.database, EVIDENCE_CHAIN, AUDIT_CHAIN) as conn:
                seq, prev_hash = self._last(conn)
                entry = capture_entry(
                    seq,
                    prev_hash,
                    sha256=digest,
                    size=len(data),
                    subject=subject,
                    kind=kind,
                    source=source,
                    captured_at=captured_at,
                    captured_by=captured_by,
                    unit=unit,
                    mime_type=mime_type,
                )
                self._insert(conn, entry)
                self.audit.append_in(
                    conn,
                    captured_by,
                    unit,
                    EVIDENCE_CAPTURE,
                    subject,
                    after={
                        "sha256": digest,
                        "size": len(data),
                        "kind": kind,
                        "source": source,
                        "mime_type": mime_type,
                        "manifest_seq": entry.seq,
                        "blob": blob,
                    },
                    at=captured_at,
                )
        return entry

    def get(self, sha256: str) -> bytes:
        """The bytes of an item, checked against their digest on the way out."""
        path = self.path(check_digest(sha256))
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceMissing(f"evidence {sha256} is not in the store") from exc
        if content_address(data) != sha256:
            raise EvidenceAltered(f"evidence {sha256} was altered on disk")
        return data

    def entries(self, since_seq: int = 0, chunk: int = _CHUNK) -> Iterator[ManifestEntry]:
        """Manifest entries after ``since_seq`` in seq order, read in chunks."""
        last = since_seq
        while True:
            query = (
                select(evidence_manifest)
                .where(evidence_manifest.c.seq > last)
                .order_by(evidence_manifest.c.seq)
                .limit(chunk)
            )
            with self.database.engine.connect() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield _entry(row)
            if len(rows) < chunk:
                return
            last = rows[-1].seq

    def _holdings_and_chain(self) -> tuple[Holdings, ChainReport, list[ManifestEntry]]:
        holdings = Holdings()
        seen: list[ManifestEntry] = []

        def tap() -> Iterator[ManifestEntry]:
            for entry in self.entries():
                holdings.observe(entry)
                seen.append(entry)
                yield entry

        return holdings, verify_manifest(tap()), seen

    def recorded(self) -> Iterator[Recorded]:
        """The audit log's account of the manifest: one record per capture and purge."""
        for event in self.audit.events(actions=(EVIDENCE_CAPTURE, EVIDENCE_PURGE)):
            yield _recorded(event)

    def anchor_problem(self, seq: int, digest: str) -> str | None:
        """Why the manifest no longer holds the head an anchor recorded, or None.

        ``seq``/``digest`` are the head seq and hash written by ``iru evidence anchor``;
        a manifest cut short or rebuilt from some point on no longer has them.
        """
        if seq <= 0:
            return None
        found = next(iter(self.entries(since_seq=seq - 1, chunk=1)), None)
        if found is None or found.seq != seq:
            last = max((e.seq for e in self.entries()), default=0)
            return (
                f"evidence manifest cut short: the anchor names seq {seq}, "
                f"the manifest ends at {last}"
            )
        if found.hash != digest:
            return (
                f"evidence manifest rewritten: seq {seq} has hash {found.hash[:12]}, "
                f"the anchor recorded {digest[:12]}"
            )
        return None

    def verify(self) -> EvidenceReport:
        """Check the manifest chain, the manifest against the audit log's capture and
        purge events, and every held item's bytes; purged items are expected absent."""
        holdings, chain, seen = self._holdings_and_chain()
        unrecorded = cross_check(seen, self.recorded())
        missing: list[str] = []
        altered: list[str] = []
        for digest in sorted(holdings.held):
            path = self.path(digest)
            if not path.is_file():
                missing.append(digest)
            elif _file_digest(path) != digest:
                altered.append(digest)
        return EvidenceReport(
            ok=chain.ok and not unrecorded and not missing and not altered,
            entries=holdings.entries,
            missing=missing,
            altered=altered,
            chain=chain,
            held=len(holdings.held),
            purged=len(holdings.purged),
            unrecorded=unrecorded,
        )

    def purge(
        self,
        older_than: timedelta,
        actor: str,
        unit: str,
        now: datetime | None = None,
    ) -> int:
        """Remove items whose every capture is older than ``older_than``; each leaves a
        tombstone in the manifest and an ``evidence.purge`` audit event. Returns how
        many items were removed."""
        if older_than <= timedelta(0):
            raise ValueError(f"retention must be positive, got {older_than}")
        at = now or datetime.now(UTC)
        days = older_than / timedelta(days=1)
        reason = f"retention: every capture older than {days:g} days"
        with self._file_lock():
            holdings = Holdings()
            for entry in self.entries():
                holdings.observe(entry)
            expired = holdings.expired(at - older_than)
            if not expired:
                return 0
            with locked_transaction(self.database, EVIDENCE_CHAIN, AUDIT_CHAIN) as conn:
                seq, prev_hash = self._last(conn)
                for digest, holding in expired:
                    tombstone = purge_entry(
                        seq,
                        prev_hash,
                        sha256=digest,
                        size=holding.size,
                        reason=reason,
                        purged_at=at,
                        purged_by=actor,
                        unit=unit,
                    )
                    self._insert(conn, tombstone)
                    self.audit.append_in(
                        conn,
                        actor,
                        unit,
                        EVIDENCE_PURGE,
                        f"sha256:{digest}",
                        before={
                            "subjects": sorted(holding.subjects),
                            "size": holding.size,
                            "last_captured_at": holding.last_captured_at,
                        },
                        after={"manifest_seq": tombstone.seq, "retention_days": days},
                        at=at,
                    )
                    seq, prev_hash = tombstone.seq + 1, tombstone.hash
            # Recorded first, removed second: a crash in between leaves bytes that are
            # expected absent (harmless), never an unexplained gap.
            for digest, _holding in expired:
                self.path(digest).unlink(missing_ok=True)
        return len(expired)


__all__ = [
    "DEFAULT_RETENTION",
    "EVIDENCE_CHAIN",
    "EvidenceAltered",
    "EvidenceError",
    "EvidenceMissing",
    "EvidenceStore",
]
