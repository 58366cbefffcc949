"""Simulator benchmark: how fast a full-scale day (the census world) is generated and written.

Prints and writes (bench/results/simulate.json) posts generated per second, the
seconds per simulated day, and the calibration figures of the generated world.

    python bench/simulate.py [--scale 1.0] [--days 1]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from iru.domain.jsonsafe import dumps
from iru.sim.calibration import calibration_report
from iru.sim.config import WorldConfig
from iru.sim.output import WorldWriter
from iru.sim.world import DayOutput, World

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "simulate.json")
    args = parser.parse_args()
    config = WorldConfig(seed=args.seed, days=args.days, scale=args.scale)
    root = Path(tempfile.mkdtemp(prefix="iru-bench-sim-"))
    posts = supporter_posts = 0

    def count(day: DayOutput) -> None:
        nonlocal posts, supporter_posts
        posts += sum(len(p.posts) for p in day.platforms.values())
        supporter_posts += day.supporter_posts

    day_seconds: list[float] = []
    try:
        started = time.perf_counter()
        world = World(config)
        built = time.perf_counter() - started
        writer = WorldWriter(world, root / "out")
        for _ in range(args.days):
            t0 = time.perf_counter()
            day = world.step()
            writer.write_day(day)
            count(day)
            day_seconds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        writer.finish()  # also waits for the last day's files
        finished = time.perf_counter() - t0
        elapsed = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in (root / "out").rglob("*") if p.is_file()) / 1e6
    finally:
        shutil.rmtree(root, ignore_errors=True)
    figures = calibration_report(config, world.accounts, supporter_posts / args.days)
    result = {
        "benchmark": "simulate",
        "scale": args.scale,
        "days": args.days,
        "accounts": len(world.accounts),
        "posts": posts,
        "supporter_posts_per_day": supporter_posts / args.days,
        "seconds": round(elapsed, 2),
        "seconds_build_world": round(built, 2),
        "seconds_per_day": round(sum(day_seconds) / args.days, 2),
        "seconds_finish": round(finished, 2),
        "posts_per_second": round(posts / sum(day_seconds)),
        "output_megabytes": round(size_mb, 1),
        "peak_rss_megabytes": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "calibration": [
            {"figure": f.name, "value": f.value, "target": f.target, "ok": f.ok} for f in figures
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(result, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    table = Table(title=f"iru simulate: scale {args.scale:g}, {args.days} day(s)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in (
        "accounts",
        "posts",
        "supporter_posts_per_day",
        "seconds_build_world",
        "seconds_per_day",
        "seconds_finish",
        "seconds",
        "posts_per_second",
        "output_megabytes",
        "peak_rss_megabytes",
    ):
        value = result[key]
        table.add_row(
            key.replace("_", " "),
            f"{value:,.0f}" if isinstance(value, float) and value > 100 else f"{value:,}",
        )
    Console().print(table)
    for f in figures:
        print(f"  {'ok ' if f.ok else 'OFF'} {f.name}: {f.value:,.3f} (target {f.target})")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
