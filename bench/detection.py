"""Detection benchmark: score simulated worlds against their ground truth.

Gives iru what a unit has — the known-content hash list and an indicator file an
analyst wrote from part of the outlets' hashtags — runs ingest and ``iru detect``,
and compares account labels with the ground truth. Prints and writes
(bench/results/detection.json) account precision, recall, F1 and ROC AUC, the same
per language, the false-positive rate on each hard-negative role, and throughput.

    python bench/detection.py [--seeds 1,2,3] [--scale 0.05] [--days 2]

Labels-based training, network propagation and resurgence links are not in this
stage yet (issue 4); the figures show what the cheap signals alone reach.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from iru.app import Workspace
from iru.config import load_settings
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.storage.assessments import DetectionStore
from iru.storage.knowledge import KnowledgeStore

RESULTS = Path(__file__).resolve().parent / "results"
HARD_NEGATIVES = ("journalist", "researcher", "official", "counter_speech")


def _auc(scores: list[float], truth: list[bool]) -> float:
    """ROC AUC by the rank-sum formula (ties count half)."""
    pos = [s for s, t in zip(scores, truth, strict=True) if t]
    neg = [s for s, t in zip(scores, truth, strict=True) if not t]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _indicator_text(world: Path) -> str:
    markers = json.loads((world / "ground_truth_markers.json").read_text(encoding="utf-8"))[
        "markers"
    ]
    tags = sorted(m for m in markers if " " not in m and "." not in m and "-" not in m)
    rules = [
        f'[[rule]]\nid = "tag-{n}"\nlanguage = "*"\nkind = "hashtag"\npattern = "#{tag}"\nweight = 0.6\n'
        for n, tag in enumerate(tags[: max(1, len(tags) // 2)])  # the analyst knows half of them
    ]
    return 'name = "bench"\nversion = "1"\nauthor = "bench"\nupdated = 2025-01-01\n\n' + "\n".join(
        rules
    )


def run_seed(seed: int, scale: float, days: int, root: Path) -> dict[str, Any]:
    world = root / f"world-{seed}"
    simulate(WorldConfig(seed=seed, days=days, scale=scale), world)
    ws = Workspace(
        load_settings(
            flags={"workspace": str(root / f"ws-{seed}"), "media_dir": str(world / "media")},
            environ={},
        )
    )
    started = time.perf_counter()
    report = ws.ingest_engine().run([world / "twitter"])
    ingest_s = time.perf_counter() - started
    from iru.detect.hashlists import load_hash_list
    from iru.storage.knowledge import HashRow

    listed = load_hash_list(world / "hashes" / "known-content.csv")
    KnowledgeStore(ws.database).add_hashes(
        [HashRow(e.hash_type, e.value, e.label, e.source, e.created_at) for e in listed.entries],
        "bench",
    )
    text = _indicator_text(world)
    KnowledgeStore(ws.database).add_indicator_set("bench", "1", "x", text.count("[[rule]]"), text)
    started = time.perf_counter()
    ws.detect_engine().run()
    detect_s = time.perf_counter() - started
    assessed = DetectionStore(ws.database).by_account()
    ws.close()
    rows = list(
        csv.DictReader((world / "ground_truth.csv").read_text(encoding="utf-8").splitlines())
    )
    rows = [r for r in rows if r["platform"] == "twitter"]
    tp = fp = fn = 0
    scores, truth = [], []
    per_role_fp: dict[str, list[int]] = {role: [0, 0] for role in HARD_NEGATIVES}
    per_lang: dict[str, list[int]] = {}
    for r in rows:
        view = assessed.get(("twitter", r["account_id"]))
        predicted = view is not None and view["label"] == "supporter"
        actual = r["label"] == "supporter"
        scores.append(float(view["score"]) if view else 0.0)
        truth.append(actual)
        tp += predicted and actual
        fp += predicted and not actual
        fn += (not predicted) and actual
        lang = per_lang.setdefault(r["lang"], [0, 0, 0])
        lang[0] += predicted and actual
        lang[1] += predicted and not actual
        lang[2] += (not predicted) and actual
        if r["role"] in per_role_fp:
            per_role_fp[r["role"]][0] += predicted
            per_role_fp[r["role"]][1] += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    posts = report.tables["posts"].read
    return {
        "seed": seed,
        "accounts": len(rows),
        "prevalence": sum(truth) / len(truth),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "roc_auc": round(_auc(scores, truth), 4),
        "hard_negative_fpr": {
            role: round(c[0] / c[1], 4) if c[1] else None for role, c in per_role_fp.items()
        },
        "f1_by_language": {
            lang: round(2 * c[0] / (2 * c[0] + c[1] + c[2]), 4) if c[0] else 0.0
            for lang, c in sorted(per_lang.items())
        },
        "posts": posts,
        "ingest_plus_detect_posts_per_second": round(posts / (ingest_s + detect_s)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "detection.json")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="iru-bench-detect-"))
    try:
        results = [run_seed(int(s), args.scale, args.days, root) for s in args.seeds.split(",")]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"benchmark": "detection", "scale": args.scale, "days": args.days, "seeds": results},
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    table = Table(title=f"detection (cheap signals only), scale {args.scale:g}, {args.days} days")
    for column in (
        "seed",
        "prevalence",
        "precision",
        "recall",
        "F1",
        "AUC",
        "FPR journalists/researchers/officials/counter",
        "posts/s",
    ):
        table.add_column(column)
    for r in results:
        fpr = r["hard_negative_fpr"]
        table.add_row(
            str(r["seed"]),
            f"{r['prevalence']:.2f}",
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
            f"{r['roc_auc']:.3f}",
            " / ".join("-" if fpr[k] is None else f"{fpr[k]:.3f}" for k in HARD_NEGATIVES),
            f"{r['ingest_plus_detect_posts_per_second']:,}",
        )
    Console().print(table)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
