"""``iru serve`` (the workbench) and ``iru demo`` (the whole job, one command).

``iru demo`` creates a workspace, simulates a world, ingests it with what the unit knows,
detects, trains, ranks, starts the simulated platforms (``iru platform-sim serve``) and
serves the workbench with demo accounts whose passwords it prints; while it runs a live
feed ingests the world's next simulated day every ``--feed-seconds`` and detects again,
and the dispatcher delivers referrals and reads the platforms' answers.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from iru.cli.common import IruError, workspace_command
from iru.workspace import Workspace

DEMO_USERS = (
    ("demo-admin", "admin", "EU"),
    ("demo-analyst", "analyst", "EU"),
    ("demo-supervisor", "supervisor", "EU"),
    ("demo-auditor", "auditor", "EU"),
    ("demo-fr", "analyst", "FR"),
)


def run_server(
    ws: Workspace,
    host: str,
    port: int,
    *,
    dispatch_seconds: float | None = None,
    workers: int = 1,
) -> None:
    import uvicorn

    from iru.web.app import create_app, warm

    started = time.perf_counter()
    if workers > 1:
        # Workers are separate processes (the GIL caps one at a core); each builds its own
        # caches, the index file is shared; one dispatcher runs here, in the parent.
        from iru.engine.services.dispatcher import Dispatcher

        app = create_app(ws, dispatch_seconds=0)
        warm(app, counter=False)  # builds the shared index file once, before the workers start
        interval = ws.settings["dispatch_seconds"] if dispatch_seconds is None else dispatch_seconds
        dispatcher = Dispatcher(ws, interval) if interval else None
        os.environ["IRU_WORKSPACE"] = str(ws.root.resolve())
        if ws.settings["database_url"]:
            os.environ["IRU_DATABASE_URL"] = str(ws.settings["database_url"])
        click.echo(
            f"iru workbench on http://{host}:{port}/ with {workers} workers (Ctrl-C to stop)"
        )
        if dispatcher is not None:
            dispatcher.start()
        try:
            uvicorn.run(
                "iru.web.app:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
                access_log=False,
            )
        finally:
            if dispatcher is not None:
                dispatcher.stop()
        return
    app = create_app(ws, dispatch_seconds=dispatch_seconds)
    warm(app)
    click.echo(f"workbench ready ({time.perf_counter() - started:.1f} s to index and rank)")
    click.echo(f"iru workbench on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (one per core serves more analysts at once).",
)
@workspace_command
def serve(host: str, port: int, workers: int, ws: Workspace) -> None:
    """Serve the analysts' workbench (pages and JSON API) over this workspace."""
    if ws.case_store().user_count() == 0:
        raise IruError("no users yet: add one with `iru users add` and `iru users passwd`")
    run_server(ws, host, port, workers=workers)


def _iru(ws: Workspace, *args: str, workspace: bool = True, optional: bool = False) -> None:
    """Run one iru command in this process, on this workspace; stop the demo if it fails."""
    from iru.cli import cli

    flags = ["--workspace", str(ws.root)] if workspace else []
    if workspace and ws.settings.sources.get("database_url") != "default":
        flags += ["--database-url", str(ws.settings["database_url"])]
    click.secho(f"$ iru {' '.join(args)}", fg="cyan")
    try:
        cli.main([*args, *flags], prog_name="iru", standalone_mode=False)
    except click.exceptions.Exit as exc:
        if exc.exit_code:
            raise IruError(f"demo step `iru {args[0]}` failed") from exc
    except click.ClickException as exc:
        if not optional:
            raise IruError(f"demo step `iru {args[0]}` failed: {exc.format_message()}") from exc
        click.echo(f"  ({exc.format_message()})")


def _days(world: Path) -> list[str]:
    return sorted(p.stem for p in (world / "twitter").glob("*.jsonl"))


def _day_inputs(world: Path, day: str) -> list[str]:
    paths = [
        world / "twitter" / f"{day}.jsonl",
        world / "telegram" / day,
        world / "activitypub" / day,
    ]
    return [str(p) for p in paths if p.exists()]


