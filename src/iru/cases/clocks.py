"""Deadline clocks for removal orders and referrals: a pure state machine over timestamped events.

A removal order must be executed within one hour of the provider's *receipt* (Art. 3(3)). When
the provider cannot comply it says why (Annex III): on force majeure the hour starts afresh when
the grounds cease; on manifest errors or insufficient information it starts afresh when the
clarification is received. A referral under a platform's terms of service has no legal clock;
the unit sets itself a response target (24 hours unless configured).

A :class:`Clock` is an immutable record of its events; each event method returns a new clock
and refuses an event that cannot happen next (a :class:`ValueError` naming it). Every function
takes the moment of evaluation, ``now``, explicitly: nothing here reads the wall clock.

Any zoned time is safe here, however far off (arithmetic near the ends of the calendar
saturates rather than overflowing). Whether a time is plausible for a platform event —
zoned, not before :data:`EARLIEST_EVENT`, at most :data:`FUTURE_SLACK` after it was
recorded — is :func:`time_problem`'s question; a clock holding an implausible time is
shown as :func:`invalid`, never computed on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

import msgspec
from msgspec.structs import force_setattr, replace

from iru.cases.tco_forms import (
    NON_DISCLOSURE_PERIOD,
    NonDisclosure,
    NonDisclosureExtension,
    Referral,
)

__all__ = [
    "DEFAULT_TARGETS",
    "EARLIEST_EVENT",
    "FIRST_ORDER_NOTICE",
    "FUTURE_SLACK",
    "Alert",
    "Clock",
    "ClockEvent",
    "ClockKind",
    "ClockState",
    "ClockStatus",
    "EventKind",
    "NonDisclosureState",
    "alerts",
    "due_at",
    "extend_non_disclosure",
    "first_order_notice_ok",
    "invalid",
    "non_disclosure_state",
    "referral_clock",
    "state",
    "time_problem",
]

ClockKind = Literal["removal_order", "referral"]
EventKind = Literal[
    "received",
    "clarification_requested",
    "clarification_received",
    "force_majeure",
    "force_majeure_ceased",
    "complied",
    "rejected",
]
ClockStatus = Literal["not_started", "running", "paused", "met", "breached", "closed", "invalid"]

DEFAULT_TARGETS: dict[str, timedelta] = {
    "removal_order": timedelta(hours=1),  # Art. 3(3)
    "referral": timedelta(hours=24),  # the unit's own target, not a legal one
}
# Art. 3(2): a provider's first order needs procedures and deadlines 12 hours ahead.
FIRST_ORDER_NOTICE = timedelta(hours=12)
# The window a platform event's time must fall in: nothing iru tracks predates 2000, and
# an answer is not dated more than a day after the moment it reaches iru (clock skew).
EARLIEST_EVENT = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC)
_FIRST = datetime.min.replace(tzinfo=UTC)

_LABEL = {"removal_order": "removal order", "referral": "referral"}
_STARTS = frozenset({"received", "clarification_received", "force_majeure_ceased"})
_PAUSES = {"clarification_requested": "clarification", "force_majeure": "force_majeure"}
_PHASE_PAUSED = frozenset(_PAUSES.values())
_ALLOWED: dict[str, tuple[str, ...]] = {
    "not_started": ("received",),
    "running": ("clarification_requested", "force_majeure", "complied", "rejected"),
    "clarification": ("clarification_received", "complied", "rejected"),
    "force_majeure": ("force_majeure_ceased", "complied", "rejected"),
    "closed": (),
}
_PHASE_WORDS = {
    "running": "the clock is running",
    "clarification": "waiting for a clarification",
    "force_majeure": "paused for force majeure",
}


class ClockEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that happened to a referral or order, at a UTC instant."""

    kind: EventKind
    at: datetime


