"""The port platform connectors plug into, and the referral statuses they report.

A connector takes one :class:`Outgoing` package and hands back a :class:`Receipt`, or raises
:class:`DeliveryError` (``retryable`` when trying again later may succeed: a timeout, a 503).
Connectors that can read a platform's answers return them as :class:`PlatformEvent` records;
those that cannot (the export connector) leave that to the analyst. Retrying, recording each
attempt and applying events are the service's work (:mod:`iru.engine.services.referrals`), the same
for every connector. Built-in and third-party connectors register under the entry-point
group ``iru.connectors``.

The status machine of a referral lives here too: :func:`next_status` says what a platform
event does to a referral's status, and which deadline-clock event it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

# draft: numbered, package being built; queued: stored, not yet delivered; sent: delivered, no receipt yet (e-mail);
# received: the platform acknowledged it (the clock runs); failed: delivery refused for good.
STATUSES = (
    "draft",
    "queued",
    "sent",
    "received",
    "clarification",
    "removed",
    "rejected",
    "restored",
    "failed",
)
# What platforms report (docs/connectors.md), and what an analyst may record by hand.
PLATFORM_STATUSES = (
    "received",
    "clarification",
    "clarification_received",
    "removed",
    "rejected",
    "restored",
)
OPEN_STATUSES = ("sent", "received", "clarification")
# Removed accounts stay tracked: a platform may restore them, and iru re-checks them.
TRACKED_STATUSES = (*OPEN_STATUSES, "removed")

# The deadline clock's event for each platform status (iru.cases.clocks.EventKind).
CLOCK_EVENT = {
    "received": "received",
    "clarification": "clarification_requested",
    "clarification_received": "clarification_received",
    "removed": "complied",
    "rejected": "rejected",
}


class DeliveryError(Exception):
    """A delivery that did not get a receipt; ``retryable`` when a later try may succeed."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.http_status = http_status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One package on its way to a platform."""

    reference: str
    kind: str  # referral | removal_order
    platform: str
    account_id: str
    handle: str | None
    package_json: bytes
    package_sha256: str
    html: str
    idempotency_key: str
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a connector got back: the platform's ticket and time of receipt, if it said."""

    connector: str
    ticket: str | None
    received_at: datetime | None  # None: sent, receipt not yet acknowledged (e-mail)
    replayed: bool = False  # the platform had this idempotency key already
    http_status: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    """One thing a platform reported about a ticket; ``seq`` numbers them per ticket."""

    seq: int
    status: str
    at: datetime
    detail: str = ""
    form: dict[str, Any] | None = None


@runtime_checkable
class Connector(Protocol):
    """A way to deliver packages to platforms (and, where it can, read their answers)."""

    name: str

    def deliver(self, outgoing: Outgoing) -> Receipt:
        """Deliver one package once; raise :class:`DeliveryError` when it did not arrive."""
        ...

    def events(self, platform: str, ticket: str) -> list[PlatformEvent] | None:
        """The ticket's events so far, or None when this connector cannot ask."""
        ...

    def clarify(self, platform: str, ticket: str, text: str) -> None:
        """Answer a platform's request for clarification."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


class StatusError(ValueError):
    """An event that cannot follow the referral's current status."""


def next_status(current: str, event: str) -> str:
    """The referral's status after a platform event; :class:`StatusError` if impossible."""
    if event not in PLATFORM_STATUSES:
        raise StatusError(f"unknown status {event!r} (one of {', '.join(PLATFORM_STATUSES)})")
    allowed: dict[str, tuple[str, ...]] = {
        "queued": ("received",),
        "sent": ("received", "clarification", "removed", "rejected"),
        "received": ("clarification", "removed", "rejected"),
        "clarification": ("clarification_received", "removed", "rejected"),
        "removed": ("restored",),
        "rejected": (),
        "restored": ("removed",),
        "failed": (),
    }
    if event not in allowed.get(current, ()):
        raise StatusError(f"a referral that is {current} cannot become {event}")
    return "received" if event == "clarification_received" else event


__all__ = [
    "CLOCK_EVENT",
    "OPEN_STATUSES",
    "PLATFORM_STATUSES",
    "STATUSES",
    "TRACKED_STATUSES",
    "Connector",
    "DeliveryError",
    "Outgoing",
    "PlatformEvent",
    "Receipt",
    "StatusError",
    "next_status",
]
