"""``iru simulate --out W`` then ``iru ingest W``: the exports are read, the rest is skipped.

Issue 16, item 9. The simulator's folder holds exports beside its ground truth,
knowledge and hash lists; a folder ingest reads the exports and lists every other
file as skipped with its reason. A file named on its own that no format reads
still fails the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iru.storage.schema import accounts

from ..conftest import Iru


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from iru.cli import cli

    out = tmp_path_factory.mktemp("sim-ingest") / "W"
    result = CliRunner().invoke(
        cli, ["simulate", "--days", "1", "--seed", "5", "--scale", "0.002", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_ingest_of_the_simulator_folder_reads_the_exports_and_skips_the_rest(
    world: Path, iru: Iru, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line
    result = iru("ingest", str(world))
    skipped = {
        cells[0]: cells[1]
        for line in result.output.splitlines()
        if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) == 2
    }
    not_exports = (
        "world.json",
        "ground_truth_markers.json",
        "hashes/known-content.json",
        "hashes/known-texts.jsonl",
    )
    for name in not_exports:
        assert skipped[str(world / name)].startswith("not a known export format"), name
    other = {k: v for k, v in skipped.items() if k.startswith(f"{world}: ")}
    assert {k.split()[-2] for k in other} == {".png", ".csv", ".toml", ".txt"}
    assert all(v.startswith("not named like an export") for v in other.values())
    manifest = json.loads((world / "world.json").read_text(encoding="utf-8"))
    non_json = sum(1 for name in manifest["files"] if not name.endswith((".json", ".jsonl")))
    assert f"skipped {len(not_exports) + non_json:,} file(s)" in result.output
    assert "quarantined 0" in result.output
    # Every platform's accounts arrived.
    ws = iru.open()
    try:
        with ws.database.engine.connect() as conn:
            platforms = {
                row[0]
                for row in conn.execute(accounts.select().with_only_columns(accounts.c.platform))
            }
    finally:
        ws.close()
    assert platforms == {"twitter", "telegram", "activitypub"}


def test_a_non_export_named_on_its_own_still_fails(world: Path, iru: Iru) -> None:
    result = iru("ingest", str(world / "world.json"), ok=False)
    assert result.exit_code == 1
    assert "format not recognised" in result.output
