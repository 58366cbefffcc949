"""Transparency and impact figures from the unit's own records: pure computations.

The engine (:mod:`iru.engine.readers.report`) reads the workspace into the plain records below;
everything here is arithmetic on them — counts, rates, medians and percentiles, the
one-hour compliance of removal orders from their clock states, Annex III grounds, the
survival of referred accounts (Kaplan–Meier), resurgence and the evidence kept and
purged. No storage, no drivers: the same records give the same figures. Every figure a
function returns is JSON-able (times as ISO 8601 strings, hours as floats).
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

# Statuses of a referral that has reached the platform, and those that end it.
UNSENT = ("draft", "queued", "failed")
EVER_REMOVED = ("removed", "restored")
DECIDED = ("removed", "restored", "rejected")
# Annex III section B grounds, in the form's order.
ANNEX_III_GROUNDS = ("force_majeure", "manifest_errors", "insufficient_information")


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: ``start`` inclusive, ``end`` exclusive (UTC)."""

    start: datetime
    end: datetime
    label: str

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"{text.strip()!r} is not a date (YYYY-MM-DD)") from exc


def _midnight_utc(day: date) -> datetime:
    """The first instant of ``day`` in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_period(text: str) -> Period:
    """``2026``, ``2026-Q1``, ``2026-03`` or ``2026-01-01..2026-03-31`` (both days included)."""
    value = text.strip()
    if match := _YEAR.match(value):
        year = int(match[1])
        return Period(_midnight_utc(date(year, 1, 1)), _midnight_utc(date(year + 1, 1, 1)), value)
    if match := _QUARTER.match(value):
        year, quarter = int(match[1]), int(match[2])
        first = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(_midnight_utc(first), _midnight_utc(end), f"{year}-Q{quarter}")
    if match := _MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"period {value!r}: no month {month}")
        days = calendar.monthrange(year, month)[1]
        return Period(
            _midnight_utc(date(year, month, 1)),
            _midnight_utc(date(year, month, days)) + timedelta(1),
            value,
        )
    if ".." in value:
        first_text, _, last_text = value.partition("..")
        begin, final = _day(first_text), _day(last_text)
        if final < begin:
            raise ValueError(f"period {value!r} ends before it starts")
        return Period(
            _midnight_utc(begin), _midnight_utc(final) + timedelta(days=1), f"{begin}..{final}"
        )
    raise ValueError(f"period {value!r}: use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One status event of a referral; ``grounds`` from an Annex III form it carried."""

    status: str
    at: datetime
    grounds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """One referral or removal order with what is known around it."""

    reference: str
    kind: str  # referral | removal_order
    platform: str
    account_id: str
    language: str
    status: str
    created_at: datetime
    sent_at: datetime | None = None
    received_at: datetime | None = None
    events: tuple[EventRecord, ...] = ()
    clock_status: str | None = None  # iru.cases.clocks.state(...).status at report time
    order_reasons: tuple[str, ...] = ()  # Annex I section B, removal orders
    cross_border: bool = False  # Annex I section D: the provider sits in another state
    case_opened_at: datetime | None = None
    decided_at: datetime | None = None  # the refer decision (its approval under four eyes)
    first_seen: datetime | None = None  # the account's first post in the archive
    detected_at: datetime | None = None  # the earliest stored sign iru held it a supporter

    @property
    def removed_at(self) -> datetime | None:
        return next((e.at for e in self.events if e.status == "removed"), None)

    @property
    def annex_iii(self) -> tuple[str, ...]:
        """Every Annex III ground the platform cited on this referral, once each."""
        return tuple(sorted({g for e in self.events for g in e.grounds}))


