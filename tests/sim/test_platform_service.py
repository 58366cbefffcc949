"""The simulated platforms' notice API (protocol v1): in process with a fake clock, and for real
over loopback with ``iru platform-sim serve`` in a subprocess and signed callbacks."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from iru.cases.tco import (
    Form,
    ImpossibilityGround,
    RemovalOrder,
    confirmation_from_json,
    impossibility_from_json,
    to_json,
)
from iru.sim.config import WorldConfig
from iru.sim.notices import NoticeKind, PlannedEvent, notice_models, plan_notice
from iru.sim.platform_service import ServiceSettings, create_app, format_time, sign
from tests.cases.test_tco import REFERRAL, complete_order

with warnings.catch_warnings():
    # Starlette asks for the httpx2 fork; plain httpx still works (pytest turns warnings to errors).
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

T0 = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
SEED = 5
MODELS = {m.name: m for m in notice_models(WorldConfig().platforms)}


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def pick(kind: NoticeKind, outcome: str, *, platform: str = "twitter", seed: int = SEED) -> str:
    """A reference whose plan on ``platform`` ends with ``outcome``."""
    for i in range(2000):
        reference = f"IRU-EU-2026-{i:06d}"
        plan = plan_notice(
            MODELS[platform], kind=kind, reference=reference, received_at=T0, seed=seed
        )
        if plan[-1].status == outcome:
            return reference
    raise AssertionError(f"no {outcome} plan found")


def planned(kind: NoticeKind, reference: str, platform: str = "twitter") -> list[PlannedEvent]:
    return plan_notice(MODELS[platform], kind=kind, reference=reference, received_at=T0, seed=SEED)


def referral(reference: str) -> Form:
    return msgspec.structs.replace(REFERRAL, reference=reference)


def order(reference: str) -> RemovalOrder:
    base = complete_order()
    return msgspec.structs.replace(
        base, header=msgspec.structs.replace(base.header, reference=reference)
    )


def notice(form: Form, *, callback_url: str | None = None) -> dict[str, Any]:
    kind = "removal_order" if isinstance(form, RemovalOrder) else "referral"
    reference = form.header.reference if isinstance(form, RemovalOrder) else form.reference  # type: ignore[union-attr]
    data = to_json(form)
    return {
        "kind": kind,
        "reference": reference,
        "package": json.loads(data),
        "package_sha256": hashlib.sha256(data).hexdigest(),
        "callback_url": callback_url,
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> TestClient:
    return TestClient(create_app(ServiceSettings(seed=SEED, clock=clock)))


def post(
    client: TestClient, body: dict[str, Any], key: str | None = "k1", platform: str = "twitter"
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    response: httpx.Response = client.post(f"/v1/{platform}/notices", json=body, headers=headers)
    return response


def test_receipt_replay_and_conflict(client: TestClient) -> None:
    body = notice(referral("IRU-EU-2026-000012"))
    first = post(client, body)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt == {
        "ticket": "twitter-000001",
        "platform": "twitter",
        "reference": "IRU-EU-2026-000012",
        "kind": "referral",
        "received_at": "2026-11-29T14:00:00.000000Z",
        "package_sha256": body["package_sha256"],
        "status": "received",
    }
    again = post(client, body)
    assert again.status_code == 200 and again.json() == receipt
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    conflict = post(client, {**body, "callback_url": "http://127.0.0.1:9/cb"})
    assert conflict.status_code == 409 and "Idempotency-Key" in conflict.json()["error"]
    second = post(client, notice(referral("IRU-EU-2026-000013")), key="k2")
    assert second.json()["ticket"] == "twitter-000002"
    on_telegram = post(client, body, platform="telegram")  # keys are per platform
    assert on_telegram.status_code == 201 and on_telegram.json()["ticket"] == "telegram-000001"
    listed = {row["ticket"]: row for row in client.get("/v1/_sim/tickets").json()}
    assert listed["twitter-000001"]["submissions"] == 3
    assert listed["twitter-000002"]["submissions"] == 1
    assert {
        k: listed["twitter-000001"][k] for k in ("platform", "reference", "kind", "status")
    } == {
        "platform": "twitter",
        "reference": "IRU-EU-2026-000012",
        "kind": "referral",
        "status": "received",
    }
    assert client.get("/healthz").json() == {"ok": True}


def test_bad_requests(client: TestClient) -> None:
    body = notice(referral("IRU-EU-2026-000012"))
    assert post(client, body, key=None).status_code == 400
    assert post(client, {**body, "kind": "letter"}).status_code == 400
    assert (
        client.post(
            "/v1/twitter/notices", content=b"{not json", headers={"Idempotency-Key": "x"}
        ).status_code
        == 400
    )
    unknown = post(client, body, platform="myspace")
    assert unknown.status_code == 404 and "myspace" in unknown.json()["error"]
    assert client.get("/v1/myspace/notices/twitter-000001").status_code == 404
    assert client.get("/v1/twitter/notices/twitter-000099").status_code == 404
    assert post(client, body).status_code == 201
    assert client.get("/v1/telegram/notices/twitter-000001").status_code == 404
    assert (
        client.post(
            "/v1/twitter/notices/twitter-000099/clarification", json={"text": "x"}
        ).status_code
        == 404
    )


def test_invalid_packages_are_422_naming_the_field(client: TestClient) -> None:
    body = notice(referral("IRU-EU-2026-000012"))
    missing = {**body, "package": {k: v for k, v in body["package"].items() if k != "tos_clause"}}
    answer = post(client, missing, key="a")
    assert answer.status_code == 422 and "tos_clause" in answer.json()["error"]
    assert any("tos_clause" in p for p in answer.json()["problems"])
    no_urls = notice(msgspec.structs.replace(REFERRAL, reference="IRU-EU-2026-000012", urls=()))
    answer = post(client, no_urls, key="b")
    assert answer.status_code == 422 and any(
        p.startswith("urls:") for p in answer.json()["problems"]
    )
    bad_order = notice(msgspec.structs.replace(order("NL-1"), language=""))
    answer = post(client, bad_order, key="c")
    assert answer.status_code == 422 and any(
        p.startswith("language") for p in answer.json()["problems"]
    )
    wrong_sha = post(client, {**body, "package_sha256": "0" * 64}, key="d")
    assert wrong_sha.status_code == 422
    assert any(p.startswith("package_sha256") for p in wrong_sha.json()["problems"])
    other_reference = post(client, {**body, "reference": "IRU-OTHER"}, key="e")
    assert other_reference.status_code == 422
    assert client.get("/v1/_sim/tickets").json() == []


def test_referral_progresses_as_the_clock_advances(client: TestClient, clock: FakeClock) -> None:
    reference = pick("referral", "removed")
    plan = planned("referral", reference)
    ticket = post(client, notice(referral(reference))).json()["ticket"]
    view = client.get(f"/v1/twitter/notices/{ticket}").json()
    assert view["status"] == "received"
    assert view["events"] == [
        {
            "seq": 1,
            "status": "received",
            "at": format_time(T0),
            "detail": plan[0].detail,
            "form": None,
        }
    ]
    clock.now = T0 + plan[1].offset - timedelta(seconds=1)
    assert client.get(f"/v1/twitter/notices/{ticket}").json()["status"] == "received"
    clock.now = T0 + plan[1].offset + timedelta(seconds=1)
    view = client.get(f"/v1/twitter/notices/{ticket}").json()
    assert view["status"] == "removed" and view["received_at"] == format_time(T0)
    assert view["events"][1] == {
        "seq": 2,
        "status": "removed",
        "at": format_time(T0 + plan[1].offset),
        "detail": plan[1].detail,
        "form": None,
    }
    clock.now += timedelta(days=60)
    later = client.get(f"/v1/twitter/notices/{ticket}").json()["events"]
    assert later[:2] == view["events"] and [e["seq"] for e in later] == list(
        range(1, len(later) + 1)
    )


def test_order_removed_with_an_annex_ii_confirmation(client: TestClient, clock: FakeClock) -> None:
    reference = pick("removal_order", "removed")
    plan = planned("removal_order", reference)
    sent = order(reference)
    ticket = post(client, notice(sent)).json()["ticket"]
    clock.now = T0 + timedelta(hours=6)
    view = client.get(f"/v1/twitter/notices/{ticket}").json()
    removed = view["events"][1]
    assert removed["status"] == "removed" and removed["at"] == format_time(T0 + plan[1].offset)
    form = confirmation_from_json(json.dumps(removed["form"]))
    assert form.header.issuer_file_reference == reference
    assert form.header.received_at == T0 and form.action_at == T0 + plan[1].offset
    assert form.header.addressee_file_reference == ticket
    assert form.sign_off.provider == "Twitter Sim International Ltd"


def test_clarification_then_answer_resumes(client: TestClient, clock: FakeClock) -> None:
    reference = pick("removal_order", "clarification")
    plan = planned("removal_order", reference)
    ticket = post(client, notice(order(reference))).json()["ticket"]
    url = f"/v1/twitter/notices/{ticket}"
    early = client.post(f"{url}/clarification", json={"text": "too soon"})
    assert early.status_code == 409
    clock.now = T0 + plan[1].offset
    view = client.get(url).json()
    assert view["status"] == "clarification"
    asked = impossibility_from_json(json.dumps(view["events"][1]["form"]))
    assert asked.grounds == {ImpossibilityGround.INSUFFICIENT_INFORMATION}
    assert client.post(f"{url}/clarification", json={"text": " "}).status_code == 400
    clock.now = answered = T0 + timedelta(days=1)  # the platform waits however long it takes
    answer = client.post(f"{url}/clarification", json={"text": "The URL is the first one."})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ticket"] == ticket and body["status"] == "clarification_received"
    assert body["events"][2]["seq"] == 3 and body["events"][2]["at"] == format_time(answered)
    clock.now = answered + timedelta(days=1)
    final = client.get(url).json()
    assert final["status"] in {"removed", "rejected"} and final["events"][3]["seq"] == 4
    assert datetime.fromisoformat(final["events"][3]["at"]) > answered  # the hour restarted


def test_fail_rate_answers_503_deterministically(clock: FakeClock) -> None:
    always = TestClient(create_app(ServiceSettings(fail_rate=1.0, clock=clock)))
    body = notice(referral("IRU-EU-2026-000012"))
    failed = post(always, body)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "0"
    assert always.get("/v1/_sim/tickets").json() == []

    def pattern() -> list[int]:
        half = TestClient(create_app(ServiceSettings(seed=9, fail_rate=0.5, clock=clock)))
        return [post(half, body, key=f"k{i}").status_code for i in range(20)]

    first = pattern()
    assert first == pattern() and {201, 503} == set(first)


def test_callbacks_are_signed_ordered_and_retried(clock: FakeClock) -> None:
    received: list[httpx.Request] = []
    failures = [1]

    def handler(request: httpx.Request) -> httpx.Response:
        if failures[0]:
            failures[0] -= 1
            return httpx.Response(500)
        received.append(request)
        return httpx.Response(204)

    settings = ServiceSettings(
        seed=SEED,
        clock=clock,
        callback_secret="s3cret",
        tick_seconds=0.01,
        callback_backoff_seconds=0.01,
        callback_transport=httpx.MockTransport(handler),
    )
    reference = pick("referral", "removed")
    with TestClient(create_app(settings)) as client:
        body = notice(referral(reference), callback_url="http://receiver.example/cb")
        assert post(client, body).status_code == 201
        clock.now = T0 + timedelta(days=30)
        wait_for(lambda: len(received) >= 2)
        rows = client.get("/v1/_sim/tickets").json()
    bodies = [r.content for r in received]
    assert all(
        r.headers["X-Iru-Signature"] == sign("s3cret", b)
        for r, b in zip(received, bodies, strict=True)
    )
    events = [json.loads(b)["event"] for b in bodies]
    assert [e["seq"] for e in events][:2] == [1, 2] and events[1]["status"] == "removed"
    assert json.loads(bodies[0])["ticket"] == "twitter-000001"
    assert rows[0]["callbacks_delivered"] >= 2


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- real loopback ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def callback_receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    """A tiny HTTP server that records each callback's body and signature header."""
    seen: list[tuple[bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((body, self.headers.get("X-Iru-Signature", "")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callbacks/iru", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
def test_serve_over_loopback_with_signed_callbacks(
    tmp_path: Path, callback_receiver: tuple[str, list[tuple[bytes, str]]]
) -> None:
    callback_url, seen = callback_receiver
    # A referral answered within 10 planned hours: 1 s of real time at --time-scale 36000.
    reference = next(
        r
        for r in (f"IRU-EU-2026-{i:06d}" for i in range(1000))
        if (
            p := plan_notice(
                MODELS["twitter"], kind="referral", reference=r, received_at=T0, seed=3
            )
        )
        and p[1].status in {"removed", "rejected"}
        and p[1].offset < timedelta(hours=10)
    )
    port = free_port()
    command = [sys.executable, "-m", "iru", "platform-sim", "serve", "--port", str(port)]
    command += ["--time-scale", "36000", "--callback-secret", "s3cret", "--seed", "3"]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as http:
            wait_for(lambda: _healthy(http), seconds=30)
            body = notice(referral(reference), callback_url=callback_url)
            answer = http.post(
                "/v1/twitter/notices", json=body, headers={"Idempotency-Key": "loop-1"}
            )
            assert answer.status_code == 201, answer.text
            wait_for(
                lambda: any(
                    json.loads(b)["event"]["status"] in {"removed", "rejected"} for b, _ in seen
                )
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for raw, signature in seen:
        expected = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
    events = [json.loads(raw) for raw, _ in seen]
    assert {e["reference"] for e in events} == {reference}
    assert sorted(e["event"]["seq"] for e in events)[:2] == [1, 2]
    assert (
        f"platform-sim listening on {base} (platforms: twitter, telegram, activitypub)"
        in log.read_text()
    )


def _healthy(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False
