"""Deadline clocks: the hour of a removal order, pauses and restarts, referrals, alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from iru.cases.clocks import (
    Alert,
    Clock,
    ClockEvent,
    alerts,
    due_at,
    extend_non_disclosure,
    first_order_notice_ok,
    non_disclosure_state,
    referral_clock,
    state,
)
from iru.cases.tco import NonDisclosure, Referral

T0 = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def order_clock() -> Clock:
    return Clock(kind="removal_order").received(T0)


def test_not_started_until_received() -> None:
    clock = Clock(kind="removal_order")
    assert clock.target == HOUR
    assert due_at(clock) is None
    assert state(clock, T0).status == "not_started"
    assert alerts(clock, T0 + 5 * HOUR) == []


def test_one_hour_clock_met_at_59_minutes() -> None:
    clock = order_clock().complied(T0 + 59 * MIN)
    assert due_at(clock) == T0 + HOUR
    done = state(clock, T0 + 2 * HOUR)
    assert done.status == "met"
    assert done.overdue_by is None
    assert done.closed_at == T0 + 59 * MIN
    # Complying at the very deadline is still within the hour.
    assert state(order_clock().complied(T0 + HOUR), T0 + 2 * HOUR).status == "met"


def test_one_hour_clock_breached_at_61_minutes() -> None:
    running = order_clock()
    at_30 = state(running, T0 + 30 * MIN)
    assert (at_30.status, at_30.due_at, at_30.remaining) == ("running", T0 + HOUR, 30 * MIN)
    assert state(running, T0 + HOUR).status == "running"
    late = state(running, T0 + 61 * MIN)
    assert (late.status, late.remaining, late.overdue_by) == ("breached", None, MIN)
    complied_late = running.complied(T0 + 61 * MIN)
    final = state(complied_late, T0 + 3 * HOUR)
    assert (final.status, final.overdue_by) == ("breached", MIN)


def test_state_only_counts_events_that_have_happened() -> None:
    clock = order_clock().complied(T0 + 50 * MIN)
    assert state(clock, T0 - MIN).status == "not_started"
    assert state(clock, T0 + 10 * MIN).status == "running"
    assert state(clock, T0 + 50 * MIN).status == "met"


def test_warning_fifteen_minutes_before_then_breach() -> None:
    clock = order_clock()
    assert alerts(clock, T0 + 44 * MIN) == []
    warned = alerts(clock, T0 + 45 * MIN)
    assert [(a.level, a.at) for a in warned] == [("warning", T0 + 45 * MIN)]
    assert warned[0].message == "removal order: 15 min left, due 2025-03-04 11:00:00 UTC"
    assert alerts(clock, T0 + HOUR) == warned
    breached = alerts(clock, T0 + 61 * MIN)
    assert [(a.level, a.at) for a in breached] == [
        ("warning", T0 + 45 * MIN),
        ("breach", T0 + HOUR),
    ]
    assert breached[1].message == "removal order: deadline missed, was due 2025-03-04 11:00:00 UTC"
    custom = alerts(clock, T0 + 50 * MIN, warn_before=5 * MIN)
    assert custom == []


def test_alerts_are_not_duplicated() -> None:
    clock = order_clock()
    seen: list[Alert] = []
    for minute in range(0, 300, 7):
        current = alerts(clock, T0 + minute * MIN)
        assert current[: len(seen)] == seen  # a later look only adds
        seen = current
    assert [a.level for a in seen] == ["warning", "breach"]
    # A compliance before the warning raises nothing, ever.
    assert alerts(order_clock().complied(T0 + 10 * MIN), T0 + 5 * HOUR) == []
    # Complied after the warning: the warning stays, no breach.
    done = order_clock().complied(T0 + 50 * MIN)
    assert [a.level for a in alerts(done, T0 + 5 * HOUR)] == ["warning"]
    # After a breach nothing more is raised, even across a pause and restart.
    late = order_clock().clarification_requested(T0 + 70 * MIN)
    late = late.clarification_received(T0 + 90 * MIN)
    assert [a.level for a in alerts(late, T0 + 10 * HOUR)] == ["warning", "breach"]
    with pytest.raises(ValueError, match="warn_before"):
        alerts(clock, T0, warn_before=-MIN)


def test_clarification_pauses_and_restarts_the_full_hour() -> None:
    asked = order_clock().clarification_requested(T0 + 40 * MIN)
    paused = state(asked, T0 + 3 * HOUR)
    assert (paused.status, paused.due_at, paused.remaining) == ("paused", None, None)
    assert paused.paused_for == 3 * HOUR - 40 * MIN
    assert due_at(asked) is None
    answered = asked.clarification_received(T0 + 5 * HOUR)
    assert due_at(answered) == T0 + 6 * HOUR
    running = state(answered, T0 + 5 * HOUR + 50 * MIN)
    assert (running.status, running.remaining) == ("running", 10 * MIN)
    assert running.paused_for == 5 * HOUR - 40 * MIN
    assert state(answered.complied(T0 + 5 * HOUR + 59 * MIN), T0 + 7 * HOUR).status == "met"
    assert state(answered, T0 + 6 * HOUR + MIN).status == "breached"
    # Each stretch gets its own warning: 45 minutes into the first one is not reached.
    levels = [(a.level, a.at) for a in alerts(answered, T0 + 6 * HOUR)]
    assert levels == [("warning", T0 + 5 * HOUR + 45 * MIN)]


def test_force_majeure_restarts_when_the_grounds_cease() -> None:
    outage = order_clock().force_majeure(T0 + 50 * MIN)
    assert [a.level for a in alerts(outage, T0 + 20 * HOUR)] == ["warning"]
    assert state(outage, T0 + 20 * HOUR).status == "paused"
    resumed = outage.force_majeure_ceased(T0 + 20 * HOUR)
    assert due_at(resumed) == T0 + 21 * HOUR
    assert state(resumed.complied(T0 + 20 * HOUR + 30 * MIN), T0 + 22 * HOUR).status == "met"
    # Compliance while paused closes the clock as met, with no deadline in force.
    fixed = state(outage.complied(T0 + 2 * HOUR), T0 + 3 * HOUR)
    assert (fixed.status, fixed.due_at, fixed.paused_for) == ("met", None, 70 * MIN)


def test_a_pause_after_the_deadline_does_not_undo_the_breach() -> None:
    late = order_clock().force_majeure(T0 + 70 * MIN).force_majeure_ceased(T0 + 2 * HOUR)
    result = state(late.complied(T0 + 2 * HOUR + 5 * MIN), T0 + 4 * HOUR)
    assert result.status == "breached"
    assert result.overdue_by == 65 * MIN


def test_rejection_closes_the_clock() -> None:
    rejected = order_clock().rejected(T0 + 20 * MIN)
    closed = state(rejected, T0 + 2 * HOUR)
    assert (closed.status, closed.closed_at, closed.due_at) == ("closed", T0 + 20 * MIN, T0 + HOUR)
    assert alerts(rejected, T0 + 2 * HOUR) == []


def test_referral_default_24_hours_and_configurable() -> None:
    clock = Clock(kind="referral").received(T0)
    assert clock.target == timedelta(hours=24)
    assert due_at(clock) == T0 + timedelta(hours=24)
    warned = alerts(clock, T0 + timedelta(hours=23, minutes=45))
    assert warned[0].message == "referral: 15 min left, due 2025-03-05 10:00:00 UTC"
    two_days = Clock(kind="referral", target=timedelta(hours=48)).received(T0)
    assert state(two_days, T0 + timedelta(hours=30)).status == "running"
    referral = Referral(
        reference="R-1",
        platform="video.example",
        urls=("https://video.example/v/1",),
        tos_clause="§4",
        language="en",
        created_at=T0,
        target_response_hours=6,
    )
    assert due_at(referral_clock(referral).received(T0)) == T0 + 6 * HOUR
    with pytest.raises(ValueError, match="not a positive duration"):
        Clock(kind="referral", target=timedelta(0))
    brief = Clock(kind="removal_order", target=10 * MIN).received(T0)
    assert [a.at for a in alerts(brief, T0 + MIN)] == [T0]  # shorter than the warning


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda c: c.complied(T0), r"^complied at .*: the clock has not started"),
        (lambda c: c.received(T0).received(T0 + MIN), "already started at 2025-03-04 10:00:00"),
        (
            lambda c: c.received(T0).complied(T0 + MIN).rejected(T0 + 2 * MIN),
            r"^rejected at .*already closed \(complied at 2025-03-04 10:01:00 UTC\)",
        ),
        (
            lambda c: c.received(T0).clarification_received(T0 + MIN),
            r"^clarification_received at .*: not possible while the clock is running",
        ),
        (
            lambda c: c.received(T0).force_majeure(T0 + MIN).clarification_received(T0 + 2 * MIN),
            "not possible while paused for force majeure",
        ),
        (
            lambda c: c.received(T0).force_majeure_ceased(T0 + MIN),
            "^force_majeure_ceased at",
        ),
        (
            lambda c: c.received(T0 + HOUR).complied(T0),
            r"^complied at 2025-03-04 10:00:00 UTC is earlier than the event before it "
            r"\(received at 2025-03-04 11:00:00 UTC\)",
        ),
        (lambda c: c.received(datetime(2025, 3, 4, 10, 0)), "^received: .* has no time zone"),
    ],
)
def test_bad_event_orders_are_refused(build: Callable[[Clock], Clock], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(Clock(kind="removal_order"))


def test_clock_round_trips_and_decoding_checks_the_order() -> None:
    cet = timezone(timedelta(hours=1))
    clock = order_clock().clarification_requested((T0 + 5 * MIN).astimezone(cet))
    assert clock.events[-1].at.tzinfo is UTC  # stored in UTC
    again = msgspec.json.decode(msgspec.json.encode(clock), type=Clock)
    assert again == clock
    events = [ClockEvent(kind="complied", at=T0)]
    with pytest.raises(msgspec.ValidationError, match="has not started"):
        msgspec.json.decode(
            msgspec.json.encode({"kind": "removal_order", "events": events}), type=Clock
        )


def test_first_order_notice() -> None:
    issued = T0 + 24 * HOUR
    assert first_order_notice_ok(True, issued - 12 * HOUR, issued, emergency=False)
    assert not first_order_notice_ok(True, issued - 11 * HOUR, issued, emergency=False)
    assert not first_order_notice_ok(True, None, issued, emergency=False)
    assert first_order_notice_ok(True, None, issued, emergency=True)
    assert first_order_notice_ok(False, None, issued, emergency=False)


def test_non_disclosure_timer_and_its_single_extension() -> None:
    section = NonDisclosure(do_not_inform=True, decided_at=T0, ends_at=T0 + timedelta(weeks=6))
    now = T0 + timedelta(weeks=1)
    current = non_disclosure_state(section, now)
    assert (current.status, current.remaining, current.can_extend) == (
        "active",
        timedelta(weeks=5),
        True,
    )
    extended = extend_non_disclosure(section, now, justification="investigation")
    assert extended.effective_end == T0 + timedelta(weeks=12)
    assert not non_disclosure_state(extended, now).can_extend
    assert non_disclosure_state(extended, T0 + timedelta(weeks=12)).status == "expired"
    with pytest.raises(ValueError, match="only one extension"):
        extend_non_disclosure(extended, now)
    with pytest.raises(ValueError, match="at most six weeks"):
        extend_non_disclosure(section, now, ends_at=T0 + timedelta(weeks=12, seconds=1))
    with pytest.raises(ValueError, match="period ended"):
        extend_non_disclosure(section, T0 + timedelta(weeks=6))
    with pytest.raises(ValueError, match="no non-disclosure period"):
        extend_non_disclosure(NonDisclosure(), now)
    assert non_disclosure_state(NonDisclosure(), now).status == "none"
