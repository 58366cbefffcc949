"""Web load benchmark: concurrent analysts browsing the workbench of a large workspace.

Starts ``iru serve`` on a workspace holding at least 10⁶ posts (a simulated world,
ingested, with labels, indicators and the known-content list imported, detection run,
a model trained and detection run again) and lets ``--users`` simulated analysts (50
by default) browse it at once for ``--duration`` seconds (or ``--requests`` requests
in all). Each user logs in once with its own session (its own ``httpx.AsyncClient``),
then loops with no think time (or ``--think-ms``, each user starting at a random point
of its first cycle unless ``--no-stagger``): a queue page (``/queue`` or the
htmx fragment ``/queue/rows``, page 1–5), the account page of a random account of
``iru queue --top 500``, and that account's ``graph.json``. Before the clock starts, the
server's background work on start-up is let finish: the counter analysis, which a new
workbench computes once per data version (or reads back from the workspace's counter
cache), is waited for by polling ``/counter`` (``--counter-wait`` seconds at most; the time
is reported apart), then one user sends one request of each kind, timed and reported
apart (``--no-prime`` to skip): the figures are those of a server that has been up a while.

Measures the wall time of each request as the client sees it (client and server run
on the same machine and share its CPUs), and prints per kind of request (queue,
account, graph; log-in apart) and overall: requests, throughput, p50/p95/p99/max
latency and errors (a status of 400 or more, a redirect to the log-in page, an
exception or a timeout), with the posts stored and the target check (p95 < 200 ms,
0 errors; p99 < 500 ms). Figures are written to bench/results/web.json (``--out``).

The workspace is built once and reused (SQLite by default; ``--database-url`` for
another database). ``--build`` builds it first (the world goes to ``--world``, by
default next to the workspace), skipping the steps already done (recorded in ``<workspace>/bench-web-build.json``); scale 0.1 stores
about 33,000 distinct posts a day, so 33 days pass 10⁶ posts:

    python bench/web.py --workspace /tmp/iru-bench-web/ws --build [--scale 0.1] [--days 33] [--seed 7]
    python bench/web.py --workspace /tmp/iru-bench-web/ws [--users 50] [--duration 60]

The issue's two figures: 50 users with 2 s of think time (the latency target), and with
none (the throughput reached)::

    python bench/web.py --workspace /tmp/iru-bench-web/ws --think-ms 2000 --out bench/results/web_think2s.json
    python bench/web.py --workspace /tmp/iru-bench-web/ws --out bench/results/web.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_ROOT = Path(tempfile.gettempdir()) / "iru-bench-web"
BUILD_RECORD = "bench-web-build.json"
ADMIN = "bench-admin"
ANALYST = "bench-analyst"
UNIT = "EU"
KINDS = ("queue", "account", "graph")
TARGET_P95_MS = 200.0
TARGET_P99_MS = 500.0
COUNTER_READY = 'data-state="current"'
CSRF_FIELD = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)

console = Console(width=None if sys.stdout.isatty() else 110)


# --- the iru command line ----------------------------------------------------------------


def _iru(
    args: list[str],
    ws_args: list[str],
    *,
    stdin: str | None = None,
    check: bool = True,
    quiet: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m iru ARGS`` on the workspace; raise with its stderr when it fails."""
    command = [sys.executable, "-m", "iru", *args, *ws_args]
    result = subprocess.run(
        command,
        input=stdin,
        text=True,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.PIPE,
        check=False,
    )
    if check and result.returncode != 0:
        raise SystemExit(
            f"`iru {' '.join(args)}` failed ({result.returncode}):\n{result.stderr.strip()}"
        )
    return result


def _workspace_args(args: argparse.Namespace) -> list[str]:
    ws_args = ["--workspace", str(args.workspace)]
    if args.database_url:
        ws_args += ["--database-url", args.database_url]
    return ws_args


