"""The workbench's templates render their contexts safely: escaping, directions, paths, roles.

Every template is rendered with realistic synthetic contexts through a plain Jinja2
environment set up like the app's (autoescape, the `static` global, the `pathseg` filter),
with StrictUndefined so that a template naming a key its context lacks fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

WEB = Path(__file__).resolve().parents[2] / "src" / "iru" / "web"
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
MINE = (
    "base",
    "dashboard",
    "queue",
    "queue_rows",
    "account",
    "decision_panel",
    "case",
    "referral",
    "network",
    "whatif",
    "audit",
    "approvals",
    "error",
)

CSRF = "tok-3f9a_b2"
ARABIC = "نص تجريبي للاختبار"
XSS = "<script>alert(1)</script>"
NOW = "2025-01-07T10:00:00+00:00"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    unit: str


ANALYST = User("amira.k", "analyst", "iru-berlin")
SUPERVISOR = User("sam.o", "supervisor", "iru-berlin")
AUDITOR = User("ada.v", "auditor", "iru-berlin")


def _static(path: str) -> str:
    return f"/static/{path}"


def _pathseg(value: object) -> str:
    return quote(str(value), safe="")


@pytest.fixture(scope="module")
def env() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined
    )
    environment.globals["static"] = _static
    environment.filters["pathseg"] = _pathseg
    return environment


def _base(user: User | None = ANALYST, nav: str = "", title: str = "Page") -> dict[str, Any]:
    return {"user": user, "csrf_token": CSRF, "nav": nav, "title": title, "now_iso": NOW}


# ---- sample contexts (synthetic data only) ----------------------------------------------


def dashboard_ctx(user: User = ANALYST) -> dict[str, Any]:
    return {
        **_base(user, "dashboard", "Dashboard"),
        "volume": [
            {"day": "2025-01-06", "platform": "telegram", "language": "ar", "posts": 40},
            {"day": "2025-01-06", "platform": "mastodon", "language": "en", "posts": 12},
            {"day": "2025-01-07", "platform": "telegram", "language": "ar", "posts": 31},
        ],
        "open_cases": 7,
        "cases_by_status": {"open": 5, "referred": 2},
        "deadlines": [
            {
                "reference": "IRU-2025-0007",
                "kind": "removal_order",
                "platform": "telegram",
                "account_id": "channel123/4",
                "clock": "breached",
                "due_at": "2025-01-07T09:00:00+00:00",
                "remaining_seconds": -3600,
                "alert": "one hour deadline breached",
            },
            {
                "reference": "IRU-2025-0008",
                "kind": "removal_order",
                "platform": "mastodon",
                "account_id": "https://social.example/users/x",
                "clock": "running",
                "due_at": "2025-01-07T10:10:00+00:00",
                "remaining_seconds": 600,
                "alert": "10 minutes left",
            },
            {
                "reference": "IRU-2025-0009",
                "kind": "referral",
                "platform": "twitter",
                "account_id": "42",
                "clock": "paused",
                "due_at": None,
                "remaining_seconds": None,
                "alert": "",
            },
        ],
        "outcomes": [
            {
                "platform": "telegram",
                "kind": "removal_order",
                "sent": 10,
                "open": 2,
                "removed": 7,
                "rejected": 1,
                "restored": 0,
                "removal_rate": 0.7,
                "median_hours_to_removal": 0.6,
                "breaches": 1,
            },
            {
                "platform": "mastodon",
                "kind": "referral",
                "sent": 0,
                "open": 0,
                "removed": 0,
                "rejected": 0,
                "restored": 0,
                "removal_rate": None,
                "median_hours_to_removal": None,
                "breaches": 0,
            },
        ],
        "reach": [
            {"day": "2025-01-06", "at_risk_reach": 1200, "supporters_active": 30},
            {"day": "2025-01-07", "at_risk_reach": 900, "supporters_active": 22},
        ],
    }


def queue_ctx(user: User = ANALYST) -> dict[str, Any]:
    return {
        **_base(user, "queue", "Queue"),
        "rows": [
            {
                "position": 1,
                "platform": "telegram",
                "account_id": "channel123/4",
                "handle": XSS,
                "score": 0.93,
                "impact": 0.81,
                "urgency": 0.7,
                "priority": 0.53,
                "language": "ar",
                "why": ["placeholder release text matched", "known media hash"],
                "resurgent": True,
            },
            {
                "position": 2,
                "platform": "mastodon",
                "account_id": "https://social.example/users/x",
                "handle": "x@social.example",
                "score": 0.5,
                "impact": 0.2,
                "urgency": 0.4,
                "priority": 0.04,
                "language": "en",
                "why": [],
                "resurgent": False,
            },
        ],
        "filters": {"platform": "telegram", "language": "ar", "sort": "priority", "dir": "desc"},
        "platforms": ["mastodon", "telegram", "twitter"],
        "languages": ["ar", "en", "fr"],
        "page": 2,
        "pages": 5,
        "total": 97,
    }


def _decisions() -> list[dict[str, Any]]:
    return [
        {
            "decision": "monitor",
            "reason": "placeholder reason: watch for a week",
            "decided_by": "amira.k",
            "decided_at": "2025-01-05T08:00:00+00:00",
            "approved_by": None,
        },
        {
            "decision": "refer",
            "reason": "Terms §4.2 — placeholder release text",
            "decided_by": "amira.k",
            "decided_at": "2025-01-06T08:00:00+00:00",
            "approved_by": None,
        },
    ]


def _case() -> dict[str, Any]:
    return {"case_id": "C-0003", "status": "open", "unit": "iru-berlin", "restricted": False}


def panel_ctx(user: User = ANALYST, **over: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        **_base(user, "queue", "Account"),
        "account": {"platform": "telegram", "account_id": "channel123/4", "handle": "h"},
        "case": _case(),
        "decisions": _decisions(),
        "can_decide": True,
        "can_approve": False,
        "hold_notice": None,
        "decide_url": "/accounts/telegram/channel123%2F4/decide",
        "message": None,
        "error": None,
    }
    ctx.update(over)
    return ctx


def account_ctx(user: User = ANALYST) -> dict[str, Any]:
    return {
        **_base(user, "queue", "Account"),
        "account": {
            "platform": "telegram",
            "account_id": "channel123/4",
            "handle": XSS,
            "display_name": ARABIC,
            "description": f"{ARABIC} — placeholder release text",
            "followers_count": 1520,
            "following_count": 3,
            "post_count": 88,
            "created_at": "2024-11-02T00:00:00+00:00",
            "status": "active",
            "language": "ar",
            "score": 0.93,
            "label": "propaganda",
            "reasons": ["placeholder release text matched"],
            "profile_image_url": "/media/avatar/1.jpg",
        },
        "posts": [
            {
                "post_id": "p1",
                "created_at": "2025-01-06T07:00:00+00:00",
                "text": ARABIC,
                "lang": "ar",
                "dir": "rtl",
                "url": "https://t.example/channel123/4/1",
                "signals": [
                    {
                        "detector": "indicators",
                        "label": "hashtag",
                        "score": 0.9,
                        "explanation": "placeholder indicator",
                    }
                ],
                "media": [{"url": "/media/p1/1.jpg"}, {"url": "javascript:alert(1)"}],
            },
            {
                "post_id": "p2",
                "created_at": "2025-01-06T07:05:00+00:00",
                "text": f"placeholder release text {XSS}",
                "lang": None,
                "dir": "auto",
                "url": "javascript:alert(2)",
                "signals": [],
                "media": [],
            },
        ],
        "signals_summary": [{"detector": "indicators", "label": "hashtag", "count": 3}],
        "community": {"id": 4, "kind": "supporter core", "size": 31, "reach_share": 0.42},
        "bridges": [
            {"platform": "mastodon", "account_id": "https://social.example/users/b", "handle": "b"}
        ],
        "resurgence": [
            {
                "platform": "telegram",
                "account_id": "channel99/1",
                "handle": "old_channel",
                "relation": "predecessor",
                "confidence": 0.88,
                "explanation": "same banner hash",
            }
        ],
        "case": _case(),
        "decisions": _decisions(),
        "hold_notice": None,
        "can_decide": True,
        "can_approve": user.role == "supervisor",
        "graph_url": "/accounts/telegram/channel123%2F4/graph.json",
        "decide_url": "/accounts/telegram/channel123%2F4/decide",
    }


def case_ctx(user: User = ANALYST) -> dict[str, Any]:
    case = {
        "case_id": "C-0003",
        "platform": "telegram",
        "account_id": "channel123/4",
        "unit": "iru-berlin",
        "status": "referred",
        "restricted": True,
        "opened_by": "amira.k",
        "opened_at": "2025-01-05T08:00:00+00:00",
        "predecessor_case_id": "C-0001",
    }
    return {
        **_base(user, "", "Case"),
        "case": case,
        "decisions": _decisions(),
        "history": [
            {
                "case": {
                    **case,
                    "case_id": "C-0001",
                    "status": "removed",
                    "predecessor_case_id": None,
                },
                "decisions": _decisions()[:1],
            }
        ],
        "referrals": [
            {
                "reference": "IRU-2025-0007",
                "kind": "removal_order",
                "status": "received",
                "ticket": "T-1",
                "created_at": "2025-01-06T08:00:00+00:00",
                "received_at": "2025-01-06T08:01:00+00:00",
                "closed_at": None,
            }
        ],
        "holds": [
            {
                "hold_id": 1,
                "unit": "iru-munich",
                "contact": "desk@munich.example",
                "expires_at": "2025-02-01T00:00:00+00:00",
                "active": True,
            }
        ],
    }


def referral_ctx(user: User = ANALYST) -> dict[str, Any]:
    return {
        **_base(user, "", "Referral"),
        "referral": {
            "reference": "IRU-2025-0007",
            "kind": "removal_order",
            "platform": "telegram",
            "account_id": "channel123/4",
            "status": "clarification",
            "ticket": "T-1",
            "connector": "http",
            "created_at": "2025-01-06T08:00:00+00:00",
            "sent_at": "2025-01-06T08:00:30+00:00",
            "received_at": "2025-01-06T08:01:00+00:00",
            "closed_at": None,
            "package_sha256": "ab" * 32,
            "error": None,
        },
        "events": [  # as the service gives them: in time order; iru's own have no seq
            {
                "at": "2025-01-06T08:00:00+00:00",
                "status": "sent",
                "source": "connector",
                "detail": "delivered by http",
                "seq": None,
                "form": None,
            },
            {
                "at": "2025-01-06T08:01:00+00:00",
                "status": "received",
                "source": "callback",
                "detail": "",
                "seq": 1,
                "form": None,
            },
            {
                "at": "2025-01-06T08:30:00+00:00",
                "status": "clarification",
                "source": "callback",
                "detail": "placeholder clarification",
                "seq": 2,
                "form": {"annex": "III", "reason": XSS},
            },
        ],
        "deadline": {
            "status": "running",
            "due_at": "2025-01-07T10:30:00+00:00",
            "remaining_seconds": 1800,
            "overdue_seconds": None,
            "alerts": ["30 minutes left"],
        },
        "evidence": [
            {
                "sha256": "cd" * 32,
                "excerpt": ARABIC,
                "url": "https://t.example/channel123/4/1",
                "captured_at": "2025-01-06T07:10:00+00:00",
                "lang": "ar",
            }
        ],
        "package_json": json.dumps({"reference": "IRU-2025-0007", "note": XSS}, indent=2),
        "attempts": [
            {
                "attempt": 1,
                "connector": "http",
                "started_at": "2025-01-06T08:00:10+00:00",
                "outcome": "sent",
                "http_status": 202,
                "error": None,
            }
        ],
        "package_url": "/referrals/IRU-2025-0007/package.html",
    }


def network_ctx(user: User = ANALYST, whatif: dict[str, Any] | None = None) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        **_base(user, "network", "Network"),
        "communities": [
            {
                "id": 4,
                "kind": "supporter core",
                "size": 31,
                "reach_share": 0.42,
                "top": [{"platform": "telegram", "account_id": "channel123/4", "handle": XSS}],
                "bridges": 3,
            }
        ],
        "ranking": [
            {
                "rank": 1,
                "platform": "telegram",
                "account_id": "channel123/4",
                "handle": "c123",
                "impact": 0.8,
                "reach_removed": 310.0,
                "share": 0.31,
                "community": 4,
            }
        ],
        "total_reach": 1000.0,
    }
    if whatif is not None:
        ctx["whatif"] = whatif
    return ctx


WHATIF = {
    "selected": 3,
    "reach_removed": 420.0,
    "share": 0.42,
    "total": 1000.0,
    "communities_hit": 2,
}


def audit_ctx(user: User = AUDITOR, ok: bool = True) -> dict[str, Any]:
    return {
        **_base(user, "audit", "Audit"),
        "events": [
            {
                "seq": 12,
                "at": "2025-01-06T08:00:00+00:00",
                "actor": "amira.k",
                "unit": "iru-berlin",
                "action": "case.decide",
                "subject": "C-0003",
                "before": None,
                "after": json.dumps({"decision": "refer", "reason": XSS}),
                "hash": "ef" * 32,
            }
        ],
        "verify": {
            "ok": ok,
            "checked": 12,
            "head": "ef" * 32,
            "reason": "" if ok else "hash mismatch at seq 7",
        },
        "page": 1,
        "pages": 3,
        "filters": {"subject": "C-0003", "action": ""},
    }


def approvals_ctx(user: User = SUPERVISOR) -> dict[str, Any]:
    return {
        **_base(user, "approvals", "Approvals"),
        "pending": [
            {
                "case_id": "C-0003",
                "platform": "telegram",
                "account_id": "channel123/4",
                "handle": XSS,
                "decided_by": "amira.k",
                "decided_at": "2025-01-06T08:00:00+00:00",
                "reason": ARABIC,
            }
        ],
    }


def error_ctx() -> dict[str, Any]:
    return {**_base(None, "", "Not found"), "status": 404, "message": "No such page."}


CONTEXTS: dict[str, Callable[[], dict[str, Any]]] = {
    "dashboard": dashboard_ctx,
    "queue": queue_ctx,
    "queue_rows": queue_ctx,
    "account": account_ctx,
    "decision_panel": panel_ctx,
    "case": case_ctx,
    "referral": referral_ctx,
    "network": network_ctx,
    "whatif": lambda: {"whatif": WHATIF},
    "audit": audit_ctx,
    "approvals": approvals_ctx,
    "error": error_ctx,
}
FULL_PAGES = [name for name in CONTEXTS if name not in ("queue_rows", "decision_panel", "whatif")]


def render(env: Environment, name: str, ctx: dict[str, Any]) -> str:
    return env.get_template(f"{name}.html").render(**ctx)


# ---- tests --------------------------------------------------------------------------------


def test_every_template_exists() -> None:
    missing = [n for n in MINE if not (TEMPLATES / f"{n}.html").is_file()]
    assert missing == []


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_renders_and_escapes(env: Environment, name: str) -> None:
    html = render(env, name, CONTEXTS[name]())
    assert "<script>alert(1)</script>" not in html
    assert not re.search(r"""(?:href|src|action)=["']?\s*javascript:""", html)
    # Only JSON data blocks, and external scripts from /static, are scripts.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or 'src="/static/' in tag, tag


