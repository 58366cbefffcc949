"""Property tests per route group (pages, JSON API, log-in, callbacks): no route answers 500.

Hypothesis draws a route of the group, a role (analyst, supervisor, auditor, admin or
nobody) and a ``random.Random`` that fills the route's path, query, form and JSON body with
hostile values (tests/fuzz/routes.py); the request goes through the real app in-process, on
the fuzz world's SQLite workspace. An unhandled exception fails the test with its traceback
(the client re-raises it); a handled one must not answer 500 either.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from .routes import GROUPS, ROLES, ROUTES, HostileRequest, Route, hostile_request
from .web_world import CALLBACK_SECRET, HOSTILE_ACCOUNT, Sessions

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=15,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
App = tuple[TestClient, Sessions, dict[str, Any]]


def _check(
    sessions: Sessions, request: HostileRequest, bearer: bool, *, noted: bool = True
) -> None:
    if noted:
        note(request.describe())
    response = sessions.send(request, bearer=bearer)
    assert response.status_code < 500, f"{request.describe()} -> {response.status_code}"


@pytest.mark.parametrize("group", GROUPS)
@FUZZ
@given(seed=st.integers(0, 2**32), role=st.sampled_from(ROLES), bearer=st.booleans())
def test_no_route_answers_500(
    group: str, seed: int, role: str, bearer: bool, fuzz_app: App
) -> None:
    _, sessions, values = fuzz_app
    rng = random.Random(seed)
    route = rng.choice([r for r in ROUTES if r.group == group])
    request = hostile_request(rng, route, role, values, CALLBACK_SECRET)
    _check(sessions, request, bearer and group == "api")


def _route(name: str) -> Route:
    return next(r for r in ROUTES if r.name == name)


_ACCOUNT = "/accounts/{}/{}".format(*HOSTILE_ACCOUNT)
# The hostile inputs the issue names (items 17, 18), always tried.
KNOWN = (
    ("analyst", "GET /accounts/{platform}/{account_id}", _ACCOUNT, None, None),
    ("analyst", "GET /api/v1/accounts/{platform}/{account_id}", "/api/v1" + _ACCOUNT, None, None),
    ("analyst", "GET /media/{path}", "/media/%00", None, None),
    ("analyst", "GET /media/{path}", "/media/" + "a" * 5000, None, None),
    ("analyst", "GET /cases/{case_id}", "/cases/18446744073709551616", None, None),
    ("analyst", "GET /api/v1/cases/{case_id}", "/api/v1/cases/18446744073709551616", None, None),
    (
        "analyst",
        "POST /accounts/{platform}/{account_id}/decide",
        _ACCOUNT + "/decide",
        {"decision": "hold", "reason": "fuzz", "hold_days": "99999999999"},
        None,
    ),
    (
        "analyst",
        "POST /api/v1/accounts/{platform}/{account_id}/decisions",
        "/api/v1" + _ACCOUNT + "/decisions",
        None,
        b'{"decision": "monitor", "reason": "' + b"[" * 100_000 + b'"}',
    ),
    ("anonymous", "POST /callbacks/{platform}", "/callbacks/twitter", None, b"{}"),
)


@pytest.mark.parametrize(("role", "name", "url", "form", "content"), KNOWN)
def test_known_hostile_requests(  # noqa: PLR0917 - one parametrized case
    role: str, name: str, url: str, form: Any, content: bytes | None, fuzz_app: App
) -> None:
    _, sessions, _ = fuzz_app
    method = name.split(maxsplit=1)[0]
    request = HostileRequest(_route(name), role, method, url, form=form, content=content)
    if request.route.group == "callbacks":
        request.headers["X-Iru-Signature"] = "sha256=\u00e9".encode("latin-1")
    if content is not None and request.route.group == "api":
        request.headers["Content-Type"] = "application/json"
    _check(sessions, request, bearer=False, noted=False)