def build(args: argparse.Namespace, ws_args: list[str]) -> dict[str, float]:
    """Simulate, ingest, import the unit's knowledge, detect, train, detect; skip what is done."""
    world: Path = args.world or args.workspace.parent / "world"
    args.workspace.mkdir(parents=True, exist_ok=True)
    record_path = args.workspace / BUILD_RECORD
    record: dict[str, Any] = (
        json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    )
    world_key = {"scale": args.scale, "days": args.days, "seed": args.seed, "world": str(world)}
    if record and record.get("world") != world_key:
        raise SystemExit(
            f"{args.workspace} was built from {record.get('world')}, not {world_key}: "
            "choose another --workspace"
        )
    record["world"] = world_key
    steps: dict[str, float] = record.setdefault("steps", {})
    plan: list[tuple[str, list[str], bool]] = [
        (
            "simulate",
            [
                "simulate",
                "--scale",
                str(args.scale),
                "--days",
                str(args.days),
                "--seed",
                str(args.seed),
                "--out",
                str(world),
            ],
            False,
        ),
        (
            "ingest",
            [
                "ingest",
                str(world / "twitter"),
                str(world / "telegram"),
                str(world / "activitypub"),
                str(world / "follows.jsonl"),
            ],
            True,
        ),
        ("labels", ["label", "import", str(world / "knowledge" / "labels.csv")], True),
        (
            "indicators",
            ["indicators", "import", str(world / "knowledge" / "indicators.toml")],
            True,
        ),
        ("hashes", ["hashes", "import", str(world / "hashes" / "known-content.csv")], True),
        ("detect", ["detect"], True),
        ("train", ["train"], True),
        ("detect_after_train", ["detect"], True),
    ]
    for name, command, on_workspace in plan:
        if name in steps:
            console.print(f"[dim]build: {name} already done ({steps[name]:.0f} s)[/dim]")
            continue
        console.print(f"build: {name} …")
        started = time.perf_counter()
        _iru(command, ws_args if on_workspace else [], quiet=False)
        steps[name] = round(time.perf_counter() - started, 1)
        record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        console.print(f"build: {name} done in {steps[name]:.0f} s")
    return steps


def workspace_stats(ws_args: list[str]) -> dict[str, Any]:
    """Accounts and posts stored, from ``iru stats --format json``."""
    data = json.loads(_iru(["stats", "--format", "json"], ws_args).stdout)
    platforms = data["platforms"]
    return {
        "posts": sum(p["posts"] for p in platforms.values()),
        "accounts": sum(p["accounts"] for p in platforms.values()),
        "interactions": sum(p["interactions"] for p in platforms.values()),
        "media": sum(p["media"] for p in platforms.values()),
        "by_platform": platforms,
    }


def ensure_user(ws_args: list[str], password: str) -> None:
    """An admin when the workspace has no users, then the analyst; (re)set its password."""
    users = json.loads(_iru(["users", "list", "--format", "json"], ws_args).stdout or "[]")
    names = {u["name"] for u in users}
    if not users:
        _iru(["users", "add", ADMIN, "--role", "admin", "--unit", UNIT], ws_args)
        names.add(ADMIN)
    acting = ADMIN if ADMIN in names else next(u["name"] for u in users if u["role"] == "admin")
    if ANALYST not in names:
        _iru(
            ["users", "add", ANALYST, "--role", "analyst", "--unit", UNIT, "--user", acting],
            ws_args,
        )
    _iru(
        ["users", "passwd", ANALYST, "--password-stdin", "--user", acting],
        ws_args,
        stdin=f"{password}\n",
    )


def queued_accounts(ws_args: list[str], top: int) -> list[tuple[str, str]]:
    out = _iru(["queue", "--format", "csv", "--top", str(top), "--user", ANALYST], ws_args).stdout
    return [(r["platform"], r["account_id"]) for r in csv.DictReader(io.StringIO(out))]


