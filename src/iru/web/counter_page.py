"""The counter-messaging page: audience segments, narratives and share of voice (aggregates).

``GET /counter`` shows what ``iru counter segments|narratives|share`` print, for any
logged-in user: counts, shares, the supporter hubs that reach each segment and the terms
its members meet most.
Account-level lists of the audience are not on the page; they stay behind the audited
``iru counter segments --accounts`` (analysts and supervisors). The analysis is cached
with the other read models (recomputed when detection writes new assessments).
"""

# No ``from __future__ import annotations``: FastAPI must see the route's real annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from iru.cases.access import Principal
from iru.engine.counter import CounterAnalysis
from iru.web.views import Views

__all__ = ["counter_context", "counter_router"]

SEGMENTS_SHOWN = 15
NARRATIVES_SHOWN = 10
TERMS_PER_LANGUAGE = 5
TERMS_PER_SEGMENT = 4


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def counter_context(analysis: CounterAnalysis) -> dict[str, Any]:
    """The page's context: plain values only (it is cached and rendered by Jinja2)."""
    data = analysis.data
    if not data.days:
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
        "chart": chart,
    }


def counter_router(views: Views, templates: Jinja2Templates, page_principal: Any) -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse)
    User = Annotated[Principal, Depends(page_principal)]

    def compute() -> dict[str, Any]:
        ws = views.ws
        analysis = CounterAnalysis(
            ws.database, ws.archive, window_days=ws.settings["graph_window_days"]
        )
        return counter_context(analysis)

    @router.get("/counter")
    def counter_page(request: Request, user: User) -> HTMLResponse:
        data = views.cached("counter", compute, ttl=120.0)
        session = getattr(request.state, "session", None)
        return templates.TemplateResponse(
            request,
            "counter.html",
            {
                "user": user,
                "csrf_token": getattr(session, "csrf_token", ""),
                "nav": "counter",
                "title": "Counter-messaging",
                "now_iso": views.clock().isoformat(),
                **data,
            },
        )

    return router
