"""A small workbench world for fuzzing the routes: its own workspace, so fuzzed decisions
change nothing other tests read.

A simulated world (ingested, labelled, detected), a few hostile records ingested next to it
(a media URL ``https://x//etc/passwd``, a profile image ``../../etc/passwd``), the callback
secret set, one user per role with a password and an API token, and a user to lock out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from iru.cases.access import Role
from iru.cli import cli
from iru.config import load_settings
from iru.engine.services.auth import AuthService
from iru.engine.services.cases import CaseService
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.web.security import SESSION_COOKIE
from iru.workspace import Workspace

from .routes import HostileRequest

PASSWORD = "a long fuzzing password"
CALLBACK_SECRET = "fuzz-callback-secret"
USERS = (
    ("root", Role.ADMIN, "EU"),
    ("anna", Role.ANALYST, "DE"),
    ("sven", Role.SUPERVISOR, "DE"),
    ("audrey", Role.AUDITOR, "DE"),
    ("target", Role.ANALYST, "DE"),  # only ever sent wrong passwords
)
ROLE_USERS = {"admin": "root", "analyst": "anna", "supervisor": "sven", "auditor": "audrey"}
HOSTILE_ACCOUNT = ("twitter", "fuzz-hostile-1")


@dataclass
class FuzzWorld:
    root: Path
    world: Path
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token

    def settings_flags(self) -> dict[str, str]:
        return {
            "workspace": str(self.root),
            "callback_secret": CALLBACK_SECRET,
            "media_dir": str(self.world / "media"),
        }

    def open(self) -> Workspace:
        return Workspace(load_settings(flags=self.settings_flags(), environ={}))


def _hostile_records(path: Path) -> None:
    platform, account = HOSTILE_ACCOUNT
    records = [
        {
            "type": "account",
            "platform": platform,
            "account_id": account,
            "handle": "fuzz_hostile",
            "profile_image_url": "../../../../etc/passwd",
            "observed_at": "2024-03-05T00:00:00Z",
        },
        {
            "type": "post",
            "platform": platform,
            "post_id": "fuzz-hostile-post-1",
            "account_id": account,
            "created_at": "2024-03-04T18:20:00Z",
            "text": "a synthetic post with odd media",
            "media_ids": ["fuzz-m-1", "fuzz-m-2"],
        },
        {
            "type": "media",
            "platform": platform,
            "media_id": "fuzz-m-1",
            "post_id": "fuzz-hostile-post-1",
            "account_id": account,
            "created_at": "2024-03-04T18:20:00Z",
            "kind": "photo",
            "url": "https://x//etc/passwd",
        },
        {
            "type": "media",
            "platform": platform,
            "media_id": "fuzz-m-2",
            "post_id": "fuzz-hostile-post-1",
            "account_id": account,
            "created_at": "2024-03-04T18:20:00Z",
            "kind": "photo",
            "url": "https://x/" + "a" * 5000 + ".jpg",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def build_world(base: Path, *, seed: int = 5, days: int = 1, scale: float = 0.005) -> FuzzWorld:
    world = base / "world"
    simulate(WorldConfig(seed=seed, days=days, scale=scale), world)
    prepared = FuzzWorld(base / "ws", world)
    hostile = base / "hostile.jsonl"
    _hostile_records(hostile)
    env = {
        "IRU_WORKSPACE": str(prepared.root),
        "IRU_DATABASE_URL": "",
        "IRU_MEDIA_DIR": str(world / "media"),
    }
    runner = CliRunner()
    for args in (
        ["ingest", str(world / "twitter"), str(world / "telegram"), str(world / "follows.jsonl")],
        ["ingest", "--format", "jsonl", str(hostile)],
        ["label", "import", str(world / "knowledge" / "labels.csv")],
        ["indicators", "import", str(world / "knowledge" / "indicators.toml")],
        ["detect"],
    ):
        result = runner.invoke(cli, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    ws = prepared.open()
    try:
        cases = CaseService(ws.database)
        auth = AuthService(ws.database)
        now = datetime.now(UTC)
        for name, role, unit in USERS:
            actor = cases.principal("root") if name != "root" else None
            cases.add_user(actor, name, role, unit, now, contact=f"{unit} desk")
            auth.set_password(cases.principal("root"), name, PASSWORD, now)
        root = cases.principal("root")
        for role, name in ROLE_USERS.items():
            prepared.tokens[role] = auth.create_token(root, f"fuzz {role}", name, now)
    finally:
        ws.close()
    return prepared


class Sessions:
    """One logged-in session per role on one TestClient, switched per request."""

    def __init__(self, client: Any, world: FuzzWorld) -> None:
        self.client = client
        self.world = world
        self.cookies: dict[str, tuple[str, str]] = {}  # role -> (cookie, csrf token)
        for role, name in ROLE_USERS.items():
            client.cookies.clear()
            response = client.post(
                "/login",
                data={"name": name, "password": PASSWORD, "next": "/queue"},
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text[:300]
            cookie = client.cookies.get(SESSION_COOKIE)
            found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/queue").text)
            assert cookie and found
            self.cookies[role] = (cookie, found.group(1))
        client.cookies.clear()

    def send(self, request: HostileRequest, *, bearer: bool = False) -> Any:
        """Send ``request`` as its role: a bearer token when asked (API), else the session
        cookie and its CSRF token (none for anonymous, nor for log-out, which would end it)."""
        client = self.client
        client.cookies.clear()
        headers = dict(request.headers)
        form = dict(request.form) if request.form is not None else None
        if request.role in self.cookies and request.route.template != "/logout":
            if bearer:
                headers["Authorization"] = "Bearer " + self.world.tokens[request.role]
            else:
                cookie, csrf = self.cookies[request.role]
                client.cookies.set(SESSION_COOKIE, cookie)
                headers.setdefault("X-CSRF-Token", csrf)
        return client.request(
            request.method,
            request.url,
            headers=headers,
            data=form,
            content=request.content,
            follow_redirects=False,
        )


def world_values(client: Any, world: FuzzWorld) -> dict[str, list[Any]]:
    """Real accounts and cases of the world, so fuzzed requests also reach deep code."""
    client.cookies.clear()
    headers = {"Authorization": "Bearer " + world.tokens["analyst"]}
    response = client.get("/api/v1/queue", headers=headers)
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["rows"][:10]
    accounts = [(r["platform"], r["account_id"]) for r in rows] + [HOSTILE_ACCOUNT]
    return {
        "account": accounts,
        "platform": [a[0] for a in accounts],
        "account_id": [a[1] for a in accounts],
        "accounts": [[f"{a[0]}:{a[1]}" for a in accounts[:3]]],
    }