@pytest.mark.parametrize("name", FULL_PAGES)
def test_every_page_carries_the_csrf_token_for_htmx(env: Environment, name: str) -> None:
    html = render(env, name, CONTEXTS[name]())
    assert f'hx-headers=\'{{"X-CSRF-Token": "{CSRF}"}}\'' in html
    assert '<html lang="en">' in html
    assert '<main id="main"' in html
    assert 'href="#main"' in html  # skip link
    assert 'src="/static/vendor/htmx.min.js"' in html
    assert 'src="/static/iru.js"' in html
    assert 'href="/static/iru.css"' in html


def test_scripts_only_where_needed(env: Environment) -> None:
    dashboard = render(env, "dashboard", dashboard_ctx())
    account = render(env, "account", account_ctx())
    queue = render(env, "queue", queue_ctx())
    assert "/static/vendor/chart.umd.min.js" in dashboard
    assert "/static/vendor/cytoscape.min.js" in account
    assert "chart.umd" not in queue and "cytoscape" not in queue


def test_nav_follows_the_role(env: Environment) -> None:
    analyst = render(env, "dashboard", dashboard_ctx(ANALYST))
    auditor = render(env, "dashboard", dashboard_ctx(AUDITOR))
    supervisor = render(env, "dashboard", dashboard_ctx(SUPERVISOR))
    assert 'href="/audit"' not in analyst and 'href="/approvals"' not in analyst
    assert 'href="/audit"' in auditor and 'href="/approvals"' not in auditor
    assert 'href="/approvals"' in supervisor and 'href="/audit"' not in supervisor
    assert 'href="/" aria-current="page"' in analyst
    assert 'action="/logout"' in analyst
    assert f'name="csrf_token" value="{CSRF}"' in analyst
    assert "amira.k" in analyst and "iru-berlin" in analyst


