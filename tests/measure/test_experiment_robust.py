"""A long experiment never loses finished work, and undefined figures are null everywhere.

Issue 16, item 22: ``iru experiment --strategies impact,volume`` (no ``none`` run, so
"exposure removed" is undefined) crashed writing results.json after running every seed
("Out of range float values are not JSON compliant: nan"), losing all of it.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from iru.cli import cli
from iru.domain.jsonsafe import dumps, finite, is_undefined
from iru.engine.lab.experiment import ExperimentConfig, ExperimentResult
from iru.engine.lab.experiment_output import write_results
from iru.engine.lab.experiment_seeds import SeedStore
from iru.measure.experiment import DayRecord, SeedTotals, compare_to_baseline, total_columns


def strict_json(text: str) -> Any:
    """Parse as standard JSON: NaN, Infinity and -Infinity are refused."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_the_encoder_writes_undefined_figures_as_null() -> None:
    data = {
        "ratio": math.nan,
        "bounds": (-math.inf, 1.5, math.inf),
        "numpy": np.array([1.0, np.nan]),
        "scalar": np.float32("nan"),
        "count": np.int64(3),
        "nested": [{"mean": float("nan"), "n": 0, "ok": True, "name": "n/a"}],
    }
    text = dumps(data, indent=1)
    assert strict_json(text) == {
        "ratio": None,
        "bounds": [None, 1.5, None],
        "numpy": [1.0, None],
        "scalar": None,
        "count": 3,
        "nested": [{"mean": None, "n": 0, "ok": True, "name": "n/a"}],
    }
    assert finite({"a": [math.nan]}) == {"a": [None]}
    assert is_undefined(math.inf) and is_undefined(None) and not is_undefined(0)
    with pytest.raises(TypeError):
        dumps({"when": object()})


def _totals(seed: int, strategy: str, exposure: float, referrals: int) -> SeedTotals:
    values: dict[str, Any] = dict.fromkeys(total_columns(), 0)
    values.update(
        seed=seed,
        strategy=strategy,
        days=2,
        exposure=exposure,
        referrals=referrals,
        ringleader_survival_days=2.0,
        supporter_survival_days=2.0,
        hours_to_detect=math.nan,  # nobody detected
        detected_share=math.nan,
        hours_to_refer=math.nan,
        hours_to_removal=math.nan,
        hours_to_rereferral=math.nan,
        estimated_reach_per_referral=math.nan if not referrals else 5.0,
        true_reach_per_referral=math.nan if not referrals else 4.0,
        exposure_removed=math.nan,  # filled in against a `none` run, when there is one
        exposure_removed_share=math.nan,
        reach_removed_per_referral=math.nan,
    )
    return SeedTotals(**values)


