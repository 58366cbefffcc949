"""The workbench's routes through an in-process client: pages, htmx fragments, API, permissions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from iru.engine.services.auth import AuthService
from iru.storage.models import current_labels
from iru.web.app import create_app
from iru.workspace import Workspace

from .conftest import PASSWORD, WebWorld


@pytest.fixture
def ws(web_world: WebWorld) -> Iterator[Workspace]:
    workspace = web_world.open()
    yield workspace
    workspace.close()


def login(client: TestClient, name: str) -> str:
    """Log in; returns the session's CSRF token (read from the page)."""
    response = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "next": "/queue"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/queue")
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def account_path(platform: str, account_id: str) -> str:
    return f"/accounts/{quote(platform, safe='')}/{quote(account_id, safe='')}"


def test_pages_need_a_session_and_render(ws: Workspace) -> None:
    with TestClient(create_app(ws)) as client:
        anonymous = client.get("/queue", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        assert client.get("/api/v1/queue").status_code == 401
        login(client, "anna")
        for path in ("/", "/queue", "/network", "/counter"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "Content-Security-Policy" in page.headers
            assert "cdn" not in page.text.lower()
        assert 'id="impact"' in client.get("/").text  # live impact on the dashboard
        queue = client.get("/api/v1/queue").json()
        assert queue["total"] > 0 and queue["rows"][0]["position"] == 1
        # Sorting, filters and pages come back as the htmx fragment.
        fragment = client.get("/queue/rows?sort=score&dir=asc", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        scores = client.get("/api/v1/queue?sort=score&dir=asc").json()["rows"]
        assert [r["score"] for r in scores] == sorted(r["score"] for r in scores)
        language = queue["rows"][0]["language"]
        only = client.get(f"/api/v1/queue?language={language}").json()["rows"]
        assert only and {r["language"] for r in only} == {language}
        # Analysts see neither the audit view nor the approvals.
        assert client.get("/audit").status_code == 403
        assert client.get("/approvals").status_code == 403
        assert client.get("/api/openapi.json").json()["info"]["title"] == "iru workbench"


def test_account_page_decide_and_referral_page(ws: Workspace) -> None:
    with TestClient(create_app(ws)) as client:
        csrf = login(client, "anna")
        row = client.get("/api/v1/queue").json()["rows"][3]
        path = account_path(row["platform"], row["account_id"])
        page = client.get(path)
        assert page.status_code == 200 and 'id="decision-panel"' in page.text
        graph = client.get(f"{path}/graph.json").json()
        assert graph["nodes"][0]["data"]["kind"] == "target" and len(graph["nodes"]) > 1
        # Without the CSRF token a decision is refused; a reason is required.
        form = {"decision": "refer", "reason": "release markers and reach"}
        assert client.post(f"{path}/decide", data=form).status_code == 403
        headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
        empty = client.post(
            f"{path}/decide", data={"decision": "refer", "reason": " "}, headers=headers
        )
        assert empty.status_code == 400 and "reason" in empty.text
        made = client.post(f"{path}/decide", data=form, headers=headers)
        assert made.status_code == 200 and "<html" not in made.text
        reference = re.search(r"referral (IRU-DE-\d{4}-\d{6})", made.text)
        assert reference, made.text
        referral = client.get(f"/referrals/{reference.group(1)}")
        assert referral.status_code == 200 and reference.group(1) in referral.text
        data = client.get(f"/api/v1/referrals/{reference.group(1)}").json()
        assert data["referral"]["status"] == "queued" and data["evidence"]
        package = client.get(f"/referrals/{reference.group(1)}/package.html")
        assert package.status_code == 200 and data["referral"]["package_sha256"] in package.text


def test_another_units_restricted_case_is_forbidden(ws: Workspace) -> None:
    with TestClient(create_app(ws)) as client:
        csrf = login(client, "anna")
        row = client.get("/api/v1/queue").json()["rows"][5]
        path = account_path(row["platform"], row["account_id"])
        held = client.post(
            f"{path}/decide",
            data={"decision": "hold", "reason": "operation placeholder", "hold_days": "10"},
            headers={"X-CSRF-Token": csrf},
        )
        assert held.status_code == 200
        case_id = client.get(f"/api/v1{path}").json()["case"]["case_id"]
        assert client.get(f"/cases/{case_id}").status_code == 200
    with TestClient(create_app(ws)) as other:
        csrf = login(other, "fabien")
        refused = other.get(f"/cases/{case_id}")
        assert refused.status_code == 403 and "operation placeholder" not in refused.text
        assert other.get(f"/api/v1/cases/{case_id}").status_code == 403
        # Trying to refer it is stopped by the hold, naming the unit, not the operation.
        stopped = other.post(
            f"{path}/decide",
            data={"decision": "refer", "reason": "x"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert stopped.status_code == 409
        assert "DE desk" in stopped.text and "operation placeholder" not in stopped.text


def test_api_tokens_and_the_auditors_view(ws: Workspace) -> None:
    auth = AuthService(ws.database)
    now = datetime.now(UTC)
    from iru.engine.services.cases import CaseService

    cases = CaseService(ws.database)
    token = auth.create_token(cases.principal("root"), "script", "audrey", now)
    with TestClient(create_app(ws)) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        audit = client.get("/api/v1/audit", headers=bearer).json()
        assert audit["verify"]["ok"] and all(e["unit"] == "DE" for e in audit["events"])
        assert (
            client.get("/api/v1/audit", headers={"Authorization": "Bearer iru_wrong"}).status_code
            == 401
        )
        login(client, "audrey")
        page = client.get("/audit")
        assert page.status_code == 200 and "intact" in page.text.lower()


def test_a_dismissal_says_counter_speech_by_form_and_api(ws: Workspace) -> None:
    with TestClient(create_app(ws)) as client:
        csrf = login(client, "fabien")  # unit FR: the other tests decide for DE
        rows = client.get("/api/v1/queue").json()["rows"]
        first, second = rows[-1], rows[-2]
        path = account_path(first["platform"], first["account_id"])
        assert re.search(r'<input type="checkbox" name="counter_speech"', client.get(path).text)
        headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
        for decision in ("refer", "approve"):
            refused = client.post(
                f"{path}/decide",
                data={"decision": decision, "reason": "x", "counter_speech": "true"},
                headers=headers,
            )
            assert refused.status_code == 400 and "only be chosen with dismiss" in refused.text
        made = client.post(
            f"{path}/decide",
            data={"decision": "dismiss", "reason": "argues against", "counter_speech": "true"},
            headers=headers,
        )
        assert made.status_code == 200, made.text
        assert "dismissed; training label counter_speech" in made.text

        api = f"/api/v1{account_path(second['platform'], second['account_id'])}/decisions"
        csrf_only = {"X-CSRF-Token": csrf}
        body = {"decision": "dismiss", "reason": "argues against", "label": "supporter"}
        assert client.post(api, json=body, headers=csrf_only).status_code == 422
        body |= {"decision": "monitor", "label": "counter_speech"}
        wrong = client.post(api, json=body, headers=csrf_only)
        assert wrong.status_code == 400 and "with dismiss" in wrong.json()["detail"]
        body |= {"decision": "dismiss"}
        done = client.post(api, json=body, headers=csrf_only)
        assert done.status_code == 200, done.text
        assert done.json()["message"].endswith("dismissed; training label counter_speech")
    labels = current_labels(ws.database)
    for row in (first, second):
        assert labels[(row["platform"], row["account_id"])] == "counter_speech"
