"""``iru simulate`` through the command line: files, report, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iru.cli import cli


def test_simulate_writes_a_world_and_reports_calibration(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            "--days",
            "1",
            "--seed",
            "4",
            "--scale",
            "0.01",
            "--out",
            str(out),
            "--formats",
            "twitter-v2,telegram",
            "--report",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "calibration" in result.output and "followers: median" in result.output
    assert list((out / "twitter").glob("*.jsonl"))
    assert (out / "telegram").is_dir() and not (out / "activitypub").exists()
    manifest = json.loads((out / "world.json").read_text(encoding="utf-8"))
    assert manifest["config"]["seed"] == 4 and manifest["days"][0]["twitter"]["posts"] > 0


def test_simulate_refuses_bad_arguments(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["simulate", "--out", str(tmp_path / "a"), "--formats", "myspace"])
    assert bad.exit_code == 2 and "unknown --formats myspace" in bad.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    busy = runner.invoke(cli, ["simulate", "--out", str(tmp_path / "full")])
    assert busy.exit_code == 2 and "not empty" in busy.output
