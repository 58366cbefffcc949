"""The workbench in a real browser: Debian's chromium driven by Playwright.

Log-in, the queue, an account page with its graph drawn, Arabic posts right-to-left, a
referral made and its status changing as the simulated platforms answer, and another
unit's restricted case refused. Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from iru.config import load_settings
from iru.workspace import Workspace

from .conftest import PASSWORD, WebWorld

CHROMIUM = os.environ.get("IRU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("IRU_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (scripts/test installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest.fixture(scope="module")
def server(web_world: WebWorld) -> Iterator[str]:
    """The simulated platforms and the workbench (with its dispatcher), over loopback."""
    import uvicorn

    from iru.web.app import create_app

    platform_port, port = free_port(), free_port()
    platforms = subprocess.Popen(
        [sys.executable, "-m", "iru", "platform-sim", "serve", "--port", str(platform_port),
         "--time-scale", "36000", "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    env = {"IRU_PLATFORM_API_URL": f"http://127.0.0.1:{platform_port}"}
    ws = Workspace(load_settings(flags={"workspace": str(web_world.root)}, environ=env))
    app = create_app(ws, dispatch_seconds=0.5)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    try:
        wait_for(f"http://127.0.0.1:{platform_port}/healthz")
        wait_for(f"http://127.0.0.1:{port}/login")
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        platforms.terminate()
        platforms.communicate(timeout=10)
        ws.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield chromium
        chromium.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def logged_in(browser: object, server: str, name: str) -> object:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/queue")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/queue.*"))
    return page


def test_log_in_queue_account_graph_and_rtl(
    browser: object, server: str, web_world: WebWorld
) -> None:
    page = logged_in(browser, server, "anna")
    shot(page, "01-queue")
    rows = page.locator("#queue-table tbody tr")
    assert rows.count() > 3
    # Sort by score through htmx: the rows change in place, no full reload.
    page.evaluate("window.__marker = 1")
    page.locator("#queue-table th a", has_text=re.compile("score", re.I)).first.click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__marker") == 1
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/accounts/.*"))
    page.wait_for_selector("#graph[data-drawn='true']", timeout=15000)
    assert int(page.get_attribute("#graph", "data-nodes") or "0") > 1
    shot(page, "02-account-graph")
    # An account with Arabic posts: their text runs right to left.
    ws = web_world.open()
    try:
        with ws.archive.query() as conn:
            platform, account_id = conn.execute(
                "SELECT platform, account_id FROM signals WHERE detector = 'language' "
                "AND label = 'ar' GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()
    finally:
        ws.close()
    page.goto(f"{server}/accounts/{quote(platform, safe='')}/{quote(account_id, safe='')}")
    arabic = page.locator("p.post-text[lang='ar']").first
    assert arabic.get_attribute("dir") == "rtl"
    assert arabic.evaluate("el => getComputedStyle(el).direction") == "rtl"
    shot(page, "03-arabic-rtl")
    page.goto(f"{server}/")
    page.wait_for_selector("canvas[data-drawn='true']", timeout=15000)
    shot(page, "04-dashboard")


def test_a_referral_is_made_and_its_status_changes(browser: object, server: str) -> None:
    page = logged_in(browser, server, "sven")
    page.locator("#queue-table tbody tr").nth(8).locator("a").first.click()
    page.wait_for_url(re.compile(r".*/accounts/.*"))
    page.fill("#decision-panel textarea[name=reason]", "release markers, high reach")
    page.click("#decision-panel button[value=refer]")
    notice = page.locator("#decision-panel", has_text=re.compile(r"referral IRU-DE-"))
    notice.wait_for(timeout=20000)
    reference = re.search(r"IRU-DE-\d{4}-\d{6}", notice.inner_text())
    assert reference
    shot(page, "05-referred")
    page.goto(f"{server}/referrals/{reference.group(0)}")
    # The dispatcher delivers it and reads the platform's answers; reload until it moves.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = page.locator("#referral-status").inner_text()
        if re.search(r"\b(removed|rejected|restored|clarification)\b", text):
            break
        time.sleep(1)
        page.reload()
    assert re.search(r"\b(received|removed|rejected|restored|clarification)\b", text)
    assert re.search(r"\b(removed|rejected|restored|clarification)\b", text), text
    shot(page, "06-referral-status")


def test_another_units_restricted_case_is_refused(browser: object, server: str) -> None:
    owner = logged_in(browser, server, "anna")
    owner.locator("#queue-table tbody tr").nth(12).locator("a").first.click()
    owner.wait_for_url(re.compile(r".*/accounts/.*"))
    owner.fill("#decision-panel textarea[name=reason]", "placeholder operation")
    owner.click("#decision-panel button[value=hold]")
    owner.locator("#decision-panel", has_text=re.compile("hold")).wait_for(timeout=20000)
    case_link = owner.locator("a[href^='/cases/']").first
    case_link.wait_for(timeout=10000)
    href = case_link.get_attribute("href")
    other = logged_in(browser, server, "fabien")
    response = other.goto(f"{server}{href}")
    assert response is not None and response.status == 403
    assert "placeholder operation" not in other.content()
    shot(other, "07-forbidden")
