"""Referral service on SQLite and PostgreSQL: tracking, resurgence reopening, holds lifted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iru.cases.access import PermissionDenied, Role
from iru.cases.connectors import PlatformEvent
from iru.engine.services.cases import CaseService, Deconflicted
from iru.engine.services.referrals import ReferralError
from iru.storage.schema import accounts, resurgence_links
from iru.workspace import Workspace

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _setup(workspace: Workspace) -> CaseService:
    cases = CaseService(workspace.database)
    cases.add_user(None, "root", Role.ADMIN, "EU", NOW, contact="EU desk")
    root = cases.principal("root")
    for name, role, unit, contact in (
        ("anna", Role.ANALYST, "DE", "BKA desk"),
        ("sven", Role.SUPERVISOR, "DE", ""),
        ("fabien", Role.ANALYST, "FR", "PHAROS desk"),
        ("flore", Role.SUPERVISOR, "FR", ""),
    ):
        cases.add_user(root, name, role, unit, NOW, contact=contact)
    with workspace.database.engine.begin() as conn:
        for account_id, handle in (("100", "old_outlet"), ("200", "old_outlet2"), ("300", "x")):
            conn.execute(
                accounts.insert().values(
                    platform="twitter",
                    account_id=account_id,
                    handle=handle,
                    description="placeholder bio",
                    observed_at=NOW,
                )
            )
    return cases


def test_a_removed_target_resurging_reopens_its_case_with_history(workspace: Workspace) -> None:
    cases = _setup(workspace)
    anna = cases.principal("anna")
    cases.decide(anna, "twitter", "100", decision="refer", reason="outlet", now=NOW)
    referrals = workspace.referral_service()
    row = referrals.create(anna, "twitter", "100", now=NOW, connector="export")
    assert row.status == "queued" and row.reference == "IRU-DE-2026-000001"
    # The profile was preserved before the package was built, and the package cites it.
    assert workspace.evidence_store().verify().ok
    with pytest.raises(ReferralError, match="already has referral"):
        referrals.create(anna, "twitter", "100", now=NOW, connector="export")
    delivery = workspace.delivery_service(workspace.connector("export"))
    (outcome,) = delivery.deliver_pending(anna)
    assert outcome.status == "sent" and outcome.ticket is None
    for status, minutes in (("received", 5), ("removed", 65)):
        referrals.record_status(
            anna, row.reference, status, at=NOW + timedelta(minutes=minutes), detail="", now=NOW
        )
    with pytest.raises(ReferralError, match="removed cannot become clarification"):
        referrals.record_status(anna, row.reference, "clarification", at=NOW, detail="", now=NOW)
    # The platform's repeated event changes nothing (same seq applied once).
    event = PlatformEvent(seq=7, status="removed", at=NOW + timedelta(minutes=65))
    current = referrals.store.get(row.reference)
    assert current is not None
    assert referrals.apply_event(current, event, source="poll", actor="p", now=NOW)
    assert not referrals.apply_event(current, event, source="callback", actor="p", now=NOW)
    (old_case,) = [c for c in cases.store.cases() if c.account_id == "100"]
    assert old_case.status == "removed"
    with workspace.database.engine.connect() as conn:
        status = conn.execute(
            accounts.select()
            .with_only_columns(accounts.c.status)
            .where(accounts.c.account_id == "100")
        ).scalar()
    assert status == "removed"
    # A new account linked to the removed one: a case opens for the same unit, with history.
    with workspace.database.engine.begin() as conn:
        conn.execute(
            resurgence_links.insert().values(
                platform="twitter",
                account_id="200",
                predecessor_id="100",
                confidence=0.9,
                evidence="{}",
                explanation="same avatar",
                linked_at=NOW,
            )
        )
    links = [
        {"platform": "twitter", "account_id": "200", "predecessor_id": "100", "confidence": 0.9}
    ]
    ((predecessor, reopened),) = cases.reopen_resurgent(links, NOW)
    assert predecessor.case_id == old_case.case_id and reopened.unit == "DE"
    assert reopened.predecessor_case_id == old_case.case_id and reopened.status == "open"
    assert cases.reopen_resurgent(links, NOW) == []  # once only
    view = cases.read_case(anna, reopened, NOW)
    assert view["history"][0]["decisions"][0]["reason"] == "outlet"
    # Metrics and the (closed, breached) one-day target: received at +5 min, removed at +65.
    (metrics,) = referrals.metrics(anna, NOW + timedelta(days=2))
    assert metrics["removed"] == 1 and metrics["removal_rate"] == 1.0
    assert metrics["median_hours_to_removal"] == 1.0 and metrics["breaches"] == 0
    audit = [e.action for e in workspace_audit(workspace)]
    for action in ("referral.create", "referral.deliver", "referral.status", "case.reopen"):
        assert action in audit


def workspace_audit(workspace: Workspace) -> list:  # type: ignore[type-arg]
    from iru.storage.audit import AuditStore

    return list(AuditStore(workspace.database).events())


def test_holds_stop_referrals_until_the_holding_unit_lifts_them(workspace: Workspace) -> None:
    cases = _setup(workspace)
    anna, sven = cases.principal("anna"), cases.principal("sven")
    fabien, flore = cases.principal("fabien"), cases.principal("flore")
    cases.decide(fabien, "twitter", "300", decision="hold", reason="op X", now=NOW)
    with pytest.raises(Deconflicted, match="PHAROS desk"):
        cases.decide(anna, "twitter", "300", decision="refer", reason="r", now=NOW)
    ((hold_id, hold),) = cases.holds(fabien)
    assert hold.reason == "op X" and cases.holds(anna) == []  # another unit's holds unseen
    with pytest.raises(LookupError):
        cases.lift_hold(sven, hold_id, "not ours", NOW)
    with pytest.raises(PermissionDenied, match=r"hold\.lift"):
        cases.lift_hold(fabien, hold_id, "analysts cannot", NOW)
    cases.lift_hold(flore, hold_id, "investigation closed", NOW + timedelta(hours=1))
    with pytest.raises(ValueError, match="lifted already"):
        cases.lift_hold(flore, hold_id, "again", NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=2)
    result = cases.decide(anna, "twitter", "300", decision="refer", reason="r", now=later)
    assert result.status == "referred"
    # A referral is made by its own unit only.
    referrals = workspace.referral_service()
    with pytest.raises(ReferralError, match="unit FR has a case that is hold"):
        referrals.create(fabien, "twitter", "300", now=later, connector="export")
    row = referrals.create(anna, "twitter", "300", now=later, connector="export")
    with pytest.raises(PermissionDenied):
        referrals.record_status(fabien, row.reference, "received", at=later, detail="", now=later)


def test_force_majeure_pauses_the_clock_and_bad_forms_are_noted(workspace: Workspace) -> None:
    cases = _setup(workspace)
    anna = cases.principal("anna")
    cases.decide(anna, "twitter", "100", decision="refer", reason="outlet", now=NOW)
    referrals = workspace.referral_service()
    row = referrals.create(anna, "twitter", "100", now=NOW, connector="export")
    workspace.delivery_service(workspace.connector("export")).deliver_pending(anna)
    referrals.record_status(anna, row.reference, "received", at=NOW, detail="", now=NOW)
    current = referrals.store.get(row.reference)
    assert current is not None
    event = PlatformEvent(
        seq=1,
        status="rejected",
        at=NOW + timedelta(minutes=10),
        detail="outage",
        form={"grounds": ["force_majeure"], "explanation": "data centre fire"},
    )
    referrals.apply_event(current, event, source="poll", actor="platform:twitter", now=NOW)
    clock = referrals.clock(referrals.store.get(row.reference))  # type: ignore[arg-type]
    assert [e.kind for e in clock.events] == ["received", "force_majeure"]
    ((deadline),) = referrals.deadlines(anna, NOW + timedelta(days=3))
    assert deadline.clock.status == "paused"  # not closed, not breached: the unit follows up
    # The same event on a removal order would have its Annex III form checked: a referral's
    # form is kept as the platform sent it.
    (stored,) = [e for e in referrals.store.events(row.referral_id) if e.status == "rejected"]
    assert stored.form_json is not None and "force_majeure" in stored.form_json
