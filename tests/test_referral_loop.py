"""The whole referral loop over loopback, on SQLite and PostgreSQL.

queue → decide → evidence → package → deliver → receipt → removal → metrics, against
``iru platform-sim serve`` running as a real HTTP service in its own process; plus a
delivery killed mid-flight (no loss, no second ticket) and the one-hour clock of a
removal order with a pause and a breach.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from iru.cases.tco import order_from_json, referral_from_json, validate_order
from iru.sim.config import WorldConfig

from . import shared
from .conftest import AUTHORITY, Iru


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared.world(tmp_path_factory, WorldConfig(seed=12, days=2, scale=0.01))


def _unit(world: Path) -> Callable[[Path, str], None]:
    """Builds a unit with users and a detected world (once per run and backend)."""

    def build(root: Path, database_url: str) -> None:
        iru = Iru(root, database_url)
        iru("ingest", str(world / "twitter"), str(world / "telegram"), str(world / "follows.jsonl"))
        iru("label", "import", str(world / "knowledge" / "labels.csv"))
        iru("indicators", "import", str(world / "knowledge" / "indicators.toml"))
        iru("detect")
        iru("users", "add", "root", "--role", "admin", "--unit", "EU", "--contact", "EU desk")
        for name, role, unit in (
            ("anna", "analyst", "DE"),
            ("sven", "supervisor", "DE"),
            ("fabien", "analyst", "FR"),
            ("aud", "auditor", "DE"),
        ):
            iru("users", "add", name, "--role", role, "--unit", unit, "--user", "root")

    return build


@pytest.fixture
def iru(iru: Iru, world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iru:
    """``iru`` on this test's own copy of the prepared unit (built once per run)."""
    prepared = shared.template(
        tmp_path_factory, "referral-loop", bool(iru.database_url), _unit(world)
    )
    shared.clone(prepared, iru.workspace, iru.database_url)
    return iru


