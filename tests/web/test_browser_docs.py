"""The API docs and a referral package page in a real browser, under the strict CSP.

``/api/docs`` used to load Swagger UI from a CDN that the Content-Security-Policy blocks
(a blank page), and a package page's inline style was blocked too. Now Swagger UI comes
from the vendored files and each page's inline block is allowed by its hash: the
operations list renders and no Content-Security-Policy violation is reported.
"""

# ruff: noqa: F811 - tests take the imported `browser` fixture as a parameter

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from iru.web.app import create_app
from iru.web.inline_csp import SWAGGER_CSS, SWAGGER_JS

from .conftest import PASSWORD, WebWorld

# The browser fixture and the marks (slow; skipped without chromium) of test_browser.
from .test_browser import browser, free_port, pytestmark, wait_for  # noqa: F401

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="module")
def docs_server(web_world: WebWorld) -> Iterator[tuple[str, str]]:
    """The workbench (no dispatcher) over loopback, and the reference of a fresh referral."""
    import uvicorn

    ws = web_world.open()
    app = create_app(ws, dispatch_seconds=0)
    with TestClient(app) as client:
        client.post("/login", data={"name": "anna", "password": PASSWORD, "next": "/queue"})
        csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/queue").text)
        assert csrf
        row = client.get("/api/v1/queue?page=1").json()["rows"][20]
        path = f"/accounts/{quote(row['platform'], safe='')}/{quote(row['account_id'], safe='')}"
        made = client.post(
            f"{path}/decide",
            data={"decision": "refer", "reason": "synthetic reason"},
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        found = re.search(r"referral (IRU-DE-\d{4}-\d{6})", made.text)
        assert found, made.text[:500]
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    try:
        wait_for(f"http://127.0.0.1:{port}/login")
        yield f"http://127.0.0.1:{port}", found.group(1)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        ws.close()


def _watched(browser: object) -> tuple[object, list[str]]:
    context = browser.new_context()  # type: ignore[attr-defined]
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _csp_errors(page: object, errors: list[str]) -> list[str]:
    said = [e for e in errors if "Content Security Policy" in e or "Refused to" in e]
    return said + list(page.evaluate("window.__csp || []"))  # type: ignore[attr-defined]


def test_api_docs_render_from_vendored_files_under_the_csp(
    browser: object, docs_server: tuple[str, str]
) -> None:
    server, _ = docs_server
    page, errors = _watched(browser)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))  # type: ignore[attr-defined]
    answer = page.goto(f"{server}/api/docs")  # type: ignore[attr-defined]
    assert answer is not None and answer.status == 200
    page.wait_for_selector(".opblock", timeout=20000)  # type: ignore[attr-defined]
    operations = page.locator(".opblock-summary-path").all_inner_texts()  # type: ignore[attr-defined]
    assert any("/api/v1/queue" in o for o in operations), operations
    assert _csp_errors(page, errors) == []
    assert all(u.startswith(server) or u.startswith("data:") for u in requested), requested
    assert f"{server}{SWAGGER_JS}" in requested and f"{server}{SWAGGER_CSS}" in requested
    page.context.close()  # type: ignore[attr-defined]


def test_the_package_page_has_no_csp_violation(
    browser: object, docs_server: tuple[str, str]
) -> None:
    server, reference = docs_server
    page, errors = _watched(browser)
    page.goto(f"{server}/queue")  # type: ignore[attr-defined]
    page.fill("input[name=name]", "anna")  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/queue.*"))  # type: ignore[attr-defined]
    answer = page.goto(f"{server}/referrals/{reference}/package.html")  # type: ignore[attr-defined]
    assert answer is not None and answer.status == 200
    assert "script-src" not in answer.headers["content-security-policy"]  # no script at all
    # The inline style applies: the header rule draws its 2px rule.
    border = page.evaluate(  # type: ignore[attr-defined]
        "getComputedStyle(document.querySelector('header')).borderBottomWidth"
    )
    assert border == "2px"
    assert _csp_errors(page, errors) == []
    page.goto(f"{server}/referrals/{reference}")  # type: ignore[attr-defined]
    assert _csp_errors(page, errors) == []
    page.context.close()  # type: ignore[attr-defined]
