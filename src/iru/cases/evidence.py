"""Evidence items and their manifest: content addresses, chained entries, retention.

An item is bytes plus who captured what, where and when; it is addressed by its
SHA-256, so the same bytes are held once however often they are captured. Every
capture appends a :class:`ManifestEntry` to a hash chain built exactly like the audit
log's (:mod:`iru.cases.chain`); removing an item after its retention period appends a
``purge`` entry (a tombstone), so the chain stays complete and a purged item is known
to be absent rather than missing. :class:`Holdings` folds the manifest into what
should be on disk now. Pure: files and tables live in :mod:`iru.storage.evidence`.

A chain cannot see its own tail cut off, so the manifest is checked against two things
kept apart from it: an anchor (its head's seq and hash, written by ``iru evidence
anchor`` outside the database), and the audit log, which records every capture and
purge in the same transaction as its manifest entry (:func:`cross_check`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from iru.cases.chain import GENESIS_HASH, ChainReport, chain_hash, rfc3339, verify_links
from iru.domain import require_zone, utc

KINDS = ("post", "profile", "media", "page", "package")
CAPTURE = "capture"
PURGE = "purge"
_DIGEST = re.compile(r"[0-9a-f]{64}")


def content_address(data: bytes) -> str:
    """The SHA-256 of the bytes, lowercase hex: the item's name in the store."""
    return hashlib.sha256(data).hexdigest()


def check_digest(digest: str) -> str:
    """The digest if it is 64 lowercase hex characters; ValueError otherwise."""
    if not _DIGEST.fullmatch(digest):
        raise ValueError(f"not a SHA-256 hex digest: {digest[:80]!r}")
    return digest


def blob_path(digest: str) -> str:
    """Where the bytes live under the evidence root: ``sha256/ab/cd/<digest>``."""
    check_digest(digest)
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One capture of an item, or one purge of it (a tombstone), sealed in the chain.

    For a capture, ``at``/``actor``/``unit`` are when, by whom and for which unit it was
    captured; for a purge, when, by whom and for which unit it was removed, and
    ``source`` says why (the retention period).
    """

    seq: int
    action: str  # "capture" or "purge"
    sha256: str
    size: int
    subject: str  # e.g. "twitter:12345" or "case:17"
    kind: str  # post | profile | media | page ("" for a purge)
    source: str  # URL or archive locator; the reason for a purge
    at: datetime  # UTC
    actor: str
    unit: str
    mime_type: str
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """Every field except ``hash``, as the chain hashes it."""
        return {
            "seq": self.seq,
            "action": self.action,
            "sha256": self.sha256,
            "size": self.size,
            "subject": self.subject,
            "kind": self.kind,
            "source": self.source,
            "at": rfc3339(self.at),
            "actor": self.actor,
            "unit": self.unit,
            "mime_type": self.mime_type,
            "prev_hash": self.prev_hash,
        }

    @property
    def metadata(self) -> dict[str, Any]:
        """The capture's description, without the chain fields."""
        body = self.body()
        for name in ("seq", "sha256", "size", "prev_hash"):
            del body[name]
        return body


def capture_entry(
    seq: int,
    prev_hash: str,
    *,
    sha256: str,
    size: int,
    subject: str,
    kind: str,
    source: str,
    captured_at: datetime,
    captured_by: str,
    unit: str,
    mime_type: str,
) -> ManifestEntry:
    """A sealed capture entry; ValueError on a field the manifest cannot hold."""
    if kind not in KINDS:
        raise ValueError(f"evidence kind must be one of {', '.join(KINDS)}, got {kind!r}")
    for name, value in (
        ("subject", subject),
        ("captured_by", captured_by),
        ("unit", unit),
        ("mime_type", mime_type),
    ):
        if not value or not value.strip():
            raise ValueError(f"evidence needs a non-empty {name}")
    if size < 0:
        raise ValueError(f"negative size {size}")
    return _seal(
        ManifestEntry(
            seq=seq,
            action=CAPTURE,
            sha256=check_digest(sha256),
            size=size,
            subject=subject,
            kind=kind,
            source=source,
            at=utc(require_zone(captured_at)),
            actor=captured_by,
            unit=unit,
            mime_type=mime_type,
            prev_hash=prev_hash,
            hash="",
        )
    )


def purge_entry(
    seq: int,
    prev_hash: str,
    *,
    sha256: str,
    size: int,
    reason: str,
    purged_at: datetime,
    purged_by: str,
    unit: str,
) -> ManifestEntry:
    """A sealed tombstone: the item's bytes were removed on purpose."""
    return _seal(
        ManifestEntry(
            seq=seq,
            action=PURGE,
            sha256=check_digest(sha256),
            size=size,
            subject="",
            kind="",
            source=reason,
            at=utc(require_zone(purged_at)),
            actor=purged_by,
            unit=unit,
            mime_type="",
            prev_hash=prev_hash,
            hash="",
        )
    )


def _seal(entry: ManifestEntry) -> ManifestEntry:
    if entry.seq < 1:
        raise ValueError(f"manifest sequence numbers start at 1, got {entry.seq}")
    return replace(entry, hash=chain_hash(entry.body()))