@pytest.fixture
def platforms() -> Iterator[str]:
    """``iru platform-sim serve`` in its own process; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "iru",
            "platform-sim",
            "serve",
            "--port",
            str(port),
            "--time-scale",
            "36000",
            "--callback-secret",
            "s3cret",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, timeout=90, what="platform-sim to listen")
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def rows_of(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def prepare(iru: Iru, platforms: str) -> list[str]:
    """The prepared unit (``unit``) on the platforms' API; the queue's top accounts."""
    iru.runner.env = {
        "IRU_PLATFORM_API_URL": platforms,
        "IRU_DELIVERY_BACKOFF_SECONDS": "0.05",
        "IRU_AUTHORITY": json.dumps(AUTHORITY),
    }
    queue = rows_of(iru("queue", "--user", "anna", "--format", "csv", "--top", "6").output)
    assert len(queue) == 6
    return [f"{r['platform']}:{r['account_id']}" for r in queue]


def test_the_whole_loop_over_loopback(iru: Iru, platforms: str) -> None:
    targets = prepare(iru, platforms)
    references = []
    for target in targets[:4]:
        decided = iru("decide", target, "refer", "--reason", "release markers", "--user", "anna")
        assert "referral IRU-DE-" in decided.output
        references.append(decided.output.split("referral ")[1].split()[0])
    # The evidence is preserved before anything is sent, and the package cites it.
    assert "intact" in iru("evidence", "verify").output
    package = referral_from_json(
        iru("referrals", "show", references[0], "--format", "json", "--user", "anna").output
    )
    assert package.reference == references[0] and package.evidence and package.urls
    page = iru("referrals", "show", references[0], "--format", "html", "--user", "anna").output
    assert references[0] in page and package.evidence[0].sha256 in page
    # Another unit may read a shared case's referral but not change or send it; an auditor
    # cannot send at all.
    assert "IRU-DE" in iru("referrals", "show", references[0], "--user", "fabien").output
    assert (
        "delivered 0 of 0"
        in iru("deliver", "--reference", references[0], "--user", "fabien").output
    )
    refused = iru("referrals", "status", references[0], "removed", "--user", "fabien", ok=False)
    assert refused.exit_code == 1
    assert "may not" in iru("deliver", "--user", "aud", ok=False).stderr
    # A removal order goes through the same pipe.
    order = iru("refer", targets[4], "--order", "--user", "anna", ok=False)
    assert "no case" in order.stderr  # nobody decided to refer it yet
    iru("decide", targets[4], "refer", "--reason", "orders", "--user", "anna", "--no-package")
    made = iru("refer", targets[4], "--order", "--ground", "incites", "--user", "anna").output
    order_ref = made.split()[1]
    order_form = order_from_json(
        iru("referrals", "show", order_ref, "--format", "json", "--user", "anna").output
    )
    assert validate_order(order_form, now=order_form.header.issued_at) == []

    delivered = iru("deliver", "--user", "anna").output
    assert "delivered 5 of 5" in delivered and delivered.count("ticket ") == 5
    listed = rows_of(iru("referrals", "list", "--user", "anna", "--format", "csv").output)
    assert {r["status"] for r in listed} <= {"received", "removed", "rejected", "clarification"}

    def settled() -> bool:
        iru("track", "--user", "anna")
        rows = rows_of(iru("referrals", "list", "--user", "anna", "--format", "csv").output)
        for row in rows:
            if row["status"] == "clarification":
                iru(
                    "referrals",
                    "clarify",
                    row["reference"],
                    "--text",
                    "see Annex",
                    "--user",
                    "anna",
                )
        return all(r["status"] in ("removed", "rejected", "restored") for r in rows)

    wait_until(settled, timeout=30, what="the platforms to act")
    final = rows_of(iru("referrals", "list", "--user", "anna", "--format", "csv").output)
    assert any(r["status"] in ("removed", "restored") for r in final)
    # Each reference made exactly one ticket at the platform.
    tickets = httpx.get(f"{platforms}/v1/_sim/tickets").json()
    assert sorted(t["reference"] for t in tickets) == sorted([*references, order_ref])
    # Deadlines: every clock closed (met or breached, never running).
    clocks = json.loads(iru("deadlines", "--all", "--format", "json", "--user", "anna").output)
    assert {c["reference"] for c in clocks} == {*references, order_ref}
    assert all(c["clock"] in ("met", "breached", "closed") for c in clocks)
    metrics = json.loads(iru("referrals", "metrics", "--format", "json", "--user", "anna").output)
    total = {m["platform"]: m for m in metrics}
    assert sum(m["sent"] for m in metrics) == 5
    assert all(0 <= m["removal_rate"] <= 1 for m in total.values())
    # Removed accounts are marked; the case follows its referral.
    cases = rows_of(iru("export", "cases", "--user", "anna").output)
    statuses = {c["status"] for c in cases}
    assert statuses & {"removed", "rejected", "restored"}
    assert "audit log intact" in iru("audit", "verify").output


def test_a_delivery_killed_in_flight_is_neither_lost_nor_sent_twice(
    iru: Iru, platforms: str
) -> None:
    targets = prepare(iru, platforms)
    made = iru("decide", targets[0], "refer", "--reason", "r", "--user", "anna").output
    reference = made.split("referral ")[1].split()[0]
    # A proxy that passes the request on to the platform but never answers.
    forwarded = threading.Event()
    proxy_port = free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", proxy_port))
    server.listen()
    held: list[socket.socket] = []

    def black_hole() -> None:
        conn, _ = server.accept()
        held.append(conn)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = int(headers.get("content-length", headers.get("Content-Length", "0")))
        while len(body) < length:
            body += conn.recv(65536)
        path = lines[0].split()[1]
        keep = {
            k: v for k, v in headers.items() if k.lower() in ("idempotency-key", "content-type")
        }
        httpx.post(f"{platforms}{path}", content=body, headers=keep)
        forwarded.set()

    threading.Thread(target=black_hole, daemon=True).start()
    env = {
        **os.environ,
        **iru.env(),
        **iru.runner.env,
        "IRU_PLATFORM_API_URL": f"http://127.0.0.1:{proxy_port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "iru", "deliver", "--user", "anna"],
        env={k: v for k, v in env.items() if v is not None},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert forwarded.wait(30), "the delivery never reached the platform"
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=10)
    finally:
        server.close()
        for conn in held:
            conn.close()
    # The platform made a ticket; iru has no receipt yet, and still knows the referral.
    row = rows_of(iru("referrals", "list", "--user", "anna", "--format", "csv").output)[0]
    assert row["reference"] == reference and row["status"] == "queued"
    again = iru("deliver", "--user", "anna").output
    assert "replayed receipt" in again
    tickets = list(httpx.get(f"{platforms}/v1/_sim/tickets").json())
    assert [t["reference"] for t in tickets] == [reference]
    assert tickets[0]["submissions"] == 2
    ws = iru.open()
    try:
        store = ws.referral_service().store
        found = store.get(reference)
        assert found is not None and found.ticket == tickets[0]["ticket"]
        outcomes = [a["outcome"] for a in store.attempts(found.referral_id)]
    finally:
        ws.close()
    assert outcomes == ["interrupted", "replayed"]


def test_the_one_hour_clock_pauses_and_breaches(iru: Iru, platforms: str) -> None:
    targets = prepare(iru, platforms)
    iru.runner.env = {**iru.runner.env, "IRU_PLATFORM_API_URL": None, "IRU_CONNECTOR": "export"}
    iru("decide", targets[0], "refer", "--reason", "r", "--user", "anna", "--no-package")
    order = iru("refer", targets[0], "--order", "--user", "anna").output.split()[1]
    assert "delivered 1 of 1" in iru("deliver", "--user", "anna").output
    outbox = list((iru.workspace / "outbox").rglob("*.eml"))
    assert len(outbox) == 1 and order in outbox[0].name
    t0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def at(minutes: int) -> str:
        return (t0 + timedelta(minutes=minutes)).isoformat()

    def clock(minutes: int) -> dict[str, Any]:
        rows = json.loads(
            iru(
                "deadlines", "--at", at(minutes), "--all", "--format", "json", "--user", "anna"
            ).output
        )
        return next(r for r in rows if r["reference"] == order)

    iru("referrals", "status", order, "received", "--at", at(0), "--user", "anna")
    assert clock(50)["clock"] == "running" and "10 min left" not in clock(30)["alert"]
    assert "15 min left" in clock(50)["alert"]
    iru("referrals", "status", order, "clarification", "--at", at(20), "--user", "anna")
    assert clock(70)["clock"] == "paused"
    iru("referrals", "status", order, "clarification_received", "--at", at(50), "--user", "anna")
    assert clock(100)["clock"] == "running"  # the full hour runs again from minute 50
    assert clock(111)["clock"] == "breached"
    breach = iru("deadlines", "--at", at(111), "--fail-on-breach", "--user", "anna", ok=False)
    assert breach.exit_code == 3 and "breached" in breach.stderr
    iru("referrals", "status", order, "removed", "--at", at(115), "--user", "anna")
    assert clock(200)["clock"] == "breached" and clock(200)["overdue_by"] == "0:05:00"


def test_platform_callbacks_update_referrals_without_polling(iru: Iru, platforms: str) -> None:
    targets = prepare(iru, platforms)
    port = free_port()
    iru.runner.env = {
        **iru.runner.env,
        "IRU_CALLBACK_URL": f"http://127.0.0.1:{port}/callbacks",
        "IRU_CALLBACK_SECRET": "s3cret",
    }
    env = {k: v for k, v in {**os.environ, **iru.env(), **iru.runner.env}.items() if v is not None}
    # Poll once at start (nothing yet), then only callbacks for the next 60 s.
    listener = subprocess.Popen(
        [
            *(sys.executable, "-m", "iru", "track", "--listen", f"127.0.0.1:{port}"),
            *("--for", "60", "--interval", "60", "--user", "anna"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def listening() -> bool:
            try:
                httpx.post(f"http://127.0.0.1:{port}/callbacks/twitter", content=b"{}")
            except httpx.TransportError:
                return False
            return True

        wait_until(listening, timeout=90, what="the callback receiver")
        # A forged or unsigned callback is refused.
        forged = httpx.post(
            f"http://127.0.0.1:{port}/callbacks/twitter",
            content=b'{"ticket": "twitter-000001", "event": {}}',
            headers={"X-Iru-Signature": "sha256=" + "0" * 64},
        )
        assert forged.status_code == 401
        for target in targets[:3]:
            iru("decide", target, "refer", "--reason", "r", "--user", "anna")
        assert "delivered 3 of 3" in iru("deliver", "--user", "anna").output

        def settled() -> bool:
            rows = rows_of(iru("referrals", "list", "--user", "anna", "--format", "csv").output)
            for row in rows:
                if row["status"] == "clarification":
                    iru("referrals", "clarify", row["reference"], "--text", "x", "--user", "anna")
            return all(r["status"] in ("removed", "rejected", "restored") for r in rows)

        wait_until(settled, timeout=30, what="callbacks")
    finally:
        listener.terminate()
        listener.communicate(timeout=10)
    ws = iru.open()
    try:
        store = ws.referral_service().store
        sources = {e.source for r in store.find() for e in store.events(r.referral_id)}
    finally:
        ws.close()
    assert "callback" in sources and "poll" not in sources


def test_deliveries_retry_with_backoff_through_outages(iru: Iru, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "iru", "platform-sim", "serve", "--port", str(port)),
            *("--fail-rate", "0.6", "--seed", "3"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(url), timeout=90, what="platform-sim")
        targets = prepare(iru, url)
        iru.runner.env = {**iru.runner.env, "IRU_DELIVERY_ATTEMPTS": "12"}
        for target in targets[:3]:
            iru("decide", target, "refer", "--reason", "r", "--user", "anna")
        out = iru("deliver", "--user", "anna").output
        assert "delivered 3 of 3" in out
        tries = [
            int(line.split(" after ")[1].split()[0])
            for line in out.splitlines()
            if " after " in line
        ]
        assert sum(tries) > 3  # some tries met a 503 and were retried
        tickets = httpx.get(f"{url}/v1/_sim/tickets").json()
        assert len(tickets) == 3
        ws = iru.open()
        try:
            store = ws.referral_service().store
            attempts = [a for r in store.find() for a in store.attempts(r.referral_id)]
        finally:
            ws.close()
        assert (
            sum(a["outcome"] == "error" and a["http_status"] == 503 for a in attempts)
            == sum(tries) - 3
        )
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200
    except httpx.TransportError:
        return False