def _users(ws: Workspace) -> dict[str, str]:
    """Demo users with fresh passwords (printed once)."""
    from iru.cases.access import Role
    from iru.engine.services.auth import AuthService
    from iru.engine.services.cases import CaseService

    cases = CaseService(ws.database)
    auth = AuthService(ws.database)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    admin = None
    passwords = {}
    for name, role, unit in DEMO_USERS:
        if cases.store.principal(name) is None:
            cases.add_user(admin, name, Role(role), unit, now, contact=f"{unit} desk, +00 000 000")
        if name == "demo-admin":
            admin = cases.principal(name)
        password = secrets.token_urlsafe(12)
        auth.set_password(admin, name, password, now)
        passwords[name] = password
    return passwords


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--platform-port", type=click.IntRange(1, 65535), default=8600, show_default=True)
@click.option("--scale", type=click.FloatRange(min=0.001), default=0.02, show_default=True)
@click.option("--days", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--live-days",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Further simulated days the live feed ingests while the demo runs.",
)
@click.option("--feed-seconds", type=click.FloatRange(min=5), default=90, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare everything, then stop (for scripts).")
@workspace_command
def demo(  # noqa: PLR0917 - one parameter per click option
    host: str,
    port: int,
    platform_port: int,
    scale: float,
    days: int,
    live_days: int,
    feed_seconds: float,
    seed: int,
    no_serve: bool,
    ws: Workspace,
) -> None:
    """Simulate a world, run the whole pipeline, start the platforms, serve the workbench."""
    world = ws.root / "world"
    if not (world / "world.json").exists():
        _iru(
            ws,
            "simulate",
            "--scale",
            str(scale),
            "--days",
            str(days + live_days),
            "--seed",
            str(seed),
            "--out",
            str(world),
            workspace=False,
        )
    all_days = _days(world)
    first = [p for d in all_days[:days] for p in _day_inputs(world, d)]
    _iru(ws, "ingest", *first, str(world / "follows.jsonl"))
    for name in ("known-content.csv", "known-texts.jsonl"):
        _iru(ws, "hashes", "import", str(world / "hashes" / name))
    _iru(ws, "indicators", "import", str(world / "knowledge" / "indicators.toml"))
    _iru(ws, "label", "import", str(world / "knowledge" / "labels.csv"))
    os.environ.setdefault("IRU_MEDIA_DIR", str(world / "media"))
    _iru(ws, "detect")
    _iru(ws, "train")
    _iru(ws, "detect")
    _iru(ws, "rank", "--top", "10", optional=True)
    passwords = _users(ws)
    secret = secrets.token_urlsafe(16)
    click.echo("")
    click.secho("demo accounts (passwords are new on every start):", bold=True)
    for name, role, unit in DEMO_USERS:
        click.echo(f"  {name:<16} {role:<10} unit {unit:<3} password {passwords[name]}")
    if no_serve:
        return
    platform = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "iru",
            "platform-sim",
            "serve",
            "--host",
            host,
            "--port",
            str(platform_port),
            "--time-scale",
            "120",
            "--callback-secret",
            secret,
        ],
    )
    os.environ.update(
        {
            "IRU_PLATFORM_API_URL": f"http://{host}:{platform_port}",
            "IRU_CALLBACK_URL": f"http://{host}:{port}/callbacks",
            "IRU_CALLBACK_SECRET": secret,
        }
    )
    live = _reopen(ws)  # the settings now name the platforms and the callbacks
    stop = threading.Event()
    feed = threading.Thread(
        target=_feed, args=(live, world, all_days[days:], feed_seconds, stop), daemon=True
    )
    feed.start()
    try:
        click.echo(
            f"platforms simulated on http://{host}:{platform_port} (2 min = 4 platform hours)"
        )
        run_server(live, host, port, dispatch_seconds=2.0)
    finally:
        stop.set()
        platform.terminate()
        platform.wait(timeout=10)


def _reopen(ws: Workspace) -> Workspace:
    from iru.config import load_settings

    flags = {"workspace": str(ws.root), "database_url": ws.settings["database_url"] or None}
    return Workspace(load_settings(flags=flags))


def _feed(
    ws: Workspace, world: Path, later: list[str], every: float, stop: threading.Event
) -> None:
    """Ingest the next simulated day every ``every`` seconds, then detect."""
    for day in later:
        if stop.wait(every):
            return
        try:
            _iru(ws, "ingest", *_day_inputs(world, day))
            _iru(ws, "detect")
        except Exception as exc:  # the feed is a demo nicety: report and go on
            click.echo(f"live feed: day {day} failed: {exc}", err=True)


__all__ = ["demo", "run_server", "serve"]