class Clock(msgspec.Struct, frozen=True, kw_only=True):
    """The deadline clock of one removal order or referral, as the events it has seen.

    ``target`` is the time allowed from receipt (or from a restart) to the deadline; left
    out, it is the kind's default: one hour for a removal order, 24 hours for a referral.
    """

    kind: ClockKind
    target: timedelta | None = None
    events: tuple[ClockEvent, ...] = ()

    def __post_init__(self) -> None:
        if self.target is None:
            force_setattr(self, "target", DEFAULT_TARGETS[self.kind])
        elif self.target <= timedelta(0):
            raise ValueError(f"target: {self.target} is not a positive duration")
        _replay(self)  # refuses events in an impossible order

    @property
    def limit(self) -> timedelta:
        """The target duration (the kind's default when none was given)."""
        return self.target or DEFAULT_TARGETS[self.kind]

    def record(self, kind: EventKind, at: datetime) -> Clock:
        """This clock with one more event; a ValueError when it cannot happen now."""
        if at.utcoffset() is None:
            raise ValueError(f"{kind}: {at.isoformat()} has no time zone; give a UTC time")
        return replace(self, events=(*self.events, ClockEvent(kind=kind, at=at.astimezone(UTC))))

    def received(self, at: datetime) -> Clock:
        """The platform received the order or referral: the clock starts (Art. 3(3))."""
        return self.record("received", at)

    def clarification_requested(self, at: datetime) -> Clock:
        """The provider cites manifest errors or insufficient information: the clock pauses."""
        return self.record("clarification_requested", at)

    def clarification_received(self, at: datetime) -> Clock:
        """The clarification reached the provider: the full target starts again from ``at``."""
        return self.record("clarification_received", at)

    def force_majeure(self, at: datetime) -> Clock:
        """The provider cites force majeure or de facto impossibility: the clock pauses."""
        return self.record("force_majeure", at)

    def force_majeure_ceased(self, at: datetime) -> Clock:
        """The grounds ceased: the full target starts again from ``at``."""
        return self.record("force_majeure_ceased", at)

    def complied(self, at: datetime) -> Clock:
        """The content was removed or disabled: the clock stops, met or breached."""
        return self.record("complied", at)

    def rejected(self, at: datetime) -> Clock:
        """The platform declined: the clock closes without compliance."""
        return self.record("rejected", at)


class ClockState(msgspec.Struct, frozen=True, kw_only=True):
    """Where a clock stands at one moment.

    ``due_at`` is the deadline in force (None before receipt and while paused; once closed,
    the one in force when it closed); ``remaining`` is set only while running in time;
    ``overdue_by`` runs from a missed deadline to compliance, closure or ``now``;
    ``paused_for`` is the total time spent paused.
    """

    status: ClockStatus
    due_at: datetime | None
    remaining: timedelta | None
    overdue_by: timedelta | None
    paused_for: timedelta
    closed_at: datetime | None = None
    problem: str | None = None  # why the clock is "invalid": a stored time it cannot use


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """A warning before a deadline, or the breach of it, with the instant it applies from."""

    level: Literal["warning", "breach"]
    at: datetime
    due_at: datetime
    message: str


class _Run(NamedTuple):
    """One stretch of the clock running toward a deadline."""

    start: datetime
    due: datetime
    end: datetime | None  # paused or closed at; None while still running


class _Replay(NamedTuple):
    phase: str
    runs: list[_Run]
    pauses: list[tuple[datetime, datetime | None]]
    closed: ClockEvent | None
    closed_running: bool  # closed while running (not while paused)


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _plus(moment: datetime, span: timedelta) -> datetime:
    """``moment + span``, held at the calendar's ends instead of overflowing."""
    try:
        return moment + span
    except OverflowError:
        return _LATEST if span > timedelta(0) else _FIRST


def time_problem(at: datetime, recorded_at: datetime, what: str = "time") -> str | None:
    """Why ``at`` cannot be the time of a platform event recorded at ``recorded_at``.

    None when it can: it has a time zone, is not before :data:`EARLIEST_EVENT` and not
    more than :data:`FUTURE_SLACK` after ``recorded_at``. The message names the value and
    the window, for a 422 answer or an "invalid" clock.
    """
    if at.utcoffset() is None:
        return f"{what}: {at.isoformat()} has no time zone; give one, e.g. 2024-05-01T12:00:00Z"
    latest = _plus(recorded_at, FUTURE_SLACK)
    if not EARLIEST_EVENT <= at <= latest:
        return (
            f"{what}: {_when(at)} is outside the possible window, "
            f"{_when(EARLIEST_EVENT)} to {_when(latest)}"
        )
    return None


