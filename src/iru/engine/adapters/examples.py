"""The examples connectors ship (their ``examples()``), for the plugin conformance suite.

A :class:`ConnectorExample` holds the settings a connector is built from, one synthetic
referral package to deliver (:func:`example_outgoing`) and, where the connector needs
something to deliver to, ``target``: a context manager that starts a local stand-in for it
and yields the settings that point there (the ``http`` connector's is a loopback notice
API, :func:`loopback_notice_api`). The suite (``tests/test_plugin_conformance.py``) builds
each installed connector with ``from_settings(settings, folder)``, delivers the package,
delivers it again (the same idempotency key must not make a second notice), reads the
ticket's events and closes it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from iru.cases.connectors import Outgoing
from iru.cases.evidence import content_address
from iru.cases.packages import PostItem, Target, build_referral, make_package

EXAMPLE_TIME: Final = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ConnectorExample:
    """Settings to build the connector from, a package to deliver, and where to."""

    settings: Mapping[str, Any]
    outgoing: Outgoing
    target: Callable[[], AbstractContextManager[Mapping[str, Any]]] | None = field(default=None)


def example_outgoing(reference: str = "IRU-EX-2025-000001") -> Outgoing:
    """A synthetic referral of an invented account with one preserved post."""
    target = Target(
        platform="telegram",
        account_id="channel1500000101",
        handle="example_channel",
        display_name="Example Channel",
        profile_url=None,
        language="en",
        score=0.9,
        reasons=("indicators",),
        profile_sha256=content_address(b"example profile"),
        posts=(
            PostItem(
                post_id="channel1500000101/1",
                url=None,
                created_at=EXAMPLE_TIME,
                text="Weekly bulletin #example (a synthetic post)",
                language="en",
                sha256=content_address(b"example post 1"),
            ),
        ),
    )
    package = make_package(
        build_referral(target, reference=reference, created_at=EXAMPLE_TIME), target
    )
    return Outgoing(
        reference=package.reference,
        kind=package.kind,
        platform=package.platform,
        account_id=package.account_id,
        handle=package.handle,
        package_json=package.json_bytes,
        package_sha256=package.sha256,
        html=package.html,
        idempotency_key=f"example-key-{reference}",
    )


class _NoticeHandler(BaseHTTPRequestHandler):
    """Notice protocol v1 (docs/connectors.md), the least of it: submit (idempotent), read."""

    server: _NoticeServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the suite's output is the tests' own."""

    def _answer(self, status: int, body: Mapping[str, Any], **headers: str) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        parts = self.path.strip("/").split("/")
        key = self.headers.get("Idempotency-Key")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if len(parts) != 3 or parts[0] != "v1" or parts[2] != "notices":
            return self._answer(404, {"error": f"no such resource {self.path}"})
        if not key:
            return self._answer(400, {"error": "Idempotency-Key is required"})
        notice = json.loads(body)
        with self.server.lock:
            known = self.server.receipts.get(key)
            if known is not None:
                return self._answer(200, known, **{"Idempotent-Replayed": "true"})
            ticket = f"{parts[1]}-{len(self.server.receipts) + 1:06d}"
            receipt = {
                "ticket": ticket,
                "platform": parts[1],
                "reference": notice["reference"],
                "kind": notice["kind"],
                "received_at": EXAMPLE_TIME.isoformat(),
                "package_sha256": notice["package_sha256"],
                "status": "received",
            }
            self.server.receipts[key] = receipt
        return self._answer(201, receipt)

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        with self.server.lock:
            tickets = {r["ticket"]: r for r in self.server.receipts.values()}
        if len(parts) != 4 or parts[2] != "notices" or parts[3] not in tickets:
            return self._answer(404, {"error": f"no such ticket {self.path}"})
        event = {"seq": 1, "status": "received", "at": EXAMPLE_TIME.isoformat()}
        return self._answer(200, {**tickets[parts[3]], "events": [event]})


class _NoticeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _NoticeHandler)
        self.lock = threading.Lock()
        self.receipts: dict[str, dict[str, Any]] = {}


@contextmanager
def loopback_notice_api() -> Iterator[Mapping[str, Any]]:
    """A notice API on a free loopback port for as long as the block runs; yields
    ``{"platform_api_url": …}``."""
    server = _NoticeServer()
    thread = threading.Thread(target=server.serve_forever, name="example-notice-api", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield {"platform_api_url": f"http://{host!s}:{port}"}
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


__all__ = ["ConnectorExample", "example_outgoing", "loopback_notice_api"]
