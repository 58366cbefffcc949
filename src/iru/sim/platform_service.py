"""The platforms' notice APIs as a real HTTP service, played from the simulator's moderation model.

:func:`create_app` builds the server side of iru's notice protocol v1 (docs/connectors.md):
``POST /v1/{platform}/notices`` with idempotency keys, ``GET .../notices/{ticket}``, clarification
answers, and signed callbacks. What each platform does with a notice comes from the pure plans of
:mod:`iru.sim.notices`; planned offsets are divided by ``time_scale``, and every time reported is
real UTC wall-clock time (``received_at`` the real receipt, an event's ``at`` the real moment it
becomes visible). Events appear lazily when a ticket is read, and a background task started with
the app posts callbacks for new ones, retrying with backoff. ``iru platform-sim serve`` runs it.

``package_sha256`` is checked as SHA-256 over ``iru.cases.tco.to_json(form)``, the canonical
bytes of the decoded package, not over the client's serialisation of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from iru.cases.tco import (
    Referral,
    RemovalOrder,
    TcoFormatError,
    order_from_json,
    referral_from_json,
    to_json,
    validate_order,
    validate_referral,
)
from iru.sim.config import WorldConfig
from iru.sim.notices import (
    NOTICE_KINDS,
    NoticeKind,
    NoticeModel,
    PlannedEvent,
    notice_models,
    order_answer,
    plan_after_clarification,
    plan_notice,
    stable_seed,
)

__all__ = ["ServiceSettings", "create_app", "format_time", "sign"]

JsonObject = dict[str, Any]
_log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _default_platforms() -> tuple[NoticeModel, ...]:
    return notice_models(WorldConfig().platforms)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSettings:
    """How the simulated platforms behave; the same settings and requests give the same answers."""

    seed: int = 1
    time_scale: float = 1.0  # planned offsets run this many times faster in real time
    fail_rate: float = 0.0  # share of POSTs answered 503 (seeded, per request)
    callback_secret: str | None = None  # HMAC-SHA256 key for X-Iru-Signature
    platforms: tuple[NoticeModel, ...] = field(default_factory=_default_platforms)
    clock: Callable[[], datetime] = _utc_now
    tick_seconds: float = 0.1  # real seconds between checks for callbacks to send
    callback_max_tries: int = 5
    callback_backoff_seconds: float = 0.2  # doubled after each failed try
    callback_timeout_seconds: float = 5.0
    callback_transport: httpx.AsyncBaseTransport | None = None  # tests may inject one

    def __post_init__(self) -> None:
        if not self.time_scale > 0:
            raise ValueError(f"time_scale must be positive, not {self.time_scale}")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, not {self.fail_rate}")
        if self.callback_max_tries < 1 or self.tick_seconds <= 0:
            raise ValueError("callback_max_tries must be >= 1 and tick_seconds positive")
        names = [p.name for p in self.platforms]
        if len(set(names)) != len(names):
            raise ValueError(f"platform names repeat: {names}")


def format_time(value: datetime) -> str:
    """An instant as ISO 8601 UTC with microseconds and a ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sign(secret: str, body: bytes) -> str:
    """The ``X-Iru-Signature`` value for a callback body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(slots=True)
class _Callback:
    seq: int
    body: bytes
    tries: int = 0
    not_before: float = 0.0  # time.monotonic()


@dataclass(slots=True)
class _Ticket:
    ticket: str
    model: NoticeModel
    reference: str
    kind: NoticeKind
    received_at: datetime
    package_sha256: str
    callback_url: str | None
    order: RemovalOrder | None
    key: str
    plan: list[PlannedEvent]
    plan_start: datetime
    emitted: int = 0  # how many events of the current plan are visible
    events: list[JsonObject] = field(default_factory=list)
    outbox: deque[_Callback] = field(default_factory=deque)
    delivered: int = 0
    failed: int = 0

    @property
    def status(self) -> str:
        return str(self.events[-1]["status"]) if self.events else "received"

    def receipt(self) -> JsonObject:
        return {**self.head(), "package_sha256": self.package_sha256, "status": "received"}

    def view(self) -> JsonObject:
        return {**self.head(), "status": self.status, "events": list(self.events)}

    def head(self) -> JsonObject:
        head = {"ticket": self.ticket, "platform": self.model.name, "reference": self.reference}
        return head | {"kind": self.kind, "received_at": format_time(self.received_at)}


class _Problem(Exception):
    """A request answered with an error status and body."""

    def __init__(
        self,
        status: int,
        error: str,
        problems: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status, self.headers = status, headers
        self.body: JsonObject = {"error": error}
        if problems is not None:
            self.body["problems"] = problems


def _outage() -> _Problem:
    return _Problem(503, "simulated outage; try again", headers={"Retry-After": "0"})


class _Service:
    """The platforms' state: tickets, idempotency keys, and callbacks still to send."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.models = {m.name: m for m in settings.platforms}
        self.lock = threading.Lock()
        self.tickets: dict[str, _Ticket] = {}
        self.by_key: dict[tuple[str, str], tuple[str, str]] = {}  # -> (body sha256, ticket)
        self.submissions: dict[tuple[str, str], int] = {}
        self.counters: dict[str, int] = {}
        self.fail_rng = np.random.default_rng(stable_seed(settings.seed, "fail_rate"))

    def model(self, platform: str) -> NoticeModel:
        if platform not in self.models:
            raise _Problem(404, f"unknown platform {platform!r}; known: {', '.join(self.models)}")
        return self.models[platform]

    def ticket(self, platform: str, ticket: str) -> _Ticket:
        found = self.tickets.get(ticket)
        if found is None or found.model.name != self.model(platform).name:
            raise _Problem(404, f"unknown ticket {ticket!r} on {platform}")
        return found

    def fails(self) -> bool:
        """Whether this POST is answered 503 (one draw per POST, in arrival order)."""
        return bool(self.fail_rng.random() < self.settings.fail_rate)

    # -- time -----------------------------------------------------------------------------

    def advance(self, t: _Ticket, now: datetime) -> None:
        """Make visible every planned event due by ``now``; new ones queue a callback."""
        while t.emitted < len(t.plan):
            planned = t.plan[t.emitted]
            at = planned.at(t.plan_start, self.settings.time_scale)
            if at > now:
                return
            t.emitted += 1
            form = None
            if t.order is not None:
                answer = order_answer(
                    t.order,
                    planned,
                    model=t.model,
                    received_at=t.received_at,
                    at=at,
                    addressee_file_reference=t.ticket,
                )
                form = None if answer is None else json.loads(to_json(answer))
            seq = len(t.events) + 1
            event = {"seq": seq, "status": planned.status, "at": format_time(at)}
            t.events.append(event | {"detail": planned.detail, "form": form})
            if t.callback_url:
                who = {"platform": t.model.name, "ticket": t.ticket, "reference": t.reference}
                payload = json.dumps(who | {"event": t.events[-1]}).encode("utf-8")
                t.outbox.append(_Callback(seq, payload))

    # -- requests -------------------------------------------------------------------------

    def submit(self, platform: str, key: str, raw: bytes) -> tuple[int, JsonObject]:
        """A notice POST, with the lock held: (status, receipt) or :class:`_Problem`."""
        model = self.model(platform)
        body_sha = hashlib.sha256(raw).hexdigest()
        if (platform, key) in self.by_key:
            seen_sha, seen = self.by_key[platform, key]
            if seen_sha != body_sha:
                raise _Problem(409, f"Idempotency-Key {key!r} was used with a different body")
            return 200, self.tickets[seen].receipt()
        kind, reference, package, claimed_sha, callback_url = _notice_fields(raw)
        form = _decode_package(kind, package)
        canonical_sha = hashlib.sha256(to_json(form)).hexdigest()
        now = self.settings.clock()
        if isinstance(form, RemovalOrder):
            problems = validate_order(form, now=now)
            form_reference = form.header.reference
        else:
            problems = validate_referral(form)
            form_reference = form.reference
        if form_reference != reference:
            problems.append(f"reference: {reference!r} is not the package's {form_reference!r}")
        if claimed_sha.lower() != canonical_sha:
            problems.append(
                "package_sha256: does not match SHA-256 of the package's canonical JSON"
                " (iru.cases.tco.to_json)"
            )
        if problems:
            raise _Problem(422, f"the {kind} does not validate", problems)
        self.counters[platform] = self.counters.get(platform, 0) + 1
        ticket = _Ticket(
            ticket=f"{platform}-{self.counters[platform]:06d}",
            model=model,
            reference=reference,
            kind=kind,
            received_at=now,
            package_sha256=canonical_sha,
            callback_url=callback_url,
            order=form if isinstance(form, RemovalOrder) else None,
            key=key,
            plan=plan_notice(
                model, kind=kind, reference=reference, received_at=now, seed=self.settings.seed
            ),
            plan_start=now,
        )
        self.tickets[ticket.ticket] = ticket
        self.by_key[platform, key] = (body_sha, ticket.ticket)
        self.advance(ticket, now)
        return 201, ticket.receipt()

    def clarify(self, platform: str, ticket_id: str, raw: bytes) -> JsonObject:
        """A clarification answer, with the lock held: the ticket view or :class:`_Problem`."""
        t = self.ticket(platform, ticket_id)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise _Problem(400, 'the body must be {"text": "..."} with a non-empty text')
        now = self.settings.clock()
        self.advance(t, now)
        if t.status != "clarification":
            raise _Problem(409, f"ticket {t.ticket} is {t.status}, not waiting for a clarification")
        t.plan = plan_after_clarification(
            t.model, kind=t.kind, reference=t.reference, answered_at=now, seed=self.settings.seed
        )
        t.plan_start, t.emitted = now, 0
        self.advance(t, now)
        return t.view()

    def listing(self) -> list[JsonObject]:
        """Every ticket's state, with the POSTs seen under its key and its callbacks."""
        now = self.settings.clock()
        rows = []
        for t in self.tickets.values():
            self.advance(t, now)
            counts = {"submissions": self.submissions.get((t.model.name, t.key), 0)}
            counts |= {"callbacks_delivered": t.delivered, "callbacks_failed": t.failed}
            rows.append(t.head() | {"status": t.status} | counts)
        return rows

    # -- callbacks ------------------------------------------------------------------------

    def due_callbacks(self) -> list[tuple[_Ticket, _Callback]]:
        """The next callback of each ticket whose time has come (in order, one per ticket)."""
        with self.lock:
            now, mono = self.settings.clock(), time.monotonic()
            due = []
            for t in self.tickets.values():
                self.advance(t, now)
                if t.outbox and t.outbox[0].not_before <= mono:
                    due.append((t, t.outbox[0]))
            return due

    async def send(self, client: httpx.AsyncClient, t: _Ticket, callback: _Callback) -> None:
        assert t.callback_url is not None
        headers = {"Content-Type": "application/json"}
        if self.settings.callback_secret is not None:
            headers["X-Iru-Signature"] = sign(self.settings.callback_secret, callback.body)
        try:
            response = await client.post(t.callback_url, content=callback.body, headers=headers)
            ok = response.is_success
        except Exception as exc:  # a receiver that is down, refuses, or has a bad URL
            _log.debug("callback %s seq %d failed: %s", t.ticket, callback.seq, exc)
            ok = False
        with self.lock:
            callback.tries += 1
            if ok or callback.tries >= self.settings.callback_max_tries:
                t.outbox.popleft()
                t.delivered += ok
                t.failed += not ok
            else:
                backoff = self.settings.callback_backoff_seconds * 2 ** (callback.tries - 1)
                callback.not_before = time.monotonic() + backoff

    async def dispatch(self) -> None:
        """Post callbacks until cancelled, checking every ``tick_seconds``."""
        async with httpx.AsyncClient(
            timeout=self.settings.callback_timeout_seconds,
            transport=self.settings.callback_transport,
        ) as client:
            while True:
                try:
                    due = self.due_callbacks()
                    await asyncio.gather(*(self.send(client, t, cb) for t, cb in due))
                except Exception:  # keep serving; the next tick tries again
                    _log.exception("platform-sim: callback dispatch failed")
                await asyncio.sleep(self.settings.tick_seconds)