def invalid(problem: str) -> ClockState:
    """The state of a clock that cannot be computed: it holds an impossible stored time."""
    return ClockState(
        status="invalid",
        due_at=None,
        remaining=None,
        overdue_by=None,
        paused_for=timedelta(0),
        problem=problem,
    )


def _refusal(event: ClockEvent, phase: str, closed: ClockEvent | None, runs: list[_Run]) -> str:
    head = f"{event.kind} at {_when(event.at)}"
    if phase == "not_started":
        return f"{head}: the clock has not started; 'received' must come first"
    if phase == "closed" and closed is not None:
        return f"{head}: the clock already closed ({closed.kind} at {_when(closed.at)})"
    if event.kind == "received":
        return f"{head}: the clock already started at {_when(runs[0].start)}"
    allowed = ", ".join(_ALLOWED[phase])
    return f"{head}: not possible while {_PHASE_WORDS[phase]} (expected one of: {allowed})"


def _replay(clock: Clock, until: datetime | None = None) -> _Replay:
    """Walk the events (those up to ``until``), checking each may follow the one before."""
    phase = "not_started"
    runs: list[_Run] = []
    pauses: list[tuple[datetime, datetime | None]] = []
    closed: ClockEvent | None = None
    closed_running = False
    previous: ClockEvent | None = None
    for event in clock.events:
        if until is not None and event.at > until:
            break  # events are in time order (checked when the clock was built)
        if event.at.utcoffset() is None:
            raise ValueError(f"{event.kind}: {event.at.isoformat()} has no time zone")
        if previous is not None and event.at < previous.at:
            raise ValueError(
                f"{event.kind} at {_when(event.at)} is earlier than the event before it"
                f" ({previous.kind} at {_when(previous.at)})"
            )
        previous = event
        if event.kind not in _ALLOWED[phase]:
            raise ValueError(_refusal(event, phase, closed, runs))
        if phase in _PHASE_PAUSED:
            pauses[-1] = (pauses[-1][0], event.at)
        if phase == "running":
            runs[-1] = runs[-1]._replace(end=event.at)
        if event.kind in _STARTS:
            runs.append(_Run(event.at, _plus(event.at, clock.limit), None))
            phase = "running"
        elif event.kind in _PAUSES:
            pauses.append((event.at, None))
            phase = _PAUSES[event.kind]
        else:
            closed, closed_running, phase = event, phase == "running", "closed"
    return _Replay(phase, runs, pauses, closed, closed_running)


def _missed(run: _Run, now: datetime | None) -> bool:
    """Whether this stretch ran past its deadline (by ``now`` when still running)."""
    if run.end is not None:
        return run.end > run.due
    return now is not None and now > run.due


def _current_due(replay: _Replay) -> datetime | None:
    if replay.phase == "running" or (replay.phase == "closed" and replay.closed_running):
        return replay.runs[-1].due
    return None


def due_at(clock: Clock) -> datetime | None:
    """The deadline after all recorded events (None before receipt or while paused)."""
    return _current_due(_replay(clock))


def state(clock: Clock, now: datetime) -> ClockState:
    """Where the clock stands at ``now``, counting only the events that happened by then."""
    replay = _replay(clock, until=now)
    missed = next((run.due for run in replay.runs if _missed(run, now)), None)
    closed = replay.closed
    status: ClockStatus
    if replay.phase == "not_started":
        status = "not_started"
    elif closed is not None:
        status = "closed" if closed.kind == "rejected" else "breached" if missed else "met"
    else:
        status = "breached" if missed else "running" if replay.phase == "running" else "paused"
    due = _current_due(replay)
    return ClockState(
        status=status,
        due_at=due,
        remaining=due - now if status == "running" and due is not None else None,
        overdue_by=(closed.at if closed else now) - missed if missed else None,
        paused_for=sum(((end or now) - start for start, end in replay.pauses), timedelta(0)),
        closed_at=closed.at if closed else None,
    )


