"""The workbench's HTTP safety: log-in pages, the session cookie, CSRF and API tokens.

:class:`WebAuth` wraps an :class:`~iru.engine.services.auth.AuthService` for FastAPI
(docs/web.md, "Authentication"):

* ``GET/POST /login`` and ``POST /logout`` (its ``router``); the log-in form is the one
  unsafe request without a CSRF token (no session exists yet), so it is refused when
  its ``Origin``/``Referer`` names another host (log-in CSRF);
* the cookie ``iru_session`` carries the raw session id signed with itsdangerous
  (HttpOnly, SameSite=Strict, Secure when ``cookie_secure``);
* dependencies: :meth:`WebAuth.page_principal` (pages: a session, else a redirect to
  ``/login?next=…``), :meth:`WebAuth.api_principal` (``Authorization: Bearer iru_…``
  first, else the session; else 401 JSON), :meth:`WebAuth.csrf_protect`. Both principal
  dependencies also demand the CSRF token on unsafe requests made with the cookie, so a
  route cannot forget it.

The live :class:`~iru.engine.services.auth.SessionInfo` is kept on ``request.state.session``
(None without one) for templates to render its ``csrf_token``.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from iru.cases.access import Principal
from iru.engine.services.auth import AuthService, LoginRefused, SessionGrant, SessionInfo

log = logging.getLogger(__name__)

SESSION_COOKIE = "iru_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
CSRF_REFUSED = "CSRF token missing or wrong"
SECRET_FILE = ".web-secret"
TEMPLATES = Path(__file__).resolve().parent / "templates"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def web_secret(settings_value: str, root: Path) -> str:
    """The cookie-signing key: the ``web_secret`` setting, else ``<root>/.web-secret``
    (32 random bytes as hex, mode 0600), created atomically on first use."""
    if settings_value:
        return settings_value
    path = root / SECRET_FILE
    existing = _read_secret(path)
    if existing:
        return existing
    root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=root, prefix=SECRET_FILE + ".")  # mode 0600
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            path.hardlink_to(temporary)  # appears whole, and never replaces another's
        except FileExistsError:
            if not _read_secret(path):  # an empty leftover: replace it
                temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    secret = _read_secret(path)
    if not secret:
        raise RuntimeError(f"cannot create the web secret in {path}")
    return secret


def _read_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
    if secret and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s is readable by others: chmod 600 it", path)
    return secret


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site ("/…", not "//…"), else "/"."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
        or value.startswith("/login")
    ):
        return "/"
    return value


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site: ``Sec-Fetch-Site``
    other than same-origin, or an ``Origin`` (else ``Referer``) naming another host.
    Without any of these headers (not a browser, or an old one) it is True."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("origin")
    claimed = origin if origin and origin != "null" else request.headers.get("referer")
    if claimed:
        host = request.headers.get("host", request.url.netloc).lower()
        return urlsplit(claimed).netloc.lower() == host
    if origin == "null":  # a no-referrer page: only the browser's own word will do
        return fetch_site == "same-origin"
    return True


def client_of(request: Request) -> str:
    address = request.client.host if request.client else ""
    return f"{address} {request.headers.get('user-agent', '')}".strip()[:200]


class LoginRequired(HTTPException):
    """No session on a page: :meth:`WebAuth.install` turns it into a redirect to /login."""

    def __init__(self, next_url: str = "/") -> None:
        self.next_url = safe_next(next_url)
        self.location = "/login?next=" + quote(self.next_url, safe="/")
        super().__init__(303, "log in first", headers={"Location": self.location})


class NotAuthenticated(HTTPException):
    """No valid token or session on the API: 401 JSON."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message, headers={"WWW-Authenticate": "Bearer"})


class CsrfRefused(HTTPException):
    """An unsafe request made with the session cookie but without its CSRF token."""

    def __init__(self) -> None:
        super().__init__(403, CSRF_REFUSED)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if request.headers.get("hx-request") == "true":  # htmx: load the log-in page, no swap
        return Response(status_code=401, headers={"HX-Redirect": exc.location})
    return RedirectResponse(exc.location, status_code=303)


async def _not_authenticated(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotAuthenticated)
    return JSONResponse({"error": exc.detail}, status_code=401, headers=exc.headers)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRefused)
    if _wants_json(request):
        return JSONResponse({"error": exc.detail}, status_code=403)
    return PlainTextResponse(exc.detail, status_code=403)


