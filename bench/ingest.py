"""Ingest benchmark: a twarc2 file (1,000,000 posts by default) into a fresh workspace.

Prints and writes (bench/results/ingest.json) posts per second for read + parse +
normalise + deduplicate + store, the CPU seconds of iru's process and of its parsing
workers, the peak memory of all of them together (proportional set size, so pages the
workers share with their parent count once), and, measured in the same run on the
same file, two side-by-side baselines: DuckDB reading the file straight into Parquet
(``read_json`` -> ``COPY ... TO``), and a JSON decoder merely decoding every line
(orjson where it is installed, else msgspec: the floor for anything that reads JSON).
A cProfile summary of a smaller run (``--profile-posts``; 0 skips it) says where the
main process spends its time.

    python bench/ingest.py [--posts 1000000] [--profile-posts 100000] [--chunk-mb 32]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import platform
import pstats
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from iru.config import load_settings
from iru.domain.jsonsafe import dumps
from iru.workspace import Workspace
from twarc_fixture import write_twarc_file

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_POSTS_PER_SECOND = 100_000
TARGET_PEAK_MB = 1024


def _input(cache: Path, posts: int) -> Path:
    path = cache / f"twarc-{posts}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        write_twarc_file(tmp, posts=posts, seed=1, accounts=max(posts // 10, 1000))
        tmp.rename(path)
    return path


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with Path(f"/proc/{entry.name}/stat").open(encoding="ascii", errors="replace") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(Pss, Rss) of one process in kB; (0, 0) when it is gone."""
    values = {"Pss:": 0, "Rss:": 0}
    try:
        with Path(f"/proc/{pid}/smaps_rollup").open(encoding="ascii") as rollup:
            for line in rollup:
                name, _, rest = line.partition(" ")
                if name in values:
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError):
        pass
    return values["Pss:"], values["Rss:"]


@contextmanager
def peak_memory(interval: float = 0.25) -> Iterator[dict[str, float]]:
    """Samples this process and its descendants; yields {'pss_mb', 'rss_mb'} peaks of
    their sums, and 'cpu_s', the sampling's own CPU time (in this process's figure),
    filled in when the block ends. Linux only; zeros elsewhere."""
    peak = {"pss_mb": 0.0, "rss_mb": 0.0, "cpu_s": 0.0}
    stop = threading.Event()
    sampling = Path("/proc/self/smaps_rollup").exists()

    def sample() -> None:
        pids: list[int] = []
        for tick in itertools.count():
            if tick % 8 == 0:  # the workers come and go seldom: look for them every 2 s
                pids = _descendants(os.getpid())
            totals = [_memory_kb(pid) for pid in pids]
            peak["pss_mb"] = max(peak["pss_mb"], sum(t[0] for t in totals) / 1024)
            peak["rss_mb"] = max(peak["rss_mb"], sum(t[1] for t in totals) / 1024)
            peak["cpu_s"] = time.thread_time()
            if stop.wait(interval):
                return

    thread = threading.Thread(target=sample, daemon=True)
    if sampling:
        thread.start()
    try:
        yield peak
    finally:
        stop.set()
        if sampling:
            thread.join()


def _timed(run: Callable[[], Any]) -> dict[str, float]:
    own, children = _cpu()
    started = time.perf_counter()
    with peak_memory() as peak:
        run()
    elapsed = time.perf_counter() - started
    own_after, children_after = _cpu()
    return {
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(own_after - own + children_after - children - peak["cpu_s"], 2),
        "peak_pss_megabytes": round(peak["pss_mb"]),
    }


def _ingest(source: Path, root: Path, chunk_mb: int) -> dict[str, Any]:
    flags = {"workspace": str(root), "ingest_chunk_mb": chunk_mb}
    ws = Workspace(load_settings(flags=flags, environ={}))
    ws.database  # noqa: B018 - create and migrate before the clock starts
    own, children = _cpu()
    started = time.perf_counter()
    with peak_memory() as peak:
        report = ws.ingest_engine().run([source])
    elapsed = time.perf_counter() - started
    own_after, children_after = _cpu()
    ws.close()
    return {
        "seconds": elapsed,
        "cpu_main_s": round(own_after - own - peak["cpu_s"], 2),
        "cpu_workers_s": round(children_after - children, 2),
        "peak": dict(peak),
        "tables": {
            name: {"read": c.read, "new": c.new, "duplicates": c.duplicates}
            for name, c in report.tables.items()
        },
        "stages": {
            "archive_write_main_thread_s": round(report.seconds["archive"], 2),
            "database_write_s": round(report.seconds["database"], 2),
            "bulk_batches": report.bulk_batches,
        },
    }


def _duckdb_to_parquet(source: Path, out: Path) -> None:
    import duckdb

    conn = duckdb.connect()
    try:
        conn.execute(
            "COPY (SELECT * FROM read_json(?, format = 'newline_delimited')) "
            f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)",
            [str(source)],
        )
    finally:
        conn.close()


def _decoder() -> tuple[str, Callable[[bytes], Any]]:
    try:
        import orjson
    except ImportError:
        import msgspec

        return f"msgspec {msgspec.__version__}", msgspec.json.Decoder().decode
    return f"orjson {orjson.__version__}", orjson.loads


def _decode_all(source: Path, decode: Callable[[bytes], Any]) -> None:
    with source.open("rb") as handle:
        for line in handle:
            if line.strip():
                decode(line)