def _span(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def alerts(
    clock: Clock, now: datetime, warn_before: timedelta = timedelta(minutes=15)
) -> list[Alert]:
    """The alerts raised by ``now``, oldest first: the same history always gives the same list.

    Each stretch of running time warns once, ``warn_before`` its deadline (at its start if it
    is shorter than that) unless the clock stopped first; a missed deadline raises one breach
    alert at the due time, and nothing follows a breach. A restart after a pause brings a new
    deadline and so its own warning.
    """
    if warn_before < timedelta(0):
        raise ValueError(f"warn_before: {warn_before} is negative")
    label = _LABEL[clock.kind]
    raised: list[Alert] = []
    for run in _replay(clock, until=now).runs:
        warn_at = max(run.start, _plus(run.due, -warn_before))
        if warn_at <= now and (run.end is None or run.end > warn_at):
            left = _span(run.due - warn_at)
            message = f"{label}: {left} left, due {_when(run.due)}"
            raised.append(Alert(level="warning", at=warn_at, due_at=run.due, message=message))
        if _missed(run, now):
            message = f"{label}: deadline missed, was due {_when(run.due)}"
            raised.append(Alert(level="breach", at=run.due, due_at=run.due, message=message))
            break
    return raised


def referral_clock(referral: Referral) -> Clock:
    """A fresh clock for a referral, with the referral's own response target."""
    return Clock(kind="referral", target=timedelta(hours=referral.target_response_hours))


def first_order_notice_ok(
    provider_first_order: bool,
    notice_given_at: datetime | None,
    issued_at: datetime,
    emergency: bool,
) -> bool:
    """Whether Art. 3(2)'s advance notice was respected for this order.

    A provider's first order needs information on procedures and deadlines at least
    12 hours before it is issued, except in duly justified emergencies. The notice does
    not extend the one-hour clock.
    """
    if not provider_first_order or emergency:
        return True
    return notice_given_at is not None and issued_at - notice_given_at >= FIRST_ORDER_NOTICE


class NonDisclosureState(msgspec.Struct, frozen=True, kw_only=True):
    """Where the do-not-inform period of Annex I section C stands at one moment."""

    status: Literal["none", "active", "expired"]
    ends_at: datetime | None
    remaining: timedelta | None
    can_extend: bool


def non_disclosure_state(section: NonDisclosure, now: datetime) -> NonDisclosureState:
    """Whether the provider must still keep quiet at ``now``, and until when."""
    end = section.effective_end
    if end is None:
        return NonDisclosureState(status="none", ends_at=None, remaining=None, can_extend=False)
    if now >= end:
        return NonDisclosureState(status="expired", ends_at=end, remaining=None, can_extend=False)
    return NonDisclosureState(
        status="active", ends_at=end, remaining=end - now, can_extend=not section.extensions
    )


def extend_non_disclosure(
    section: NonDisclosure,
    at: datetime,
    *,
    ends_at: datetime | None = None,
    justification: str = "",
) -> NonDisclosure:
    """The section with its one extension (Art. 11): by default six more weeks.

    Refused when there is no running period, it was already extended, it has ended by
    ``at``, or the new end is not later or more than six weeks later.
    """
    # Six weeks, extendable once by six weeks. (TCO.md [R]: to be checked against the OJ)
    if not section.do_not_inform or section.ends_at is None:
        raise ValueError("extension: there is no non-disclosure period to extend")
    if section.extensions:
        raise ValueError(
            f"extension: already extended once (until {_when(section.extensions[0].ends_at)});"
            " only one extension is allowed"
        )
    if at >= section.ends_at:
        raise ValueError(f"extension: the period ended at {_when(section.ends_at)}")
    new_end = ends_at or section.ends_at + NON_DISCLOSURE_PERIOD
    if not section.ends_at < new_end <= section.ends_at + NON_DISCLOSURE_PERIOD:
        raise ValueError(
            f"extension: {_when(new_end)} must be after {_when(section.ends_at)}"
            " and at most six weeks after it"
        )
    extension = NonDisclosureExtension(decided_at=at, ends_at=new_end, justification=justification)
    return replace(section, extensions=(extension,))
