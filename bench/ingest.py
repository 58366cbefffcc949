"""Ingest benchmark: 1,000,000 posts in twarc2 format into a fresh workspace.

Prints and writes (bench/results/ingest.json) posts per second for parse +
normalise + archive, the peak memory, and where the time goes (a cProfile
summary of a smaller run, so profiling overhead does not distort the main figure).

    python bench/ingest.py [--posts 1000000] [--profile-posts 100000]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from iru.config import load_settings
from iru.domain.jsonsafe import dumps
from iru.workspace import Workspace
from twarc_fixture import write_twarc_file

RESULTS = Path(__file__).resolve().parent / "results"


def _input(cache: Path, posts: int) -> Path:
    path = cache / f"twarc-{posts}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        write_twarc_file(tmp, posts=posts, seed=1, accounts=max(posts // 10, 1000))
        tmp.rename(path)
    return path


def _ingest(source: Path, root: Path) -> tuple[float, dict[str, dict[str, int]], dict[str, float]]:
    ws = Workspace(load_settings(flags={"workspace": str(root)}, environ={}))
    ws.database  # noqa: B018 - create and migrate before the clock starts
    started = time.perf_counter()
    report = ws.ingest_engine().run([source])
    elapsed = time.perf_counter() - started
    ws.close()
    tables = {
        name: {"read": c.read, "new": c.new, "duplicates": c.duplicates}
        for name, c in report.tables.items()
    }
    stages = {
        "archive_write_s": round(report.seconds["archive"], 2),
        "database_write_s": round(report.seconds["database"], 2),
        "read_parse_normalise_not_overlapped_s": round(
            elapsed - report.seconds["archive"] - report.seconds["database"], 2
        ),
        "bulk_batches": report.bulk_batches,
    }
    return elapsed, tables, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--profile-posts", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "iru-bench")
    parser.add_argument("--out", type=Path, default=RESULTS / "ingest.json")
    args = parser.parse_args()
    console = Console()
    args.cache.mkdir(parents=True, exist_ok=True)

    with console.status(f"generating {args.posts:,} tweets in twarc2 format"):
        started = time.perf_counter()
        source = _input(args.cache, args.posts)
        generated_s = time.perf_counter() - started
    size_mb = source.stat().st_size / 1e6

    root = Path(tempfile.mkdtemp(prefix="iru-bench-ws-"))
    try:
        with console.status("ingesting"):
            elapsed, tables, stages = _ingest(source, root / "ws")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        archive_mb = sum(p.stat().st_size for p in (root / "ws" / "archive").rglob("*")) / 1e6
    finally:
        shutil.rmtree(root, ignore_errors=True)

    profile_source = _input(args.cache, args.profile_posts)
    root = Path(tempfile.mkdtemp(prefix="iru-bench-prof-"))
    profiler = cProfile.Profile()
    try:
        ws = Workspace(load_settings(flags={"workspace": str(root / "ws")}, environ={}))
        ws.database  # noqa: B018
        profiler.enable()
        ws.ingest_engine().run([profile_source])
        profiler.disable()
        ws.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = sum(v[3] for v in stats.stats.values() if v[3]) or 1.0  # type: ignore[attr-defined]
    top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:15]  # type: ignore[attr-defined]
    where = [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "tottime_s": round(tt, 3),
            "share_of_profiled_tottime": round(tt / sum(v[2] for v in stats.stats.values()), 3),  # type: ignore[attr-defined]
            "calls": nc,
        }
        for (file, line, name), (_, nc, tt, _ct, _) in top
    ]
    del total

    posts = tables["posts"]["read"]
    result = {
        "benchmark": "ingest",
        "input": {
            "format": "twitter-v2 (twarc2 responses)",
            "posts": posts,
            "megabytes": round(size_mb, 1),
        },
        "seconds": round(elapsed, 2),
        "posts_per_second": round(posts / elapsed),
        "megabytes_per_second": round(size_mb / elapsed, 1),
        "peak_rss_megabytes": round(peak_mb),
        "archive_megabytes": round(archive_mb, 1),
        "records": tables,
        "generate_seconds": round(generated_s, 1),
        "target_posts_per_second": 100_000,
        "stages": stages,
        "where_the_time_goes": where,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(result, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")

    table = Table(title=f"iru ingest: {posts:,} posts, {size_mb:,.0f} MB twarc2")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("seconds", f"{elapsed:.2f}")
    table.add_row("posts/s", f"{posts / elapsed:,.0f} (target 100,000)")
    table.add_row("MB/s", f"{size_mb / elapsed:,.1f}")
    table.add_row("peak RSS", f"{peak_mb:,.0f} MB")
    table.add_row("archive on disk", f"{archive_mb:,.1f} MB")
    for name, value in stages.items():
        table.add_row(name.replace("_", " "), str(value))
    console.print(table)
    prof = Table(
        title=f"main thread, cProfile of {args.profile_posts:,} posts (the bulk worker thread is the 'acquire' wait)"
    )
    prof.add_column("function")
    prof.add_column("own s", justify="right")
    prof.add_column("share", justify="right")
    for row in where:
        prof.add_row(
            row["function"], f"{row['tottime_s']:.3f}", f"{row['share_of_profiled_tottime']:.0%}"
        )
    console.print(prof)
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
