"""The workbench application: FastAPI with the pages, the JSON API, log-in and callbacks.

:func:`create_app` wires one workspace: the account index for fast page reads, the read
models, the authentication layer, static files (vendored, no CDN), security headers
(a strict Content-Security-Policy: scripts and styles from this origin only), error pages
that name the refused action and nothing of the case, and — when ``dispatch_seconds`` is
set — the dispatcher thread that delivers referrals and reads the platforms' answers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from iru.cases.access import PermissionDenied
from iru.engine.readers.account_index import AccountIndex
from iru.engine.services.auth import AuthService
from iru.engine.services.dispatcher import Dispatcher
from iru.engine.services.referrals import EventTimeError, ReferralError
from iru.web.api import api_router
from iru.web.callbacks import callback_router
from iru.web.counter_page import counter_background, counter_router
from iru.web.guards import Guard, route_of, validation_message
from iru.web.inline_csp import api_docs_router
from iru.web.insights import Insights
from iru.web.pages import act, pages_router
from iru.web.security import WebAuth, web_secret
from iru.web.views import Views, now_utc, path_segment
from iru.workspace import Workspace

LOG = logging.getLogger("iru.web")
HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
#: Set on every answer that does not set its own (HTML answers get ``no-store`` too).
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def templates_for() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.auto_reload = False  # templates change with the code: no stat per render
    templates.env.globals["static"] = lambda path: f"/static/{path}"
    templates.env.filters["pathseg"] = path_segment
    return templates


def create_app(
    ws: Workspace,
    *,
    clock: Callable[[], datetime] = now_utc,
    dispatch_seconds: float | None = None,
) -> FastAPI:
    """The workbench over one workspace (its database migrated, its archive as it is)."""
    # Rebuilt in the background when the archive changes: pages never wait for it.
    index = AccountIndex(ws.archive, ws.root / "cache" / "account-index.duckdb", background=True)
    views = Views(ws, index, clock)
    insights = Insights(views)
    templates = templates_for()
    views.renderer = lambda name, context: templates.env.get_template(name).render(**context)
    auth = WebAuth(
        AuthService(ws.database, session_hours=ws.settings["session_hours"]),
        web_secret(str(ws.settings["web_secret"]), ws.root),
        cookie_secure=bool(ws.settings["cookie_secure"]),
        templates=templates,
    )
    interval = ws.settings["dispatch_seconds"] if dispatch_seconds is None else dispatch_seconds
    dispatcher = Dispatcher(ws, interval) if interval else None
    counter = counter_background(ws)  # computed off the request path, per data version

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if dispatcher is not None:
            dispatcher.start()
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()
            counter.close()
            views.close()  # writes the audited reads still buffered
            index.close()

    app = FastAPI(
        title="iru workbench",
        version="1",
        docs_url=None,  # served below from the vendored Swagger UI, not FastAPI's CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.views = views
    app.state.insights = insights
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    auth.install(app)
    # The OpenAPI document describes the JSON API only: pages answer HTML.
    app.include_router(auth.router, include_in_schema=False)
    app.include_router(api_docs_router("/api/openapi.json", "iru workbench"))
    app.include_router(
        pages_router(views, insights, templates, auth.page_principal, auth.csrf_protect),
        include_in_schema=False,
    )
    app.state.counter = counter
    app.include_router(
        counter_router(views, templates, auth.page_principal, counter), include_in_schema=False
    )
    app.include_router(
        api_router(
            views,
            insights,
            auth.api_principal,
            auth.csrf_protect,
            lambda *args, **kwargs: act(views, *args, **kwargs),
        )
    )
    secret = str(ws.settings["callback_secret"])
    if secret:
        service = ws.referral_service()
        app.include_router(callback_router(service, secret, clock))

    def wants_json(request: Request) -> bool:
        return (
            request.url.path.startswith("/api/")
            or "application/json" in request.headers.get("accept", "").split(",")[0]
        )

    def problem(request: Request, status: int, message: str) -> Response:
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        session = getattr(request.state, "session", None)
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "user": getattr(session, "principal", None),
                "csrf_token": getattr(session, "csrf_token", ""),
                "nav": "",
                "title": f"{status}",
                "now_iso": clock().isoformat(),
                "status": status,
                "message": message,
            },
            status_code=status,
        )

    @app.exception_handler(PermissionDenied)
    async def forbidden(request: Request, exc: PermissionDenied) -> Response:
        return problem(request, 403, f"forbidden: {exc}")

    @app.exception_handler(LookupError)
    async def missing(request: Request, exc: LookupError) -> Response:
        return problem(request, 404, str(exc).strip("'\""))

    @app.exception_handler(ReferralError)
    async def conflict(request: Request, exc: ReferralError) -> Response:
        return problem(request, 409, str(exc))

    @app.exception_handler(EventTimeError)
    async def impossible_time(request: Request, exc: EventTimeError) -> Response:
        return problem(request, 422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        message, problems = validation_message(exc.errors())
        if wants_json(request):  # "detail" as FastAPI's schema for 422 declares it
            return JSONResponse({"error": message, "detail": problems}, status_code=422)
        return problem(request, 422, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # The last line: logged with the route's pattern (no ids), answered without detail.
        LOG.error("unhandled %s on %s %s", type(exc).__name__, request.method, route_of(request))
        return problem(request, 500, "internal error; it has been logged")

    app.add_middleware(
        Guard,
        refuse=lambda request: problem(request, 400, "the request holds a NUL character"),
        headers=SECURITY_HEADERS,
        after_write=views.changed,  # a write: the next read looks at the data's versions
    )

    return app


#: How often a serving process checks whether the counter analysis's data changed.
COUNTER_WATCH_SECONDS = 30.0


def warm(app: FastAPI, *, counter: bool = True) -> None:
    """Build the account index, the queue, the network and the pages of the top of the
    queue (:meth:`iru.web.views.Views.prepare`) before the first visitor waits;
    with ``counter``, start computing the counter analysis in the background and recompute
    it whenever its data changes (checked every ``COUNTER_WATCH_SECONDS``)."""
    from iru.cases.access import Principal, Role

    views = app.state.views
    if counter:
        app.state.counter.watch(COUNTER_WATCH_SECONDS)
    cursor = views.index.connection()
    cursor.close()
    views.version()  # starts building the read models of this data version
    views.wait_prepared()
    app.state.insights.network(Principal("warm-up", Role.ANALYST, "-"))


def app_from_environment() -> FastAPI:
    """The app of one uvicorn worker process (``iru serve --workers N``): the workspace and
    database come from ``IRU_WORKSPACE``/``IRU_DATABASE_URL``; the dispatcher runs in the
    parent process, never in the workers."""
    from iru.config import load_settings

    app = create_app(Workspace(load_settings()), dispatch_seconds=0)
    warm(app)
    return app


__all__ = [
    "CSP",
    "STATIC",
    "TEMPLATES",
    "app_from_environment",
    "create_app",
    "templates_for",
    "warm",
]
