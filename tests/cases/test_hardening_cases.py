"""Hardening of the case workflow (issue 16): a restricted case never leaks through its
successor's history, a hold's restriction carries to successors (item 15); decisions
need an account iru holds, an auditor's decide is 403 and a retried decision is
recognised (item 19); a manifest cut short is found (item 21). Through the service, the
API and the CLI, on SQLite and PostgreSQL; every account and reason is synthetic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from iru.cases.access import PermissionDenied, Role
from iru.domain.records import Account
from iru.engine.services.auth import AuthService
from iru.engine.services.cases import CaseService, UnknownAccount
from iru.storage.audit import AuditStore
from iru.storage.cases import CaseRow
from iru.storage.evidence import EvidenceStore
from iru.storage.schema import cases as cases_table
from iru.storage.schema import decisions, referrals
from iru.web.app import create_app
from iru.workspace import Workspace

from ..conftest import Iru

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "operation SYNTH-LANTERN"  # a hold's reason: never shown to another unit
OLD, NEW = ("twitter", "9100"), ("twitter", "9101")


def _users(cases: CaseService) -> None:
    cases.add_user(None, "root", Role.ADMIN, "EU", NOW, contact="EU desk")
    root = cases.principal("root")
    for name, role, unit in (
        ("anna", Role.ANALYST, "DE"),
        ("sven", Role.SUPERVISOR, "DE"),
        ("audrey", Role.AUDITOR, "DE"),
        ("fabien", Role.ANALYST, "FR"),
    ):
        cases.add_user(root, name, role, unit, NOW, contact=f"{unit} desk")


def _store_accounts(ws: Workspace, *ids: str) -> None:
    ws.database.write_ingest_batch([Account(platform="twitter", account_id=a) for a in ids], [])


def _resurged(ws: Workspace) -> tuple[CaseService, CaseRow, CaseRow]:
    """DE referred OLD; NEW resurged from it (a successor case); then DE held OLD."""
    _store_accounts(ws, OLD[1], NEW[1])
    cases = CaseService(ws.database)
    _users(cases)
    anna = cases.principal("anna")
    cases.decide(anna, *OLD, decision="refer", reason="release markers", now=NOW)
    link = {"platform": "twitter", "account_id": NEW[1], "predecessor_id": OLD[1]}
    ((old, new),) = cases.reopen_resurgent([{**link, "confidence": 0.9}], NOW)
    assert not new.restricted  # nothing held yet: another unit may read the successor
    cases.decide(
        anna, *OLD, decision="hold", reason=SECRET, now=NOW, hold_until=NOW + timedelta(days=3)
    )
    return cases, old, new


# -- item 15: history and the carried restriction -------------------------------------


def test_a_hold_restricts_successors_and_history_hides_restricted_cases(
    workspace: Workspace,
) -> None:
    cases, old, new = _resurged(workspace)
    fabien, anna = cases.principal("fabien"), cases.principal("anna")
    # While DE holds the predecessor, the successor is DE's alone.
    assert cases.store.case_by_id(new.case_id, NOW).restricted  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied):
        cases.read_case(fabien, new, NOW)
    assert new.case_id not in {c.case_id for c in cases.visible_cases(fabien, NOW)}
    # Its own unit reads the whole history, each case read audited.
    mine = cases.read_case(anna, new, NOW)
    assert [d["reason"] for d in mine["history"][0]["decisions"]] == ["release markers", SECRET]
    reads = [e for e in AuditStore(workspace.database).events() if e.action == "case.read"]
    assert reads[-1].subject == "twitter:9100" and reads[-1].after == {"as_history_of": new.case_id}
    # The hold ends (it expires): the successor is readable again, the held one is not.
    after = NOW + timedelta(days=4)
    read = cases.read_case(fabien, new, after)
    assert read["history"] == [{"restricted": True, "case": None, "decisions": []}]
    assert SECRET not in repr(read) and "release markers" not in repr(read)
    events = list(AuditStore(workspace.database).events())
    assert [e.action for e in events[-2:]] == ["case.read", "case.read_refused"]
    assert events[-2].subject == "twitter:9101" and events[-2].actor == "fabien"
    visible = {c.case_id for c in cases.visible_cases(fabien, after)}
    assert new.case_id in visible and old.case_id not in visible


def test_lifting_the_hold_ends_the_carried_restriction(workspace: Workspace) -> None:
    cases, _old, new = _resurged(workspace)
    fabien, sven = cases.principal("fabien"), cases.principal("sven")
    with pytest.raises(PermissionDenied):
        cases.read_case(fabien, new, NOW)
    ((hold_id, _hold),) = cases.holds(sven)
    cases.lift_hold(sven, hold_id, "investigation closed", NOW + timedelta(hours=1))
    read = cases.read_case(fabien, new, NOW + timedelta(hours=2))
    assert read["history"][0]["restricted"] and SECRET not in repr(read)


def test_the_case_api_and_the_cli_export_show_nothing_of_a_restricted_predecessor(
    workspace: Workspace, tmp_path: Path
) -> None:
    cases, old, new = _resurged(workspace)
    token = AuthService(workspace.database).create_token(
        cases.principal("root"), "script", "fabien", NOW
    )
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(workspace)) as client:
        # During the hold: the successor is forbidden, without a word of the case.
        held = client.get(f"/api/v1/cases/{new.case_id}", headers=bearer)
        assert held.status_code == 403 and SECRET not in held.text
        ((hold_id, _),) = cases.holds(cases.principal("sven"))
        cases.lift_hold(cases.principal("sven"), hold_id, "closed", datetime.now(UTC))
        shown = client.get(f"/api/v1/cases/{new.case_id}", headers=bearer)
        assert shown.status_code == 200, shown.text
        assert shown.json()["history"] == [{"restricted": True, "case": None, "decisions": []}]
        assert SECRET not in shown.text and "release markers" not in shown.text
        assert client.get(f"/api/v1/cases/{old.case_id}", headers=bearer).status_code == 403
        # The case page says an earlier case is restricted, and nothing more.
        auth = AuthService(workspace.database)
        auth.set_password(cases.principal("root"), "fabien", "a synthetic passphrase", NOW)
        logged_in = client.post(
            "/login",
            data={"name": "fabien", "password": "a synthetic passphrase", "next": "/"},
            follow_redirects=False,
        )
        assert logged_in.status_code == 303
        page = client.get(f"/cases/{new.case_id}")
        assert page.status_code == 200 and "Earlier case: restricted" in page.text
        assert SECRET not in page.text and "release markers" not in page.text
    # The CLI's case export: the successor, never the restricted predecessor or its reason.
    cli = Iru(workspace.root, workspace.settings["database_url"])
    listed = json.loads(cli("export", "cases", "--user", "fabien", "--format", "json").output)
    assert [r["case_id"] for r in listed] == [new.case_id]
    assert SECRET not in json.dumps(listed)


# -- item 19: unknown accounts, auditors, retries ------------------------------------


def _case_count(ws: Workspace) -> int:
    with ws.database.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(cases_table)).scalar_one())


def _decision_count(ws: Workspace) -> int:
    with ws.database.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())


def test_the_service_refuses_unknown_accounts_and_recognises_a_retry(
    workspace: Workspace,
) -> None:
    _store_accounts(workspace, "9200", "9201")
    cases = CaseService(workspace.database, four_eyes=True)
    _users(cases)
    anna = cases.principal("anna")
    with pytest.raises(UnknownAccount, match="iru holds nothing of twitter:424242"):
        cases.decide(anna, "twitter", "424242", decision="refer", reason="r", now=NOW)
    assert _case_count(workspace) == 0
    first = cases.decide(anna, "twitter", "9200", decision="refer", reason="r", now=NOW)
    again = cases.decide(anna, "twitter", "9200", decision="refer", reason="r", now=NOW)
    assert first.status == again.status == "pending_approval"
    assert not first.repeated and again.repeated and again.decision_id == first.decision_id
    assert _decision_count(workspace) == 1
    # Another user's same decision, or another decision, is a decision of its own.
    cases.decide(cases.principal("sven"), "twitter", "9200", decision="refer", reason="r", now=NOW)
    cases.decide(anna, "twitter", "9201", decision="hold", reason="h", now=NOW)
    held = cases.decide(anna, "twitter", "9201", decision="hold", reason="h", now=NOW)
    monitored = cases.decide(anna, "twitter", "9201", decision="monitor", reason="m", now=NOW)
    assert held.repeated and not monitored.repeated and _decision_count(workspace) == 4


def test_the_api_answers_404_for_unknown_accounts_403_for_auditors_and_retries_once(
    workspace: Workspace,
) -> None:
    _store_accounts(workspace, "9300")
    cases = CaseService(workspace.database)
    _users(cases)
    auth = AuthService(workspace.database)
    root = cases.principal("root")
    anna = {"Authorization": f"Bearer {auth.create_token(root, 'a', 'anna', NOW)}"}
    audrey = {"Authorization": f"Bearer {auth.create_token(root, 'b', 'audrey', NOW)}"}
    body = {"decision": "monitor", "reason": "synthetic watch"}
    with TestClient(create_app(workspace)) as client:
        unknown = client.post("/api/v1/accounts/twitter/424242/decisions", json=body, headers=anna)
        assert unknown.status_code == 404 and "424242" in unknown.json()["error"]
        assert _case_count(workspace) == 0
        path = "/api/v1/accounts/twitter/9300/decisions"
        assert client.post(path, json=body, headers=audrey).status_code == 403
        made = client.post(path, json=body, headers=anna)
        again = client.post(path, json=body, headers=anna)
        assert made.status_code == again.status_code == 200
        assert "stands already" in again.json()["message"]
        assert "stands already" not in made.json()["message"]
    assert _decision_count(workspace) == 1


def _export_file(tmp_path: Path) -> Path:
    """One synthetic account with one post, as iru's own JSONL."""
    lines = [
        {"type": "account", "platform": "twitter", "account_id": "9400", "handle": "synth9400"},
        {
            "type": "post",
            "platform": "twitter",
            "post_id": "94000001",
            "account_id": "9400",
            "created_at": "2025-05-01T10:00:00Z",
            "text": "synthetic placeholder post",
        },
    ]
    path = tmp_path / "synthetic.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_cli_decide_refuses_unknown_accounts_and_a_retried_refer_exits_0(
    iru: Iru, tmp_path: Path
) -> None:
    iru("ingest", str(_export_file(tmp_path)))
    iru("users", "add", "root", "--role", "admin", "--unit", "EU", "--contact", "EU desk")
    iru("users", "add", "anna", "--role", "analyst", "--unit", "DE", "--user", "root")
    unknown = iru("decide", "twitter:424242", "refer", "--reason", "r", "--user", "anna", ok=False)
    assert unknown.exit_code == 1
    assert unknown.stderr.strip().splitlines() == [
        "Error: iru holds nothing of twitter:424242: no case opened "
        "(ingest the account first, or check PLATFORM:ACCOUNT_ID)"
    ]
    # Killed after the decision, before the package: the retry builds the package only.
    first = iru(
        "decide", "twitter:9400", "refer", "--reason", "r", "--user", "anna", "--no-package"
    )
    assert "referred" in first.output and "stands already" not in first.output
    retry = iru("decide", "twitter:9400", "refer", "--reason", "r", "--user", "anna")
    assert "stands already" in retry.output and "queued" in retry.output
    # Killed after the package: the retry adds nothing and says so.
    again = iru("decide", "twitter:9400", "refer", "--reason", "r", "--user", "anna")
    assert "stands already" in again.output and "queued already" in again.output
    ws = iru.open()
    try:
        with ws.database.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(decisions)).scalar_one() == 1
            assert conn.execute(select(func.count()).select_from(referrals)).scalar_one() == 1
            assert conn.execute(select(func.count()).select_from(cases_table)).scalar_one() == 1
    finally:
        ws.close()


