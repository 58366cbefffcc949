"""First load of the counter page (/counter) on a prepared workspace, e.g. the demo world.

Before issue 16 the page computed the counter analysis inside the first request (about
15 s on the demo world); now a background thread computes it once per data version and
the page answers at once. Prints and writes (bench/results/counter_page.json):

- ``first_response_s``: the first GET /counter on a fresh app (the "being computed" page);
- ``background_compute_s``: the analysis in the background — what the first request used
  to wait for;
- ``ready_response_s``: a GET once the result is there.

Prepare the world first (a few minutes), then measure::

    iru demo --no-serve --workspace /tmp/demo-ws
    python bench/counter_page.py --workspace /tmp/demo-ws
"""

from __future__ import annotations

import argparse
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
from iru.web.app import create_app
from iru.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"
USER = "bench-counter"


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
    args = parser.parse_args()
    ws = Workspace(load_settings(flags={"workspace": str(args.workspace)}))
    password = _login_user(ws)
    app = create_app(ws, dispatch_seconds=0)
    counter = app.state.counter
    with TestClient(app) as client:
        client.post("/login", data={"name": USER, "password": password, "next": "/queue"})
        started = time.perf_counter()
        first = client.get("/counter")
        first_s = time.perf_counter() - started
        snap = counter.wait(900)
        compute_s = snap.seconds
        started = time.perf_counter()
        ready = client.get("/counter")
        ready_s = time.perf_counter() - started
    ws.close()
    figures = {
        "benchmark": "counter_page",
        "workspace": str(args.workspace),
        "first_response_s": round(first_s, 3),
        "first_state": "pending" if 'data-state="pending"' in first.text else "other",
        "background_compute_s": round(compute_s, 1) if compute_s is not None else None,
        "background_error": snap.error,
        "ready_response_s": round(ready_s, 3),
        "ready_state": "current" if 'data-state="current"' in ready.text else "other",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(figures, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    print(dumps(figures, indent=2))


if __name__ == "__main__":
    main()
