"""The counter-messaging page: audience segments, narratives and share of voice (aggregates).

``GET /counter`` shows what ``iru counter segments|narratives|share`` print, for any
logged-in user: counts, shares, the supporter hubs that reach each segment and the terms
its members meet most.
Account-level lists of the audience are not on the page; they stay behind the audited
``iru counter segments --accounts`` (analysts and supervisors).

The analysis takes seconds to minutes on a real window, so it is never computed inside a
request: :func:`counter_background` computes it in a background thread once per data
version (:func:`iru.engine.readers.counter_version.counter_version`: the archive's generation,
assessments, labels, takedowns), started by the first visit or by :func:`iru.web.app.warm`.
The page answers at once with the last result — or, before the first one, says it is
being computed and polls itself (htmx) until it is there.
"""

# No ``from __future__ import annotations``: FastAPI must see the route's real annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from iru.cases.access import Principal
from iru.domain.jsonsafe import finite, is_undefined
from iru.engine.readers.background import Background
from iru.engine.readers.counter import CounterAnalysis
from iru.engine.readers.counter_version import counter_version
from iru.web.views import Views
from iru.workspace import Workspace

__all__ = ["POLL_SECONDS", "counter_background", "counter_context", "counter_router"]

#: How often the page asks again while the analysis is being computed.
POLL_SECONDS = 3

SEGMENTS_SHOWN = 15
NARRATIVES_SHOWN = 10
TERMS_PER_LANGUAGE = 5
TERMS_PER_SEGMENT = 4


def _percent(value: float | None) -> str:
    if value is None or is_undefined(value):
        return "—"
    return f"{value * 100:.1f}%"


def counter_context(analysis: CounterAnalysis | None) -> dict[str, Any]:
    """The page's context: plain values only (it is kept between requests and rendered by
    Jinja2); undefined figures are None (null in the chart's JSON). ``None``: the empty
    page (nothing computed yet)."""
    if analysis is None or not analysis.data.days:
        return {
            "window": None,
            "audience": 0,
            "segment_count": 0,
            "excluded": {},
            "segments": [],
            "narratives": [],
            "share": None,
            "chart": [],
        }
    data = analysis.data
    audience = analysis.audience
    report = analysis.share
    share_of = {s.segment: s for s in report.segments}

    def hub(index: int) -> dict[str, str]:
        platform, account_id = data.keys[index]
        return {"platform": platform, "account_id": account_id, "name": analysis.name(index)}

    narrative_report = analysis.narratives

    def told(segment_id: str, language: str) -> list[str]:
        texts: list[str] = []
        for key, _ in narrative_report.towards.get(segment_id, []):
            term = narrative_report.term(key, language)
            if term is not None and term.text not in texts:
                texts.append(term.text)
            if len(texts) == TERMS_PER_SEGMENT:
                break
        return texts

    segments = []
    for s in audience.segments[:SEGMENTS_SHOWN]:
        sv = share_of.get(s.id)
        segments.append(
            {
                "id": s.id,
                "language": s.language,
                "platform": s.platform,
                "size": s.size,
                "share": _percent(s.share),
                "trend": s.trend,
                "routes": ", ".join(f"{r} {n}" for r, n in s.routes.items()),
                "hubs": [{**hub(h), "members": m} for h, m in s.top_hubs[:3]],
                "hashtags": [f"#{t}" for t, _ in s.top_hashtags[:3]],
                "told": told(s.id, s.language),
                "voice": _percent(sv.share if sv else None),
                "before": _percent(sv.share_before if sv else None),
                "after": _percent(sv.share_after if sv else None),
                "takedowns": sv.takedowns if sv else 0,
            }
        )
    narratives = []
    for n in narrative_report.narratives[:NARRATIVES_SHOWN]:
        per_language: dict[str, list[str]] = {}
        for t in n.terms:
            per_language.setdefault(t.language, []).append(t.text)
        narratives.append(
            {
                "id": n.id,
                "label": n.label,
                "anchors": n.anchors,
                "terms": [
                    {"language": lang, "terms": terms[:TERMS_PER_LANGUAGE]}
                    for lang, terms in sorted(per_language.items())
                ],
                "exposure": n.exposure,
                "trend": n.trend,
            }
        )
    o = report.overall
    chart = [
        {
            "day": day.isoformat(),
            "propaganda": o.propaganda[k],
            "counter": o.counter[k],
            "share": o.daily_share[k],
        }
        for k, day in enumerate(report.days)
    ]
    return {
        "window": {"first": data.days[0].isoformat(), "last": data.days[-1].isoformat()},
        "audience": int(audience.audience.sum()),
        "segment_count": len(audience.segments),
        "excluded": audience.excluded,
        "segments": segments,
        "narratives": narratives,
        "share": {
            "overall": _percent(o.share),
            "before": _percent(o.share_before),
            "after": _percent(o.share_after),
            "takedowns": o.takedowns,
            "counter_accounts": len(analysis.counter_speech),
        },
        "chart": finite(chart),  # a day without exposures has no share: null, not NaN
    }


def counter_background(ws: Workspace, *, check_seconds: float = 1.0) -> Background[dict[str, Any]]:
    """The page's context, computed off the request path once per data version."""

    def compute() -> dict[str, Any]:
        analysis = CounterAnalysis(
            ws.database, ws.archive, window_days=ws.settings["graph_window_days"]
        )
        return counter_context(analysis)

    return Background(
        "counter",
        compute,
        lambda: counter_version(ws.database, ws.archive),
        check_seconds=check_seconds,
    )


def counter_router(
    views: Views,
    templates: Jinja2Templates,
    page_principal: Any,
    background: Background[dict[str, Any]] | None = None,
) -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse)
    User = Annotated[Principal, Depends(page_principal)]
    analysis = background if background is not None else counter_background(views.ws)

    @router.get("/counter")
    def counter_page(request: Request, user: User) -> HTMLResponse:
        snap = analysis.snapshot()  # never computes here: a background thread does
        session = getattr(request.state, "session", None)
        state = {
            "ready": snap.value is not None,
            "current": snap.current,
            "computing": snap.computing,
            "error": snap.error,
            "computed_at": snap.computed_at.strftime("%Y-%m-%d %H:%M UTC")
            if snap.computed_at
            else None,
            "compute_seconds": round(snap.seconds) if snap.seconds is not None else None,
            "poll_seconds": POLL_SECONDS,
        }
        return templates.TemplateResponse(
            request,
            "counter.html",
            {
                "user": user,
                "csrf_token": getattr(session, "csrf_token", ""),
                "nav": "counter",
                "title": "Counter-messaging",
                "now_iso": views.clock().isoformat(),
                **(snap.value or counter_context(None)),
                "analysis": state,
            },
        )

    return router