# -- item 21: the evidence manifest against the audit log and an anchor --------------


def _captured(ws: Workspace, count: int) -> EvidenceStore:
    store = EvidenceStore(ws.database, ws.root / "evidence")
    for n in range(count):
        store.capture(
            f"twitter:95{n:02d}",
            "post",
            f'{{"id": "95{n:02d}", "text": "synthetic sample {n}"}}'.encode(),
            source=f"https://x.example/95{n:02d}",
            captured_by="ana",
            unit="DE",
            mime_type="application/json",
            now=NOW + timedelta(minutes=n),
        )
    return store


def _execute(ws: Workspace, sql: str) -> None:
    with ws.database.engine.begin() as conn:
        conn.execute(text(sql))


def test_a_clean_manifest_verifies(workspace: Workspace) -> None:
    report = _captured(workspace, 4).verify()
    assert report.ok and report.unrecorded == [], report.summary()


@pytest.mark.parametrize("cut", [1, 3])
def test_deleting_the_manifests_tail_is_found(workspace: Workspace, cut: int) -> None:
    store = _captured(workspace, 5)
    _execute(workspace, f"DELETE FROM evidence_manifest WHERE seq > {5 - cut}")
    report = store.verify()
    assert report.chain.ok  # the shorter chain is valid in itself ...
    assert not report.ok  # ... but the audit log recorded the entries cut off
    first = 5 - cut + 1
    problem = report.first_problem() or ""
    assert problem.startswith(
        f"evidence manifest disagrees with the audit log: manifest seq {first} (capture of "
    )
    assert f"for twitter:95{first - 1:02d}" in problem and "missing from the manifest" in problem
    assert len(report.unrecorded) == cut
    assert (f" (and {cut - 1} more)" in problem) == (cut > 1)


