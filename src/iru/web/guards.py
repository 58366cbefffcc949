"""Checks every request passes before a route runs, and the wording of refused input.

:func:`has_nul` finds a NUL character anywhere in a request's address or in a form or
JSON body: no database column holds one (PostgreSQL refuses it outright), so such a
request is answered 400 before any work, on either database. :func:`validation_message`
turns FastAPI's validation errors into one sentence naming each parameter and what is
wrong with it, without echoing the value sent (it may be long, or personal data).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import Request

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


__all__ = ["MAX_CHECKED_BODY", "has_nul", "route_of", "validation_message"]
