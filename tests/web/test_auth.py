"""Log-in and safety (docs/web.md, "Authentication"): passwords, lock-out, sessions, CSRF,
API tokens, the audit trail without secrets, the HTTP side and the CLI, on SQLite and
PostgreSQL."""

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Form, Request
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from iru.cases.access import PermissionDenied, Principal, Role
from iru.cli import cli
from iru.engine.services.auth import WRONG, AuthService, LoginRefused, sha256_hex
from iru.engine.services.cases import CaseService
from iru.storage.audit import AuditStore
from iru.storage.schema import api_tokens, audit_log, users, web_sessions
from iru.web.security import SESSION_COOKIE, WebAuth, safe_next, web_secret
from iru.workspace import Workspace

from ..conftest import Iru

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
OTHER = "another long passphrase"


class CountingHasher(PasswordHasher):
    """Argon2id, cheap enough for tests, counting its verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


def _users(ws: Workspace) -> tuple[Principal, Principal]:
    cases = CaseService(ws.database)
    cases.add_user(None, "root", Role.ADMIN, "EU", T0)
    root = cases.principal("root")
    cases.add_user(root, "anna", Role.ANALYST, "DE", T0)
    cases.add_user(root, "sven", Role.SUPERVISOR, "DE", T0)
    return root, cases.principal("anna")


@pytest.fixture
def auth(workspace: Workspace) -> AuthService:
    root, _ = _users(workspace)
    service = AuthService(workspace.database, hasher=CountingHasher())
    service.set_password(root, "anna", PASSWORD, T0)
    return service


def _audit(ws: Workspace) -> list[dict[str, Any]]:
    with ws.database.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq))]


def _disable(ws: Workspace, name: str) -> None:
    with ws.database.engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == name).values(active=False))


# -- passwords and log-in ------------------------------------------------------------------


def test_passwords_are_argon2id_hashes_and_only_the_right_one_logs_in(
    workspace: Workspace, auth: AuthService
) -> None:
    root, anna = (auth.store.credentials(n) for n in ("root", "anna"))
    assert root is not None and anna is not None
    assert anna.password_hash is not None and anna.password_hash.startswith("$argon2id$")
    assert PASSWORD not in anna.password_hash
    grant = auth.login("anna", PASSWORD, now=T0, client="127.0.0.1 pytest")
    assert grant.principal.name == "anna" and grant.expires_at == T0 + timedelta(hours=12)
    assert grant.token not in repr(grant) and grant.csrf_token not in repr(grant)
    with pytest.raises(ValueError, match="at least 12 characters"):
        auth.set_password(anna.principal, "anna", "short", T0)
    # Users set their own; only an admin sets another's; the console only a first one.
    auth.set_password(anna.principal, "anna", OTHER, T0)
    with pytest.raises(PermissionDenied):
        auth.set_password(anna.principal, "root", OTHER, T0)
    with pytest.raises(PermissionDenied, match="acting user"):
        auth.set_password(None, "anna", PASSWORD, T0)
    auth.set_password(None, "root", PASSWORD, T0)  # root had none yet
    with pytest.raises(LookupError):
        auth.set_password(root.principal, "nobody", PASSWORD, T0)
    # A new password ends the sessions opened with the old one.
    assert auth.session(grant.token, T0) is None
    with pytest.raises(LoginRefused):
        auth.login("anna", PASSWORD, now=T0)
    assert auth.login("anna", OTHER, now=T0).principal.role is Role.ANALYST


def test_wrong_password_unknown_disabled_and_passwordless_users_read_alike(
    workspace: Workspace, auth: AuthService
) -> None:
    hasher = auth.hasher
    assert isinstance(hasher, CountingHasher)
    messages = []
    for name, password in (
        ("anna", "not the password"),
        ("nobody", PASSWORD),
        ("sven", PASSWORD),  # no password set yet
        ("", PASSWORD),
    ):
        before = hasher.verified
        with pytest.raises(LoginRefused) as refused:
            auth.login(name, password, now=T0)
        messages.append(refused.value.message)
        assert hasher.verified == before + 1  # a hash is checked every time: same cost
    _disable(workspace, "anna")
    with pytest.raises(LoginRefused) as refused:
        auth.login("anna", PASSWORD, now=T0)  # the right password, but disabled
    messages.append(refused.value.message)
    assert set(messages) == {WRONG}


def test_five_failures_in_15_minutes_lock_the_account_for_15_minutes(
    workspace: Workspace, auth: AuthService
) -> None:
    # Failures spread over more than the window do not add up.
    for minutes in (0, 5, 10, 14):
        with pytest.raises(LoginRefused):
            auth.login("anna", "wrong password!", now=T0 + timedelta(minutes=minutes))
    with pytest.raises(LoginRefused):
        auth.login("anna", "wrong password!", now=T0 + timedelta(minutes=16))
    auth.login("anna", PASSWORD, now=T0 + timedelta(minutes=17))  # success clears the count
    start = T0 + timedelta(hours=1)
    for n in range(5):
        with pytest.raises(LoginRefused, match=WRONG):
            auth.login("anna", "wrong password!", now=start + timedelta(minutes=n))
    locked_at = start + timedelta(minutes=4)
    creds = auth.store.credentials("anna")
    assert creds is not None and creds.locked_until == locked_at + timedelta(minutes=15)
    # Locked: a wrong password learns nothing more, nor does the right one.
    with pytest.raises(LoginRefused) as wrong:
        auth.login("anna", "wrong password!", now=locked_at + timedelta(minutes=5))
    assert wrong.value.message == WRONG
    with pytest.raises(LoginRefused) as right:
        auth.login("anna", PASSWORD, now=locked_at + timedelta(minutes=14))
    assert right.value.message == WRONG
    grant = auth.login("anna", PASSWORD, now=locked_at + timedelta(minutes=15))
    assert grant.principal.name == "anna"
    actions = [e["action"] for e in _audit(workspace) if e["subject"] == "user:anna"]
    assert actions.count("users.locked") == 1
    assert actions.count("users.login_failed") == 5 + 5 + 2
    assert actions.count("users.login") == 2


# -- sessions ------------------------------------------------------------------------------


def test_sessions_expire_idle_out_and_end_on_logout(
    workspace: Workspace, auth: AuthService
) -> None:
    grant = auth.login("anna", PASSWORD, now=T0)
    with workspace.database.engine.connect() as conn:
        (row,) = conn.execute(select(web_sessions)).all()
    assert row.session_id_sha256 == sha256_hex(grant.token)  # never the id itself
    assert grant.token not in json.dumps([str(v) for v in row])
    # Used every 50 minutes it lives until its expiry, 12 hours on; not a second more.
    moment = T0
    while moment + timedelta(minutes=50) < T0 + timedelta(hours=12):
        moment += timedelta(minutes=50)
        info = auth.session(grant.token, moment)
        assert info is not None and info.principal.name == "anna"
        assert info.csrf_token == grant.csrf_token
    assert auth.session(grant.token, T0 + timedelta(hours=12)) is None
    # Idle for an hour: gone.
    idle = auth.login("anna", PASSWORD, now=T0)
    assert auth.session(idle.token, T0 + timedelta(minutes=59)) is not None
    assert auth.session(idle.token, T0 + timedelta(minutes=59 + 60)) is None
    # Log-out ends it; a disabled user's sessions end too.
    out = auth.login("anna", PASSWORD, now=T0)
    assert auth.logout(out.token, T0 + timedelta(minutes=1))
    assert auth.session(out.token, T0 + timedelta(minutes=2)) is None
    assert not auth.logout(out.token, T0 + timedelta(minutes=2))
    assert auth.session("forged", T0) is None
    live = auth.login("anna", PASSWORD, now=T0)
    _disable(workspace, "anna")
    assert auth.session(live.token, T0 + timedelta(minutes=1)) is None


# -- API tokens ----------------------------------------------------------------------------


def test_api_tokens_work_until_revoked_and_only_their_hash_is_kept(
    workspace: Workspace, auth: AuthService
) -> None:
    root = auth.store.credentials("root")
    anna = auth.store.credentials("anna")
    assert root is not None and anna is not None
    own = auth.create_token(anna.principal, "laptop script", "anna", T0)
    for_anna = auth.create_token(root.principal, "nightly export", "anna", T0)
    assert own.startswith("iru_") and len(own) > 40 and own != for_anna
    with pytest.raises(PermissionDenied):
        auth.create_token(anna.principal, "sneaky", "root", T0)
    with pytest.raises(LookupError):
        auth.create_token(root.principal, "ghost", "nobody", T0)
    principal = auth.token_principal(own, T0 + timedelta(minutes=3))
    assert principal is not None and principal.name == "anna"
    assert auth.token_principal("iru_" + "x" * 43, T0) is None
    assert auth.token_principal(own[4:], T0) is None
    with workspace.database.engine.connect() as conn:
        rows = conn.execute(select(api_tokens).order_by(api_tokens.c.token_id)).all()
    assert [r.token_sha256 for r in rows] == [sha256_hex(own), sha256_hex(for_anna)]
    stored = json.dumps([[str(v) for v in r] for r in rows])
    assert own not in stored and for_anna not in stored
    listed = auth.tokens(anna.principal)
    assert [t["name"] for t in listed] == ["laptop script", "nightly export"]
    assert listed[0]["last_used_at"] == T0 + timedelta(minutes=3)
    assert all("sha256" not in key for t in listed for key in t)
    assert own not in json.dumps(listed, default=str)
    # Revoked: refused. Only the owner or an admin may revoke.
    first, second = (t["token_id"] for t in listed)
    sven = auth.store.credentials("sven")
    assert sven is not None
    with pytest.raises(PermissionDenied):
        auth.revoke_token(sven.principal, first, T0)
    auth.revoke_token(anna.principal, first, T0)
    auth.revoke_token(root.principal, second, T0)
    assert auth.token_principal(own, T0) is None
    assert auth.token_principal(for_anna, T0) is None
    with pytest.raises(ValueError, match="revoked already"):
        auth.revoke_token(root.principal, first, T0)
    with pytest.raises(LookupError):
        auth.revoke_token(root.principal, 999, T0)


def test_the_audit_log_has_every_event_and_no_secret(
    workspace: Workspace, auth: AuthService
) -> None:
    root = auth.store.credentials("root")
    assert root is not None
    with pytest.raises(LoginRefused):
        auth.login("anna", OTHER, now=T0)
    grant = auth.login("anna", PASSWORD, now=T0, client="10.0.0.7 Firefox")
    auth.logout(grant.token, T0)
    token = auth.create_token(root.principal, "export", "anna", T0)
    auth.revoke_token(root.principal, auth.tokens(root.principal)[0]["token_id"], T0)
    events = _audit(workspace)
    actions = {e["action"] for e in events}
    assert {
        "users.passwd",
        "users.login_failed",
        "users.login",
        "users.logout",
        "tokens.create",
        "tokens.revoke",
    } <= actions
    assert all(e["subject"].startswith("user:") for e in events)
    dump = json.dumps(events, default=str)
    for secret in (PASSWORD, OTHER, grant.token, grant.csrf_token, token, sha256_hex(token)):
        assert secret not in dump
    assert AuditStore(workspace.database).verify().ok


# -- the HTTP side -------------------------------------------------------------------------


def _app(service: AuthService, *, cookie_secure: bool = False) -> FastAPI:
    web = WebAuth(service, "a test secret of some length", cookie_secure=cookie_secure)
    app = FastAPI()
    web.install(app)
    app.include_router(web.router)
    page_user = Annotated[Principal, Depends(web.page_principal)]
    api_user = Annotated[Principal, Depends(web.api_principal)]

    @app.get("/page")
    async def page(request: Request, user: page_user) -> dict[str, str]:
        return {"user": user.name, "csrf": request.state.session.csrf_token}

    @app.get("/api/v1/me")
    async def me(user: api_user) -> dict[str, str]:
        return {"user": user.name}

    @app.post("/api/v1/echo", dependencies=[Depends(web.csrf_protect)])
    async def echo(user: api_user) -> dict[str, str]:
        return {"user": user.name}

    @app.post("/form", dependencies=[Depends(web.csrf_protect)])
    async def form(user: page_user, text: Annotated[str, Form()]) -> dict[str, str]:
        return {"user": user.name, "text": text}

    return app


@pytest.fixture
def client(auth: AuthService) -> Iterator[TestClient]:
    with TestClient(_app(auth), follow_redirects=False) as test_client:
        yield test_client


def _login(client: TestClient, next_url: str = "/", **headers: str) -> Any:
    return client.post(
        "/login",
        data={"name": "anna", "password": PASSWORD, "next": next_url},
        headers=headers,
    )


def test_pages_redirect_to_login_and_log_in_sets_a_strict_cookie(client: TestClient) -> None:
    anonymous = client.get("/page?tab=2")
    assert anonymous.status_code == 303
    location = anonymous.headers["location"]
    assert location.startswith("/login?next=")
    assert client.get("/page", headers={"HX-Request": "true"}).headers["hx-redirect"]
    form = client.get(location)
    assert form.status_code == 200 and 'value="/page?tab=2"' in form.text
    wrong = client.post("/login", data={"name": "anna", "password": "nope", "next": "/page"})
    assert wrong.status_code == 401 and WRONG in wrong.text and "set-cookie" not in wrong.headers
    done = _login(client, "/page?tab=2", Origin="http://testserver")
    assert done.status_code == 303 and done.headers["location"] == "/page?tab=2"
    cookie = done.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie
    page = client.get("/page")
    assert page.status_code == 200 and page.json()["user"] == "anna"
    assert client.get("/login?next=/page").headers["location"] == "/page"  # logged in already
    # A forged or tampered cookie is no session.
    value = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    tampered = client.get("/page", headers={"Cookie": f"{SESSION_COOKIE}={value[:-2]}xx"})
    assert tampered.status_code == 303


def test_secure_cookies_when_configured(auth: AuthService) -> None:
    with TestClient(_app(auth, cookie_secure=True), follow_redirects=False) as secure:
        assert "secure" in _login(secure).headers["set-cookie"].lower()


def test_unsafe_requests_with_the_cookie_need_the_csrf_token(client: TestClient) -> None:
    _login(client)
    csrf = client.get("/page").json()["csrf"]
    refused = client.post("/api/v1/echo")
    assert refused.status_code == 403
    assert refused.json() == {"error": "CSRF token missing or wrong"}
    assert client.post("/api/v1/echo", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/v1/echo", headers={"X-CSRF-Token": csrf}).status_code == 200
    # In a form field; the route still reads its form.
    posted = client.post("/form", data={"csrf_token": csrf, "text": "hello"})
    assert posted.status_code == 200 and posted.json() == {"user": "anna", "text": "hello"}
    bare = client.post("/form", data={"text": "hello"})
    assert bare.status_code == 403 and bare.text == "CSRF token missing or wrong"
    # Log-out is an unsafe request too; afterwards the old cookie opens nothing.
    assert client.post("/logout").status_code == 403
    value = client.cookies[SESSION_COOKIE]
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies
    again = client.get("/page", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
    assert again.status_code == 303


def test_the_api_takes_bearer_tokens_without_csrf_and_answers_401_json(
    auth: AuthService, client: TestClient
) -> None:
    anna = auth.store.credentials("anna")
    assert anna is not None
    token = auth.create_token(anna.principal, "script", "anna")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).json() == {"user": "anna"}
    assert client.post("/api/v1/echo", headers=bearer).status_code == 200  # no CSRF needed
    for headers in ({}, {"Authorization": "Bearer iru_bogus"}, {"Authorization": "Basic eDp5"}):
        refused = client.get("/api/v1/me", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert set(refused.json()) == {"error"}
    auth.revoke_token(anna.principal, auth.tokens(anna.principal)[0]["token_id"])
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    # The API also takes the session cookie.
    _login(client)
    assert client.get("/api/v1/me").json() == {"user": "anna"}


def test_log_in_from_another_site_and_foreign_next_are_refused(client: TestClient) -> None:
    for headers in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/phish"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    ):
        refused = _login(client, **headers)
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert _login(client, Origin="null", **{"Sec-Fetch-Site": "same-origin"}).is_redirect
    assert _login(client, Referer="http://testserver/login").is_redirect
    for foreign in ("//evil.example", "https://evil.example/", "/\\evil.example", "evil"):
        assert _login(client, foreign).headers["location"] == "/"
    assert safe_next("/queue?page=2") == "/queue?page=2"


def test_web_secret_comes_from_the_setting_or_a_private_file(tmp_path: Path) -> None:
    assert web_secret("configured", tmp_path) == "configured"
    root = tmp_path / "ws"
    first = web_secret("", root)
    assert len(first) == 64 and web_secret("", root) == first
    secret_file = root / ".web-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert [p.name for p in root.iterdir()] == [".web-secret"]


# -- the CLI -------------------------------------------------------------------------------


def _invoke(iru: Iru, *args: str, stdin: str | None = None) -> Any:
    return iru.runner.invoke(cli, list(args), input=stdin, env=iru.env())


def test_passwd_and_tokens_on_the_command_line(iru: Iru) -> None:
    iru("users", "add", "root", "--role", "admin", "--unit", "EU")
    iru("users", "add", "anna", "--role", "analyst", "--unit", "DE", "--user", "root")
    set_first = _invoke(iru, "users", "passwd", "root", "--password-stdin", stdin=PASSWORD + "\n")
    assert set_first.exit_code == 0, set_first.output
    short = _invoke(
        iru, "users", "passwd", "anna", "--password-stdin", "--user", "root", stdin="short\n"
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.stderr
    # Twice at the prompt, hidden.
    prompted = _invoke(
        iru, "users", "passwd", "anna", "--user", "root", stdin=f"{OTHER}\n{OTHER}\n"
    )
    assert prompted.exit_code == 0, prompted.output
    assert OTHER not in prompted.output
    unset = _invoke(iru, "users", "passwd", "anna", "--password-stdin", stdin=PASSWORD + "\n")
    assert unset.exit_code == 1 and "acting user" in unset.stderr
    ws = iru.open()
    try:
        assert AuthService(ws.database).login("anna", OTHER).principal.name == "anna"
    finally:
        ws.close()
    created = _invoke(iru, "tokens", "create", "export", "--for", "anna", "--user", "root")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("iru_") and "only once" in created.stderr
    refused = _invoke(iru, "tokens", "create", "x", "--for", "root", "--user", "anna")
    assert refused.exit_code == 1 and "may not" in refused.stderr
    listed = json.loads(iru("tokens", "list", "--format", "json", "--user", "anna").output)
    assert [(t["token_id"], t["name"], t["user"]) for t in listed] == [(1, "export", "anna")]
    assert token not in json.dumps(listed)
    assert "token 1 revoked" in iru("tokens", "revoke", "1", "--user", "anna").output
    again = iru("tokens", "revoke", "1", "--user", "root", ok=False)
    assert again.exit_code == 1 and "revoked already" in again.stderr
    listed = json.loads(iru("tokens", "list", "--format", "json", "--user", "root").output)
    assert listed[0]["revoked_at"]
