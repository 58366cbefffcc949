"""The workbench's HTML pages (Jinja2 + htmx); every route needs a logged-in session.

Reads come from :mod:`iru.web.views` and :mod:`iru.web.insights`; actions call the same
case and referral services as the command line, so permissions and audit are the same.
htmx requests (header ``HX-Request``) get the fragment they swap; plain requests get the
whole page, so the pages also work without JavaScript.

The parts of a page that depend on the data and not on the reader (the queue's rows,
an account's profile and posts) are rendered once per data version, parameters and
reader's scope and kept (:attr:`iru.web.views.Views.fragments`); the page around them
(the reader's name, the CSRF token, the decision panel) is rendered per request.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from iru.cases.access import PermissionDenied, Principal
from iru.cases.holds import HoldError
from iru.engine.readers.media import file_in
from iru.engine.services.cases import Deconflicted, UnknownAccount, training_label
from iru.engine.services.referrals import ReferralError, open_referral
from iru.engine.services.targets import TargetNotFound
from iru.web.inline_csp import package_csp
from iru.web.insights import Insights
from iru.web.params import DatabaseId, HoldDays, PageNumber
from iru.web.views import ACCOUNT_MAIN, Views, path_segment

DECISION_BUTTONS = ("refer", "dismiss", "monitor", "hold", "approve")


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request", "").lower() == "true"


def pages_router(
    views: Views,
    insights: Insights,
    templates: Jinja2Templates,
    page_principal: Any,
    csrf_protect: Any,
) -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse)
    User = Annotated[Principal, Depends(page_principal)]

    def render(
        request: Request, name: str, principal: Principal, nav: str, title: str, **context: Any
    ) -> HTMLResponse:
        session = getattr(request.state, "session", None)
        return templates.TemplateResponse(
            request,
            name,
            {
                "user": principal,
                "csrf_token": getattr(session, "csrf_token", ""),
                "nav": nav,
                "title": title,
                "now_iso": views.clock().isoformat(),
                **context,
            },
        )

    def fragment(key: Any, name: str, context: dict[str, Any]) -> Markup:
        """Template ``name`` rendered with ``context``, once per ``key`` (which must name
        everything the rendering depends on, the reader's scope included)."""
        return Markup(views.fragment(name, key, context))  # rendered with autoescape

    @router.get("/")
    def dashboard(request: Request, user: User) -> HTMLResponse:
        return render(
            request, "dashboard.html", user, "dashboard", "Dashboard", **insights.dashboard(user)
        )

    @router.get("/queue")
    @router.get("/queue/rows")
    def queue(  # noqa: PLR0917 - the page's query parameters
        request: Request,
        user: User,
        platform: str = "",
        language: str = "",
        sort: str = "priority",
        dir: str = "desc",
        page: PageNumber = 1,
    ) -> HTMLResponse:
        """The queue page; its rows alone for htmx and for ``/queue/rows``."""
        data, key = views.queue_view(
            user, platform=platform, language=language, sort=sort, order=dir, page=page
        )
        rows_html = fragment(key, "queue_rows.html", data)
        if _htmx(request) or request.url.path.endswith("/rows"):
            return HTMLResponse(rows_html)
        return render(
            request, "queue.html", user, "queue", "Triage queue", **data, rows_html=rows_html
        )

    def account_context(user: Principal, platform: str, account_id: str) -> dict[str, Any]:
        data, key = views.account_view(user, platform, account_id)
        community, bridges = insights.community_of(platform, account_id)
        base = f"/accounts/{path_segment(platform)}/{path_segment(account_id)}"
        return {
            **data,
            "main_html": fragment(key, ACCOUNT_MAIN, data),
            "community": community,
            "bridges": bridges,
            "graph_url": f"{base}/graph.json",
            "decide_url": f"{base}/decide",
            "message": None,
            "error": None,
        }

    @router.get("/accounts/{platform}/{account_id:path}/graph.json")
    def graph(user: User, platform: str, account_id: str) -> Response:
        content = views.graph_json(user, platform, account_id)
        return Response(content, media_type="application/json")

    @router.post(
        "/accounts/{platform}/{account_id:path}/decide", dependencies=[Depends(csrf_protect)]
    )
    def decide(  # noqa: PLR0917 - the form's fields
        request: Request,
        user: User,
        platform: str,
        account_id: str,
        decision: Annotated[str, Form()],
        reason: Annotated[str, Form()] = "",
        hold_days: Annotated[HoldDays, Form()] = 30,
        counter_speech: Annotated[bool, Form()] = False,
    ) -> Response:
        message, error = act(
            views,
            user,
            platform,
            account_id,
            decision,
            reason,
            hold_days,
            label="counter_speech" if counter_speech else None,
        )
        context = account_context(user, platform, account_id)
        context |= {"message": message, "error": error}
        if _htmx(request):
            response = render(request, "decision_panel.html", user, "queue", "", **context)
        else:
            response = render(request, "account.html", user, "queue", "Account", **context)
        if error:
            response.status_code = 409 if "refused" in error else 400
        return response

    @router.get("/accounts/{platform}/{account_id:path}")
    def account(request: Request, user: User, platform: str, account_id: str) -> HTMLResponse:
        context = account_context(user, platform, account_id)
        title = context["account"].get("handle") or account_id
        return render(request, "account.html", user, "queue", f"Account {title}", **context)

    @router.get("/cases/{case_id}")
    def case(request: Request, user: User, case_id: DatabaseId) -> HTMLResponse:
        return render(
            request, "case.html", user, "", f"Case {case_id}", **insights.case(user, case_id)
        )

    @router.get("/referrals/{reference}")
    def referral(request: Request, user: User, reference: str) -> HTMLResponse:
        data = insights.referral(user, reference)
        return render(request, "referral.html", user, "", f"Referral {reference}", **data)

    @router.get("/referrals/{reference}/package.html")
    def package(user: User, reference: str) -> HTMLResponse:
        data = insights.referral(user, reference)
        if not data["html_sha256"]:
            raise LookupError(f"{reference} has no package yet")
        page = views.ws.evidence_store().get(data["html_sha256"]).decode()
        # Stored as one self-contained file (its hash is its address): its inline style is
        # allowed by hash, and no script at all.
        return HTMLResponse(page, headers={"Content-Security-Policy": package_csp(page)})

    @router.post("/referrals/{reference}/status", dependencies=[Depends(csrf_protect)])
    def referral_status(
        request: Request,
        user: User,
        reference: str,
        status: Annotated[str, Form()],
        detail: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        now = datetime.now(UTC)
        error = None
        try:
            views.ws.referral_service().record_status(
                user, reference, status, at=now, detail=detail, now=now
            )
        except (ReferralError, LookupError) as exc:
            error = str(exc)
        data = insights.referral(user, reference)
        response = render(
            request, "referral.html", user, "", f"Referral {reference}", error=error, **data
        )
        if error:
            response.status_code = 409
        return response

    @router.get("/approvals")
    def approvals(request: Request, user: User) -> HTMLResponse:
        return render(
            request, "approvals.html", user, "approvals", "Approvals", **insights.approvals(user)
        )

    @router.get("/network")
    def network(request: Request, user: User) -> HTMLResponse:
        return render(request, "network.html", user, "network", "Network", **insights.network(user))

    @router.post("/network/what-if", dependencies=[Depends(csrf_protect)])
    async def whatif(request: Request, user: User) -> HTMLResponse:
        form = await request.form()
        chosen = []
        for value in form.getlist("account"):
            platform, _, account_id = str(value).partition(":")
            if account_id:
                chosen.append((platform, account_id))
        data = insights.whatif(user, chosen)
        if _htmx(request):
            return render(request, "whatif.html", user, "network", "", **data)
        return render(
            request, "network.html", user, "network", "Network", **(insights.network(user) | data)
        )

    @router.get("/audit")
    def audit(
        request: Request, user: User, page: PageNumber = 1, subject: str = "", action: str = ""
    ) -> HTMLResponse:
        data = insights.audit(user, page=page, subject=subject, action=action)
        return render(request, "audit.html", user, "audit", "Audit log", **data)

    @router.get("/media/{path:path}", include_in_schema=False)
    def media_file(user: User, path: str) -> Response:
        """The unit's copy of a media item (only files under the media folder)."""
        from fastapi.responses import FileResponse

        target = file_in(views.ws.media_dir, path)
        if target is None:  # the same answer for a missing file as for one outside
            raise LookupError("no such media file")
        return FileResponse(target, headers={"Cache-Control": "private, max-age=3600"})

    @router.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    return router


def act(  # noqa: PLR0917 - a decision's fields
    views: Views,
    user: Principal,
    platform: str,
    account_id: str,
    decision: str,
    reason: str,
    hold_days: int,
    *,
    label: str | None = None,
) -> tuple[str | None, str | None]:
    """Record a decision (or approve a referral); returns (message, error).

    ``label`` is the training label a dismissal gives (``counter_speech``, say); any other
    decision with a label is refused, as the case service refuses it.
    """
    now = datetime.now(UTC)
    if decision not in DECISION_BUTTONS:
        return None, f"unknown decision {decision!r}"
    views.flush_reads()  # the reads that led to the decision come before it in the log
    try:
        if decision == "approve":
            if label is not None:
                training_label(decision, label)  # raises: a label goes with dismiss only
            result = views.cases.approve(user, platform, account_id, now)
        else:
            result = views.cases.decide(
                user,
                platform,
                account_id,
                decision=decision,
                reason=reason,
                now=now,
                hold_until=now + timedelta(days=hold_days) if decision == "hold" else None,
                label=label,
            )
    except Deconflicted as exc:
        return None, f"refused: {exc}"
    except (PermissionDenied, UnknownAccount):
        raise  # 403 / 404 through the app's error handlers (docs/web.md)
    except (HoldError, LookupError, ValueError) as exc:
        return None, str(exc)
    views.changed()  # the queue leaves the account out from the next read on
    message = f"case {result.case_id}: {result.status}"
    if result.label is not None:
        message += f"; training label {result.label}"
    if result.repeated:
        message += " (this decision stands already: nothing recorded again)"
    if result.status == "referred":
        queued = open_referral(views.ws.referral_service(), result.case_id)
        if result.repeated and queued is not None:  # a retry after the package was built
            return f"{message}; referral {queued} queued already", None
        try:
            row = views.ws.referral_service().create(
                user, platform, account_id, now=now, connector=views.ws.connector_name()
            )
        except (ReferralError, TargetNotFound, PermissionDenied, ValueError) as exc:
            return message, f"the referral package could not be built: {exc}"
        message += f"; referral {row.reference} queued for delivery"
    return message, None


__all__ = ["act", "pages_router"]
