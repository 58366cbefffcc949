"""The JSON API under ``/api/v1`` (OpenAPI at ``/api/openapi.json``): the pages' data for scripts.

Authenticated by an API token (``Authorization: Bearer iru_…``, from ``iru tokens create``)
or a session cookie (then unsafe methods need the CSRF header). The same read models and
services as the pages, so the same permissions and audit events.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, Field

from iru.cases.access import Principal
from iru.web.insights import Insights
from iru.web.params import MAX_HOLD_DAYS, DatabaseId, PageNumber, WarnMinutes
from iru.web.views import Views


class DecisionIn(BaseModel):
    decision: Literal["refer", "dismiss", "monitor", "hold", "approve"]
    reason: str = Field(default="", description="Why; required for every decision but approve.")
    hold_days: int = Field(default=30, ge=1, le=MAX_HOLD_DAYS)
    label: Literal["not_supporter", "counter_speech"] | None = Field(
        default=None,
        description="With dismiss only: the training label it gives (default not_supporter); "
        "counter_speech for an account that speaks against the propaganda.",
    )


class StatusIn(BaseModel):
    status: Literal[
        "received", "clarification", "clarification_received", "removed", "rejected", "restored"
    ]
    detail: str = ""
    at: AwareDatetime | None = Field(
        default=None,
        description="When the platform answered: ISO 8601 with a time zone, from 2000-01-01 "
        "to a day after now (default: now).",
    )


class WhatIfIn(BaseModel):
    accounts: list[str] = Field(description="Accounts as PLATFORM:ACCOUNT_ID.")


class ErrorOut(BaseModel):
    """A refusal: ``error`` (or FastAPI's ``detail``) says why."""

    error: str | None = None
    detail: Any = None


# Every route may refuse: documented, so clients (and schemathesis) know the answers.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": why}
    for status, why in (
        (400, "the request cannot be carried out (a decision without its reason, say)"),
        (401, "no valid API token or session"),
        (403, "the role may not do this, or the CSRF token is missing"),
        (404, "no such account, case or referral"),
        (409, "refused by the case or referral workflow"),
    )
}


def api_router(
    views: Views, insights: Insights, api_principal: Any, csrf_protect: Any, act: Any
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["iru"], responses=ERROR_RESPONSES)
    User = Annotated[Principal, Depends(api_principal)]

    @router.get("/queue")
    def queue(  # noqa: PLR0917 - query parameters
        user: User,
        platform: str = "",
        language: str = "",
        sort: str = "priority",
        dir: str = "desc",
        page: PageNumber = 1,
    ) -> dict[str, Any]:
        return views.queue(
            user, platform=platform, language=language, sort=sort, order=dir, page=page
        )

    @router.get("/accounts/{platform}/{account_id:path}/graph")
    def graph(user: User, platform: str, account_id: str) -> dict[str, Any]:
        return views.graph(user, platform, account_id)

    @router.post(
        "/accounts/{platform}/{account_id:path}/decisions", dependencies=[Depends(csrf_protect)]
    )
    def decide(user: User, platform: str, account_id: str, body: DecisionIn) -> dict[str, Any]:
        message, error = act(
            user,
            platform,
            account_id,
            body.decision,
            body.reason,
            body.hold_days,
            label=body.label,
        )
        if error:
            from fastapi import HTTPException

            raise HTTPException(status_code=409 if "refused" in error else 400, detail=error)
        return {"message": message}

    @router.get("/accounts/{platform}/{account_id:path}")
    def account(user: User, platform: str, account_id: str) -> dict[str, Any]:
        data = views.account(user, platform, account_id)
        community, bridges = insights.community_of(platform, account_id)
        return {**data, "community": community, "bridges": bridges}

    @router.get("/cases/{case_id}")
    def case(user: User, case_id: DatabaseId) -> dict[str, Any]:
        return insights.case(user, case_id)

    @router.get("/referrals")
    def referrals(user: User, status: str | None = None) -> list[dict[str, Any]]:
        rows = views.ws.referral_service().listing(user, (status,) if status else None)
        return [
            {
                "reference": r.reference,
                "kind": r.kind,
                "platform": r.platform,
                "account_id": r.account_id,
                "status": r.status,
                "ticket": r.ticket,
                "created_at": r.created_at,
                "received_at": r.received_at,
                "closed_at": r.closed_at,
            }
            for r in rows
        ]

    @router.get("/referrals/{reference}")
    def referral(user: User, reference: str) -> dict[str, Any]:
        return insights.referral(user, reference)

    @router.post("/referrals/{reference}/status", dependencies=[Depends(csrf_protect)])
    def referral_status(user: User, reference: str, body: StatusIn) -> dict[str, Any]:
        now = datetime.now(UTC)
        row = views.ws.referral_service().record_status(
            user, reference, body.status, at=body.at or now, detail=body.detail, now=now
        )
        return {"reference": row.reference, "status": row.status}

    @router.get("/deadlines")
    def deadlines(user: User, warn_minutes: WarnMinutes = 15) -> list[dict[str, Any]]:
        found = views.ws.referral_service().deadlines(
            user, views.clock(), timedelta(minutes=warn_minutes)
        )
        return [
            {
                "reference": d.referral.reference,
                "kind": d.referral.kind,
                "clock": d.clock.status,
                "due_at": d.clock.due_at,
                "alerts": [a.message for a in d.alerts],
            }
            for d in found
        ]

    @router.get("/dashboard")
    def dashboard(user: User) -> dict[str, Any]:
        return insights.dashboard(user)

    @router.get("/network")
    def network(user: User) -> dict[str, Any]:
        return insights.network(user)

    @router.post("/network/what-if", dependencies=[Depends(csrf_protect)])
    def whatif(user: User, body: WhatIfIn) -> dict[str, Any]:
        chosen = [tuple(a.split(":", 1)) for a in body.accounts if ":" in a]
        return insights.whatif(user, chosen)  # type: ignore[arg-type]

    @router.get("/audit")
    def audit(
        user: User, page: PageNumber = 1, subject: str = "", action: str = ""
    ) -> dict[str, Any]:
        return insights.audit(user, page=page, subject=subject, action=action)

    return router


__all__ = ["api_router"]
