"""Every route of the workbench, and hostile requests for each, drawn from one ``random.Random``.

A route's path parameters, query, form fields and JSON body are each filled with either a
plausible value (a real account of the world, a known decision) or a hostile one: huge and
negative ints, NUL bytes, 5,000-character names, unicode, path traversal, deep nesting,
wrong types. Shared by tests/fuzz/test_routes_fuzz.py and bench/fuzz.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .corpus import Deep, dumps

HOSTILE_PARAMS = (
    "",
    "0",
    "-1",
    "18446744073709551616",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "\x00",
    "%00",
    "a\x00b",
    "../../../../etc/passwd",
    "..",
    "//etc/passwd",
    "https://x//etc/passwd",
    "a" * 5000,
    "\u202e\U0001f9ea\u0301",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "9999-12-31T23:59:59Z",
    "2024-03-01T12:00:00",
    "true",
    "[]",
)
HOSTILE_JSON: tuple[Any, ...] = (
    None,
    True,
    2**64,
    -(2**63) - 1,
    -1,
    0,
    1e308,
    "",
    "\x00",
    "x" * 10_000,
    [],
    {},
    [1, "a", None],
    {"a": {"b": {}}},
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00Z",
    "2024-03-01T12:00:00",
    Deep(100_000),
)


@dataclass(frozen=True)
class Route:
    group: str  # pages, api, auth, callbacks
    method: str
    template: str  # path parameters in braces
    query: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    body: tuple[str, ...] = ()  # JSON object fields

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


_ACCOUNT = "/accounts/{platform}/{account_id}"
_QUEUE = ("platform", "language", "sort", "dir", "page")
ROUTES: tuple[Route, ...] = (
    Route("pages", "GET", "/"),
    Route("pages", "GET", "/queue", query=_QUEUE),
    Route("pages", "GET", "/queue/rows", query=_QUEUE),
    Route("pages", "GET", _ACCOUNT),
    Route("pages", "GET", _ACCOUNT + "/graph.json"),
    Route(
        "pages",
        "POST",
        _ACCOUNT + "/decide",
        form=("decision", "reason", "hold_days", "counter_speech"),
    ),
    Route("pages", "GET", "/cases/{case_id}"),
    Route("pages", "GET", "/referrals/{reference}"),
    Route("pages", "GET", "/referrals/{reference}/package.html"),
    Route("pages", "POST", "/referrals/{reference}/status", form=("status", "detail")),
    Route("pages", "GET", "/approvals"),
    Route("pages", "GET", "/network"),
    Route("pages", "POST", "/network/what-if", form=("account",)),
    Route("pages", "GET", "/audit", query=("page", "subject", "action")),
    Route("pages", "GET", "/media/{path}"),
    Route("pages", "GET", "/counter"),
    Route("api", "GET", "/api/v1/queue", query=_QUEUE),
    Route("api", "GET", "/api/v1" + _ACCOUNT),
    Route("api", "GET", "/api/v1" + _ACCOUNT + "/graph"),
    Route(
        "api",
        "POST",
        "/api/v1" + _ACCOUNT + "/decisions",
        body=("decision", "reason", "hold_days", "label"),
    ),
    Route("api", "GET", "/api/v1/cases/{case_id}"),
    Route("api", "GET", "/api/v1/referrals", query=("status",)),
    Route("api", "GET", "/api/v1/referrals/{reference}"),
    Route("api", "POST", "/api/v1/referrals/{reference}/status", body=("status", "detail", "at")),
    Route("api", "GET", "/api/v1/deadlines", query=("warn_minutes",)),
    Route("api", "GET", "/api/v1/dashboard"),
    Route("api", "GET", "/api/v1/network"),
    Route("api", "POST", "/api/v1/network/what-if", body=("accounts",)),
    Route("api", "GET", "/api/v1/audit", query=("page", "subject", "action")),
    Route("api", "GET", "/api/openapi.json"),
    Route("auth", "GET", "/login", query=("next",)),
    Route("auth", "POST", "/login", form=("name", "password", "next")),
    Route("auth", "POST", "/logout"),
    Route("callbacks", "POST", "/callbacks/{platform}"),
)
GROUPS = ("pages", "api", "auth", "callbacks")
ROLES = ("analyst", "supervisor", "auditor", "admin", "anonymous")

PLAUSIBLE: dict[str, tuple[Any, ...]] = {
    "decision": ("refer", "dismiss", "monitor", "hold", "approve"),
    "reason": ("synthetic fuzz reason", ""),
    "hold_days": (1, 30, 180),
    "label": ("not_supporter", "counter_speech", None),
    "status": ("received", "removed", "rejected", "clarification"),
    "sort": ("priority", "score", "account"),
    "dir": ("asc", "desc"),
    "page": (1, 2),
    "warn_minutes": (15,),
    "case_id": (1, 2),
    "reference": ("IRU-2024-000001",),
    "name": ("target", "nobody"),
    "next": ("/queue", "/"),
    "path": ("missing.jpg",),
}


@dataclass
class HostileRequest:
    route: Route
    role: str
    method: str
    url: str
    headers: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] | None = None
    content: bytes | None = None

    def describe(self) -> str:
        body = self.content[:200] if self.content else self.form
        return f"{self.role}: {self.method} {self.url[:300]} body={body!r:.300}"


def _value(rng: random.Random, name: str, world_values: dict[str, list[Any]]) -> Any:
    choices = list(world_values.get(name, ())) + list(PLAUSIBLE.get(name, ()))
    if choices and rng.random() < 0.45:
        return rng.choice(choices)
    return rng.choice(HOSTILE_PARAMS)


def _json_value(rng: random.Random, name: str, world_values: dict[str, list[Any]]) -> Any:
    choices = list(world_values.get(name, ())) + list(PLAUSIBLE.get(name, ()))
    if choices and rng.random() < 0.45:
        return rng.choice(choices)
    if name == "accounts" and rng.random() < 0.5:
        return [rng.choice(HOSTILE_PARAMS) + ":" + rng.choice(HOSTILE_PARAMS)]
    return rng.choice(HOSTILE_JSON)


def hostile_request(
    rng: random.Random, route: Route, role: str, world_values: dict[str, list[Any]], secret: str
) -> HostileRequest:
    """One request to ``route`` with hostile (or now and then plausible) values."""
    path = route.template
    account = rng.choice(world_values.get("account", [("twitter", "1")]))
    for name in ("platform", "account_id", "case_id", "reference", "path"):
        if "{" + name + "}" not in path:
            continue
        if name in {"platform", "account_id"} and rng.random() < 0.5:
            value = account[0] if name == "platform" else account[1]
        else:
            value = _value(rng, name, world_values)
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    query = {name: _value(rng, name, world_values) for name in route.query if rng.random() < 0.8}
    url = path
    if query:
        url += "?" + "&".join(f"{quote(k)}={quote(str(v), safe='')}" for k, v in query.items())
    request = HostileRequest(route, role, route.method, url)
    if route.form:
        request.form = {
            n: str(_value(rng, n, world_values)) for n in route.form if rng.random() < 0.9
        }
    if route.body:
        fields = {n: _json_value(rng, n, world_values) for n in route.body if rng.random() < 0.9}
        shape = rng.randrange(8)
        document: Any = fields if shape < 6 else rng.choice(HOSTILE_JSON)
        request.content = dumps(document) if shape < 7 else b'{"decision": "refer", '
        request.headers["Content-Type"] = "application/json"
    if route.group == "callbacks":
        request.content = _callback_body(rng, world_values)
        request.headers["Content-Type"] = "application/json"
        kind = rng.randrange(4)
        if kind < 2:
            digest = hmac.new(secret.encode(), request.content, hashlib.sha256).hexdigest()
            request.headers["X-Iru-Signature"] = "sha256=" + digest
        elif kind == 2:
            request.headers["X-Iru-Signature"] = rng.choice(
                ("sha256=\u00e9".encode("latin-1"), b"sha256=" + b"\xff" * 8, b"", b"sha256=")
            )
    return request


def _callback_body(rng: random.Random, world_values: dict[str, list[Any]]) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return Deep(rng.choice((2_000, 100_000))).text().encode()
    if kind == 1:
        return rng.choice((b"", b"not json", b"\xff\xfe", b"[]", b"null"))
    event = {
        "seq": rng.choice((1, -1, 2**64, "1", None)),
        "status": rng.choice(("received", "removed", "nonsense", None, 7)),
        "at": rng.choice(("2024-03-04T18:20:00Z", "9999-12-31T23:59:59Z", "2024-03-01", 5)),
    }
    body = {
        "ticket": rng.choice(("T-1", "\x00", "a" * 5000, 2**70, None, [])),
        "event": event if rng.random() < 0.8 else rng.choice(HOSTILE_JSON),
        "reference": rng.choice((None, "IRU-2024-000001", 3)),
    }
    return json.dumps(body).encode()


def requests_for(
    rng: random.Random,
    routes: tuple[Route, ...],
    count: int,
    world_values: dict[str, list[Any]],
    secret: str,
) -> list[HostileRequest]:
    """``count`` hostile requests to each route, roles in turn."""
    found = []
    for route in routes:
        for index in range(count):
            role = ROLES[index % len(ROLES)]
            found.append(hostile_request(rng, route, role, world_values, secret))
    return found
