"""Start-up benchmark: how long ``iru`` takes before it does any work.

Runs, each in a fresh interpreter (the way a shell or a test subprocess runs iru),
``iru --help``, ``iru --version`` and ``iru stats`` on an empty workspace, and reports
the median wall and CPU time (user + system, of the child) of ``--runs`` runs after
one untimed warm-up (which also writes the bytecode caches and creates the empty
workspace). It also counts the modules that ``import iru.cli`` loads and the ones
``iru stats`` loads, naming the heavy libraries among them.

The source tree measured is the one next to this file; ``--before SRC`` measures
another ``src`` folder (e.g. a ``git worktree`` of an older commit) with the same
Python, so both sets of figures come from the same machine and interpreter:

    python bench/startup.py [--runs 7] [--before /tmp/startup-before/src]

Figures are printed and written to bench/results/startup.json; the targets
(``iru --help`` <= 0.3 s, ``iru stats`` on an empty workspace <= 1 s) are checked,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
HEAVY = (
    "sklearn",
    "igraph",
    "numba",
    "faiss",
    "fastapi",
    "uvicorn",
    "stix2",
    "duckdb",
    "pyarrow",
    "matplotlib",
    "scipy",
    "numpy",
    "pandas",
    "sqlalchemy",
    "httpx",
    "jinja2",
)
TARGETS_S = {"iru --help": 0.3, "iru stats (empty workspace)": 1.0}

# Runs the iru command line exactly as the ``iru`` script does, then, at exit, writes
# the names of the modules loaded to the file named by IRU_BENCH_MODULES (if set).
RUN_IRU = (
    "import atexit, json, os, sys\n"
    "path = os.environ.get('IRU_BENCH_MODULES')\n"
    "if path:\n"
    "    atexit.register(lambda: open(path, 'w').write(json.dumps(sorted(sys.modules))))\n"
    "sys.argv[0] = 'iru'\n"
    "from iru.cli import main\n"
    "main()\n"
)
IMPORT_CLI = (
    "import json, sys\n"
    "baseline = len(sys.modules)\n"
    "import iru.cli\n"
    "print(json.dumps({'interpreter': baseline, 'modules': sorted(sys.modules)}))\n"
)


def _environment(src: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRU_")}
    env["PYTHONPATH"] = str(src)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _heavy(modules: list[str]) -> list[str]:
    top = {name.split(".", 1)[0] for name in modules}
    return [name for name in HEAVY if name in top]


def measure_tree(src: Path, runs: int, scratch: Path) -> dict[str, Any]:
    """All figures for one source tree."""
    env = _environment(src)
    python = sys.executable
    workspace = scratch / "empty-workspace"
    commands = {
        "iru --help": ["--help"],
        "iru --version": ["--version"],
        "iru stats (empty workspace)": ["stats", "--workspace", str(workspace)],
    }
    timings: dict[str, dict[str, float]] = {}
    for label, args in commands.items():
        argv = [python, "-c", RUN_IRU, *args]
        _timed(argv, env)  # warm-up: bytecode caches, and the workspace is created
        samples = [_timed(argv, env) for _ in range(runs)]
        walls = [w for w, _ in samples]
        cpus = [c for _, c in samples]
        timings[label] = {
            "wall_median_s": round(statistics.median(walls), 3),
            "wall_min_s": round(min(walls), 3),
            "wall_max_s": round(max(walls), 3),
            "cpu_median_s": round(statistics.median(cpus), 3),
        }
    loaded = json.loads(
        subprocess.run(
            [python, "-c", IMPORT_CLI], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    modules_file = scratch / "stats-modules.json"
    stats_env = {**env, "IRU_BENCH_MODULES": str(modules_file)}
    subprocess.run(
        [python, "-c", RUN_IRU, *commands["iru stats (empty workspace)"]],
        env=stats_env,
        capture_output=True,
        check=True,
    )
    stats_modules: list[str] = json.loads(modules_file.read_text(encoding="utf-8"))
    return {
        "src": str(src),
        "timings": timings,
        "import_iru_cli": {
            "modules_loaded": len(loaded["modules"]),
            "modules_added": len(loaded["modules"]) - loaded["interpreter"],
            "heavy_loaded": _heavy(loaded["modules"]),
        },
        "iru_stats": {
            "modules_loaded": len(stats_modules),
            "heavy_loaded": _heavy(stats_modules),
        },
    }


def _print(trees: dict[str, dict[str, Any]]) -> None:
    console = Console(width=120)
    names = list(trees)
    table = Table(title="iru start-up (median of runs; wall / CPU seconds)")
    table.add_column("measure")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("target", justify="right")
    for label in trees[names[0]]["timings"]:
        cells = [
            f"{t['timings'][label]['wall_median_s']:.3f} / {t['timings'][label]['cpu_median_s']:.3f}"
            for t in trees.values()
        ]
        target = TARGETS_S.get(label)
        table.add_row(label, *cells, f"<= {target} s" if target else "")
    table.add_row(
        "modules after `import iru.cli`",
        *(str(t["import_iru_cli"]["modules_loaded"]) for t in trees.values()),
        "",
    )
    table.add_row(
        "modules loaded by `iru stats`",
        *(str(t["iru_stats"]["modules_loaded"]) for t in trees.values()),
        "",
    )
    table.add_row(
        "heavy, after `import iru.cli`",
        *(", ".join(t["import_iru_cli"]["heavy_loaded"]) or "-" for t in trees.values()),
        "",
    )
    table.add_row(
        "heavy, in `iru stats`",
        *(", ".join(t["iru_stats"]["heavy_loaded"]) or "-" for t in trees.values()),
        "",
    )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command")
    parser.add_argument(
        "--before", type=Path, help="another src folder to measure too (e.g. an older commit's)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "startup.json")
    args = parser.parse_args()
    trees: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="iru-bench-startup-") as tmp:
        if args.before is not None:
            before_scratch = Path(tmp) / "before"
            before_scratch.mkdir()
            trees["before"] = measure_tree(args.before.resolve(), args.runs, before_scratch)
        scratch = Path(tmp) / "current"
        scratch.mkdir()
        trees["current"] = measure_tree(ROOT / "src", args.runs, scratch)
    current = trees["current"]["timings"]
    result = {
        "benchmark": "startup",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "targets_s": TARGETS_S,
        "targets_met": {
            label: current[label]["wall_median_s"] <= limit for label, limit in TARGETS_S.items()
        },
        "trees": trees,
    }
    _print(trees)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
