"""Hardening of the lock-out (issue 16, item 16): a lock confirms no guess, and every
attempt during it counts — in the service and over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from iru.cases.access import Role
from iru.engine.services.auth import LOCK_FOR, WRONG, AuthService, LoginRefused
from iru.engine.services.cases import CaseService
from iru.storage.schema import audit_log
from iru.web.app import create_app
from iru.workspace import Workspace

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "a synthetic long passphrase"
GUESS = "a wrong synthetic guess"


def _auth(ws: Workspace) -> AuthService:
    cases = CaseService(ws.database)
    cases.add_user(None, "root", Role.ADMIN, "EU", T0)
    root = cases.principal("root")
    cases.add_user(root, "anna", Role.ANALYST, "DE", T0)
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    auth = AuthService(ws.database, hasher=cheap)
    auth.set_password(root, "anna", PASSWORD, T0)
    return auth


def _refusal(auth: AuthService, password: str, at: datetime) -> str:
    with pytest.raises(LoginRefused) as refused:
        auth.login("anna", password, now=at)
    return refused.value.message


def _failures(ws: Workspace) -> list[dict[str, Any]]:
    with ws.database.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.after)
            .where(audit_log.c.subject == "user:anna")
            .order_by(audit_log.c.seq)
        )
        return [dict(r._mapping) for r in rows]


def test_the_right_password_during_a_lock_gets_the_wrong_password_answer(
    workspace: Workspace,
) -> None:
    auth = _auth(workspace)
    for n in range(5):
        assert _refusal(auth, GUESS, T0 + timedelta(minutes=n)) == WRONG
    locked_at = T0 + timedelta(minutes=4)
    creds = auth.store.credentials("anna")
    assert creds is not None and creds.locked_until == locked_at + LOCK_FOR
    # During the lock: right or wrong, one and the same answer, nothing about the lock.
    wrong = _refusal(auth, GUESS, locked_at + timedelta(minutes=1))
    right = _refusal(auth, PASSWORD, locked_at + timedelta(minutes=2))
    assert wrong == right == WRONG
    assert "lock" not in right.lower()
    # Both attempts were counted, as failures during the lock (the audit says so).
    creds = auth.store.credentials("anna")
    assert creds is not None and creds.failed_logins == 2
    reasons = [e["after"] for e in _failures(workspace) if e["action"] == "users.login_failed"]
    assert sum('"locked"' in (r or "") for r in reasons) == 2
    # Once the lock ends, the right password works.
    grant = auth.login("anna", PASSWORD, now=locked_at + LOCK_FOR)
    assert grant.principal.name == "anna"


def test_guessing_during_a_lock_renews_it(workspace: Workspace) -> None:
    auth = _auth(workspace)
    for n in range(5):
        _refusal(auth, GUESS, T0 + timedelta(seconds=n))
    first_until = T0 + timedelta(seconds=4) + LOCK_FOR
    # Five more guesses during the lock: the lock is renewed from the last of them.
    during = [T0 + timedelta(minutes=5 + n) for n in range(5)]
    for at in during:
        assert _refusal(auth, GUESS, at) == WRONG
    creds = auth.store.credentials("anna")
    assert creds is not None and creds.locked_until == during[-1] + LOCK_FOR > first_until
    # After the first lock would have ended, even the right password is still refused.
    assert _refusal(auth, PASSWORD, first_until + timedelta(minutes=1)) == WRONG
    actions = [e["action"] for e in _failures(workspace)]
    assert actions.count("users.locked") == 2
    # The right password after the renewed lock (and its window) works again.
    later = during[-1] + LOCK_FOR + timedelta(minutes=16)
    assert auth.login("anna", PASSWORD, now=later).principal.name == "anna"


def test_over_http_a_locked_account_answers_the_same_to_every_password(
    workspace: Workspace,
) -> None:
    _auth(workspace)
    with TestClient(create_app(workspace), follow_redirects=False) as client:

        def attempt(password: str) -> Any:
            return client.post("/login", data={"name": "anna", "password": password, "next": "/"})

        answers = [attempt(GUESS) for _ in range(5)]
        assert {a.status_code for a in answers} == {401}
        wrong, right = attempt(GUESS), attempt(PASSWORD)
        assert wrong.status_code == right.status_code == 401
        assert wrong.text == right.text and WRONG in right.text
        assert "locked" not in right.text.lower() and "set-cookie" not in right.headers
    creds = AuthService(workspace.database).store.credentials("anna")
    assert creds is not None and creds.locked_until is not None
    assert creds.failed_logins == 2  # the two attempts during the lock counted
