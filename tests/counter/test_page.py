"""The counter-messaging page: its template with a synthetic context, and the route."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from iru.cases.access import Principal, Role
from iru.web.app import TEMPLATES, templates_for
from iru.web.counter_page import counter_background, counter_router

from ..conftest import open_workspace

ANALYST = Principal("amira.k", Role.ANALYST, "iru-berlin")
XSS = "<script>alert(1)</script>"


class StubViews:
    """What the router uses of the workbench's Views: the workspace and a clock."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def clock(self) -> datetime:
        return datetime(2025, 1, 7, 10, tzinfo=UTC)


def context() -> dict[str, Any]:
    return {
        "user": ANALYST,
        "csrf_token": "tok",
        "nav": "counter",
        "title": "Counter-messaging",
        "now_iso": "2025-01-07T10:00:00+00:00",
        "window": {"first": "2025-01-05", "last": "2025-01-07"},
        "audience": 42,
        "segment_count": 2,
        "excluded": {"watchers": 3, "counter_speech": 1, "producers": 2},
        "segments": [
            {
                "id": "ar/twitter/c1",
                "language": "ar",
                "platform": "twitter",
                "size": 30,
                "share": "71.4%",
                "trend": 0.2,
                "routes": "follow 30, repost 4",
                "hubs": [{"platform": "twitter", "account_id": "1/2", "name": XSS, "members": 9}],
                "hashtags": ["#وسم_تجريبي"],
                "told": ["ميديا ألفا", "alpha-*"],
                "voice": "0.3%",
                "before": "0.2%",
                "after": "0.5%",
                "takedowns": 1,
            }
        ],
        "narratives": [
            {
                "id": 1,
                "label": "alpha-* · Alpha Voice",
                "anchors": ["alpha-*"],
                "terms": [
                    {"language": "ar", "terms": ["صوت ألفا"]},
                    {"language": "en", "terms": [XSS]},
                ],
                "exposure": 1234.0,
                "trend": -0.3,
            }
        ],
        "share": {
            "overall": "0.3%",
            "before": "0.2%",
            "after": "0.5%",
            "takedowns": 1,
            "counter_accounts": 2,
        },
        "chart": [{"day": "2025-01-05", "propaganda": 10.0, "counter": 1.0, "share": 0.0909}],
        "analysis": {
            "ready": True,
            "current": True,
            "computing": False,
            "error": None,
            "computed_at": "2025-01-07 09:58 UTC",
            "compute_seconds": 12,
            "poll_seconds": 3,
        },
    }


def test_template_renders_escaped_with_the_chart_data() -> None:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined
    )
    env.globals["static"] = lambda path: f"/static/{path}"
    env.filters["pathseg"] = lambda value: str(value).replace("/", "%2F")
    html = env.get_template("counter.html").render(context())
    assert XSS not in html and "&lt;script&gt;" in html
    assert 'data-chart="share"' in html and "/static/vendor/chart.umd.min.js" in html
    assert "release series: <bdi>alpha-*</bdi>" in html
    assert "<bdi>ميديا ألفا</bdi>, <bdi>alpha-*</bdi>" in html
    found = re.search(r'id="chart-share">(.*?)</script>', html, re.S)
    assert found is not None and json.loads(found.group(1))[0]["counter"] == 1.0
    assert "/accounts/twitter/1%2F2" in html and "--accounts" in html
    assert "0.2% before, 0.5% after" in html


def test_route_on_an_empty_workspace(tmp_path: Path) -> None:
    ws = open_workspace(tmp_path / "ws")
    views = StubViews(ws)
    analysis = counter_background(ws)
    app = FastAPI()
    app.include_router(counter_router(views, templates_for(), lambda: ANALYST, analysis))  # type: ignore[arg-type]
    try:
        with TestClient(app) as client:
            first = client.get("/counter")  # answered at once; computed in the background
            assert analysis.wait(60).current
            page = client.get("/counter")
    finally:
        analysis.close()
        ws.close()
    assert first.status_code == 200 and 'data-state="pending"' in first.text
    assert page.status_code == 200, page.text
    assert "Nothing to show yet" in page.text and 'data-state="current"' in page.text