@dataclass(frozen=True, slots=True)
class ResurgenceRecord:
    """A new account linked to one it is suspected to replace."""

    platform: str
    account_id: str
    predecessor_id: str
    linked_at: datetime
    first_post_at: datetime | None = None
    predecessor_removed_at: datetime | None = None
    rereferred_at: datetime | None = None  # the successor's first referral


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One evidence manifest entry: a capture or a purge tombstone."""

    action: str  # capture | purge
    sha256: str
    size: int
    at: datetime
    kind: str
    unit: str


@dataclass(frozen=True, slots=True)
class DayPoint:
    """One day of the archive: propaganda exposures to the at-risk audience, active supporters."""

    day: date
    exposures: float
    active_supporters: int


# -- statistics -------------------------------------------------------------------------------


def hours(start: datetime | None, end: datetime | None) -> float | None:
    """Hours from ``start`` to ``end``; None when either is unknown or ``end`` comes first."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def durations(values: Iterable[float | None]) -> dict[str, Any]:
    """n, median, 90th percentile and maximum of the known values (hours)."""
    known = [v for v in values if v is not None]
    return {
        "n": len(known),
        "median_hours": _round(percentile(known, 50)),
        "p90_hours": _round(percentile(known, 90)),
        "max_hours": _round(max(known)) if known else None,
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def kaplan_meier(spans: Sequence[tuple[float, bool]]) -> list[tuple[float, float]]:
    """The survival curve of (duration, ended) pairs: [(t, S(t))] at each ending, from (0, 1)."""
    curve = [(0.0, 1.0)]
    at_risk = len(spans)
    survival = 1.0
    ordered = sorted(spans)
    i = 0
    while i < len(ordered):
        t = ordered[i][0]
        ended = censored = 0
        while i < len(ordered) and ordered[i][0] == t:
            ended += ordered[i][1]
            censored += not ordered[i][1]
            i += 1
        if ended:
            survival *= 1 - ended / at_risk
            curve.append((round(t, 4), round(survival, 6)))
        at_risk -= ended + censored
    return curve


def median_survival(curve: Sequence[tuple[float, float]]) -> float | None:
    """The first time the survival curve reaches 0.5 or below (None when it never does)."""
    return next((t for t, s in curve if s <= 0.5), None)


# -- transparency -----------------------------------------------------------------------------


def outcomes(rows: Sequence[ReferralRecord]) -> dict[str, Any]:
    """Made, delivered, removed (ever), restored, rejected, open, failed; removal rates."""
    made = len(rows)
    delivered = sum(r.status not in UNSENT for r in rows)
    removed = sum(r.status in EVER_REMOVED for r in rows)
    rejected = sum(r.status == "rejected" for r in rows)
    decided = sum(r.status in DECIDED for r in rows)
    return {
        "made": made,
        "delivered": delivered,
        "removed": removed,
        "restored": sum(r.status == "restored" for r in rows),
        "rejected": rejected,
        "open": delivered - decided,
        "failed": sum(r.status == "failed" for r in rows),
        "not_sent": sum(r.status in ("draft", "queued") for r in rows),
        "removal_rate": rate(removed, decided),  # of those the platform decided on
        "removed_of_delivered": rate(removed, delivered),
    }


def breakdown(
    rows: Sequence[ReferralRecord], key: Callable[[ReferralRecord], str]
) -> list[dict[str, Any]]:
    """Outcomes and time to removal per (kind, key) — platform or language."""
    groups: dict[tuple[str, str], list[ReferralRecord]] = {}
    for row in rows:
        groups.setdefault((row.kind, key(row)), []).append(row)
    out = []
    for (kind, name), group in sorted(groups.items()):
        times = durations(hours(r.received_at, r.removed_at) for r in group)
        out.append(
            {
                "kind": kind,
                "key": name,
                **outcomes(group),
                "median_hours_to_removal": times["median_hours"],
            }
        )
    return out


def order_compliance(rows: Sequence[ReferralRecord]) -> dict[str, Any]:
    """Removal orders against the hour of Art. 3(3), from each order's clock state."""
    orders = [r for r in rows if r.kind == "removal_order"]
    states = Counter(r.clock_status or "not_received" for r in orders)
    met, breached = states["met"], states["breached"]
    return {
        "orders": len(orders),
        "received": sum(r.received_at is not None for r in orders),
        "within_the_hour": met,
        "beyond_the_hour": breached,
        "pending": states["running"] + states["paused"],
        "not_executed": states["closed"],  # rejected: the order was not executed
        "not_received": states["not_received"] + states["not_started"],
        "invalid_times": states["invalid"],  # a stored time is impossible: see iru deadlines
        "compliance_rate": rate(met, met + breached),
        "cross_border": sum(r.cross_border for r in orders),
        "reasons": dict(sorted(Counter(g for r in orders for g in r.order_reasons).items())),
    }


def annex_iii(rows: Sequence[ReferralRecord]) -> dict[str, Any]:
    """Orders (and referrals) on which the platform sent an Annex III notice, by ground."""
    cited = [r for r in rows if r.annex_iii]
    by_ground = Counter(g for r in cited for g in r.annex_iii)
    return {
        "cases": len(cited),
        "orders": sum(r.kind == "removal_order" for r in cited),
        "by_ground": {
            g: by_ground.get(g, 0)
            for g in (*ANNEX_III_GROUNDS, *sorted(set(by_ground) - set(ANNEX_III_GROUNDS)))
        },
    }


def resurgence(links: Sequence[ResurgenceRecord]) -> dict[str, Any]:
    """Resurgent accounts, those referred again, and how fast."""
    return {
        "resurgent_accounts": len({(r.platform, r.account_id) for r in links}),
        "predecessors": len({(r.platform, r.predecessor_id) for r in links}),
        "rereferred": len({(r.platform, r.account_id) for r in links if r.rereferred_at}),
        "time_to_rereferral": durations(
            hours(r.first_post_at or r.linked_at, r.rereferred_at) for r in links
        ),
        "time_to_resurge": durations(
            hours(r.predecessor_removed_at, r.first_post_at) for r in links
        ),
    }


def evidence(entries: Sequence[EvidenceRecord], unit: str, period: Period) -> dict[str, Any]:
    """What the unit captured in the period, purged in it, and held at its end."""
    ours: set[str] = set()
    held: dict[str, int] = {}
    captured: list[EvidenceRecord] = []
    purged = 0
    purged_bytes = 0
    for entry in sorted(entries, key=lambda e: e.at):
        if entry.at >= period.end:
            break
        if entry.action == "capture":
            if entry.unit != unit:
                continue
            ours.add(entry.sha256)
            held[entry.sha256] = entry.size
            if period.contains(entry.at):
                captured.append(entry)
        elif entry.sha256 in ours:
            was = held.pop(entry.sha256, None)
            if period.contains(entry.at) and was is not None:
                purged += 1
                purged_bytes += entry.size
    return {
        "captured": len(captured),
        "captured_items": len({e.sha256 for e in captured}),
        "captured_bytes": sum(e.size for e in captured),
        "captured_by_kind": dict(sorted(Counter(e.kind for e in captured).items())),
        "purged": purged,
        "purged_bytes": purged_bytes,
        "held_at_end": len(held),
        "held_bytes_at_end": sum(held.values()),
    }


def transparency(
    rows: Sequence[ReferralRecord],
    links: Sequence[ResurgenceRecord],
    entries: Sequence[EvidenceRecord],
    *,
    unit: str,
    period: Period,
    now: datetime,
) -> dict[str, Any]:
    """The figures of a transparency report for the referrals made in ``period``."""
    chosen = [r for r in rows if period.contains(r.created_at)]
    by_kind = {
        kind: outcomes([r for r in chosen if r.kind == kind])
        for kind in ("referral", "removal_order")
    }
    return {
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "generated_at": now.isoformat(),
        "unit": unit,
        "totals": outcomes(chosen),
        "by_kind": by_kind,
        "by_platform": breakdown(chosen, lambda r: r.platform),
        "by_language": breakdown(chosen, lambda r: r.language or "und"),
        "languages": len({r.language for r in chosen}),
        "platforms": len({r.platform for r in chosen}),
        "time_to_removal": {
            kind: durations(hours(r.received_at, r.removed_at) for r in chosen if r.kind == kind)
            for kind in ("referral", "removal_order")
        },
        "time_to_removal_hours": sorted(
            h for r in chosen if (h := hours(r.received_at, r.removed_at)) is not None
        ),
        "removal_orders": order_compliance(chosen),
        "referral_targets": {
            "met": sum(r.kind == "referral" and r.clock_status == "met" for r in chosen),
            "breached": sum(r.kind == "referral" and r.clock_status == "breached" for r in chosen),
        },
        "annex_iii": annex_iii(chosen),
        "resurgence": resurgence([link for link in links if period.contains(link.linked_at)]),
        "evidence": evidence(entries, unit, period),
    }


__all__ = [
    "ANNEX_III_GROUNDS",
    "DayPoint",
    "EventRecord",
    "EvidenceRecord",
    "Period",
    "ReferralRecord",
    "ResurgenceRecord",
    "annex_iii",
    "breakdown",
    "durations",
    "evidence",
    "hours",
    "kaplan_meier",
    "median_survival",
    "order_compliance",
    "outcomes",
    "parse_period",
    "percentile",
    "rate",
    "resurgence",
    "transparency",
]
