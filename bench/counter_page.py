"""First load of the counter page (/counter) on a prepared workspace, e.g. the demo world.

Before issue 16 the page computed the counter analysis inside the first request (about
15 s on the demo world); now a background thread computes it once per data version and
the page answers at once. Since issue 18 that thread shares the workspace's counter
cache with ``iru counter``: an analysis of the same data computed before (by the CLI, or
by a workbench before a restart) is read back instead of computed again. Prints and
writes (bench/results/counter_page.json):

- ``first_response_s``: the first GET /counter on a fresh app (the "being computed" page,
  or the analysis itself when the cache holds it);
- ``background_compute_s``: the analysis in the background — what the first request used
  to wait for (``--fresh``: the cache emptied first, so it is computed);
- ``ready_response_s``: a GET once the result is there;
- ``restart_first_response_s`` and ``restart_ready_s``: a second fresh app on the same
  data, started as ``iru serve`` starts it (a restarted workbench): its first GET, and the
  seconds from its start (a log-in included) until the page shows the current analysis
  (target: under 1 s).

Prepare the world first (a few minutes), then measure::

    iru demo --no-serve --workspace /tmp/demo-ws
    python bench/counter_page.py --workspace /tmp/demo-ws --fresh
"""

from __future__ import annotations

import argparse
import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from iru.cases.access import Role
from iru.config import load_settings
from iru.domain.jsonsafe import dumps
from iru.engine.services.auth import AuthService
from iru.engine.services.cases import CaseService
from iru.web.app import COUNTER_WATCH_SECONDS, create_app
from iru.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"
USER = "bench-counter"
CURRENT = 'data-state="current"'


def _state(page: str) -> str:
    found = re.search(r'id="counter-analysis" data-state="([a-z]+)"', page)
    return found.group(1) if found else "other"


def _login_user(ws: Workspace) -> str:
    """A throw-away analyst with a fresh password (created if missing)."""
    cases = CaseService(ws.database)
    now = datetime.now(UTC)
    admins = [u["name"] for u in cases.store.users() if u["role"] == "admin" and u["active"]]
    if not admins:
        raise SystemExit("the workspace has no admin: prepare it with `iru demo --no-serve`")
    admin = cases.principal(admins[0])
    if cases.store.principal(USER) is None:
        cases.add_user(admin, USER, Role.ANALYST, "EU", now, contact="bench")
    password = secrets.token_urlsafe(16)
    AuthService(ws.database).set_password(admin, USER, password, now)
    return password


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=RESULTS / "counter_page.json")
    parser.add_argument(
        "--fresh", action="store_true", help="Empty the workspace's counter cache first."
    )
    args = parser.parse_args()
    ws = Workspace(load_settings(flags={"workspace": str(args.workspace)}))
    password = _login_user(ws)
    if args.fresh:
        for old in (ws.root / "cache" / "counter").glob("*.pickle"):
            old.unlink()
    app = create_app(ws, dispatch_seconds=0)
    counter = app.state.counter
    with TestClient(app) as client:
        client.post(
            "/login",
            data={"name": USER, "password": password, "next": "/queue"},
            follow_redirects=False,  # not the queue page: this measures the counter
        )
        started = time.perf_counter()
        first = client.get("/counter")
        first_s = time.perf_counter() - started
        snap = counter.wait(900)
        compute_s = snap.seconds
        started = time.perf_counter()
        ready = client.get("/counter")
        ready_s = time.perf_counter() - started
    # A restarted workbench on the same data, started as `iru serve` starts it (the counter
    # analysis begun at once, off the request path): how soon the page shows it.
    started = time.perf_counter()
    again = create_app(ws, dispatch_seconds=0)
    again.state.counter.watch(COUNTER_WATCH_SECONDS)
    with TestClient(again) as client:
        client.post(
            "/login",
            data={"name": USER, "password": password, "next": "/queue"},
            follow_redirects=False,  # not the queue page: this measures the counter
        )
        asked = time.perf_counter()
        restart_first = client.get("/counter")
        restart_first_s = time.perf_counter() - asked
        page = restart_first
        while CURRENT not in page.text and time.perf_counter() - started < 900:
            time.sleep(0.02)
            page = client.get("/counter")
        # From the start, the log-in included (a password hash: slow on purpose).
        restart_ready_s = time.perf_counter() - started
    ws.close()
    figures = {
        "benchmark": "counter_page",
        "workspace": str(args.workspace),
        "fresh": args.fresh,
        "first_response_s": round(first_s, 3),
        "first_state": _state(first.text),
        "background_compute_s": round(compute_s, 1) if compute_s is not None else None,
        "background_error": snap.error,
        "ready_response_s": round(ready_s, 3),
        "ready_state": _state(ready.text),
        "restart_first_response_s": round(restart_first_s, 3),
        "restart_first_state": _state(restart_first.text),
        "restart_ready_s": round(restart_ready_s, 3),
        "restart_ready_state": _state(page.text),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(figures, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    print(dumps(figures, indent=2))


if __name__ == "__main__":
    main()
