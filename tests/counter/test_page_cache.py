"""The counter page is computed off the request path, once per data change.

Issue 16, item 23: the first load of /counter on the demo world took about 15 s — the
analysis ran inside the request. Now a background thread computes it per data version
(archive generation, assessments, labels, takedowns); the page answers at once with a
"being computed" state that polls itself, then with the result; a new ingest makes the
page show the old result as "updating" until the new one is there.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from iru.cases.access import Role
from iru.engine.readers.background import Background
from iru.engine.readers.counter_version import counter_version
from iru.engine.services.auth import AuthService
from iru.engine.services.cases import CaseService
from iru.web.app import create_app
from iru.workspace import Workspace

from ..conftest import open_workspace

PASSWORD = "a long test password"


def day_file(folder: Path, day: str) -> Path:
    """One synthetic day: two forum accounts, a few posts and a reply between them."""
    path = folder / f"forum-{day}.jsonl"
    lines = [
        {
            "type": "account",
            "platform": "forum-example",
            "account_id": f"u-{n}",
            "handle": f"user{n}",
        }
        for n in (1, 2)
    ]
    lines += [
        {
            "type": "post",
            "platform": "forum-example",
            "post_id": f"p-{day}-{n}",
            "account_id": f"u-{1 + n % 2}",
            "created_at": f"{day}T1{n}:00:00Z",
            "text": f"synthetic post {n} about the weather",
        }
        for n in range(4)
    ]
    lines.append(
        {
            "type": "interaction",
            "platform": "forum-example",
            "kind": "reply",
            "src_account_id": "u-2",
            "dst_account_id": "u-1",
            "post_id": f"p-{day}-1",
            "dst_post_id": f"p-{day}-0",
            "created_at": f"{day}T11:00:00Z",
        }
    )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path, database_url: str) -> Iterator[Workspace]:
    workspace = open_workspace(tmp_path / "ws", database_url)
    cases = CaseService(workspace.database)
    now = datetime.now(UTC)
    cases.add_user(None, "root", Role.ADMIN, "EU", now, contact="EU desk")
    root = cases.principal("root")
    cases.add_user(root, "anna", Role.ANALYST, "DE", now, contact="DE desk")
    AuthService(workspace.database).set_password(root, "anna", PASSWORD, now)
    yield workspace
    workspace.close()


def analysis_block(html: str) -> str:
    found = re.search(r'<div id="counter-analysis".*', html, re.S)
    assert found, html[:2000]
    return found.group(0)


def test_first_request_answers_pending_then_the_result_and_an_ingest_recomputes(
    ws: Workspace, tmp_path: Path
) -> None:
    ws.ingest_engine().run([day_file(tmp_path, "2025-03-01")])
    app = create_app(ws)
    counter = app.state.counter
    counter.check_seconds = 0.0  # read the data version on every request
    with TestClient(app) as client:
        login = client.post("/login", data={"name": "anna", "password": PASSWORD, "next": "/"})
        assert login.status_code == 200, login.text

        first = client.get("/counter")
        assert first.status_code == 200
        block = analysis_block(first.text)
        assert 'data-state="pending"' in block and "being computed" in block
        assert 'hx-get="/counter" hx-trigger="every 3s"' in block  # polls itself
        assert "Window 2025" not in block

        assert counter.wait(120).current
        ready = analysis_block(client.get("/counter").text)
        assert 'data-state="current"' in ready and "hx-trigger" not in ready
        assert "Window 2025-03-01 to 2025-03-01" in ready

        # Unchanged data: the same result, nothing computed again.
        computed_at = counter.snapshot().computed_at
        assert 'data-state="current"' in analysis_block(client.get("/counter").text)
        assert counter.snapshot().computed_at == computed_at

        ws.ingest_engine().run([day_file(tmp_path, "2025-03-02")])
        updating = analysis_block(client.get("/counter").text)
        assert 'data-state="updating"' in updating and "hx-trigger" in updating
        assert "Window 2025-03-01 to 2025-03-01" in updating  # the last result, at once

        assert counter.wait(120).current
        renewed = analysis_block(client.get("/counter").text)
        assert 'data-state="current"' in renewed
        assert "Window 2025-03-01 to 2025-03-02" in renewed


def test_the_version_follows_ingest_and_assessments(ws: Workspace, tmp_path: Path) -> None:
    before = counter_version(ws.database, ws.archive)
    assert counter_version(ws.database, ws.archive) == before
    ws.ingest_engine().run([day_file(tmp_path, "2025-03-01")])
    ingested = counter_version(ws.database, ws.archive)
    assert ingested != before
    ws.detect_engine().run()
    assert counter_version(ws.database, ws.archive) != ingested


def test_a_failed_computation_is_reported_and_retried() -> None:
    """The background keeps the error for the page and tries again when the data changes."""
    version = ["v1"]
    calls: list[str] = []
    gate = threading.Event()

    def compute() -> str:
        calls.append(version[0])
        gate.wait(10)
        if version[0] == "v1":
            raise RuntimeError("archive unreadable")
        return f"result of {version[0]}"

    background: Background[str] = Background(
        "test", compute, lambda: version[0], check_seconds=0.0, retry_seconds=3600
    )
    try:
        started = background.snapshot()
        assert started.pending and started.value is None  # answered before computing
        gate.set()
        failed = background.wait(10)
        assert failed.error == "RuntimeError: archive unreadable" and not failed.pending
        assert background.snapshot().error is not None and calls == ["v1"]  # no retry storm
        version[0] = "v2"
        done = background.wait(10)
        assert done.current and done.value == "result of v2" and done.error is None
        assert calls == ["v1", "v2"]
    finally:
        background.close()