def test_write_results_with_no_baseline_and_no_referrals(tmp_path: Path) -> None:
    """impact and volume without ``none``: every "removed" figure is undefined; volume
    made no referral in seed 2, so its per-referral figures are undefined too."""
    config = ExperimentConfig(days=2, seeds=(1, 2), strategies=("impact", "volume"))
    result = ExperimentResult(config, supporters=100, budget=1)
    for seed in (1, 2):
        for strategy in ("impact", "volume"):
            referrals = 0 if (seed, strategy) == (2, "volume") else 1
            for day in (0, 1):
                result.days.append(DayRecord(seed, strategy, day, 10.0 - day, 1, 2, 3, 1))
            result.totals.append(_totals(seed, strategy, 19.0, referrals))
            result.spans[strategy] = {"ringleader": [(2.0, False)], "supporter": [(1.0, True)]}
    compare_to_baseline(result.totals)  # no baseline: nothing filled, all NaN
    out = tmp_path / "out"
    write_results(result, out)

    data = strict_json((out / "results.json").read_text(encoding="utf-8"))
    removed = data["impact_over_volume"]["exposure_removed"]
    assert removed["ratio"]["mean"] is None and removed["ratio"]["n"] == 0
    assert removed["per_seed"][0] == {"seed": 1, "impact": None, "volume": None, "ratio": None}
    per_referral = data["impact_over_volume"]["true_reach_per_referral"]["per_seed"]
    assert per_referral[1]["volume"] is None and per_referral[1]["ratio"] is None
    assert data["summary"]["impact"]["exposure_removed"]["mean"] is None
    assert data["totals"][0]["hours_to_detect"] is None
    with (out / "totals.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["exposure_removed"] == "" and rows[0]["hours_to_detect"] == ""
    assert "nan" not in (out / "summary.csv").read_text(encoding="utf-8").lower()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "n/a" in page and "nan" not in page.lower().replace("narrative", "")
    for name in ("exposure.png", "survival.png", "reach_per_referral.png"):
        assert (out / name).stat().st_size > 1000


def test_a_crash_after_the_first_seed_keeps_it_and_the_same_command_resumes(
    tmp_path: Path,
) -> None:
    """The command dies in seed 2 (its scratch folder is blocked by a file); seed 1 is on
    disk; run again, it reads seed 1 back, runs seed 2 and writes valid JSON."""
    out, work = tmp_path / "out", tmp_path / "work"
    work.mkdir()
    (work / "seed-2").write_text("in the way", encoding="utf-8")
    args = [
        "experiment",
        "--days", "2",
        "--seeds", "2",
        "--strategies", "impact,volume",
        "--scale", "0.003",
        "--budget", "2",
        "--out", str(out),
        "--work-dir", str(work),
    ]  # fmt: skip
    runner = CliRunner()
    crashed = runner.invoke(cli, args)
    assert crashed.exit_code != 0 and crashed.exception is not None
    assert "seed(s) 1 are kept" in crashed.output
    seed_file = out / "seeds" / "seed-1.json"
    kept = seed_file.read_bytes()
    saved = strict_json(kept.decode("utf-8"))
    assert saved["seed"] == 1 and {t["strategy"] for t in saved["totals"]} == {"impact", "volume"}
    assert saved["totals"][0]["exposure_removed"] is None  # no `none` run: undefined
    with (out / "results.csv").open(encoding="utf-8") as handle:
        assert {r["seed"] for r in csv.DictReader(handle)} == {"1"}
    assert not (out / "results.json").exists()
    assert not list((out / "seeds").glob("*.tmp"))

    (work / "seed-2").unlink()
    resumed = runner.invoke(cli, args, catch_exceptions=False)
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: seed(s) 1 already finished" in resumed.output
    assert seed_file.read_bytes() == kept  # read back, not run again
    data = strict_json((out / "results.json").read_text(encoding="utf-8"))
    assert data["experiment"]["seeds"] == [1, 2]
    assert {(t["seed"], t["strategy"]) for t in data["totals"]} == {
        (s, k) for s in (1, 2) for k in ("impact", "volume")
    }
    ratio = data["impact_over_volume"]["exposure_removed"]
    assert ratio["ratio"]["mean"] is None and all(p["ratio"] is None for p in ratio["per_seed"])
    assert data["impact_over_volume"]["true_reach_per_referral"]["ratio"]["n"] >= 1
    with (out / "results.csv").open(encoding="utf-8") as handle:
        assert {r["seed"] for r in csv.DictReader(handle)} == {"1", "2"}
    assert "n/a" in (out / "index.html").read_text(encoding="utf-8")

    # Another set-up with the same --out is refused; the seeds stay as they are.
    other = runner.invoke(cli, [*args[:2], "3", *args[3:]])
    assert other.exit_code == 2 and "another set-up (differs in days" in other.output
    assert seed_file.read_bytes() == kept


def test_seed_files_round_trip(tmp_path: Path) -> None:
    config = ExperimentConfig(days=2, seeds=(4,), strategies=("impact",), scale=0.003)
    store = SeedStore(tmp_path, config)
    assert store.finished() == {}
    from iru.engine.lab.experiment import SeedResult

    result = SeedResult(
        4,
        days=[DayRecord(4, "impact", 0, 1.5, 1, 1, 1, 1, estimated_reach_referred=math.nan)],
        totals=[_totals(4, "impact", 3.0, 0)],
        spans={"impact": {"ringleader": [(1.5, True)], "supporter": []}},
        seconds=2.0,
    )
    store.save(result)
    back = store.finished()[4]
    assert back.spans == result.spans and back.seconds == 2.0
    assert math.isnan(back.days[0].estimated_reach_referred)
    assert math.isnan(back.totals[0].hours_to_detect) and back.totals[0].exposure == 3.0
