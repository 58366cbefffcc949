"""Permissions, deconfliction holds and the triage order, on hand-made cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from iru.cases.access import (
    PERMISSIONS,
    Action,
    CaseScope,
    PermissionDenied,
    Principal,
    Role,
    allowed,
    authorize,
)
from iru.cases.holds import MAX_HOLD, HoldError, blocking, new_hold
from iru.cases.triage import Candidate, build_queue, urgency

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
ANALYST_DE = Principal("anna", Role.ANALYST, "DE")
ANALYST_FR = Principal("fabien", Role.ANALYST, "FR")
SUPERVISOR_DE = Principal("sven", Role.SUPERVISOR, "DE")
AUDITOR_DE = Principal("audrey", Role.AUDITOR, "DE")
ADMIN = Principal("root", Role.ADMIN, "EU")


def test_roles_grant_least_privilege() -> None:
    shared_de = CaseScope("DE")
    assert allowed(ANALYST_DE, Action.CASE_DECIDE, shared_de)
    assert not allowed(ANALYST_DE, Action.CASE_APPROVE, shared_de)  # four eyes: supervisors
    assert allowed(SUPERVISOR_DE, Action.CASE_APPROVE, shared_de)
    assert allowed(AUDITOR_DE, Action.CASE_READ, shared_de)
    assert not allowed(AUDITOR_DE, Action.CASE_DECIDE, shared_de)
    assert not allowed(ADMIN, Action.CASE_READ, shared_de)  # admins manage users, not cases
    assert allowed(ADMIN, Action.USERS_MANAGE)
    assert all(Action.USERS_MANAGE not in PERMISSIONS[r] for r in Role if r is not Role.ADMIN)


def test_another_units_restricted_case_is_out_of_reach() -> None:
    restricted_de = CaseScope("DE", restricted=True)
    for action in (Action.CASE_READ, Action.CASE_DECIDE, Action.EVIDENCE_READ):
        assert not allowed(ANALYST_FR, action, restricted_de)
        with pytest.raises(PermissionDenied) as refused:
            authorize(ANALYST_FR, action, restricted_de)
        assert "another unit" in str(refused.value)
    assert allowed(ANALYST_DE, Action.CASE_READ, restricted_de)
    # A shared case of another unit can be read and decided, not approved or its evidence read.
    shared_de = CaseScope("DE")
    assert allowed(ANALYST_FR, Action.CASE_READ, shared_de)
    assert not allowed(Principal("fs", Role.SUPERVISOR, "FR"), Action.CASE_APPROVE, shared_de)
    assert not allowed(AUDITOR_DE, Action.CASE_READ, CaseScope("FR"))


def test_a_disabled_user_can_do_nothing() -> None:
    gone = Principal("anna", Role.ANALYST, "DE", active=False)
    with pytest.raises(PermissionDenied, match="disabled"):
        authorize(gone, Action.CASE_READ, CaseScope("DE"))
    with pytest.raises(PermissionDenied, match=r"may not users\.manage"):
        authorize(ANALYST_DE, Action.USERS_MANAGE)


def test_a_hold_stops_other_units_and_tells_them_only_whom_to_call() -> None:
    hold = new_hold(
        "twitter",
        "42",
        unit="DE",
        contact="BKA deconfliction desk +49 611 0000",
        reason="operation NORDLICHT, informant inside",
        placed_by="anna",
        now=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    stop = blocking([hold], "FR", NOW + timedelta(days=1))
    assert stop is not None
    assert "unit DE" in stop.message and "BKA deconfliction desk" in stop.message
    assert "NORDLICHT" not in stop.message and "informant" not in stop.message
    assert blocking([hold], "DE", NOW) is None  # the holding unit itself may act
    assert blocking([hold], "FR", NOW + timedelta(days=7)) is None  # expired
    lifted = new_hold("twitter", "42", unit="DE", contact="desk", reason="", placed_by="a", now=NOW)
    assert blocking([replace(lifted, lifted_at=NOW)], "FR", NOW + timedelta(hours=1)) is None


def test_every_hold_has_a_bounded_expiry() -> None:
    with pytest.raises(HoldError, match="at most"):
        new_hold(
            "x",
            "1",
            unit="DE",
            contact="d",
            reason="",
            placed_by="a",
            now=NOW,
            expires_at=NOW + MAX_HOLD + timedelta(days=1),
        )
    with pytest.raises(HoldError, match="after it is placed"):
        new_hold(
            "x", "1", unit="DE", contact="d", reason="", placed_by="a", now=NOW, expires_at=NOW
        )
    with pytest.raises(HoldError, match="contact"):
        new_hold("x", "1", unit="DE", contact=" ", reason="", placed_by="a", now=NOW)
    default = new_hold("x", "1", unit="DE", contact="d", reason="", placed_by="a", now=NOW)
    assert default.expires_at == NOW + timedelta(days=30)


def _candidate(account: str, **changes: object) -> Candidate:
    values: dict[str, object] = {
        "platform": "twitter",
        "account_id": account,
        "handle": account,
        "confidence": 0.9,
        "impact": 0.01,
        "last_post_at": NOW,
    }
    values.update(changes)
    return Candidate(**values)  # type: ignore[arg-type]


def test_the_queue_puts_resurgences_first_then_impact_confidence_urgency() -> None:
    queue = build_queue(
        [
            _candidate("small", impact=0.001),
            _candidate("big", impact=0.2),
            _candidate("stale", impact=0.2, last_post_at=NOW - timedelta(days=3)),
            _candidate("back", impact=0.0001, predecessor_removed=True),
            _candidate("unsure", impact=0.5, confidence=0.4),
        ],
        NOW,
    )
    assert [i.candidate.account_id for i in queue] == ["back", "big", "stale", "small"]
    assert queue[0].why[0] == "resurgence of a removed account"
    assert urgency(_candidate("a", last_post_at=NOW - timedelta(hours=24)), NOW) == pytest.approx(
        0.5
    )


def test_the_queue_filters_by_platform_language_and_unit() -> None:
    items = [
        _candidate("a", language="ar", unit="DE"),
        _candidate("b", platform="telegram", language="ru", unit="FR"),
    ]
    assert [i.candidate.account_id for i in build_queue(items, NOW, platforms=["telegram"])] == [
        "b"
    ]
    assert [i.candidate.account_id for i in build_queue(items, NOW, languages=["ar"])] == ["a"]
    assert [i.candidate.account_id for i in build_queue(items, NOW, units=["FR"])] == ["b"]
