"""The counter-messaging page: audience segments, narratives and share of voice (aggregates).

``GET /counter`` shows what ``iru counter segments|narratives|share`` print, for any
logged-in user: counts, shares, the supporter hubs that reach each segment and the terms
its members meet most: the rows of :class:`iru.engine.readers.counter_rows.CounterRows`,
the read model the CLI prints. Account-level lists of the audience are not on the page; they stay behind the audited
``iru counter segments --accounts`` (analysts and supervisors).

The analysis takes seconds to minutes on a real window, so it is never computed inside a
request: :func:`counter_background` computes it in a background thread once per data
version (:func:`iru.engine.readers.counter_version.counter_version`: the archive's generation,
assessments, labels, takedowns), started by the first visit or by :func:`iru.web.app.warm`.
It shares the workspace's counter cache with ``iru counter`` (:mod:`iru.engine.readers.counter_cache`):
what either computed for the same data is read back in a fraction of a second, so a
restarted workbench shows the analysis at once. The page answers at once with the last
result — or, before the first one, says it is being computed and polls itself (htmx)
until it is there.
"""

# No ``from __future__ import annotations``: FastAPI must see the route's real annotations.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from iru.cases.access import Principal
from iru.domain.jsonsafe import finite, is_undefined
from iru.engine.readers.background import Background
from iru.engine.readers.counter_rows import CounterRows, plain
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


def counter_context(rows: CounterRows | None) -> dict[str, Any]:
    """The page's context: plain values only (it is kept between requests and rendered by
    Jinja2); undefined figures are None (null in the chart's JSON). ``None``: the empty
    page (nothing computed yet)."""
    if rows is None or rows.window is None:
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
    first, last = rows.window
    overall, *per_segment = rows.share()
    share_of = {s.segment: s for s in per_segment}
    segments = []
    for s in rows.segments()[:SEGMENTS_SHOWN]:
        sv = share_of.get(s.id)
        segments.append(
            {
                "id": s.id,
                "language": s.language,
                "platform": s.platform,
                "size": s.size,
                "share": _percent(s.share),
                "trend": s.trend,
                "routes": ", ".join(f"{r} {n}" for r, n in s.routes),
                "hubs": [plain(h) for h in s.hubs[:3]],
                "hashtags": [f"#{t}" for t, _ in s.hashtags[:3]],
                "told": rows.told(s, TERMS_PER_SEGMENT),
                "voice": _percent(sv.share if sv else None),
                "before": _percent(sv.share_before if sv else None),
                "after": _percent(sv.share_after if sv else None),
                "takedowns": sv.takedowns if sv else 0,
            }
        )
    narratives = [
        {
            "id": n.id,
            "label": n.label,
            "anchors": n.anchors,
            "terms": [
                {"language": lang, "terms": terms[:TERMS_PER_LANGUAGE]}
                for lang, terms in sorted(n.terms)
            ],
            "exposure": n.exposure,
            "trend": n.trend,
        }
        for n in rows.narratives()[:NARRATIVES_SHOWN]
    ]
    chart = [
        {
            "day": d.day.isoformat(),
            "propaganda": d.propaganda,
            "counter": d.counter,
            "share": d.share,
        }
        for d in rows.daily(overall_only=True)
    ]
    return {
        "window": {"first": first.isoformat(), "last": last.isoformat()},
        "audience": rows.audience_size,
        "segment_count": rows.segment_count,
        "excluded": rows.excluded,
        "segments": segments,
        "narratives": narratives,
        "share": {
            "overall": _percent(overall.share),
            "before": _percent(overall.share_before),
            "after": _percent(overall.share_after),
            "takedowns": overall.takedowns,
            "counter_accounts": rows.counter_accounts,
        },
        "chart": finite(chart),  # a day without exposures has no share: null, not NaN
    }


def counter_background(ws: Workspace, *, check_seconds: float = 1.0) -> Background[dict[str, Any]]:
    """The page's context, computed off the request path once per data version."""

    def compute() -> dict[str, Any]:
        analysis = ws.counter_analysis()
        cache = ws.counter_cache(analysis)  # what `iru counter` or an earlier run computed
        cache.load()
        try:
            return counter_context(CounterRows(analysis))
        finally:
            cache.save()  # what this run computed, for the next run and the CLI

    return Background("counter", compute, ws.counter_version, check_seconds=check_seconds)


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
