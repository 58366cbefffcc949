"""The case service on SQLite and PostgreSQL: users, decisions, deconfliction, four eyes, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iru.cases.access import PermissionDenied, Role
from iru.cases.triage import Candidate
from iru.domain.records import Account
from iru.engine.services.cases import CaseService, Deconflicted
from iru.storage.audit import AuditStore
from iru.storage.models import current_labels
from iru.workspace import Workspace

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
TARGET = ("twitter", "4242")


def _service(workspace: Workspace, four_eyes: bool = False) -> CaseService:
    # Decisions need accounts iru holds: store the synthetic ones the tests decide on.
    workspace.database.write_ingest_batch(
        [Account(platform="twitter", account_id=a) for a in ("4242", "7", "9", "1", "8")], []
    )
    cases = CaseService(workspace.database, four_eyes=four_eyes)
    cases.add_user(None, "root", Role.ADMIN, "EU", NOW, contact="EU desk")
    root = cases.principal("root")
    for name, role, unit, contact in (
        ("anna", Role.ANALYST, "DE", "BKA desk"),
        ("sven", Role.SUPERVISOR, "DE", ""),
        ("fabien", Role.ANALYST, "FR", "PHAROS desk"),
        ("audrey", Role.AUDITOR, "DE", ""),
    ):
        cases.add_user(root, name, role, unit, NOW, contact=contact)
    return cases


def test_only_an_admin_bootstraps_and_manages_users(workspace: Workspace) -> None:
    cases = CaseService(workspace.database)
    with pytest.raises(PermissionDenied, match="first user"):
        cases.add_user(None, "anna", Role.ANALYST, "DE", NOW)
    cases = _service(workspace)
    with pytest.raises(PermissionDenied, match=r"may not users\.manage"):
        cases.add_user(cases.principal("anna"), "eve", Role.ADMIN, "DE", NOW)
    with pytest.raises(PermissionDenied, match="acting admin"):
        cases.add_user(None, "eve", Role.ADMIN, "DE", NOW)
    with pytest.raises(ValueError, match="exists already"):
        cases.add_user(cases.principal("root"), "anna", Role.ANALYST, "DE", NOW)


def test_decisions_become_labels_and_are_audited(workspace: Workspace) -> None:
    cases = _service(workspace)
    anna = cases.principal("anna")
    referred = cases.decide(anna, *TARGET, decision="refer", reason="releases", now=NOW)
    assert referred.status == "referred" and referred.label == "supporter"
    dismissed = cases.decide(
        anna, "twitter", "7", decision="dismiss", reason="a journalist", now=NOW
    )
    assert dismissed.label == "not_supporter"
    labels = current_labels(workspace.database)
    assert labels[TARGET] == "supporter" and labels[("twitter", "7")] == "not_supporter"
    report = AuditStore(workspace.database).verify()
    assert report.ok
    actions = [e.action for e in AuditStore(workspace.database).events()]
    assert actions.count("case.decide") == 2 and actions.count("users.add") == 5
    with pytest.raises(ValueError, match="needs a reason"):
        cases.decide(anna, *TARGET, decision="monitor", reason=" ", now=NOW)
    with pytest.raises(ValueError, match="unknown decision"):
        cases.decide(anna, *TARGET, decision="delete", reason="x", now=NOW)


def test_a_hold_stops_another_unit_without_telling_it_why(workspace: Workspace) -> None:
    cases = _service(workspace)
    anna, fabien = cases.principal("anna"), cases.principal("fabien")
    cases.decide(
        anna,
        *TARGET,
        decision="hold",
        reason="operation NORDLICHT",
        now=NOW,
        hold_until=NOW + timedelta(days=3),
    )
    with pytest.raises(Deconflicted) as stopped:
        cases.decide(fabien, *TARGET, decision="refer", reason="propaganda", now=NOW)
    message = str(stopped.value)
    assert "unit DE" in message and "BKA desk" in message and "NORDLICHT" not in message
    # The attempt is on record; the holding unit may still refer; after expiry anyone may.
    assert "case.refer_blocked" in [e.action for e in AuditStore(workspace.database).events()]
    assert cases.decide(anna, *TARGET, decision="refer", reason="ok", now=NOW).status == "referred"
    later = NOW + timedelta(days=3, minutes=1)
    assert cases.decide(fabien, *TARGET, decision="refer", reason="x", now=later).status == (
        "referred"
    )


def test_four_eyes_needs_another_supervisor(workspace: Workspace) -> None:
    cases = _service(workspace, four_eyes=True)
    anna, sven = cases.principal("anna"), cases.principal("sven")
    pending = cases.decide(anna, *TARGET, decision="refer", reason="releases", now=NOW)
    assert pending.status == "pending_approval"
    with pytest.raises(PermissionDenied, match=r"may not case\.approve"):
        cases.approve(anna, *TARGET, NOW)
    approved = cases.approve(sven, *TARGET, NOW + timedelta(minutes=5))
    assert approved.status == "referred"
    with pytest.raises(LookupError, match="no referral awaits"):
        cases.approve(sven, *TARGET, NOW)
    # A supervisor's own referral needs no second pair of eyes.
    assert cases.decide(sven, "twitter", "9", decision="refer", reason="r", now=NOW).status == (
        "referred"
    )


def test_permission_bypass_attempts_are_refused(workspace: Workspace) -> None:
    cases = _service(workspace)
    anna, fabien = cases.principal("anna"), cases.principal("fabien")
    for name in ("audrey", "root"):  # auditors and admins do not decide
        with pytest.raises(PermissionDenied):
            cases.decide(cases.principal(name), *TARGET, decision="refer", reason="x", now=NOW)
    cases.decide(anna, *TARGET, decision="hold", reason="secret", now=NOW)
    held = next(c for c in cases.store.cases() if c.unit == "DE")
    assert held.restricted
    with pytest.raises(PermissionDenied, match="another unit"):
        cases.read_case(fabien, held, NOW)
    assert cases.read_case(anna, held, NOW)["decisions"][0]["reason"] == "secret"
    assert [e.action for e in AuditStore(workspace.database).events()][-1] == "case.read"


def test_the_queue_leaves_out_what_the_unit_decided(workspace: Workspace) -> None:
    cases = _service(workspace)
    anna, fabien = cases.principal("anna"), cases.principal("fabien")
    candidates = [
        Candidate("twitter", a, a, confidence=0.9, impact=i, last_post_at=NOW)
        for a, i in (("4242", 0.3), ("1", 0.1))
    ]
    assert [i.candidate.account_id for i in cases.queue(anna, candidates, NOW)] == ["4242", "1"]
    cases.decide(anna, *TARGET, decision="monitor", reason="watch", now=NOW)
    assert [i.candidate.account_id for i in cases.queue(anna, candidates, NOW)] == ["1"]
    assert len(cases.queue(fabien, candidates, NOW)) == 2  # another unit's decision
    with pytest.raises(PermissionDenied):
        cases.queue(cases.principal("root"), candidates, NOW)


def test_a_dismissal_may_say_counter_speech(workspace: Workspace) -> None:
    cases = _service(workspace, four_eyes=True)  # dismissals never wait for approval
    anna = cases.principal("anna")
    dismissed = cases.decide(
        anna, *TARGET, decision="dismiss", reason="argues against", now=NOW, label="counter_speech"
    )
    assert dismissed.status == "dismissed" and dismissed.label == "counter_speech"
    assert current_labels(workspace.database)[TARGET] == "counter_speech"
    decide = [e for e in AuditStore(workspace.database).events() if e.action == "case.decide"]
    assert decide[-1].after == {
        "status": "dismissed",
        "decision": "dismiss",
        "reason": "argues against",
        "label": "counter_speech",
    }
    # Naming the default is the default; a later plain dismissal replaces the label.
    plain = cases.decide(
        anna, *TARGET, decision="dismiss", reason="r", now=NOW, label="not_supporter"
    )
    assert plain.label == "not_supporter"
    cases.decide(anna, *TARGET, decision="dismiss", reason="r", now=NOW + timedelta(minutes=1))
    assert current_labels(workspace.database)[TARGET] == "not_supporter"
    for decision in ("refer", "monitor", "hold"):
        with pytest.raises(ValueError, match="only be chosen with dismiss"):
            cases.decide(
                anna, "twitter", "8", decision=decision, reason="r", now=NOW, label="counter_speech"
            )
    with pytest.raises(ValueError, match="not_supporter, counter_speech, got 'supporter'"):
        cases.decide(
            anna, "twitter", "8", decision="dismiss", reason="r", now=NOW, label="supporter"
        )
    assert ("twitter", "8") not in current_labels(workspace.database)
    assert not [c for c in cases.store.cases() if c.account_id == "8"]  # refused before storing
