"""Mission benchmark: at-risk reach removed by the top k accounts of each ranking strategy.

For each seed, a simulated world runs for ``--days``; iru ingests it with what a unit
knows (hash list, known texts, indicator file, 10 % labels), detects, trains and
detects again, then ranks with every strategy. Each strategy's top k = 10, 50, 200
accounts are scored by the reach model twice: with iru's own assessments (what the
unit sees) and with the world's ground-truth supporters (what is true), and the
impact / volume ratio is reported. Also the time and peak memory to build the reach
inputs and rank. Figures printed and written to bench/results/network_mission.json.

    python bench/network_mission.py [--seeds 1,2,3] [--scale 0.05] [--days 5]
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

from rich.console import Console
from rich.table import Table

from detection_eval import import_knowledge
from iru.cli.common import IruError
from iru.config import load_settings
from iru.detect.classifier import AccountModel
from iru.detect.features import AccountFeaturizer
from iru.domain.jsonsafe import dumps
from iru.engine.readers.network import ReachReader
from iru.network.reach import reach_removed, total_reach
from iru.network.strategies import STRATEGIES, rank
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.storage.knowledge import LabelRow
from iru.storage.models import current_labels
from iru.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"
KS = (10, 50, 200)


class TruthReader(ReachReader):
    """The reach model with the world's true supporters instead of iru's assessments."""

    def __init__(self, ws: Workspace, truth: set[tuple[str, str]]) -> None:
        super().__init__(ws.database, ws.archive, ws.settings["graph_window_days"])
        self.truth = truth

    def supporters(self) -> set[tuple[str, str]]:
        return set(self.truth)


def prepare(seed: int, scale: float, days: int, root: Path) -> tuple[Workspace, Path]:
    world = root / f"world-{seed}"
    simulate(WorldConfig(seed=seed, days=days, scale=scale), world)
    ws = Workspace(
        load_settings(
            flags={"workspace": str(root / f"ws-{seed}"), "media_dir": str(world / "media")},
            environ={},
        )
    )
    ws.ingest_engine().run(
        [world / "twitter", world / "telegram", world / "activitypub", world / "follows.jsonl"]
    )
    with (world / "knowledge" / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            LabelRow(r["platform"], r["account_id"], r["label"]) for r in csv.DictReader(handle)
        ]
    import_knowledge(ws, world, seed, rows)
    ws.detect_engine().run()
    reader = ws.account_reader()
    keys = reader.keys()
    docs = [doc for chunk in reader.documents(keys) for doc in chunk]
    labels = {k: int(v == "supporter") for k, v in current_labels(ws.database).items()}
    store = ws.models()
    model = AccountModel(store.next_version(), AccountFeaturizer())
    store.save(model, model.train(docs, reader.graph(keys), labels))
    ws.detect_engine().run()
    return ws, world


def run_seed(seed: int, scale: float, days: int, root: Path) -> dict[str, Any]:
    ws, world = prepare(seed, scale, days, root)
    with (world / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {
            (r["platform"], r["account_id"])
            for r in csv.DictReader(handle)
            if r["label"] == "supporter"
        }
    started = time.perf_counter()
    inputs, _ = ReachReader(ws.database, ws.archive, ws.settings["graph_window_days"]).inputs()
    build_s = time.perf_counter() - started
    true_inputs, _ = TruthReader(ws, truth).inputs()
    true_index = {k: i for i, k in enumerate(true_inputs.keys)}
    total, true_total = total_reach(inputs), total_reach(true_inputs)
    result: dict[str, Any] = {
        "seed": seed,
        "accounts": inputs.n,
        "interaction_pairs": len(inputs.edges),
        "build_seconds": round(build_s, 2),
        "strategies": {},
    }
    for strategy in STRATEGIES:
        started = time.perf_counter()
        ranked = rank(inputs, max(KS), strategy, seed=seed)
        seconds = time.perf_counter() - started
        figures: dict[str, Any] = {"rank_seconds": round(seconds, 3)}
        for k in KS:
            chosen = [r.index for r in ranked[:k]]
            keys = [inputs.keys[i] for i in chosen]
            in_truth = [true_index[key] for key in keys if key in true_index]
            figures[f"k{k}"] = {
                "share_estimated": round(reach_removed(inputs, chosen) / total, 4) if total else 0,
                "share_true": round(reach_removed(true_inputs, in_truth) / true_total, 4)
                if true_total
                else 0,
                "true_supporters": sum(1 for key in keys if key in truth),
            }
        result["strategies"][strategy] = figures
    for k in KS:
        impact = result["strategies"]["impact"][f"k{k}"]["share_true"]
        volume = result["strategies"]["volume"][f"k{k}"]["share_true"]
        result[f"impact_over_volume_k{k}"] = round(impact / volume, 2) if volume else None
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    ws.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "network_mission.json")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="iru-bench-mission-"))
    try:
        results = [run_seed(int(s), args.scale, args.days, root) for s in args.seeds.split(",")]
    except IruError as exc:
        raise SystemExit(str(exc)) from exc
    finally:
        shutil.rmtree(root, ignore_errors=True)
    payload = {"benchmark": "network-mission", "scale": args.scale, "days": args.days}
    payload["seeds"] = results
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(payload, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    table = Table(title=f"true at-risk reach removed, scale {args.scale:g}, {args.days} days")
    table.add_column("seed")
    table.add_column("strategy")
    for k in KS:
        table.add_column(f"top {k}")
    for r in results:
        for strategy, figures in r["strategies"].items():
            table.add_row(
                str(r["seed"]),
                strategy,
                *(
                    f"{figures[f'k{k}']['share_true']:.3f} ({figures[f'k{k}']['share_estimated']:.3f})"
                    for k in KS
                ),
            )
    Console().print(table)
    print("cells: share of true reach removed (share by iru's own estimate)")
    for r in results:
        print(
            f"seed {r['seed']}: impact/volume "
            + ", ".join(f"k={k}: {r[f'impact_over_volume_k{k}']}" for k in KS)
            + f"; inputs built in {r['build_seconds']} s for {r['accounts']:,} accounts"
        )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
