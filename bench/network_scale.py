"""Time and memory of the graph stage on a long simulated window.

Simulates ``--days`` (30 by default) at ``--scale``, ingests everything, and imports
the ground truth as labels (so detection, timed elsewhere, is not part of this
figure). Then times, with peak memory: building the reach inputs from the archive,
ranking the top 200 with each strategy, and Leiden communities. Figures printed and
written to bench/results/network_scale.json.

    python bench/network_scale.py [--scale 0.1] [--days 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from iru.config import load_settings
from iru.domain.jsonsafe import dumps
from iru.engine.readers.network import ReachReader
from iru.network.communities import communities
from iru.network.strategies import STRATEGIES, rank
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.storage.knowledge import KnowledgeStore, LabelRow
from iru.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"


def _rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "network_scale.json")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="iru-bench-netscale-"))
    figures: dict[str, Any] = {"scale": args.scale, "days": args.days, "seed": args.seed}
    try:
        started = time.perf_counter()
        world = root / "world"
        simulate(WorldConfig(seed=args.seed, days=args.days, scale=args.scale), world)
        figures["simulate_seconds"] = round(time.perf_counter() - started, 1)
        ws = Workspace(load_settings(flags={"workspace": str(root / "ws")}, environ={}))
        started = time.perf_counter()
        report = ws.ingest_engine().run(
            [world / "twitter", world / "telegram", world / "activitypub", world / "follows.jsonl"]
        )
        figures["ingest_seconds"] = round(time.perf_counter() - started, 1)
        figures["posts"] = report.tables["posts"].read
        with (world / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
            labels = [
                LabelRow(r["platform"], r["account_id"], r["label"]) for r in csv.DictReader(handle)
            ]
        KnowledgeStore(ws.database).add_labels(labels, "ground-truth")
        before = _rss_mb()
        started = time.perf_counter()
        inputs, _ = ReachReader(ws.database, ws.archive, window_days=args.days).inputs()
        figures["build_inputs_seconds"] = round(time.perf_counter() - started, 2)
        figures["accounts"] = inputs.n
        figures["interaction_pairs"] = len(inputs.edges)
        figures["repost_pairs"] = int(inputs.pair.nnz)
        figures["rank_seconds"] = {}
        for strategy in STRATEGIES:
            started = time.perf_counter()
            rank(inputs, 200, strategy)
            figures["rank_seconds"][strategy] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        membership = communities(inputs)
        figures["leiden_seconds"] = round(time.perf_counter() - started, 2)
        figures["communities"] = int(membership.max()) + 1 if inputs.n else 0
        figures["peak_rss_mb"] = _rss_mb()
        figures["rss_before_graph_mb"] = before
        ws.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(figures, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    print(dumps(figures, indent=2, ensure_ascii=True))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
