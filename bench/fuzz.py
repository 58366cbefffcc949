"""Fuzz benchmark: every reader over 10⁵ fuzzed records, every route over hostile requests.

Readers: for each export shape (twarc2 responses, twarc2 flattened, Telegram, ActivityPub,
iru JSONL) about ``--records`` input records are generated from the sample files (fresh
ids and text, a share ``--rate`` mutated with hostile values, some lines garbage; see
tests/fuzz/corpus.py), written as realistic export files (≤ 10,000 records each) and
ingested file by file into a fresh workspace. Then every input record is looked up:
stored, quarantined with a reason, in a file refused as a whole (with a reason), or lost.

Routes: a small simulated world is built (tests/fuzz/web_world.py) and every route of the
workbench (pages, JSON API, log-in, callbacks) gets ``--route-sets`` hostile requests,
roles in turn (analyst, supervisor, auditor, admin, nobody).

Prints, per reader and per route group, crashes (must be 0), stored, quarantined, lost
(must be 0), 500s (must be 0) and the time; writes bench/results/fuzz.json. Exits 1 when a
target is missed.

    python bench/fuzz.py [--records 100000] [--route-sets 20] [--rate 0.3] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.fuzz.corpus import SHAPES, stored_keys, unaccounted, write_fuzz_file  # noqa: E402
from tests.fuzz.routes import GROUPS, ROUTES, requests_for  # noqa: E402

from iru.config import load_settings  # noqa: E402
from iru.workspace import Workspace  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FILE_RECORDS = 10_000
console = Console(width=None if sys.stdout.isatty() else 120)


def _crash(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    return f"{type(exc).__name__}: {str(exc)[:160]}{where}"


def fuzz_reader(  # noqa: PLR0917 - the run's settings
    shape: str, records: int, rate: float, seed: int, work: Path, database_url: str
) -> dict[str, Any]:
    """Generate, ingest and account for ``records`` fuzzed records of one shape."""
    folder = work / shape
    folder.mkdir()
    started = time.perf_counter()
    files = []
    left, index = records, 0
    while left > 0:
        size = min(FILE_RECORDS, left)
        fz = write_fuzz_file(shape, seed * 1000 + index, folder, size, rate=rate, gz=index % 3 == 2)
        files.append(fz)
        left -= len(fz.units)
        index += 1
    generate_s = time.perf_counter() - started
    ws = Workspace(
        load_settings(
            flags={"workspace": str(folder / "ws"), "database_url": database_url}, environ={}
        )
    )
    crashes: list[str] = []
    unreadable: list[str] = []
    engine = ws.ingest_engine()
    started = time.perf_counter()
    for fz in files:
        try:
            report = engine.run([fz.path], fz.format_name)
        except Exception as exc:  # counted and printed: the point of the bench
            crashes.append(f"{fz.path.name}: {_crash(exc)}")
            continue
        unreadable.extend(report.unreadable)
    ingest_s = time.perf_counter() - started
    try:
        stored = stored_keys(ws)
    except Exception as exc:  # the archive itself no longer reads: every file counts
        crashes.append(f"(reading the archive after ingest): {_crash(exc)}")
        stored = set()
    rows = ws.database.quarantine_rows()
    by_source: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append((row["locator"], row["reason"]))
    crashed = {line.split(":", 1)[0] for line in crashes}
    counts: Counter[str] = Counter()
    lost: list[str] = []
    for fz in files:
        if fz.path.name in crashed:
            counts["in crashed files"] += len(fz.units)
            continue
        if any(str(fz.path) in line for line in unreadable):
            counts["refused"] += len(fz.units)
            continue
        quarantined = by_source.get(str(fz.path.resolve()), [])
        problems = unaccounted(fz.units, quarantined, stored)
        lost.extend(f"{fz.path.name}: {p[:200]}" for p in problems)
        counts["lost"] += len(problems)
        for unit in fz.units:
            if unit.key is not None and unit.key in stored:
                counts["stored"] += 1
        counts["quarantine rows"] += len(quarantined)
    total = sum(len(f.units) for f in files)
    counts["quarantined"] = total - counts["stored"] - counts["lost"] - counts["refused"]
    counts["quarantined"] -= counts["in crashed files"]
    ws.close()
    return {
        "records": total,
        "files": len(files),
        "megabytes": round(sum(f.path.stat().st_size for f in files) / 1e6, 1),
        "crashes": len(crashes),
        "stored": counts["stored"],
        "quarantined": counts["quarantined"],
        "quarantine_rows": counts["quarantine rows"],
        "refused_whole_file": counts["refused"],
        "in_crashed_files": counts["in crashed files"],
        "lost": counts["lost"],
        "generate_seconds": round(generate_s, 2),
        "ingest_seconds": round(ingest_s, 2),
        "records_per_second": round(total / ingest_s) if ingest_s else None,
        "crash_examples": crashes[:10],
        "lost_examples": lost[:10],
    }


def fuzz_routes(sets: int, seed: int, work: Path) -> dict[str, Any]:
    """Every route, ``sets`` hostile requests each, on a small world."""
    from fastapi.testclient import TestClient
    from tests.fuzz.web_world import CALLBACK_SECRET, Sessions, build_world, world_values

    from iru.web.app import create_app

    started = time.perf_counter()
    world = build_world(work / "web")
    build_s = time.perf_counter() - started
    ws = world.open()
    groups: dict[str, dict[str, Any]] = {}
    try:
        with TestClient(create_app(ws)) as client:
            sessions = Sessions(client, world)
            values = world_values(client, world)
            rng = random.Random(seed)
            for group in GROUPS:
                routes = tuple(r for r in ROUTES if r.group == group)
                requests = requests_for(rng, routes, sets, values, CALLBACK_SECRET)
                statuses: Counter[int] = Counter()
                failures: list[str] = []
                started = time.perf_counter()
                for number, request in enumerate(requests):
                    bearer = group == "api" and number % 2 == 1
                    try:
                        status = sessions.send(request, bearer=bearer).status_code
                    except Exception as exc:  # an unhandled error is a 500
                        status = 500
                        failures.append(f"{request.describe()[:200]} -> {_crash(exc)}")
                    else:
                        if status >= 500:
                            failures.append(f"{request.describe()[:200]} -> {status}")
                    statuses[status] += 1
                seconds = time.perf_counter() - started
                groups[group] = {
                    "routes": len(routes),
                    "requests": len(requests),
                    "server_errors": sum(n for s, n in statuses.items() if s >= 500),
                    "statuses": {str(k): v for k, v in sorted(statuses.items())},
                    "seconds": round(seconds, 2),
                    "ms_per_request": round(1000 * seconds / max(1, len(requests)), 1),
                    "failure_examples": failures[:10],
                }
    finally:
        ws.close()
    return {"build_world_seconds": round(build_s, 1), "groups": groups}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="input records per reader")
    parser.add_argument("--route-sets", type=int, default=20, help="hostile requests per route")
    parser.add_argument("--rate", type=float, default=0.3, help="share of records mutated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="readers to fuzz")
    parser.add_argument("--database-url", default="", help="default: SQLite in the workspace")
    parser.add_argument("--no-routes", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "fuzz.json")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="iru-bench-fuzz-"))
    readers: dict[str, Any] = {}
    routes: dict[str, Any] = {}
    try:
        for shape in args.shapes.split(","):
            with console.status(f"{shape}: {args.records:,} fuzzed records"):
                readers[shape] = fuzz_reader(
                    shape, args.records, args.rate, args.seed, work, args.database_url
                )
        if not args.no_routes:
            with console.status(f"routes: {args.route_sets} hostile requests each"):
                routes = fuzz_routes(args.route_sets, args.seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    crashes = sum(r["crashes"] for r in readers.values())
    lost = sum(r["lost"] for r in readers.values())
    errors = sum(g["server_errors"] for g in routes.get("groups", {}).values())
    result = {
        "benchmark": "fuzz",
        "records_per_reader": args.records,
        "mutation_rate": args.rate,
        "route_sets": args.route_sets,
        "seed": args.seed,
        "database": "postgresql" if args.database_url else "sqlite",
        "readers": readers,
        "routes": routes,
        "totals": {"crashes": crashes, "lost": lost, "server_errors": errors},
        "targets": {"crashes": 0, "lost": 0, "server_errors": 0},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    table = Table(title=f"iru fuzz: readers, {args.records:,} records each (rate {args.rate})")
    for column in ("reader", "records", "crashes", "stored", "quarantined", "refused", "lost"):
        table.add_column(column, justify="left" if column == "reader" else "right")
    table.add_column("ingest s", justify="right")
    for shape, r in readers.items():
        table.add_row(
            shape,
            f"{r['records']:,}",
            str(r["crashes"]),
            f"{r['stored']:,}",
            f"{r['quarantined']:,}",
            f"{r['refused_whole_file']:,}",
            str(r["lost"]),
            f"{r['ingest_seconds']:.1f}",
        )
    console.print(table)
    for shape, r in readers.items():
        for line in r["crash_examples"] + r["lost_examples"]:
            console.print(f"[red]{shape}[/red] {line}", markup=True, highlight=False)
    if routes:
        table = Table(title=f"iru fuzz: routes, {args.route_sets} hostile requests each")
        for column in ("group", "routes", "requests", "500s", "statuses", "ms/request"):
            table.add_column(column, justify="left" if column == "group" else "right")
        for group, g in routes["groups"].items():
            table.add_row(
                group,
                str(g["routes"]),
                str(g["requests"]),
                str(g["server_errors"]),
                " ".join(f"{k}:{v}" for k, v in g["statuses"].items()),
                f"{g['ms_per_request']:.1f}",
            )
        console.print(table)
        for group, g in routes["groups"].items():
            for line in g["failure_examples"]:
                console.print(f"[red]{group}[/red] {line}", markup=True, highlight=False)
    verdict = "ok" if crashes == lost == errors == 0 else "TARGET MISSED"
    console.print(f"crashes {crashes} · lost {lost} · 500s {errors} (all must be 0): {verdict}")
    console.print(f"results in {args.out}")
    if verdict != "ok":
        sys.exit(1)


if __name__ == "__main__":
    main()
