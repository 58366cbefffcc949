"""The receiver of platforms' status callbacks (docs/connectors.md, "Callbacks").

A platform POSTs each new event of a ticket to ``/callbacks/{platform}``, signed with
HMAC-SHA256 over the raw body (``X-Iru-Signature: sha256=<hex>``) with the shared
``callback_secret``. An unsigned or wrongly signed call is refused (401) before its body
is read as JSON; a call about a ticket iru did not send is refused (404). Events are
idempotent per (ticket, seq), so a platform's retry changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from iru.engine.adapters.http import event_from_json
from iru.engine.services.referrals import EventTimeError, ReferralError, ReferralService

SIGNATURE_HEADER = "X-Iru-Signature"


def signature(secret: str, body: bytes) -> str:
    """The header value a platform sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class CallbackError(BaseModel):
    """A refused callback: ``error`` says why."""

    error: str


# Every answer a platform may get, documented so its client knows them.
CALLBACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": CallbackError, "description": why}
    for status, why in (
        (400, "the body is not a callback (ticket and event)"),
        (401, "missing or wrong signature"),
        (404, "no referral with that ticket on that platform"),
        (409, "the event does not fit the referral's state"),
        (422, "the event's time is not a zoned time within the accepted window"),
    )
}


def callback_router(
    service: ReferralService, secret: str, clock: Callable[[], datetime]
) -> APIRouter:
    """The callback route, to mount in any FastAPI app."""
    if not secret:
        raise ValueError("callback_secret is empty: callbacks cannot be authenticated")
    router = APIRouter()

    @router.post("/callbacks/{platform}", status_code=204, responses=CALLBACK_RESPONSES)
    async def receive(platform: str, request: Request) -> Response:
        body = await request.body()
        # Compared as bytes: a header with non-ASCII characters is just a wrong signature.
        given = request.headers.get(SIGNATURE_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, signature(secret, body).encode()):
            return _error(401, "missing or wrong signature")
        try:
            data = json.loads(body)
            ticket = str(data["ticket"])
            event = event_from_json(data["event"])
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            return _error(400, f"not a callback: {exc}")
        row = service.store.by_ticket(platform, ticket)
        if row is None or (data.get("reference") not in (None, row.reference)):
            return _error(404, f"no referral with ticket {ticket} on {platform}")
        try:
            service.apply_event(
                row, event, source="callback", actor=f"platform:{platform}", now=clock()
            )
        except EventTimeError as exc:
            return _error(422, str(exc))
        except ReferralError as exc:
            return _error(409, str(exc))
        return Response(status_code=204)

    return router


def callback_app(service: ReferralService, secret: str, clock: Callable[[], datetime]) -> FastAPI:
    """A small app serving only the callback route (``iru track --listen``)."""
    app = FastAPI(title="iru callbacks", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(callback_router(service, secret, clock))
    return app


__all__ = ["SIGNATURE_HEADER", "callback_app", "callback_router", "signature"]
