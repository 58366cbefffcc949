"""The workbench's read models: kept per data version, the same rows as the case service,
each unit's view its own, account pages built ahead equal to those built on request, and
the reads audited in batches that keep the chain (iru.web.views, iru.engine.readers)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from iru.engine.readers.queue import reference_time, triage_rows
from iru.web.app import create_app
from iru.workspace import Workspace

from .conftest import WebWorld
from .test_pages import account_path, login


@pytest.fixture
def ws(web_world: WebWorld) -> Iterator[Workspace]:
    workspace = web_world.open()
    yield workspace
    workspace.close()


def _accounts_in(html: str) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', html)


def test_the_queue_is_the_case_services_queue(ws: Workspace) -> None:
    app = create_app(ws)
    views = app.state.views
    with TestClient(app) as client:
        login(client, "anna")
        shown = client.get("/api/v1/queue?page=1").json()
        anna = views.cases.principal("anna")
        candidates = views.candidates()
        rows = triage_rows(
            views.cases, anna, candidates, reference_time(views.clock(), views._newest())
        )
        assert shown["total"] == len(rows)
        assert [(r["platform"], r["account_id"]) for r in shown["rows"]] == [
            (r.platform, r.account_id) for r in rows[:50]
        ]
        assert [r["position"] for r in shown["rows"]] == list(range(1, len(shown["rows"]) + 1))
        language = rows[0].language
        only = client.get(f"/api/v1/queue?language={language}&sort=score&dir=asc").json()
        expected = sorted(
            (r for r in rows if r.language == language), key=lambda r: r.score
        )  # a stable sort of the priority order, as the page's
        assert [r["account_id"] for r in only["rows"]] == [r.account_id for r in expected[:50]]
        # Asked again: the same rows, from the model kept for this version.
        assert client.get("/api/v1/queue?page=1").json() == shown


def test_a_units_decision_leaves_its_queue_at_once_and_no_other_units(ws: Workspace) -> None:
    de_app, fr_app = create_app(ws), create_app(ws)
    with TestClient(de_app) as de, TestClient(fr_app) as fr:
        csrf = login(de, "anna")
        login(fr, "fabien")
        before = _accounts_in(de.get("/queue/rows", headers={"HX-Request": "true"}).text)
        fr_before = _accounts_in(fr.get("/queue/rows", headers={"HX-Request": "true"}).text)
        chosen = before[7]
        assert chosen in fr_before
        platform, account_id = chosen.split(":", 1)
        made = de.post(
            f"{account_path(platform, account_id)}/decide",
            data={"decision": "monitor", "reason": "watch for a week"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert made.status_code == 200, made.text
        after = _accounts_in(de.get("/queue/rows", headers={"HX-Request": "true"}).text)
        assert chosen not in after and after == [a for a in before if a != chosen] + after[-1:]
        # The other unit's rows were rendered for its own scope: the account is still there
        # (and its app sees the new case version within DataVersions.check_seconds).
        fr_app.state.views.changed()
        assert chosen in _accounts_in(fr.get("/queue/rows", headers={"HX-Request": "true"}).text)
        # Every fragment kept names the scope of the unit it was rendered for.
        keys = [key for key in de_app.state.views.fragments._items if key[0] == "queue_rows.html"]
        assert keys and all(key[1][-1][1] == "DE" for key in keys)


def test_pages_built_ahead_are_those_built_on_request(ws: Workspace) -> None:
    app = create_app(ws)
    views = app.state.views
    with TestClient(app) as client:
        login(client, "anna")
        rows = client.get("/api/v1/queue").json()["rows"][:6]
        views.version()
        views.wait_prepared(120)
        platform = rows[0]["platform"]
        ids = [r["account_id"] for r in rows if r["platform"] == platform]
        together = views.pages.pages(platform, ids)
        for account_id in ids:
            assert together[account_id] == views.pages.pages(platform, [account_id])[account_id]
            page = client.get(account_path(platform, account_id))
            assert page.status_code == 200
            assert together[account_id] is not None
            handle = together[account_id]["account"]["handle"]
            assert handle is None or handle in page.text
        graphs = views.pages.graphs(platform, ids, views._labels(), views._handles())
        for account_id in ids:
            api = client.get(f"/api/v1{account_path(platform, account_id)}/graph").json()
            assert api == graphs[account_id]
        assert client.get(account_path(platform, "no-such-account")).status_code == 404


def test_reads_are_audited_in_order_before_the_decision_they_led_to(ws: Workspace) -> None:
    app = create_app(ws)
    views = app.state.views
    with TestClient(app) as client:
        csrf = login(client, "anna")
        row = client.get("/api/v1/queue").json()["rows"][9]
        path = account_path(row["platform"], row["account_id"])
        assert client.get(path).status_code == 200
        made = client.post(
            f"{path}/decide",
            data={"decision": "monitor", "reason": "audit order"},
            headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        )
        assert made.status_code == 200
    # The app has stopped: every buffered read is written.
    assert views.read_audit.pending == 0
    store = ws.audit_store()
    subject = f"{row['platform']}:{row['account_id']}"
    actions = [e.action for e in store.events(subject=subject) if e.actor == "anna"]
    assert actions.index("account.read") < actions.index("case.decide")
    assert any(e.action == "queue.read" and e.actor == "anna" for e in store.events())
    assert store.verify().ok
