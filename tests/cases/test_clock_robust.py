"""Deadline clocks survive any stored time; impossible times are refused on the way in.

A referral's platform event dated in year 9999 (or without a zone) used to be accepted by
the API and then broke the dashboard, ``iru deadlines``, the referral page and both
reports (OverflowError adding the target to a time near ``datetime.max``). Now the API,
callbacks and the service refuse such times with a clear message, and a bad time written
straight into the store (through the storage functions, on SQLite and PostgreSQL) shows
as an "invalid" clock with its reason everywhere, never as a crash.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from iru.cases.clocks import (
    EARLIEST_EVENT,
    Clock,
    alerts,
    due_at,
    invalid,
    state,
    time_problem,
)
from iru.cases.connectors import PlatformEvent
from iru.engine.services.auth import AuthService
from iru.engine.services.cases import CaseService
from iru.engine.services.referrals import EventTimeError
from iru.sim.config import WorldConfig
from iru.web.app import create_app
from iru.web.callbacks import SIGNATURE_HEADER, callback_app, signature

from .. import shared
from ..conftest import AUTHORITY, Iru

PASSWORD = "a long test password"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAR = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
ANCIENT = datetime(1, 1, 1, 0, 30, tzinfo=UTC)


# -- the pure clock ------------------------------------------------------------------------


@pytest.mark.parametrize("at", [FAR, ANCIENT, datetime.max.replace(tzinfo=UTC)])
@pytest.mark.parametrize("kind", ["referral", "removal_order"])
def test_a_clock_computes_for_any_zoned_time(at: datetime, kind: str) -> None:
    clock = Clock(kind=kind).received(at)  # type: ignore[arg-type]
    assert due_at(clock) is not None and due_at(clock) >= at  # type: ignore[operator]
    for now in (NOW, at, datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)):
        found = state(clock, now)
        assert found.status in ("not_started", "running", "breached")
        alerts(clock, now, timedelta(days=3650))
    closed = clock.complied(datetime.max.replace(tzinfo=UTC))
    assert state(closed, datetime.max.replace(tzinfo=UTC)).status in ("met", "breached")


def test_time_problem_names_the_window() -> None:
    assert time_problem(NOW - timedelta(hours=1), NOW) is None
    assert time_problem(EARLIEST_EVENT, NOW) is None
    assert time_problem(NOW + timedelta(hours=23), NOW) is None
    far = time_problem(FAR, NOW, "received at")
    assert far is not None and "9999-12-31" in far and "2000-01-01" in far
    assert "outside the possible window" in far
    old = time_problem(datetime(1999, 12, 31, tzinfo=UTC), NOW)
    assert old is not None and "1999-12-31" in old
    naive = time_problem(datetime(2026, 3, 1, 11, 0), NOW, "at")
    assert naive is not None and "no time zone" in naive
    assert time_problem(NOW, datetime.max.replace(tzinfo=UTC)) is None  # no overflow
    shown = invalid("x: impossible")
    assert shown.status == "invalid" and shown.problem == "x: impossible"


# -- through the store, the pages, the API and the commands --------------------------------


ENV = {"IRU_CONNECTOR": "export", "IRU_AUTHORITY": json.dumps(AUTHORITY)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared.world(tmp_path_factory, WorldConfig(seed=12, days=2, scale=0.01))


@pytest.fixture
def referred(iru: Iru, world: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """``iru`` on its own copy of :func:`_referred`'s workspace (built once per run and
    backend); the two references."""
    prepared = shared.template(
        tmp_path_factory,
        "clock-robust",
        bool(iru.database_url),
        lambda root, url: _referred(Iru(root, url), world),
    )
    shared.clone(prepared, iru.workspace, iru.database_url)
    iru.runner.env = dict(ENV)
    return list(prepared.meta)


def _referred(iru: Iru, world: Path) -> list[str]:
    """Two delivered referrals of unit DE (export connector), anna's password set."""
    iru("ingest", str(world / "twitter"))
    iru("label", "import", str(world / "knowledge" / "labels.csv"))
    iru("indicators", "import", str(world / "knowledge" / "indicators.toml"))
    iru("detect")
    iru("users", "add", "root", "--role", "admin", "--unit", "EU", "--contact", "EU desk")
    iru("users", "add", "anna", "--role", "analyst", "--unit", "DE", "--user", "root")
    iru.runner.env = dict(ENV)
    queue = list(
        csv.DictReader(
            io.StringIO(iru("queue", "--user", "anna", "--format", "csv", "--top", "2").output)
        )
    )
    refs = []
    for row in queue:
        said = iru("decide", f"{row['platform']}:{row['account_id']}", "refer", "--reason", "r",
                   "--user", "anna").output  # fmt: skip
        refs.append(said.split("referral ")[1].split(maxsplit=1)[0])
    assert "delivered 2 of 2" in iru("deliver", "--user", "anna").output
    ws = iru.open()
    try:
        root = CaseService(ws.database).principal("root")
        AuthService(ws.database).set_password(root, "anna", PASSWORD, datetime.now(UTC))
    finally:
        ws.close()
    return refs


