"""Deconfliction: a unit's hold on an account under its own investigation.

A hold stops every *other* unit from referring the account until it expires or is
lifted. Whoever is stopped learns which unit holds it and whom to contact — never
the reason, the case or anything else of the investigation. Every hold has an
expiry (at most ``MAX_HOLD``); an expired hold no longer stops anyone.

A held case is restricted to its unit, and so is every successor of it (the case of an
account that resurged from the held one) for as long as the hold stands
(:func:`carries_restriction`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_HOLD = timedelta(days=30)
MAX_HOLD = timedelta(days=180)


class HoldError(ValueError):
    """A hold that cannot be placed as asked (no expiry, too long, in the past)."""


@dataclass(frozen=True, slots=True)
class Hold:
    """One unit's hold on one account."""

    platform: str
    account_id: str
    unit: str  # the holding unit
    contact: str  # whom another unit should call: a desk, not the investigator's name
    reason: str  # for the holding unit only; never shown to others
    placed_by: str
    placed_at: datetime
    expires_at: datetime
    lifted_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.lifted_at is None and self.placed_at <= now < self.expires_at


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why a referral is stopped, in words safe to show another unit."""

    unit: str
    contact: str
    expires_at: datetime

    @property
    def message(self) -> str:
        return (
            f"on hold for deconfliction by unit {self.unit} until "
            f"{self.expires_at.isoformat(timespec='minutes')}; contact {self.contact} "
            "before acting"
        )


def new_hold(
    platform: str,
    account_id: str,
    *,
    unit: str,
    contact: str,
    reason: str,
    placed_by: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> Hold:
    """A hold from ``now`` to ``expires_at`` (default 30 days, at most 180)."""
    if now.tzinfo is None:
        raise HoldError("times must be timezone-aware (UTC)")
    until = expires_at or now + DEFAULT_HOLD
    if until.tzinfo is None:
        raise HoldError("the expiry must be timezone-aware (UTC)")
    if until <= now:
        raise HoldError("a hold must expire after it is placed")
    if until - now > MAX_HOLD:
        raise HoldError(f"a hold may last at most {MAX_HOLD.days} days; renew it instead")
    if not contact.strip():
        raise HoldError("a hold needs a contact other units can reach")
    return Hold(platform, account_id, unit, contact.strip(), reason, placed_by, now, until)


def blocking(holds: Iterable[Hold], unit: str, now: datetime) -> Blocked | None:
    """The hold of another unit that stops ``unit`` from referring, the longest-lasting first."""
    others = [h for h in holds if h.unit != unit and h.active(now)]
    if not others:
        return None
    hold = max(others, key=lambda h: (h.expires_at, h.unit))
    return Blocked(hold.unit, hold.contact, hold.expires_at)


def carries_restriction(
    predecessors: Iterable[tuple[str, str, str]], held: Collection[tuple[str, str, str]]
) -> bool:
    """Whether a case is restricted by its predecessors' holds.

    ``predecessors`` are (unit, platform, account_id) of the cases a case resurged from;
    ``held`` the same triples of the holds active now. A predecessor whose own unit holds
    its account restricts every successor until that hold ends.
    """
    return any(link in held for link in predecessors)


__all__ = [
    "DEFAULT_HOLD",
    "MAX_HOLD",
    "Blocked",
    "Hold",
    "HoldError",
    "blocking",
    "carries_restriction",
    "new_hold",
]