def test_error_page_renders_without_a_user(env: Environment) -> None:
    html = render(env, "error", error_ctx())
    assert "404" in html and "No such page." in html
    assert "/logout" not in html and 'href="/queue"' not in html
    assert 'href="/login"' in html


def test_arabic_posts_are_right_to_left(env: Environment) -> None:
    html = render(env, "account", account_ctx())
    assert f'<p class="post-text" dir="rtl" lang="ar">{ARABIC}</p>' in html
    assert '<p class="post-text" dir="auto" lang="und">' in html
    assert f'<p class="description" dir="auto"><bdi>{ARABIC}' in html


def test_account_page_escapes_and_encodes(env: Environment) -> None:
    html = render(env, "account", account_ctx())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    # A javascript: link or image from the data is never made live.
    assert not re.search(r"""(?:href|src)=["']?\s*javascript:""", html)
    assert '<code class="url">javascript:alert(2)</code>' in html
    assert 'data-src="/accounts/telegram/channel123%2F4/graph.json"' in html
    assert 'href="/accounts/mastodon/https%3A%2F%2Fsocial.example%2Fusers%2Fb"' in html
    assert 'href="/accounts/telegram/channel99%2F1"' in html
    assert 'class="media-blurred"' in html and 'src="/media/p1/1.jpg"' in html
    assert 'alt="Media 1 of post p1' in html
    assert 'id="graph"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_decision_panel(env: Environment) -> None:
    html = render(env, "account", account_ctx(ANALYST))
    assert '<section id="decision-panel"' in html
    assert 'hx-post="/accounts/telegram/channel123%2F4/decide"' in html
    assert 'hx-target="#decision-panel"' in html and 'hx-swap="outerHTML"' in html
    assert re.search(r'<textarea[^>]*name="reason"[^>]*required', html)
    for value in ("refer", "dismiss", "monitor", "hold"):
        assert f'name="decision" value="{value}"' in html
    assert 'name="hold_days" min="1" max="180" value="30"' in html
    assert '<input type="checkbox" name="counter_speech" value="true">' in html
    assert "counter-speech (dismiss only)" in html
    assert 'value="approve"' not in html
    assert 'value="approve"' in render(env, "account", account_ctx(SUPERVISOR))
    assert "awaiting a supervisor" in html

    alone = render(env, "decision_panel", panel_ctx(message="Referred.", error=XSS))
    assert alone.lstrip().startswith('<section id="decision-panel"')
    assert '<div class="notice notice-ok" role="status">Referred.</div>' in alone
    assert 'role="alert">&lt;script&gt;' in alone
    assert f'name="csrf_token" value="{CSRF}"' in alone

    readonly = render(
        env,
        "decision_panel",
        panel_ctx(
            AUDITOR, can_decide=False, hold_notice="Held by iru-munich, ask desk@munich.example"
        ),
    )
    assert 'id="decision-form"' not in readonly and "counter_speech" not in readonly
    assert "Read-only" in readonly and "iru-munich" in readonly