def _store_bad_times(iru: Iru, reference: str, moment: datetime) -> None:
    """What a by-hand edit or an old version could leave: an event and receipt at ``moment``."""
    ws = iru.open()
    try:
        store = ws.referral_service().store
        row = store.get(reference)
        assert row is not None
        now = datetime.now(UTC)
        with ws.database.engine.begin() as conn:
            store.add_event(conn, referral_id=row.referral_id, seq=None, status="received",
                            at=moment, detail="", form_json=None, source="analyst",
                            recorded_by="anna", recorded_at=now)  # fmt: skip
            store.update(conn, row.referral_id, status="received", received_at=moment,
                         updated_at=now)  # fmt: skip
    finally:
        ws.close()


def _login(client: TestClient) -> str:
    answer = client.post(
        "/login",
        data={"name": "anna", "password": PASSWORD, "next": "/queue"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/queue").text)
    assert found
    return found.group(1)


@pytest.mark.parametrize("moment", [FAR, ANCIENT], ids=["year-9999", "year-1"])
def test_a_stored_impossible_time_shows_invalid_everywhere(
    iru: Iru, referred: list[str], tmp_path: Path, moment: datetime
) -> None:
    bad, good = referred
    _store_bad_times(iru, bad, moment)

    said = iru("deadlines", "--user", "anna", "--all", "--format", "json")
    rows = {r["reference"]: r for r in json.loads(said.output)}
    assert rows[bad]["clock"] == "invalid"
    assert "outside the possible window" in rows[bad]["alert"]
    iru("deadlines", "--user", "anna")  # the table too
    listed = iru("deadlines", "--user", "anna", "--format", "csv").output
    assert f"{bad},referral" in listed and ",invalid," in listed
    assert good not in rows  # never received: no clock
    iru("referrals", "metrics", "--user", "anna")
    out = tmp_path / "t.json"
    iru("report", "transparency", "--period", str(datetime.now(UTC).year), "--out", str(out),
        "--user", "anna")  # fmt: skip
    assert json.loads(out.read_text())["totals"]["made"] == 2
    impact = tmp_path / "i.json"
    iru("report", "impact", "--out", str(impact), "--user", "anna")
    assert impact.exists()

    ws = iru.open()
    try:
        with TestClient(create_app(ws)) as client:
            _login(client)
            page = client.get(f"/referrals/{bad}")
            assert page.status_code == 200
            assert "invalid" in page.text and "outside the possible window" in page.text
            assert client.get("/").status_code == 200
            dashboard = client.get("/api/v1/dashboard")
            assert dashboard.status_code == 200
            assert any(d["clock"] == "invalid" for d in dashboard.json()["deadlines"])
            listed = client.get("/api/v1/deadlines")
            assert listed.status_code == 200
            assert [d["clock"] for d in listed.json() if d["reference"] == bad] == ["invalid"]
            assert client.get(f"/api/v1/referrals/{bad}").json()["deadline"]["status"] == (
                "invalid"
            )
            assert client.get("/queue").status_code == 200
    finally:
        ws.close()


def test_impossible_status_times_are_refused_with_422(iru: Iru, referred: list[str]) -> None:
    bad, _ = referred
    ws = iru.open()
    try:
        with TestClient(create_app(ws)) as client:
            csrf = _login(client)
            headers = {"X-CSRF-Token": csrf}
            url = f"/api/v1/referrals/{bad}/status"
            for at, words in (
                ("9999-12-31T23:00:00+00:00", "outside the possible window"),
                ("1999-06-01T00:00:00Z", "outside the possible window"),
                ((datetime.now(UTC) + timedelta(days=3)).isoformat(), "outside the possible"),
                ("2026-03-01T12:00:00", "timezone"),  # no zone: pydantic says so
            ):
                answer = client.post(url, json={"status": "received", "at": at}, headers=headers)
                assert answer.status_code == 422, (at, answer.text)
                assert words in answer.text.lower(), answer.text
            assert client.get(f"/api/v1/referrals/{bad}").json()["referral"]["status"] == "sent"
            fine = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
            answer = client.post(url, json={"status": "received", "at": fine}, headers=headers)
            assert answer.status_code == 200 and answer.json()["status"] == "received"
        # The service refuses it too, for a poll or any other caller.
        service = ws.referral_service()
        row = service.store.get(bad)
        assert row is not None
        with pytest.raises(EventTimeError, match="9999"):
            service.apply_event(row, PlatformEvent(seq=7, status="removed", at=FAR),
                                source="poll", actor="platform:x", now=datetime.now(UTC))  # fmt: skip
    finally:
        ws.close()


def test_a_callback_with_an_impossible_time_gets_422(iru: Iru, referred: list[str]) -> None:
    bad, _ = referred
    ws = iru.open()
    try:
        service = ws.referral_service()
        with ws.database.engine.begin() as conn:
            row = service.store.get(bad)
            assert row is not None
            service.store.update(conn, row.referral_id, ticket="T-1")
        row = service.store.get(bad)
        assert row is not None
        with TestClient(callback_app(service, "s3cret", lambda: datetime.now(UTC))) as client:
            body = json.dumps(
                {"ticket": "T-1", "event": {"seq": 1, "status": "received", "at": FAR.isoformat()}}
            ).encode()
            answer = client.post(
                f"/callbacks/{row.platform}",
                content=body,
                headers={SIGNATURE_HEADER: signature("s3cret", body)},
            )
            assert answer.status_code == 422 and "outside the possible window" in answer.text
        found = service.store.get(bad)
        assert found is not None and found.status == "sent" and found.received_at is None
    finally:
        ws.close()
