"""Checks every request passes before a route runs, and the wording of refused input.

:func:`has_nul` finds a NUL character anywhere in a request's address or in a form or
JSON body: no database column holds one (PostgreSQL refuses it outright), so such a
request is answered 400 before any work, on either database. :class:`Guard` is the
middleware that does so for every request and sets the security headers on every
answer (a plain ASGI middleware: it adds nothing to a request's cost but the checks).
:func:`validation_message` turns FastAPI's validation errors into one sentence naming
each parameter and what is wrong with it, without echoing the value sent (it may be
long, or personal data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_CHECKED_BODY = 1 << 20  # bytes: forms and JSON bodies of the workbench are small
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_FORM = "application/x-www-form-urlencoded"


async def has_nul(request: Request) -> bool:
    """Whether the path, query string or (form or JSON) body holds a NUL character."""
    scope = request.scope
    if "\x00" in str(scope.get("path", "")) or b"%00" in bytes(scope.get("query_string", b"")):
        return True
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if request.method not in ("POST", "PUT", "PATCH") or kind not in (_FORM, "application/json"):
        return False
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_CHECKED_BODY:
        return False  # left to the route (and the server's own limits)
    body = await request.body()  # Starlette keeps it for the route
    if b"\x00" in body:
        return True
    if kind == _FORM:
        return b"%00" in body
    return _JSON_NUL.search(body) is not None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Guard:
    """Refuses a request holding a NUL (answered by ``refuse(request)``) before any work,
    sets ``headers`` on every answer that lacks them (and ``Cache-Control: no-store`` on
    HTML), and calls ``after_write()`` once a request of an unsafe method is answered."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        refuse: Callable[[Request], Response],
        headers: Mapping[str, str],
        after_write: Callable[[], None],
    ) -> None:
        self.app = app
        self.refuse = refuse
        self.headers = dict(headers)
        self.after_write = after_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        request = Request(scope, receive)
        if await has_nul(request):  # no database column holds one; refused before any work
            await self.refuse(request)(scope, receive, send_with_headers)
            return
        body: bytes | None = getattr(request, "_body", None)
        if body is not None:  # read for the check: the route reads it again
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_headers)
        if scope.get("method", "GET") not in SAFE_METHODS:
            self.after_write()


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` (read already) first, then what ``receive`` gives."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _where(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] in ("path", "query", "header", "cookie", "body"):
        return f"{'.'.join(parts[1:])} ({parts[0]})"
    return ".".join(parts) or "request"


def validation_message(errors: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """("invalid request: case_id (path): Input should be ...", problems) for a 422."""
    problems = []
    for error in errors:
        loc = list(error.get("loc", ())) if isinstance(error, dict) else []
        msg = str(error.get("msg", "invalid")) if isinstance(error, dict) else str(error)
        kind = str(error.get("type", "value_error")) if isinstance(error, dict) else "value_error"
        problems.append({"loc": [str(p) for p in loc], "msg": msg, "type": kind})
    said = "; ".join(f"{_where(p['loc'])}: {p['msg']}" for p in problems[:10])
    if len(problems) > 10:
        said += f"; and {len(problems) - 10} more"
    return f"invalid request: {said or 'the input could not be read'}", problems


def route_of(request: Request) -> str:
    """The matched route's pattern (``/cases/{case_id}``), not the path with its ids."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "")) or "(no route)"


__all__ = ["MAX_CHECKED_BODY", "SAFE_METHODS", "Guard", "has_nul", "route_of", "validation_message"]
