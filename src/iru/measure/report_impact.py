"""Impact measures from the unit's own records: the closed-loop experiment's, on real cases.

Pure arithmetic on the records of :mod:`iru.measure.report`: referred accounts' survival
from first seen to removal (Kaplan–Meier, still-active accounts censored), referrals and
removals per day, the time to detect, refer and remove, and the reach the removals cut
(the strategic impact) against the referrals made (the numbers game). The reach figures
come from :func:`iru.network.reach.reach_removed`, computed by the engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from iru.measure.report import (
    DayPoint,
    Period,
    ReferralRecord,
    ResurgenceRecord,
    durations,
    hours,
    kaplan_meier,
    median_survival,
    outcomes,
    resurgence,
)


@dataclass(frozen=True, slots=True)
class ReachFigures:
    """The reach model over its window: all of it, and what the removals cut, in order."""

    total: float  # R(all accounts)
    removed: float  # R(the referred-and-removed accounts)
    gains: tuple[tuple[datetime, float], ...] = ()  # each removal's marginal gain, in order
    window_days: float = 0.0


def in_period(rows: Sequence[ReferralRecord], period: Period | None) -> list[ReferralRecord]:
    return [r for r in rows if period is None or period.contains(r.created_at)]


def removed_accounts(rows: Sequence[ReferralRecord]) -> list[tuple[tuple[str, str], datetime]]:
    """Each referred account the platform removed, with its first removal, oldest first."""
    first: dict[tuple[str, str], datetime] = {}
    for row in rows:
        at = row.removed_at
        key = (row.platform, row.account_id)
        if at is not None and (key not in first or at < first[key]):
            first[key] = at
    return sorted(first.items(), key=lambda item: (item[1], item[0]))


def survival(rows: Sequence[ReferralRecord], now: datetime) -> dict[str, Any]:
    """Referred accounts from first seen to removal; those still up are censored at ``now``."""
    accounts: dict[tuple[str, str], tuple[datetime | None, datetime | None]] = {}
    for row in rows:
        key = (row.platform, row.account_id)
        seen, removed = accounts.get(key, (None, None))
        if row.first_seen is not None and (seen is None or row.first_seen < seen):
            seen = row.first_seen
        at = row.removed_at
        if at is not None and (removed is None or at < removed):
            removed = at
        accounts[key] = (seen, removed)
    spans = [
        (span, removed is not None)
        for seen, removed in accounts.values()
        if (span := hours(seen, removed or now)) is not None
    ]
    curve = kaplan_meier(spans)
    return {
        "accounts": len(spans),
        "removed": sum(ended for _, ended in spans),
        "median_hours": median_survival(curve),
        "curve": [{"hours": t, "surviving": s} for t, s in curve],
    }


def timeline(rows: Sequence[ReferralRecord]) -> list[dict[str, Any]]:
    """Referrals made and removals per day."""
    made = Counter(r.created_at.date() for r in rows)
    removed = Counter(at.date() for r in rows if (at := r.removed_at) is not None)
    return [
        {"day": day.isoformat(), "referrals": made[day], "removals": removed[day]}
        for day in sorted(set(made) | set(removed))
    ]


def speed(rows: Sequence[ReferralRecord]) -> dict[str, Any]:
    """Time to detect, to refer and to removal."""
    detect: dict[tuple[str, str], float | None] = {}
    for row in rows:
        detect.setdefault((row.platform, row.account_id), hours(row.first_seen, row.detected_at))
    return {
        "to_detect": durations(detect.values()),
        "to_refer_from_case": durations(hours(r.case_opened_at, r.created_at) for r in rows),
        "to_refer_from_decision": durations(hours(r.decided_at, r.created_at) for r in rows),
        "to_receipt": durations(hours(r.created_at, r.received_at) for r in rows),
        "to_removal": durations(hours(r.received_at, r.removed_at) for r in rows),
    }


def strategic(rows: Sequence[ReferralRecord], reach: ReachFigures) -> dict[str, Any]:
    """Reach removed (the strategic impact) against referrals made (the numbers game)."""
    made = len(rows)
    removed = len(removed_accounts(rows))
    steps: list[tuple[datetime, int, float]] = [(r.created_at, 1, 0.0) for r in rows]
    steps += [(at, 0, gain) for at, gain in reach.gains]
    cumulative = []
    count, cut = 0, 0.0
    for at, one, gain in sorted(steps, key=lambda s: (s[0], -s[1])):
        count += one
        cut += gain
        cumulative.append(
            {"at": at.isoformat(), "referrals": count, "reach_removed": round(cut, 3)}
        )
    return {
        "referrals_made": made,
        "accounts_referred": len({(r.platform, r.account_id) for r in rows}),
        "accounts_removed": removed,
        "reach_removed": round(reach.removed, 3),
        "total_reach": round(reach.total, 3),
        "share_of_reach_removed": round(reach.removed / reach.total, 4) if reach.total else None,
        "reach_removed_per_referral": round(reach.removed / made, 3) if made else None,
        "reach_removed_per_removal": round(reach.removed / removed, 3) if removed else None,
        "window_days": reach.window_days,
        "cumulative": cumulative,
    }


def impact(
    rows: Sequence[ReferralRecord],
    links: Sequence[ResurgenceRecord],
    series: Sequence[DayPoint],
    reach: ReachFigures,
    *,
    now: datetime,
    unit: str,
    period: Period | None = None,
) -> dict[str, Any]:
    """The closed-loop experiment's measures on the unit's real case data."""
    chosen = in_period(rows, period)
    days = [
        p
        for p in series
        if period is None
        or period.contains(datetime(p.day.year, p.day.month, p.day.day, tzinfo=UTC))
    ]
    return {
        "period": period.label if period else "all",
        "generated_at": now.isoformat(),
        "unit": unit,
        "exposures": [
            {
                "day": p.day.isoformat(),
                "exposures": round(p.exposures, 3),
                "active_supporters": p.active_supporters,
            }
            for p in days
        ],
        "exposures_total": round(sum(p.exposures for p in days), 3),
        "timeline": timeline(chosen),
        "outcomes": outcomes(chosen),
        "survival": survival(chosen, now),
        "resurgence": resurgence(
            [link for link in links if period is None or period.contains(link.linked_at)]
        ),
        "speed": speed(chosen),
        "reach": strategic(chosen, reach),
    }


def summary(figures: dict[str, Any]) -> dict[str, Any]:
    """The few figures of an impact report a dashboard shows."""
    reach = figures["reach"]
    return {
        "referrals_made": reach["referrals_made"],
        "accounts_removed": reach["accounts_removed"],
        "removal_rate": figures["outcomes"]["removal_rate"],
        "reach_removed": reach["reach_removed"],
        "share_of_reach_removed": reach["share_of_reach_removed"],
        "reach_removed_per_referral": reach["reach_removed_per_referral"],
        "median_hours_to_removal": figures["speed"]["to_removal"]["median_hours"],
        "resurgent_accounts": figures["resurgence"]["resurgent_accounts"],
        "exposures": [[p["day"], p["exposures"]] for p in figures["exposures"]],
    }


__all__ = [
    "ReachFigures",
    "impact",
    "in_period",
    "removed_accounts",
    "speed",
    "strategic",
    "summary",
    "survival",
    "timeline",
]
