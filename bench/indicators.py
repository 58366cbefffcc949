"""Indicator detector throughput: posts per second on simulated posts, with and without regexes.

Two workloads of ``--posts`` simulated posts (seed 7, every language of the simulator):
``bystanders`` (ordinary posts, some on hijacked hashtags: few hits) and ``campaign``
(propaganda, outlet releases, researchers' posts and bystanders in turn: many hits), each
scored with the sample campaign file's terms, hashtags and domains only, and with its two
regexes too. The best of ``--repeats`` timed runs is kept. Figures are printed and written
to bench/results/indicators.json, never asserted (moved here from the test suite, where a
timed assertion only measured the CI runner's load).

    python bench/indicators.py [--posts 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time
from datetime import date
from pathlib import Path
from typing import Any

from iru.detect.base import Batch
from iru.detect.indicators import IndicatorDetector, load_indicator_file
from iru.domain.jsonsafe import dumps
from iru.sim.workloads import workload_posts

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "tests" / "data" / "indicators" / "sample-campaign.toml"
RESULTS = HERE / "results"


def measure(posts: int, repeats: int) -> list[dict[str, Any]]:
    full = load_indicator_file(SAMPLE)
    simple = dataclasses.replace(full, rules=tuple(r for r in full.rules if r.kind != "regex"))
    rows = []
    for workload in ("bystanders", "campaign"):
        batch = Batch(posts=workload_posts(posts, workload))
        for name, indicators in (("terms/hashtags/domains", simple), ("with 2 regexes", full)):
            detector = IndicatorDetector(indicators).fit(batch)
            best = 0.0
            hits = 0
            for _ in range(repeats):
                start = time.perf_counter()
                hits = len(detector.score(batch))
                best = max(best, len(batch.posts) / (time.perf_counter() - start))
            rows.append(
                {
                    "workload": workload,
                    "rules": name,
                    "rule_count": len(indicators.rules),
                    "posts": len(batch.posts),
                    "posts_per_second": round(best),
                    "hits_per_post": round(hits / len(batch.posts), 3),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "indicators.json")
    args = parser.parse_args()
    rows = measure(args.posts, args.repeats)
    payload = {
        "benchmark": "indicators",
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "python": platform.python_version(),
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(payload, indent=2) + "\n", encoding="utf-8")
    for r in rows:
        print(
            f"{r['workload']:>10}, {r['rules']:<22} ({r['rule_count']} rules) "
            f"{r['posts_per_second']:>9,} posts/s ({r['hits_per_post']:.2f} hits/post)"
        )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