# --- the server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def wait_for_server(server: subprocess.Popen[bytes], base: str, log: Path, timeout: float) -> float:
    """Poll ``GET /login`` until it answers 200; return the seconds it took to start."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(
                f"`iru serve` exited with {server.returncode} before answering:\n{_log_tail(log)}"
            )
        try:
            if httpx.get(f"{base}/login", timeout=2.0).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"`iru serve` did not answer within {timeout:.0f} s:\n{_log_tail(log)}")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process PID so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the load ------------------------------------------------------------------------------


@dataclass
class Samples:
    """Per-request records: kind, latency in ms, and an error description or None."""

    kinds: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    millis: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)

    def add(self, kind: str, millis: float, status: str, error: str | None, route: str) -> None:
        self.kinds.append(kind)
        self.routes.append(route)
        self.millis.append(millis)
        self.statuses[f"{kind} {status}"] += 1
        if error is not None:
            self.errors[f"{kind}: {error}"] += 1
            if len(self.error_examples) < 10:
                self.error_examples.append(f"{kind}: {error}")


@dataclass
class Load:
    accounts: list[tuple[str, str]]
    duration_s: float
    max_requests: int | None
    think_s: float
    warmup_s: float
    stagger: bool = True
    samples: Samples = field(default_factory=Samples)
    sent: int = 0
    deadline: float = 0.0
    warmup_until: float = 0.0
    login_seconds: float = 0.0
    counter_seconds: float | None = None
    counter_ready: bool | None = None
    cold: list[dict[str, Any]] = field(default_factory=list)

    def start(self) -> None:
        now = time.perf_counter()
        self.warmup_until = now + self.warmup_s
        self.deadline = self.warmup_until + self.duration_s

    def more(self) -> bool:
        if time.perf_counter() >= self.deadline:
            return False
        return self.max_requests is None or self.sent < self.max_requests


def _account_path(platform_name: str, account_id: str) -> str:
    return (
        f"/accounts/{urllib.parse.quote(platform_name, safe='')}"
        f"/{urllib.parse.quote(account_id, safe='')}"
    )


def _route(url: str) -> str:
    """The route template of URL: /queue, /queue/rows, /accounts/{platform}/{id}[/graph.json]."""
    path = url.split("?", 1)[0]
    if not path.startswith("/accounts/"):
        return path
    platform_name = path.split("/")[2]
    suffix = "/graph.json" if path.endswith("/graph.json") else ""
    return f"/accounts/{platform_name}/{{id}}{suffix}"


async def _request(
    client: httpx.AsyncClient, load: Load, kind: str, url: str, headers: dict[str, str]
) -> None:
    load.sent += 1
    started = time.perf_counter()
    status = "exception"
    error: str | None = None
    try:
        response = await client.get(url, headers=headers)
        await response.aread()
        status = str(response.status_code)
        if response.status_code >= 400:
            error = f"HTTP {response.status_code} on {url}"
        elif response.is_redirect and "/login" in response.headers.get("location", ""):
            error = f"redirected to log in from {url}"
    except httpx.TimeoutException as exc:
        status, error = "timeout", f"timeout ({type(exc).__name__}) on {url}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc} on {url}"
    finished = time.perf_counter()
    if started >= load.warmup_until:
        load.samples.add(kind, (finished - started) * 1000, status, error, _route(url))


async def _log_in(client: httpx.AsyncClient, load: Load, password: str) -> bool:
    started = time.perf_counter()
    error: str | None = None
    status = "exception"
    try:
        page = await client.get("/login")
        form = {"name": ANALYST, "password": password, "next": "/queue"}
        match = CSRF_FIELD.search(page.text)
        if match:
            form["csrf_token"] = match.group(1) or match.group(2)
        response = await client.post("/login", data=form)
        status = str(response.status_code)
        if response.status_code != 303 or "iru_session" not in client.cookies:
            error = f"log-in answered {response.status_code} without a session"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    load.samples.add("login", (time.perf_counter() - started) * 1000, status, error, "/login")
    return error is None


async def _browse(client: httpx.AsyncClient, load: Load, seed: int) -> None:
    rng = random.Random(seed)
    if load.think_s and load.stagger:
        # Users log in together; without this they would think in step for the whole
        # run, all 50 asking at the same instant every think time. Each begins at its
        # own point of one cycle (two thinks) instead, as analysts at work do.
        await asyncio.sleep(rng.uniform(0.0, 2 * load.think_s))
    while load.more():
        page = rng.randint(1, 5)
        if rng.random() < 0.5:
            await _request(client, load, "queue", f"/queue?page={page}", {})
        else:
            await _request(
                client, load, "queue", f"/queue/rows?page={page}", {"HX-Request": "true"}
            )
        path = _account_path(*rng.choice(load.accounts))
        if load.think_s:
            await asyncio.sleep(load.think_s)
        await _request(client, load, "account", path, {})
        await _request(client, load, "graph", f"{path}/graph.json", {})
        if load.think_s:
            await asyncio.sleep(load.think_s)


async def _await_counter(client: httpx.AsyncClient, load: Load, limit: float) -> None:
    """Poll ``/counter`` until it shows the analysis of the current data (or ``limit`` s)."""
    started = time.perf_counter()
    ready = False
    while time.perf_counter() - started < limit:
        try:
            response = await client.get("/counter")
            ready = response.status_code == 200 and COUNTER_READY in response.text
            failed = 'data-state="failed"' in response.text
        except httpx.HTTPError:
            ready = failed = False
        if ready or failed:
            break
        await asyncio.sleep(2.0)
    load.counter_seconds = time.perf_counter() - started
    load.counter_ready = ready
    console.print(
        f"[dim]counter analysis {'ready' if ready else '[red]not ready[/red]'} after "
        f"{load.counter_seconds:,.1f} s (not counted)[/dim]"
    )


async def _prime(client: httpx.AsyncClient, load: Load) -> None:
    """One request of each kind, one after the other, before the clock starts.

    The server builds some of its read models on first use; these first requests are
    timed and reported apart, so that the figures are those of a server that has been
    up a while rather than of 50 users all waiting on the same cold start.
    """
    path = _account_path(*load.accounts[0])
    for kind, url in (
        ("queue", "/queue"),
        ("queue", "/queue/rows?page=1"),
        ("account", path),
        ("graph", f"{path}/graph.json"),
    ):
        started = time.perf_counter()
        try:
            response = await client.get(url)
            status = str(response.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        millis = round((time.perf_counter() - started) * 1000, 1)
        load.cold.append({"kind": kind, "url": url, "status": status, "ms": millis})
        console.print(f"[dim]first request {url}: {status} in {millis:,.1f} ms[/dim]")


async def run_load(args: argparse.Namespace, base: str, load: Load, password: str) -> float:
    """Log every user in at once (timed apart), then browse; return the browsing seconds.

    Each user browses with a fresh client carrying its session cookie: connections left
    idle while the others log in would be closed by the server's keep-alive timeout,
    and a request racing that close fails for reasons of the benchmark's own making.
    """

    def client(cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base, timeout=args.timeout, follow_redirects=False, cookies=cookies
        )

    async with contextlib.AsyncExitStack() as stack:
        login_clients = [await stack.enter_async_context(client()) for _ in range(args.users)]
        started = time.perf_counter()
        logged_in = await asyncio.gather(*(_log_in(c, load, password) for c in login_clients))
        load.login_seconds = time.perf_counter() - started
        if args.counter_wait > 0 and any(logged_in):
            await _await_counter(login_clients[logged_in.index(True)], load, args.counter_wait)
        if args.prime and any(logged_in):
            await _prime(login_clients[logged_in.index(True)], load)
        sessions = [c.cookies for c, ok in zip(login_clients, logged_in, strict=True) if ok]
    console.print(
        f"{len(sessions)} of {args.users} users logged in in {load.login_seconds:.1f} s; "
        "browsing for "
        + (f"{args.requests} requests" if args.requests else f"{args.duration:.0f} s")
        + " …"
    )
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(client(cookies)) for cookies in sessions]
        load.start()
        started = time.perf_counter()
        await asyncio.gather(
            *(_browse(c, load, args.seed * 1000 + n) for n, c in enumerate(clients))
        )
        return time.perf_counter() - started


# --- figures -------------------------------------------------------------------------------


def _figures(millis: np.ndarray, errors: int, seconds: float) -> dict[str, Any]:
    if not len(millis):
        return {"requests": 0, "errors": errors}
    p50, p95, p99 = np.percentile(millis, [50, 95, 99])
    return {
        "requests": len(millis),
        "req_per_s": round(len(millis) / seconds, 1) if seconds else None,
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        "max_ms": round(float(millis.max()), 1),
        "mean_ms": round(float(millis.mean()), 1),
        "errors": errors,
    }


def summarise(samples: Samples, seconds: float, login_seconds: float) -> dict[str, Any]:
    kinds = np.array(samples.kinds)
    millis = np.array(samples.millis)
    errors_by_kind = Counter(key.split(":", 1)[0] for key in samples.errors.elements())
    by_kind = {
        kind: _figures(
            millis[kinds == kind],
            errors_by_kind[kind],
            login_seconds if kind == "login" else seconds,
        )
        for kind in ("login", *KINDS)
    }
    browsing = np.isin(kinds, KINDS)
    overall = _figures(millis[browsing], sum(errors_by_kind[k] for k in KINDS), seconds)
    routes = np.array(samples.routes)
    by_route = {
        route: _figures(millis[routes == route], 0, seconds)
        for route in sorted(set(samples.routes) - {"/login"})
    }
    for figures in by_route.values():
        del figures["errors"]
    return {"by_kind": by_kind, "overall": overall, "by_route": by_route}


def report(result: dict[str, Any]) -> None:
    stats = result["workspace_stats"]
    console.print(
        f"workspace {result['settings']['workspace']}: [bold]{stats['posts']:,}[/bold] posts, "
        f"{stats['accounts']:,} accounts, {stats['interactions']:,} interactions "
        f"({'≥' if stats['posts'] >= 1_000_000 else '[red]<[/red]'} 10⁶ posts)"
    )
    settings = result["settings"]
    console.print(
        f"{settings['users']} users for {result['load_seconds']:.1f} s, think "
        f"{settings['think_ms']} ms, {result['queued_accounts']} queued accounts browsed; "
        f"server up in {result['server_start_seconds']:.1f} s, {settings['users']} log-ins took "
        f"{result['login_seconds']:.1f} s (apart from the browsing figures); "
        f"{result['machine']['cpu_count']} CPUs, load average "
        f"{result['machine']['loadavg_before'][0]} before, {result['machine']['loadavg_after'][0]} after; "
        f"CPU seconds: server {result['machine']['server_cpu_s']}, "
        f"client {result['machine']['client_cpu_s']}"
    )
    if result["first_requests"]:
        console.print(
            "first requests (cold, not counted): "
            + ", ".join(
                f"{r['url']} {r['status']} {r['ms']:,.0f} ms" for r in result["first_requests"]
            )
        )
    table = Table(title="iru serve under load (latency in ms, as the client sees it)")
    table.add_column("kind")
    for column in ("requests", "req/s", "p50", "p95", "p99", "max", "errors"):
        table.add_column(column, justify="right")
    rows = [*result["by_kind"].items(), ("overall", result["overall"])]
    for kind, f in rows:
        if not f["requests"]:
            table.add_row(kind, "0", "", "", "", "", str(f["errors"]))
            continue
        table.add_row(
            f"[bold]{kind}[/bold]" if kind == "overall" else kind,
            f"{f['requests']:,}",
            f"{f['req_per_s']:,.1f}",
            f"{f['p50_ms']:.1f}",
            f"{f['p95_ms']:.1f}",
            f"{f['p99_ms']:.1f}",
            f"{f['max_ms']:.1f}",
            f"[red]{f['errors']}[/red]" if f["errors"] else "0",
        )
    console.print(table)
    routes = Table(title="by route (ms)")
    for column in ("route", "requests", "p50", "p95", "p99"):
        routes.add_column(column, justify="left" if column == "route" else "right")
    for route, f in result["by_route"].items():
        routes.add_row(
            route,
            f"{f['requests']:,}",
            f"{f['p50_ms']:.1f}",
            f"{f['p95_ms']:.1f}",
            f"{f['p99_ms']:.1f}",
        )
    console.print(routes)
    for example in result["error_examples"]:
        console.print(f"[red]error[/red] {example}")
    target = result["target"]
    verdict = "[green]met[/green]" if target["met"] else "[red]not met[/red]"
    console.print(
        f"target p95 < {TARGET_P95_MS:.0f} ms, p99 < {TARGET_P99_MS:.0f} ms and 0 errors with "
        f"≥ 10⁶ posts: {verdict} (p95 {target['p95_ms']} ms, p99 {target['p99_ms']} ms, "
        f"{target['errors']} errors, {stats['posts']:,} posts)"
    )


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=DEFAULT_ROOT / "ws")
    parser.add_argument("--database-url", default=None, help="Default: SQLite in the workspace.")
    parser.add_argument("--build", action="store_true", help="Build the workspace first.")
    parser.add_argument("--world", type=Path, default=None, help="Default: <workspace>/../world.")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=33)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of load.")
    parser.add_argument("--requests", type=int, default=None, help="Stop after N requests.")
    parser.add_argument("--think-ms", type=float, default=0.0)
    parser.add_argument("--warmup", type=float, default=0.0, help="Seconds not counted.")
    parser.add_argument(
        "--no-stagger",
        dest="stagger",
        action="store_false",
        help="With --think-ms: start every user at once (they then think in step).",
    )
    parser.add_argument(
        "--no-prime",
        dest="prime",
        action="store_false",
        help="Do not send one request of each kind before the clock starts.",
    )
    parser.add_argument(
        "--counter-wait",
        type=float,
        default=900.0,
        help="Seconds to wait at most for the counter analysis before the clock starts "
        "(0: do not wait).",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="Per request, seconds.")
    parser.add_argument("--top", type=int, default=500, help="Queued accounts to browse.")
    parser.add_argument("--port", type=int, default=None, help="Default: a free port.")
    parser.add_argument(
        "--workers", type=int, default=1, help="`iru serve --workers`: server processes."
    )
    parser.add_argument("--start-timeout", type=float, default=180.0)
    parser.add_argument("--password", default="bench-analyst-pass-1234")
    parser.add_argument("--out", type=Path, default=RESULTS / "web.json")
    args = parser.parse_args()
    if len(args.password) < 12:
        parser.error("--password needs at least 12 characters")
    ws_args = _workspace_args(args)

    build_steps = build(args, ws_args) if args.build else {}
    if not build_steps and (args.workspace / BUILD_RECORD).exists():
        build_steps = json.loads((args.workspace / BUILD_RECORD).read_text(encoding="utf-8"))[
            "steps"
        ]
    # Everything that opens the workspace runs before the server holds it.
    stats = workspace_stats(ws_args)
    console.print(f"workspace: {stats['posts']:,} posts, {stats['accounts']:,} accounts")
    ensure_user(ws_args, args.password)
    accounts = queued_accounts(ws_args, args.top)
    if not accounts:
        raise SystemExit(f"`iru queue` of {ANALYST} is empty: run detection first (--build)")

    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    args.workspace.parent.mkdir(parents=True, exist_ok=True)
    log = args.workspace.parent / "bench-web-serve.log"
    serve = [sys.executable, "-m", "iru", "serve", "--host", "127.0.0.1", "--port", str(port)]
    serve += ["--workers", str(args.workers)]
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [*serve, *ws_args], stdout=log_file, stderr=subprocess.STDOUT, cwd=args.workspace.parent
        )
        try:
            start_seconds = wait_for_server(server, base, log, args.start_timeout)
            console.print(f"iru serve answers on {base} after {start_seconds:.1f} s")
            load = Load(
                accounts=accounts,
                duration_s=args.duration,
                max_requests=args.requests,
                think_s=args.think_ms / 1000,
                stagger=args.stagger,
                warmup_s=args.warmup,
            )
            load_before = os.getloadavg()
            server_cpu_before = _cpu_seconds(server.pid)
            client_cpu_before = time.process_time()
            seconds = asyncio.run(run_load(args, base, load, args.password))
            client_cpu = time.process_time() - client_cpu_before
            server_cpu_after = _cpu_seconds(server.pid)
            load_after = os.getloadavg()
            if server.poll() is not None:
                console.print(f"[red]iru serve died ({server.returncode}):[/red]\n{_log_tail(log)}")
        finally:
            stop_server(server)

    measured = max(seconds - args.warmup, 1e-9)
    figures = summarise(load.samples, measured, load.login_seconds)
    overall = figures["overall"]
    total_errors = overall["errors"] + figures["by_kind"]["login"]["errors"]
    result: dict[str, Any] = {
        "benchmark": "web",
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # Other work on the machine skews latency: 1/5/15-minute load averages.
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            # CPU seconds spent during log-in and browsing, by the server and by this client.
            "server_cpu_s": round(server_cpu_after - server_cpu_before, 1)
            if server_cpu_before is not None and server_cpu_after is not None
            else None,
            "client_cpu_s": round(client_cpu, 1),
        },
        "settings": {
            "workspace": str(args.workspace),
            "database": args.database_url or "sqlite (workspace)",
            "users": args.users,
            "workers": args.workers,
            "duration_s": args.duration,
            "requests": args.requests,
            "think_ms": args.think_ms,
            "stagger": args.stagger,
            "warmup_s": args.warmup,
            "prime": args.prime,
            "counter_wait_s": args.counter_wait,
            "timeout_s": args.timeout,
            "seed": args.seed,
        },
        "build_seconds": build_steps,
        "workspace_stats": stats,
        "queued_accounts": len(accounts),
        "server_start_seconds": round(start_seconds, 2),
        "login_seconds": round(load.login_seconds, 2),
        "counter_ready": load.counter_ready,
        "counter_wait_seconds": round(load.counter_seconds, 1)
        if load.counter_seconds is not None
        else None,
        "first_requests": load.cold,
        "load_seconds": round(measured, 2),
        **figures,
        "statuses": dict(sorted(load.samples.statuses.items())),
        "errors": dict(load.samples.errors.most_common()),
        "error_examples": load.samples.error_examples,
        "target": {
            "p95_ms": overall.get("p95_ms"),
            "p99_ms": overall.get("p99_ms"),
            "errors": total_errors,
            "posts_at_least_1e6": stats["posts"] >= 1_000_000,
            "met": overall.get("p95_ms") is not None
            and overall["p95_ms"] < TARGET_P95_MS
            and overall["p99_ms"] < TARGET_P99_MS
            and total_errors == 0
            and stats["posts"] >= 1_000_000,
        },
    }
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