def verify_manifest(entries: Iterable[ManifestEntry]) -> ChainReport:
    """Check manifest entries in stored order; the report names the first broken one."""
    return verify_links(entries)


@dataclass(slots=True)
class Holding:
    """An item that should be on disk: its size, newest capture, and subjects."""

    size: int
    last_captured_at: datetime
    subjects: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Holdings:
    """What the manifest says is held now (captured, not purged since) and what was purged."""

    held: dict[str, Holding] = field(default_factory=dict)
    purged: set[str] = field(default_factory=set)
    entries: int = 0

    def observe(self, entry: ManifestEntry) -> None:
        self.entries += 1
        if entry.action == PURGE:
            self.held.pop(entry.sha256, None)
            self.purged.add(entry.sha256)
            return
        self.purged.discard(entry.sha256)
        holding = self.held.get(entry.sha256)
        if holding is None:
            holding = self.held[entry.sha256] = Holding(entry.size, entry.at)
        holding.last_captured_at = max(holding.last_captured_at, entry.at)
        holding.subjects.add(entry.subject)

    def expired(self, cutoff: datetime) -> list[tuple[str, Holding]]:
        """Held items whose every capture (since any earlier purge) is before ``cutoff``."""
        return sorted(
            (digest, holding)
            for digest, holding in self.held.items()
            if holding.last_captured_at < cutoff
        )


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the audit log says one manifest entry is: its action, item and subject."""

    audit_seq: int
    manifest_seq: int | None  # None: the audit event names no manifest entry
    action: str  # "capture" or "purge"
    sha256: str
    subject: str  # a capture's subject ("" for a purge)


def _describe(action: str, sha256: str, subject: str) -> str:
    what = f"{action} of {sha256[:12]}"
    return f"{what} for {subject}" if subject else what


def cross_check(entries: Iterable[ManifestEntry], recorded: Iterable[Recorded]) -> list[str]:
    """Disagreements between the manifest and the audit log's capture and purge events,
    in manifest order, each naming the entry: every event must have its entry (same seq,
    action and item) and every entry its event."""
    by_seq: dict[int, Recorded] = {}
    problems: list[str] = []
    for event in recorded:
        if event.manifest_seq is None:
            problems.append(
                f"audit event seq {event.audit_seq} records an evidence "
                f"{event.action} without its manifest seq"
            )
        elif event.manifest_seq in by_seq:
            problems.append(
                f"audit events seq {by_seq[event.manifest_seq].audit_seq} and "
                f"{event.audit_seq} both record manifest seq {event.manifest_seq}"
            )
        else:
            by_seq[event.manifest_seq] = event
    for entry in entries:
        found = by_seq.pop(entry.seq, None)
        named = f"manifest seq {entry.seq} ({_describe(entry.action, entry.sha256, entry.subject)})"
        if found is None:
            problems.append(f"{named} has no audit event")
        elif (found.action, found.sha256) != (entry.action, entry.sha256) or (
            entry.action == CAPTURE and found.subject != entry.subject
        ):
            problems.append(
                f"{named} differs from audit event seq {found.audit_seq} "
                f"({_describe(found.action, found.sha256, found.subject)})"
            )
    for seq in sorted(by_seq):
        event = by_seq[seq]
        problems.append(
            f"manifest seq {seq} ({_describe(event.action, event.sha256, event.subject)}, "
            f"audit event seq {event.audit_seq}) is missing from the manifest"
        )
    return problems


@dataclass(frozen=True, slots=True)
class EvidenceReport:
    """The outcome of checking the evidence store against its manifest."""

    ok: bool
    entries: int
    missing: list[str]  # digests held by the manifest but absent on disk
    altered: list[str]  # digests whose bytes on disk no longer hash to their name
    chain: ChainReport
    held: int = 0
    purged: int = 0
    unrecorded: list[str] = field(default_factory=list)  # manifest vs audit log (cross_check)

    def first_problem(self) -> str | None:
        """The first problem as one line, or None when all is well."""
        if not self.chain.ok:
            return self.chain.summary("evidence manifest")
        if self.unrecorded:
            return (
                f"evidence manifest disagrees with the audit log: {self.unrecorded[0]}"
                f"{_more(len(self.unrecorded) - 1)}"
            )
        if self.missing:
            return f"evidence blob missing: {self.missing[0]}{_more(len(self.missing) - 1)}"
        if self.altered:
            return f"evidence blob altered: {self.altered[0]}{_more(len(self.altered) - 1)}"
        return None

    def summary(self) -> str:
        """One line for people: intact with counts, or the first problem."""
        return self.first_problem() or (
            f"evidence intact: {self.entries} manifest entries, {self.held} items held, "
            f"{self.purged} purged, head {self.chain.head[:12]}"
        )


def _more(count: int) -> str:
    return f" (and {count} more)" if count > 0 else ""


__all__ = [
    "CAPTURE",
    "GENESIS_HASH",
    "KINDS",
    "PURGE",
    "EvidenceReport",
    "Holding",
    "Holdings",
    "ManifestEntry",
    "Recorded",
    "blob_path",
    "capture_entry",
    "check_digest",
    "content_address",
    "cross_check",
    "purge_entry",
    "verify_manifest",
]