def test_decision_panel_without_optional_keys(env: Environment) -> None:
    ctx = panel_ctx()
    for key in ("message", "error", "user", "csrf_token", "nav", "title", "now_iso"):
        del ctx[key]
    html = render(env, "decision_panel", ctx)
    assert 'id="decision-form"' in html


def test_queue_rows_sort_links_keep_the_filters(env: Environment) -> None:
    html = render(env, "queue_rows", queue_ctx())
    assert html.lstrip().startswith('<div id="queue-rows"')
    assert 'id="queue-table"' in html
    assert (
        'hx-get="/queue/rows?platform=telegram&amp;language=ar&amp;sort=score&amp;dir=desc"' in html
    )
    assert 'href="/queue?platform=telegram&amp;language=ar&amp;sort=language&amp;dir=asc"' in html
    # The active column flips its direction.
    assert "sort=priority&amp;dir=asc" in html
    assert 'aria-sort="descending"' in html
    # Pagination keeps filters and sort.
    assert (
        'href="/queue?platform=telegram&amp;language=ar&amp;sort=priority&amp;dir=desc&amp;page=3"'
        in html
    )
    assert 'data-account="telegram:channel123/4"' in html
    assert 'href="/accounts/telegram/channel123%2F4"' in html
    assert 'href="/accounts/mastodon/https%3A%2F%2Fsocial.example%2Fusers%2Fx"' in html
    assert '<span class="badge badge-resurgent"' in html and html.count(">resurgent</span>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_queue_page(env: Environment) -> None:
    html = render(env, "queue", queue_ctx())
    assert 'hx-get="/queue/rows"' in html and 'hx-target="#queue-rows"' in html
    assert 'method="get" action="/queue"' in html
    assert "priority = impact × confidence × urgency" in html
    assert "resurgences of removed targets first" in html
    assert '<option value="telegram" selected>' in html
    assert html.count('<div id="queue-rows"') == 1


def test_dashboard(env: Environment) -> None:
    html = render(env, "dashboard", dashboard_ctx())
    for name in ("volume", "outcomes", "reach"):
        assert f'<script type="application/json" id="chart-{name}">' in html
        assert f'data-chart="{name}"' in html
    data = re.search(r'id="chart-volume">(.*?)</script>', html, re.S)
    assert data is not None and json.loads(data.group(1))[0]["posts"] == 40
    assert 'class="urgency-breached"' in html
    assert 'class="urgency-soon"' in html
    assert 'class="urgency-normal"' in html
    assert 'href="/referrals/IRU-2025-0007"' in html
    assert 'href="/accounts/mastodon/https%3A%2F%2Fsocial.example%2Fusers%2Fx"' in html
    assert 'data-due="2025-01-07T10:10:00+00:00"' in html


def test_case_page(env: Environment) -> None:
    html = render(env, "case", case_ctx())
    assert 'href="/accounts/telegram/channel123%2F4"' in html
    assert 'href="/referrals/IRU-2025-0007"' in html
    assert 'href="/cases/C-0001"' in html
    assert "restricted" in html and "iru-munich" in html


def test_referral_page(env: Environment) -> None:
    html = render(env, "referral", referral_ctx())
    assert (
        '<span class="countdown big" data-due="2025-01-07T10:30:00+00:00" data-status="running"'
        in html
    )
    assert '<section id="referral-status"' in html
    assert 'hx-post="/referrals/IRU-2025-0007/status"' in html
    assert 'hx-select="#referral-status"' in html and 'hx-target="#referral-status"' in html
    for status in (
        "received",
        "clarification",
        "clarification_received",
        "removed",
        "rejected",
        "restored",
    ):
        assert f'<option value="{status}">' in html
    assert 'href="/referrals/IRU-2025-0007/package.html"' in html and "readable package" in html
    assert f'<code class="hash" title="{"cd" * 32}">' in html
    assert f'dir="auto" lang="ar">{ARABIC}</span>' in html
    assert "Annex II/III" in html
    assert "&lt;script&gt;" in html  # package JSON and feedback form escaped
    # Timeline oldest first, newest last.
    assert html.index('data-seq="1"') < html.index('data-seq="2"')
    # Auditors read but do not record statuses.
    assert 'class="status-form"' in html
    assert 'class="status-form"' not in render(env, "referral", referral_ctx(AUDITOR))


def test_referral_without_deadline(env: Environment) -> None:
    ctx = referral_ctx()
    ctx["deadline"] = None
    assert 'class="countdown' not in render(env, "referral", ctx)


def test_network_and_whatif(env: Environment) -> None:
    html = render(env, "network", network_ctx())
    assert 'name="account" value="telegram:channel123/4"' in html
    assert 'hx-post="/network/what-if"' in html and 'hx-target="#whatif"' in html
    assert '<div id="whatif"' in html
    assert "&lt;script&gt;" in html
    with_result = render(env, "network", network_ctx(whatif=WHATIF))
    assert "cuts <strong>42.0%</strong> of the at-risk reach" in with_result
    alone = render(env, "whatif", {"whatif": WHATIF})
    text = re.sub(r"<[^>]+>", "", alone)
    assert "Removing 3 accounts cuts 42.0% of the at-risk reach" in text
    assert "Tick accounts" in render(env, "whatif", {"whatif": None})


def test_audit_page(env: Environment) -> None:
    ok = render(env, "audit", audit_ctx())
    assert "Audit chain intact" in ok and 'data-ok="true"' in ok
    assert f'title="{"ef" * 32}"' in ok and f">{'ef' * 6}…<" in ok
    assert 'href="/audit?subject=C-0003&amp;page=2"' in ok
    broken = render(env, "audit", audit_ctx(ok=False))
    assert "Audit chain broken" in broken and "seq 7" in broken and 'role="alert"' in broken


def test_approvals_page(env: Environment) -> None:
    html = render(env, "approvals", approvals_ctx())
    assert 'href="/accounts/telegram/channel123%2F4"' in html
    assert "&lt;script&gt;" in html
    assert 'href="/approvals" aria-current="page"' in html


def test_templates_load_nothing_from_outside() -> None:
    for path in sorted(TEMPLATES.glob("*.html")):
        if path.stem not in MINE:
            continue
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", source), path
        assert "@import" not in source and "url(" not in source, path
        # No inline script code: every <script> is external or JSON data.
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert 'type="application/json"' in tag or "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", source), path  # no inline event handlers


def test_static_files() -> None:
    js = (STATIC / "iru.js").read_text(encoding="utf-8")
    css = (STATIC / "iru.css").read_text(encoding="utf-8")
    assert "eval(" not in js and "new Function" not in js
    assert "http://" not in js and "https://" not in js
    assert ".media-blurred" in css and "blur(14px)" in css and ".revealed" in css
    assert "@import" not in css and "url(" not in css
    assert "Noto Naskh Arabic" in css