def _notice_fields(raw: bytes) -> tuple[NoticeKind, str, object, str, str | None]:
    """The notice envelope's fields, or a 400 :class:`_Problem`."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _Problem(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise _Problem(400, "the body is not a notice: expected a JSON object")
    kind = body.get("kind")
    if kind not in NOTICE_KINDS:
        raise _Problem(400, f"kind: expected one of {', '.join(NOTICE_KINDS)}, not {kind!r}")
    for name in ("reference", "package_sha256"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise _Problem(400, f"{name}: missing or not a string")
    if not isinstance(body.get("package"), dict):
        raise _Problem(400, "package: missing or not a JSON object")
    callback_url = body.get("callback_url")
    if callback_url is not None and not (
        isinstance(callback_url, str) and callback_url.startswith(("http://", "https://"))
    ):
        raise _Problem(400, "callback_url: not an http(s) URL")
    kind_checked: NoticeKind = "referral" if kind == "referral" else "removal_order"
    return kind_checked, body["reference"], body["package"], body["package_sha256"], callback_url


def _decode_package(kind: NoticeKind, package: object) -> Referral | RemovalOrder:
    data = json.dumps(package).encode("utf-8")
    try:
        return referral_from_json(data) if kind == "referral" else order_from_json(data)
    except TcoFormatError as exc:
        raise _Problem(422, str(exc), [str(exc)]) from exc


def create_app(settings: ServiceSettings) -> FastAPI:
    """The simulated platforms' notice API (protocol v1) as an ASGI app."""
    service = _Service(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(service.dispatch())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="iru platform simulator", lifespan=lifespan)
    app.state.service = service

    @app.exception_handler(_Problem)
    async def problem(_: Request, exc: _Problem) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)

    @app.get("/healthz")
    def healthz() -> JsonObject:
        return {"ok": True}

    @app.get("/v1/_sim/tickets")
    def tickets() -> list[JsonObject]:
        with service.lock:
            return service.listing()

    @app.post("/v1/{platform}/notices")
    async def submit(platform: str, request: Request) -> JSONResponse:
        raw = await request.body()
        key = request.headers.get("idempotency-key", "").strip()
        with service.lock:
            service.model(platform)
            if not key:
                raise _Problem(400, "the Idempotency-Key header is required")
            counted = (platform, key)
            service.submissions[counted] = service.submissions.get(counted, 0) + 1
            if service.fails():
                raise _outage()
            status, receipt = service.submit(platform, key, raw)
        headers = {"Idempotent-Replayed": "true"} if status == 200 else None
        return JSONResponse(receipt, status_code=status, headers=headers)

    @app.get("/v1/{platform}/notices/{ticket}")
    def read(platform: str, ticket: str) -> JsonObject:
        with service.lock:
            found = service.ticket(platform, ticket)
            service.advance(found, settings.clock())
            return found.view()

    @app.post("/v1/{platform}/notices/{ticket}/clarification")
    async def clarification(platform: str, ticket: str, request: Request) -> JsonObject:
        raw = await request.body()
        with service.lock:
            service.ticket(platform, ticket)
            if service.fails():
                raise _outage()
            return service.clarify(platform, ticket, raw)

    return app
