"""Pipeline benchmark: a simulated month through every stage, as a unit runs it from the shell.

Each stage is one ``iru`` command in its own process, from a cold start, the way a unit
runs it: simulate, ingest (every day's exports and the follow edges), load the unit's
knowledge (hash lists, indicator rules, analysts' labels), detect (post detectors,
account assessment, automatic compaction), train, detect again with the model, build
the network inputs (``iru network summary``), rank, and the counter analysis. For each
stage: wall seconds, CPU seconds and the process's peak memory (from ``wait4``), and
the archive's part files after it. Targets from issue 18 at ``--scale 1 --days 30``:
ingest + detect within 5 minutes, the network inputs within 15 seconds.

Prints and writes (bench/results/pipeline.json).

    python bench/pipeline.py [--scale 1] [--days 30] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


def _run(stage: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One ``iru`` command: its wall and CPU seconds and peak memory (its own, via wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "iru", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{stage}: iru {' '.join(args)} failed:\n{err.decode()[-2000:]}")
    return {
        "stage": stage,
        "seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "output_tail": out.decode(errors="replace")[-400:],
    }


def _parts(workspace: Path) -> int:
    return sum(1 for _ in (workspace / "archive").glob("*/platform=*/day=*/*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="Work here and keep the folder.")
    parser.add_argument("--out", type=Path, default=RESULTS / "pipeline.json")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="iru-bench-pipeline-"))
    root.mkdir(parents=True, exist_ok=True)
    world, workspace = root / "world", root / "ws"
    env = {
        **os.environ,
        "IRU_WORKSPACE": str(workspace),
        "IRU_PROGRESS": "false",
        "IRU_MEDIA_DIR": str(world / "media"),
    }
    stages: list[dict[str, Any]] = []
    try:
        if not (world / "world.json").exists():
            stages.append(
                _run(
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
                    env,
                )
            )
        inputs = [str(world / name) for name in ("twitter", "telegram", "activitypub")]
        stages.append(_run("ingest", ["ingest", *inputs, str(world / "follows.jsonl")], env))
        stages[-1]["part_files"] = _parts(workspace)
        for name in ("known-content.csv", "known-texts.jsonl"):
            _run("knowledge", ["hashes", "import", str(world / "hashes" / name)], env)
        _run(
            "knowledge", ["indicators", "import", str(world / "knowledge" / "indicators.toml")], env
        )
        _run("knowledge", ["label", "import", str(world / "knowledge" / "labels.csv")], env)
        stages.append(_run("detect", ["detect"], env))
        stages[-1]["part_files"] = _parts(workspace)
        stages.append(_run("train", ["train"], env))
        stages.append(_run("detect (model)", ["detect"], env))
        stages.append(_run("network inputs", ["network", "summary", "--format", "json"], env))
        stages.append(_run("rank", ["rank", "--top", "100", "--format", "json"], env))
        stages.append(_run("counter", ["counter", "segments", "--format", "json"], env))
        stats = json.loads(
            subprocess.run(
                [sys.executable, "-m", "iru", "stats", "--format", "json"],
                env=env,
                capture_output=True,
                check=True,
            ).stdout
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    posts = sum(int(p.get("posts", 0)) for p in stats.get("platforms", {}).values())
    by_stage = {s["stage"]: s for s in stages}
    ingest_detect = by_stage["ingest"]["seconds"] + by_stage["detect"]["seconds"]
    result = {
        "benchmark": "pipeline",
        "scale": args.scale,
        "days": args.days,
        "seed": args.seed,
        "cores": os.cpu_count(),
        "posts": posts,
        "stages": [{k: v for k, v in s.items() if k != "output_tail"} for s in stages],
        "ingest_plus_detect_seconds": round(ingest_detect, 2),
        "ingest_plus_detect_posts_per_second": round(posts / ingest_detect) if ingest_detect else 0,
        "network_inputs_seconds": by_stage["network inputs"]["seconds"],
        "targets": {"ingest_plus_detect_seconds": 300, "network_inputs_seconds": 15},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    table = Table(title=f"pipeline: scale {args.scale}, {args.days} days, {posts:,} posts")
    for column in ("stage", "seconds", "cpu s", "peak MB", "part files"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for s in stages:
        table.add_row(
            s["stage"],
            f"{s['seconds']:,.1f}",
            f"{s['cpu_seconds']:,.1f}",
            f"{s['peak_rss_mb']:,}",
            f"{s.get('part_files', '')}",
        )
    Console().print(table)
    Console().print(
        f"ingest + detect: {ingest_detect:,.1f} s ({result['ingest_plus_detect_posts_per_second']:,}"
        f" posts/s; target 300 s at full scale); network inputs: "
        f"{result['network_inputs_seconds']:,.1f} s (target 15 s)"
    )


if __name__ == "__main__":
    main()