class WebAuth:
    """Log-in, log-out, the session cookie and the authentication dependencies."""

    def __init__(
        self,
        service: AuthService,
        secret: str,
        cookie_secure: bool = False,
        *,
        templates: Jinja2Templates | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the web secret is empty: session cookies cannot be signed")
        self.service = service
        self.cookie_secure = cookie_secure
        self.templates = templates or Jinja2Templates(directory=TEMPLATES)
        self.serializer = URLSafeTimedSerializer(secret, salt="iru-session")
        self.router = self._routes()

    def install(self, app: FastAPI) -> None:
        """Register the handlers that turn refusals into a redirect, 401 or 403 (mount
        :attr:`router` with ``app.include_router`` as well)."""
        app.add_exception_handler(LoginRequired, _login_required)
        app.add_exception_handler(NotAuthenticated, _not_authenticated)
        app.add_exception_handler(CsrfRefused, _csrf_refused)

    # -- the cookie ------------------------------------------------------------------------

    def _session_token(self, request: Request) -> str | None:
        """The raw session id from a well-signed, unexpired cookie."""
        value = request.cookies.get(SESSION_COOKIE)
        if not value:
            return None
        try:
            token = self.serializer.loads(value, max_age=self.service.session_hours * 3600)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def _set_cookie(self, response: Response, grant: SessionGrant) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.serializer.dumps(grant.token),
            max_age=self.service.session_hours * 3600,
            path="/",
            secure=self.cookie_secure,
            httponly=True,
            samesite="strict",
        )

    def _clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=self.cookie_secure, httponly=True, samesite="strict"
        )

    # -- dependencies ----------------------------------------------------------------------

    async def session_of(self, request: Request) -> SessionInfo | None:
        """The request's live session (read once per request, kept on request.state)."""
        state = request.state
        if getattr(state, "iru_session_read", False):
            found: SessionInfo | None = state.session
            return found
        token = self._session_token(request)
        info = await run_in_threadpool(self.service.session, token) if token else None
        state.session = info
        state.iru_session_read = True
        return info

    async def page_principal(self, request: Request) -> Principal:
        """A page's user, from the session; else :class:`LoginRequired`."""
        info = await self.session_of(request)
        if info is None:
            raise LoginRequired(_here(request))
        await self._check_csrf(request, info)
        request.state.principal = info.principal
        return info.principal

    async def api_principal(self, request: Request) -> Principal:
        """An API call's user: the bearer token, else the session; else 401 JSON."""
        if request.headers.get("authorization"):
            principal = await self._bearer(request)
            if principal is None:
                raise NotAuthenticated("invalid, revoked or malformed API token")
            request.state.principal = principal
            return principal
        info = await self.session_of(request)
        if info is None:
            raise NotAuthenticated("log in, or send Authorization: Bearer <API token>")
        await self._check_csrf(request, info)
        request.state.principal = info.principal
        return info.principal

    async def csrf_protect(self, request: Request) -> None:
        """Unsafe requests made with the session cookie must carry its CSRF token (header
        ``X-CSRF-Token`` or form field ``csrf_token``); bearer-token requests need none."""
        if request.method not in UNSAFE_METHODS:
            return
        if request.headers.get("authorization") and await self._bearer(request) is not None:
            return
        info = await self.session_of(request)
        if info is not None:
            await self._check_csrf(request, info)

    async def _bearer(self, request: Request) -> Principal | None:
        state = request.state
        if getattr(state, "iru_bearer_read", False):
            known: Principal | None = state.bearer_principal
            return known
        scheme, _, raw = request.headers.get("authorization", "").partition(" ")
        principal = None
        if scheme.lower() == "bearer" and raw.strip():
            principal = await run_in_threadpool(self.service.token_principal, raw.strip())
        state.bearer_principal = principal
        state.iru_bearer_read = True
        return principal

    async def _check_csrf(self, request: Request, info: SessionInfo) -> None:
        if request.method not in UNSAFE_METHODS or getattr(request.state, "iru_csrf_ok", False):
            return
        given = request.headers.get(CSRF_HEADER, "")
        content_type = request.headers.get("content-type", "")
        if not given and content_type.startswith(_FORM_TYPES):
            given = await _form_field(request, CSRF_FIELD)
        if not given or not hmac.compare_digest(given.encode(), info.csrf_token.encode()):
            raise CsrfRefused()
        request.state.iru_csrf_ok = True

    # -- the pages -------------------------------------------------------------------------

    def _form(
        self, request: Request, next_url: str, *, name: str = "", error: str = "", status: int = 200
    ) -> Response:
        context: dict[str, Any] = {"next": next_url, "name": name, "error": error}
        return self.templates.TemplateResponse(
            request, "login.html", context, status_code=status, headers=_NO_STORE
        )

    def _routes(self) -> APIRouter:
        router = APIRouter()

        @router.get("/login")
        async def login_page(
            request: Request, next_url: Annotated[str, Query(alias="next")] = "/"
        ) -> Response:
            target = safe_next(next_url)
            if await self.session_of(request) is not None:
                return RedirectResponse(target, status_code=303)
            return self._form(request, target)

        @router.post("/login")
        async def login(
            request: Request,
            name: Annotated[str, Form()] = "",
            password: Annotated[str, Form()] = "",
            next_url: Annotated[str, Form(alias="next")] = "/",
        ) -> Response:
            target = safe_next(next_url)
            if not same_origin(request):
                return self._form(
                    request, target, error="log-in from another site refused", status=403
                )
            try:
                grant = await run_in_threadpool(
                    self.service.login, name, password, client=client_of(request)
                )
            except LoginRefused as exc:
                return self._form(request, target, name=name, error=exc.message, status=401)
            old = self._session_token(request)
            if old:  # a session this browser had: end it
                await run_in_threadpool(self.service.logout, old)
            response = RedirectResponse(target, status_code=303)
            self._set_cookie(response, grant)
            return response

        @router.post("/logout", dependencies=[Depends(self.csrf_protect)])
        async def logout(request: Request) -> Response:
            token = self._session_token(request)
            if token:
                await run_in_threadpool(self.service.logout, token)
            response = RedirectResponse("/login", status_code=303)
            self._clear_cookie(response)
            return response

        return router


async def _form_field(request: Request, name: str) -> str:
    """A text field of the request's form, leaving the body readable for the route."""
    # Keep the body on the request, so the route can read it again; RuntimeError: FastAPI
    # has read it already, as the route's form (which it keeps).
    with contextlib.suppress(RuntimeError):
        await request.body()
    try:
        value = (await request.form()).get(name)
    except RuntimeError:
        return ""
    return value if isinstance(value, str) else ""


def _here(request: Request) -> str:
    """Where to come back to after log-in: this page, or for a form post the page it came
    from (htmx says which)."""
    if request.method in {"GET", "HEAD"}:
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    current = urlsplit(request.headers.get("hx-current-url", ""))
    return current.path or "/"


__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "CsrfRefused",
    "LoginRequired",
    "NotAuthenticated",
    "WebAuth",
    "client_of",
    "safe_next",
    "same_origin",
    "web_secret",
]
