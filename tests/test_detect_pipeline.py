"""``iru detect`` end to end on a simulated world: knowledge in, signals and assessments out."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from iru.sim.config import WorldConfig
from iru.sim.output import simulate

from .conftest import Iru

WORLD = WorldConfig(seed=21, days=2, scale=0.01, releases_per_day=3)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("detect-world") / "world"
    simulate(WORLD, out)
    return out


def _indicator_file(world: Path, path: Path) -> Path:
    """What an analyst would write after reading the outlet's releases: a few of its hashtags."""
    markers = json.loads((world / "ground_truth_markers.json").read_text(encoding="utf-8"))[
        "markers"
    ]
    tags = sorted(m for m in markers if " " not in m and "." not in m and "-" not in m)[:6]
    rules = "\n".join(
        f'[[rule]]\nid = "tag-{n}"\nlanguage = "*"\nkind = "hashtag"\npattern = "#{tag}"\nweight = 0.6\n'
        for n, tag in enumerate(tags)
    )
    path.write_text(
        f'name = "unit-test"\nversion = "1"\nauthor = "analyst"\nupdated = 2025-01-01\n\n{rules}',
        encoding="utf-8",
    )
    return path


def test_detect_scores_new_posts_once_and_fills_the_export(
    iru: Iru, world: Path, tmp_path: Path
) -> None:
    iru("ingest", str(world / "twitter"))
    hashes = iru("hashes", "import", str(world / "hashes" / "known-content.csv"))
    assert "0 quarantined" in hashes.output
    assert (
        "imported"
        in iru("indicators", "import", str(_indicator_file(world, tmp_path / "ind.toml"))).output
    )
    again = iru("indicators", "import", str(tmp_path / "ind.toml"))
    assert "already imported" in again.output

    iru.runner.env = {"IRU_MEDIA_DIR": str(world / "media")}
    first = iru("detect")
    assert "signals: known-media" in first.output and "signals: indicators" in first.output
    assert "signals: language" in first.output
    second = iru("detect")
    assert (
        "archive files scored │        0" in second.output
        or "archive files scored" in second.output
    )

    rows = list(csv.DictReader(io.StringIO(iru("export", "accounts", "--format", "csv").output)))
    scored = [r for r in rows if r["score"]]
    assert scored, "detection assessed no account"
    supporters = [r for r in scored if r["label"] == "supporter"]
    assert supporters and all(r["reasons"] for r in supporters)
    truth = {
        r["account_id"]: r["label"]
        for r in csv.DictReader(
            (world / "ground_truth.csv").read_text(encoding="utf-8").splitlines()
        )
    }
    # Known media and the outlet's hashtags point at the network: most flagged accounts are in it.
    hits = sum(1 for r in supporters if truth.get(r["account_id"]) == "supporter")
    assert hits / len(supporters) >= 0.7
    # Every assessed account has a language, detected from its posts, matching the world's.
    spoken = {
        r["account_id"]: r["lang"]
        for r in csv.DictReader(
            (world / "ground_truth.csv").read_text(encoding="utf-8").splitlines()
        )
    }
    languages = [(r["language"], spoken[r["account_id"]]) for r in scored]
    assert all(found for found, _ in languages)
    agree = sum(1 for found, true in languages if found == true)
    assert agree / len(languages) >= 0.8, agree / len(languages)


def test_a_changed_file_under_an_old_version_is_refused(
    iru: Iru, world: Path, tmp_path: Path
) -> None:
    path = _indicator_file(world, tmp_path / "ind.toml")
    iru("indicators", "import", str(path))
    path.write_text(
        path.read_text(encoding="utf-8").replace("weight = 0.6", "weight = 0.7"), encoding="utf-8"
    )
    result = iru("indicators", "import", str(path), ok=False)
    assert result.exit_code == 1 and "new version" in result.output
