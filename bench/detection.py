"""Detection benchmark: simulated worlds scored against their ground truth, day by day.

Gives iru what a unit has — analysts' labels for about 10 % of the accounts, the
known-content hash list and known texts, and the simulator's analyst indicator file
(half of each kind of marker: hashtags, outlet domains, release-tag patterns, file
hosts) — and nothing of the world's vocabulary beyond that. Each world runs for ``--days``; after day 0 the unit refers its labelled
supporters, the platforms remove most of them and many come back under new
handles. Every day's exports are ingested and ``iru detect`` run, as a unit would;
the model is trained after each day's ingest (``--retrain once``: after day 0 only).

One extra world (``--transfer-seed``) has a vocabulary the model never saw: it is
assessed with the model trained on the first seed's world, its own labels serving
only as seeds of the network evidence.

Prints and writes (bench/results/detection.json): account precision, recall, F1
and ROC AUC on the unlabelled accounts (at 0.5 and at the referral threshold), the
same per language and per platform, the false-positive rate of each hard-negative
role, resurgence-link recall, precision and time from the new account's first post
to its link, and throughput of ingest + detect.

    python bench/detection.py [--seeds 1,2,3] [--transfer-seed 4] [--scale 0.05] [--days 6]
        [--workers N]   # detect_workers: processes running the post detectors (default: cores)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from detection_eval import HARD_NEGATIVES, account_figures, import_knowledge, link_figures
from iru.config import load_settings
from iru.detect.classifier import AccountModel
from iru.detect.features import AccountFeaturizer
from iru.domain.jsonsafe import dumps
from iru.engine.pipeline.scoring import resolve_workers
from iru.sim.config import WorldConfig
from iru.sim.output import WorldWriter, ground_truth_csv
from iru.sim.world import World
from iru.storage.assessments import DetectionStore
from iru.storage.knowledge import LabelRow
from iru.storage.models import current_labels
from iru.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"
LABEL_SHARE = 0.10


def build_world(seed: int, scale: float, days: int, out: Path) -> tuple[World, list[LabelRow]]:
    """Simulate; after day 0, label 10 % of the accounts and refer the labelled supporters."""
    world = World(WorldConfig(seed=seed, days=days, scale=scale))
    writer = WorldWriter(world, out)
    rng = np.random.default_rng(seed + 1000)
    labels: list[LabelRow] = []
    for day in range(days):
        writer.write_day(world.step())
        if day == 0:
            chosen = rng.choice(
                len(world.accounts), round(len(world.accounts) * LABEL_SHARE), False
            )
            for i in sorted(int(c) for c in chosen):
                a = world.accounts[i]
                labels.append(LabelRow(a.platform, a.account_id, a.label))
                if a.label == "supporter" and a.active:
                    world.refer(a.platform, a.account_id, world.day_start + timedelta(hours=1))
    writer.finish()
    return world, labels


def _day_inputs(world_dir: Path, day: str, scratch: Path) -> list[Path]:
    inputs = [p for p in (world_dir / "twitter" / f"{day}.jsonl",) if p.exists()]
    inputs += [
        p for p in (world_dir / "telegram" / day, world_dir / "activitypub" / day) if p.exists()
    ]
    follows = scratch / f"follows-{day}.jsonl"
    with (world_dir / "follows.jsonl").open(encoding="utf-8") as src, follows.open("w") as dst:
        for line in src:
            if json.loads(line)["created_at"][:10] <= day:
                dst.write(line)
    return [*inputs, follows]


def run_world(
    seed: int,
    scale: float,
    days: int,
    root: Path,
    *,
    model_from: Workspace | None = None,
    features: dict[str, Any] | None = None,
    retrain_daily: bool = True,
    workers: int | None = None,
) -> tuple[dict[str, Any], Workspace]:
    world_dir = root / f"world-{seed}"
    world, labels = build_world(seed, scale, days, world_dir)
    flags = {"workspace": str(root / f"ws-{seed}"), "media_dir": str(world_dir / "media")}
    if workers is not None:
        flags["detect_workers"] = str(workers)
    ws = Workspace(load_settings(flags=flags, environ={}))
    import_knowledge(ws, world_dir, seed, labels)
    ingest_s = detect_s = train_s = 0.0
    posts = 0
    link_days: dict[tuple[str, str, str], Any] = {}
    card: dict[str, Any] = {}
    for n in range(days):
        day = (world.config.start + timedelta(days=n)).date().isoformat()
        started = time.perf_counter()
        report = ws.ingest_engine().run(_day_inputs(world_dir, day, root))
        ingest_s += time.perf_counter() - started
        posts += report.tables["posts"].read
        started = time.perf_counter()
        ws.detect_engine().run()
        detect_s += time.perf_counter() - started
        if n == 0 or (retrain_daily and model_from is None):
            started = time.perf_counter()
            card = _train(ws, model_from, features or {})
            train_s += time.perf_counter() - started
            started = time.perf_counter()
            ws.detect_engine().run()
            detect_s += time.perf_counter() - started
        day_end = world.config.start + timedelta(days=n + 1)
        for link in DetectionStore(ws.database).links():
            link_days.setdefault(
                (link["platform"], link["account_id"], link["predecessor_id"]), day_end
            )
    truth = ground_truth_csv(world)
    assessed = DetectionStore(ws.database).by_account()
    result = {
        "seed": seed,
        "vocabulary": "unseen (model trained on another world)" if model_from else "own",
        "posts": posts,
        "labelled": len(labels),
        "model": {
            k: card.get(k) for k in ("labelled", "supporter", "not_supporter", "cross_validation")
        },
        **account_figures(
            truth, assessed, current_labels(ws.database), ws.settings["referral_threshold"]
        ),
        "resurgence": link_figures(truth, ws.account_reader().activity(), link_days),
        "seconds": {
            "ingest": round(ingest_s, 1),
            "detect": round(detect_s, 1),
            "train": round(train_s, 1),
        },
        "ingest_plus_detect_posts_per_second": round(posts / (ingest_s + detect_s)),
    }
    return result, ws


def _train(ws: Workspace, model_from: Workspace | None, features: dict[str, Any]) -> dict[str, Any]:
    store = ws.models()
    if model_from is not None:
        source = model_from.models()
        row = source.latest()
        assert row is not None
        model = source.load(row)
        store.save(model, row.card | {"transferred_from": str(model_from.root)})
        return row.card
    reader = ws.account_reader()
    keys = reader.keys()
    graph = reader.graph(keys)
    docs = [doc for chunk in reader.documents(keys) for doc in chunk]
    labels = {k: int(v == "supporter") for k, v in current_labels(ws.database).items()}
    model = AccountModel(store.next_version(), AccountFeaturizer(**features))
    card = model.train(docs, graph, labels, threshold=ws.settings["referral_threshold"])
    store.save(model, card)
    return card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--transfer-seed", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--out", type=Path, default=RESULTS / "detection.json")
    parser.add_argument("--embeddings", action="store_true", help="add USE v3 embeddings")
    parser.add_argument("--no-chars", action="store_true", help="leave character n-grams out")
    parser.add_argument("--retrain", choices=("daily", "once"), default="daily")
    parser.add_argument(
        "--workers", type=int, default=None, help="detect_workers (default: one per core)"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="iru-bench-detect-"))
    results = []
    features: dict[str, Any] = {"embeddings": args.embeddings}
    if args.no_chars:
        features["char_features"] = 0
    try:
        first: Workspace | None = None
        for s in args.seeds.split(","):
            result, ws = run_world(
                int(s),
                args.scale,
                args.days,
                root,
                features=features,
                retrain_daily=args.retrain == "daily",
                workers=args.workers,
            )
            results.append(result)
            first = first or ws
        if args.transfer_seed:
            result, _ = run_world(
                args.transfer_seed,
                args.scale,
                args.days,
                root,
                model_from=first,
                workers=args.workers,
            )
            results.append(result)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "detection",
        "scale": args.scale,
        "days": args.days,
        "detect_workers": resolve_workers(args.workers or 0),
        "features": features,
        "worlds": results,
    }
    args.out.write_text(
        dumps(payload, indent=2, ensure_ascii=True, default=str) + "\n", encoding="utf-8"
    )
    _print(results, args)


def _print(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    table = Table(title=f"detection, scale {args.scale:g}, {args.days} days, 10 % labels")
    for column in (
        "seed",
        "vocab",
        "P@0.5",
        "R@0.5",
        "F1@0.5",
        "AUC",
        "P@thr",
        "R@thr",
        "FPR jour/res/off/cs",
        "link R",
        "link P",
        "≤24h",
        "posts/s",
    ):
        table.add_column(column)
    for r in results:
        a, t, z = r["at_0.5"], r["at_threshold"], r["resurgence"]
        fpr = r["hard_negative_fpr"]
        table.add_row(
            str(r["seed"]),
            r["vocabulary"][:6],
            f"{a['precision']:.3f}",
            f"{a['recall']:.3f}",
            f"{a['f1']:.3f}",
            f"{r['roc_auc']:.3f}",
            f"{t['precision']:.3f}",
            f"{t['recall']:.3f}",
            " / ".join("-" if fpr[k] is None else f"{fpr[k]:.3f}" for k in HARD_NEGATIVES),
            f"{z['recall']:.3f}",
            f"{z['precision']:.3f}",
            f"{z['within_24h']:.3f}",
            f"{r['ingest_plus_detect_posts_per_second']:,}",
        )
    Console().print(table)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
