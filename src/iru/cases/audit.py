"""The audit log's record and its chain rule: who did what to which subject, and when.

Each :class:`AuditEvent` carries the hash of the one before it, so an edited, deleted
or reordered event, or one whose hash was recomputed, is found by
:func:`verify_chain` at that event or the next. Pure: storage lives in
:mod:`iru.storage.audit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from iru.cases.chain import (
    GENESIS_HASH,
    ChainReport,
    chain_hash,
    json_safe,
    rfc3339,
    verify_links,
)
from iru.domain import require_zone, utc

# The actions the workflow records (others may be added; an action is any dotted name).
CASE_READ = "case.read"
CASE_DECIDE = "case.decide"
EVIDENCE_CAPTURE = "evidence.capture"
EVIDENCE_PURGE = "evidence.purge"
REFERRAL_SEND = "referral.send"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the audit log; ``hash`` seals every other field, ``prev_hash`` too."""

    seq: int
    at: datetime  # UTC
    actor: str  # user name
    unit: str  # unit code
    action: str  # e.g. "case.decide"
    subject: str  # e.g. "twitter:12345"
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """Every field except ``hash``, as the chain hashes it."""
        return {
            "seq": self.seq,
            "at": rfc3339(self.at),
            "actor": self.actor,
            "unit": self.unit,
            "action": self.action,
            "subject": self.subject,
            "before": self.before,
            "after": self.after,
            "prev_hash": self.prev_hash,
        }

    @classmethod
    def create(
        cls,
        seq: int,
        *,
        at: datetime,
        actor: str,
        unit: str,
        action: str,
        subject: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        prev_hash: str = GENESIS_HASH,
    ) -> AuditEvent:
        """A new, sealed event; ``before``/``after`` are kept as their JSON reads back."""
        for name, value in (("actor", actor), ("unit", unit), ("action", action)):
            if not value or not value.strip():
                raise ValueError(f"an audit event needs a non-empty {name}")
        if seq < 1:
            raise ValueError(f"audit sequence numbers start at 1, got {seq}")
        unsealed = cls(
            seq=seq,
            at=utc(require_zone(at)),
            actor=actor,
            unit=unit,
            action=action,
            subject=subject,
            before=json_safe(before),
            after=json_safe(after),
            prev_hash=prev_hash,
            hash="",
        )
        return replace(unsealed, hash=chain_hash(unsealed.body()))

    def following(
        self,
        *,
        at: datetime,
        actor: str,
        unit: str,
        action: str,
        subject: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """The next event after this one in the chain."""
        return AuditEvent.create(
            self.seq + 1,
            at=at,
            actor=actor,
            unit=unit,
            action=action,
            subject=subject,
            before=before,
            after=after,
            prev_hash=self.hash,
        )


def verify_chain(events: Iterable[AuditEvent]) -> ChainReport:
    """Check audit events in stored order; the report names the first broken one."""
    return verify_links(events)


__all__ = [
    "CASE_DECIDE",
    "CASE_READ",
    "EVIDENCE_CAPTURE",
    "EVIDENCE_PURGE",
    "REFERRAL_SEND",
    "AuditEvent",
    "ChainReport",
    "verify_chain",
]