def test_cli_verify_names_the_missing_entry_and_checks_an_anchor(iru: Iru, tmp_path: Path) -> None:
    sample = tmp_path / "post.json"
    for n in range(3):
        sample.write_text(json.dumps({"id": n, "text": "synthetic"}), encoding="utf-8")
        iru("evidence", "capture", str(sample), "--subject", f"twitter:96{n}", "--kind", "post")
    anchor = tmp_path / "evidence-anchor.json"
    assert "seq 3" in iru("evidence", "anchor", "--out", str(anchor)).output
    assert "evidence intact" in iru("evidence", "verify", "--anchor", str(anchor)).output
    ws = iru.open()
    try:
        _execute(ws, "DELETE FROM evidence_manifest WHERE seq = 3")
    finally:
        ws.close()
    broken = iru("evidence", "verify", ok=False)
    assert broken.exit_code == 1
    assert "manifest seq 3" in broken.stderr and "twitter:962" in broken.stderr
    # Cut from the audit log too (its own anchor would catch that): the anchor still does.
    ws = iru.open()
    try:
        _execute(ws, "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    finally:
        ws.close()
    assert "evidence intact" in iru("evidence", "verify").output
    cut = iru("evidence", "verify", "--anchor", str(anchor), ok=False)
    assert "evidence manifest cut short: the anchor names seq 3" in cut.stderr
