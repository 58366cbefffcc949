"""``iru experiment`` end to end on a tiny world, and the experiment's determinism."""

from __future__ import annotations

import csv
import json
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from click.testing import CliRunner

from iru.cli import cli
from iru.cli.experiment import open_lab_workspace
from iru.engine.lab.experiment import ExperimentConfig, run_experiment
from iru.measure.experiment import day_columns, total_columns

PNG = b"\x89PNG\r\n\x1a\n"


def test_experiment_writes_tables_plots_and_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    started = time.perf_counter()
    result = CliRunner().invoke(
        cli,
        [
            "experiment",
            "--days", "3",
            "--seeds", "1",
            "--strategies", "impact,none",
            "--scale", "0.003",
            "--budget", "2",
            "--out", str(out),
            "--work-dir", str(tmp_path / "work"),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 90  # about 40 s on 2 busy cores
    for name in ("results.csv", "totals.csv", "summary.csv", "results.json", "index.html"):
        assert (out / name).is_file(), name
    for name in ("exposure.png", "survival.png", "reach_per_referral.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, name
    with (out / "results.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == day_columns()
    assert len(rows) == 2 * 3  # strategies x days
    per_day: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        per_day[row["strategy"]].append(int(row["referrals"]))
    assert per_day["none"] == [0, 0, 0]
    assert all(0 <= n <= 2 for n in per_day["impact"])
    assert sum(per_day["impact"]) >= 1
    day0 = {r["strategy"]: float(r["exposure"]) for r in rows if r["day"] == "0"}
    assert day0["impact"] == day0["none"]  # the same world until the first referral
    with (out / "totals.csv").open(encoding="utf-8") as handle:
        totals = {r["strategy"]: r for r in csv.DictReader(handle)}
    assert list(totals["impact"]) == total_columns()
    assert float(totals["none"]["exposure_removed"]) == 0
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["experiment"]["daily_budget"] == 2
    assert set(data["summary"]) == {"impact", "none"}
    assert data["summary"]["none"]["referrals"]["mean"] == 0
    assert set(data["survival"]["impact"]) == {"ringleader", "supporter"}
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="exposure.png"' in page and "reach_removed_per_referral" in page
    assert "impact" in result.output and "written to" in result.output
    assert not any((tmp_path / "work").iterdir())  # scratch cleaned up


def test_experiment_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["experiment", "--strategies", "impact,loud", "--out", str(tmp_path)])
    assert bad.exit_code == 2
    assert "unknown strategy loud" in bad.output
    short = runner.invoke(cli, ["experiment", "--days", "1", "--out", str(tmp_path)])
    assert short.exit_code == 2


def test_the_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    config = ExperimentConfig(days=2, seeds=(5,), strategies=("none",), scale=0.003)
    runs = [run_experiment(config, open_lab_workspace, tmp_path / f"w{i}") for i in range(2)]
    assert [asdict(d) for d in runs[0].days] == [asdict(d) for d in runs[1].days]
    assert runs[0].spans == runs[1].spans
    assert runs[0].days[0].exposure > 0
