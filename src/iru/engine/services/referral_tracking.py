"""Following referrals after delivery: deadline clocks, outcome metrics, re-checks.

Mixed into :class:`~iru.engine.services.referrals.ReferralService`. A referral's clock is rebuilt
from its stored events each time (:mod:`iru.cases.clocks` is a pure state machine), so
``iru deadlines`` and the metrics always agree with the status history. A stored time
that cannot be a platform event's (:func:`iru.cases.clocks.time_problem`: year 9999, say)
makes that referral's clock "invalid" with the reason, and is left out of the metrics;
nothing stored can make a page or report fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from iru.cases.access import Principal
from iru.cases.clocks import (
    Alert,
    Clock,
    ClockKind,
    ClockState,
    alerts,
    invalid,
    state,
    time_problem,
)
from iru.cases.connectors import CLOCK_EVENT, PlatformEvent
from iru.storage.referrals import ReferralRow, ReferralStore

# The case's status once its referral reaches each of these.
CASE_STATUS = {"removed": "removed", "rejected": "rejected", "restored": "restored"}


@dataclass(frozen=True, slots=True)
class Deadline:
    """Where one referral's clock stands, and the alerts it raised."""

    referral: ReferralRow
    clock: ClockState
    alerts: tuple[Alert, ...]


def _force_majeure(form_json: str | None) -> bool:
    """Whether an Annex III notice cites force majeure or de facto impossibility."""
    if not form_json:
        return False
    try:
        form = json.loads(form_json)
    except ValueError:
        return False
    return isinstance(form, dict) and "force_majeure" in (form.get("grounds") or ())


class ReferralTracking:
    """Clocks, metrics and re-checks over the stored referrals."""

    store: ReferralStore

    def listing(
        self, principal: Principal, statuses: tuple[str, ...] | None = None
    ) -> list[ReferralRow]:
        raise NotImplementedError

    def apply_event(
        self, row: ReferralRow, event: PlatformEvent, *, source: str, actor: str, now: datetime
    ) -> bool:
        raise NotImplementedError

    def recheck_removed(self, accounts: Any, now: datetime) -> int:
        """Removed accounts that iru has seen posting after their removal: marked restored.

        ``accounts`` is an :class:`~iru.engine.readers.accounts.AccountReader`; its activity scan
        gives each account's newest post time.
        """
        removed = self.store.find(statuses=("removed",))
        if not removed:
            return 0
        activity = accounts.activity()
        found = 0
        for row in removed:
            span = activity.get((row.platform, row.account_id))
            if span is None or row.closed_at is None or span[1] <= row.closed_at:
                continue
            if time_problem(span[1], now, "post time") is not None:
                continue  # a post dated in the future is no sign of a comeback
            event = PlatformEvent(
                seq=0,
                status="restored",
                at=span[1],
                detail=f"iru saw the account post at {span[1].isoformat()}, after its removal",
            )
            if self.apply_event(row, event, source="recheck", actor="system:recheck", now=now):
                found += 1
        return found

    # -- metrics ---------------------------------------------------------------------------

    def metrics(self, principal: Principal, now: datetime) -> list[dict[str, Any]]:
        """Per platform and kind: sent, outcomes, removal rate, time to removal, breaches."""
        groups: dict[tuple[str, str], list[ReferralRow]] = {}
        for row in self.listing(principal):
            if row.status in ("draft", "queued", "failed"):
                continue
            groups.setdefault((row.platform, row.kind), []).append(row)
        out = []
        for (platform, kind), rows in sorted(groups.items()):
            counts = {s: sum(1 for r in rows if r.status == s) for s in CASE_STATUS}
            hours = []
            breaches = 0
            for row in rows:
                events = self.store.events(row.referral_id)
                removed = next((e.at for e in events if e.status == "removed"), None)
                clock_state = self.clock_state(row, now)
                if clock_state.status == "invalid":
                    continue  # its times are impossible: no figure can come of them
                if removed is not None and row.received_at is not None:
                    hours.append((removed - row.received_at).total_seconds() / 3600)
                if row.received_at is not None and clock_state.status == "breached":
                    breaches += 1
            decided = counts["removed"] + counts["rejected"] + counts["restored"]
            hours.sort()
            out.append(
                {
                    "platform": platform,
                    "kind": kind,
                    "sent": len(rows),
                    "open": len(rows) - decided,
                    **counts,
                    "removal_rate": (
                        round((counts["removed"] + counts["restored"]) / decided, 4)
                        if decided
                        else None
                    ),
                    "median_hours_to_removal": (
                        round(hours[len(hours) // 2], 3) if hours else None
                    ),
                    "breaches": breaches,
                }
            )
        return out

    # -- deadlines -------------------------------------------------------------------------

    def clock(self, row: ReferralRow) -> Clock:
        """The referral's deadline clock, rebuilt from its stored events."""
        kind: ClockKind = "removal_order" if row.kind == "removal_order" else "referral"
        clock = Clock(kind=kind, target=timedelta(hours=row.target_hours))
        for event in self.store.events(row.referral_id):
            clock_event = CLOCK_EVENT.get(event.status)
            if clock_event is None:
                continue
            if clock_event == "received" and clock.events:
                continue  # the receipt and the platform's own "received" are one moment
            if clock_event == "rejected" and _force_majeure(event.form_json):
                clock_event = "force_majeure"  # Annex III: the hour restarts when it ceases
            try:
                clock = clock.record(clock_event, event.at)  # type: ignore[arg-type]
            except ValueError:
                continue  # e.g. a removal after a rejection: the clock had closed
        return clock

    def time_problem(self, row: ReferralRow) -> str | None:
        """Why the referral's stored times cannot be used (None: they can).

        Each event's time must be a possible one for when it was recorded, and so must the
        referral's receipt and closing times for when the referral last changed.
        """
        for event in self.store.events(row.referral_id):
            problem = time_problem(event.at, event.recorded_at, f"{event.status} event")
            if problem is not None:
                return f"{row.reference}: {problem}"
        for name, value in (("received_at", row.received_at), ("closed_at", row.closed_at)):
            if value is not None:
                problem = time_problem(value, row.updated_at, name)
                if problem is not None:
                    return f"{row.reference}: {problem}"
        return None

    def clock_state(self, row: ReferralRow, now: datetime) -> ClockState:
        """Where the referral's clock stands at ``now``; "invalid" when a stored time is."""
        problem = self.time_problem(row)
        return invalid(problem) if problem is not None else state(self.clock(row), now)

    def deadlines(
        self,
        principal: Principal,
        now: datetime,
        warn_before: timedelta = timedelta(minutes=15),
        *,
        include_closed: bool = False,
    ) -> list[Deadline]:
        """The clocks of the principal's visible referrals that a platform received."""
        out = []
        for row in self.listing(principal):
            if row.received_at is None:
                continue
            clock_state = self.clock_state(row, now)
            if not include_closed and clock_state.status in ("met", "closed"):
                continue
            raised = () if clock_state.problem else tuple(alerts(self.clock(row), now, warn_before))
            out.append(Deadline(row, clock_state, raised))
        order = {"breached": 0, "invalid": 1, "running": 2, "paused": 3}
        return sorted(
            out,
            key=lambda d: (
                order.get(d.clock.status, 3),
                d.clock.due_at or now,
                d.referral.reference,
            ),
        )


__all__ = ["CASE_STATUS", "Deadline", "ReferralTracking"]