def _profile(source: Path) -> list[dict[str, Any]]:
    root = Path(tempfile.mkdtemp(prefix="iru-bench-prof-"))
    profiler = cProfile.Profile(time.process_time)
    try:
        ws = Workspace(load_settings(flags={"workspace": str(root / "ws")}, environ={}))
        ws.database  # noqa: B018
        profiler.enable()
        ws.ingest_engine().run([source])
        profiler.disable()
        ws.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    own_total = sum(v[2] for v in stats.values()) or 1.0
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    return [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "cpu_s": round(tt, 3),
            "share_of_main_process_cpu": round(tt / own_total, 3),
            "calls": nc,
        }
        for (file, line, name), (_, nc, tt, _ct, _) in top
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--profile-posts", type=int, default=100_000, help="0: no profile")
    parser.add_argument("--chunk-mb", type=int, default=32, help="the ingest_chunk_mb setting")
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
            run = _ingest(source, root / "ws", args.chunk_mb)
        archive_mb = sum(p.stat().st_size for p in (root / "ws" / "archive").rglob("*")) / 1e6
        with console.status("DuckDB: read_json -> Parquet"):
            duck = _timed(lambda: _duckdb_to_parquet(source, root / "duckdb.parquet"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    decoder_name, decode = _decoder()
    with console.status(f"{decoder_name}: decoding every line"):
        decoded = _timed(lambda: _decode_all(source, decode))

    where: list[dict[str, Any]] = []
    if args.profile_posts:
        with console.status(f"profiling {args.profile_posts:,} posts"):
            where = _profile(_input(args.cache, args.profile_posts))

    elapsed = run["seconds"]
    posts = run["tables"]["posts"]["read"]
    peak_mb = run["peak"]["pss_mb"]
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
        "cpu_seconds": {"main_process": run["cpu_main_s"], "parse_workers": run["cpu_workers_s"]},
        "peak_memory_megabytes": round(peak_mb),
        "peak_rss_sum_megabytes": round(run["peak"]["rss_mb"]),
        "archive_megabytes": round(archive_mb, 1),
        "records": run["tables"],
        "settings": {"ingest_chunk_mb": args.chunk_mb, "bulk_workers": _workers()},
        "targets": {
            "posts_per_second": TARGET_POSTS_PER_SECOND,
            "peak_memory_megabytes": TARGET_PEAK_MB,
        },
        "side_by_side": {
            "duckdb_read_json_to_parquet": duck,
            "json_decode_only": {"decoder": decoder_name, **decoded},
            "iru_seconds_over_duckdb": round(elapsed / duck["seconds"], 2),
            "iru_seconds_over_decode_only": round(elapsed / decoded["seconds"], 2),
        },
        "generate_seconds": round(generated_s, 1),
        "stages": run["stages"],
        "where_the_time_goes": where,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(result, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    _print(console, result, where, args.profile_posts)
    console.print(f"written to {args.out}")


def _workers() -> int:
    try:
        from iru.ingest.bulk import default_workers
    except ImportError:  # a tree from before the worker pool
        return 0
    return default_workers()


def _print(
    console: Console, result: dict[str, Any], where: list[dict[str, Any]], profiled: int
) -> None:
    posts = result["input"]["posts"]
    side = result["side_by_side"]
    duck = side["duckdb_read_json_to_parquet"]
    decoded = side["json_decode_only"]
    table = Table(title=f"iru ingest: {posts:,} posts, {result['input']['megabytes']:,.0f} MB")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("seconds", f"{result['seconds']:.2f}")
    table.add_row("posts/s", f"{result['posts_per_second']:,} (target {TARGET_POSTS_PER_SECOND:,})")
    table.add_row("MB/s", f"{result['megabytes_per_second']:,.1f}")
    cpu = result["cpu_seconds"]
    table.add_row("CPU s (main / workers)", f"{cpu['main_process']} / {cpu['parse_workers']}")
    table.add_row(
        "peak memory, all processes (PSS)",
        f"{result['peak_memory_megabytes']:,} MB (target ≤ {TARGET_PEAK_MB:,})",
    )
    table.add_row("archive on disk", f"{result['archive_megabytes']:,.1f} MB")
    table.add_row(
        "DuckDB read_json -> Parquet",
        f"{duck['seconds']:.2f} s, {duck['cpu_seconds']} CPU s, {duck['peak_pss_megabytes']:,} MB",
    )
    table.add_row(
        f"{decoded['decoder']} decode only",
        f"{decoded['seconds']:.2f} s, {decoded['cpu_seconds']} CPU s",
    )
    table.add_row("iru / DuckDB (time)", f"{side['iru_seconds_over_duckdb']:.2f}×")
    table.add_row("iru / decode only (time)", f"{side['iru_seconds_over_decode_only']:.2f}×")
    for name, value in result["stages"].items():
        table.add_row(name.replace("_", " "), str(value))
    table.add_row("load average (1 min) after", str(result["machine"]["load_average_1min"]))
    console.print(table)
    if where:
        prof = Table(title=f"main process, CPU profile of {profiled:,} posts")
        prof.add_column("function")
        prof.add_column("CPU s", justify="right")
        prof.add_column("share", justify="right")
        for row in where:
            prof.add_row(
                row["function"], f"{row['cpu_s']:.3f}", f"{row['share_of_main_process_cpu']:.0%}"
            )
        console.print(prof)


if __name__ == "__main__":
    main()
