"""The simulator's known-text list: the texts of the releases the known-content list covers."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from iru.detect.known_texts import parse_known_texts
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.sim.world import DayOutput

TINY = WorldConfig(seed=3, days=2, scale=0.002, releases_per_day=3)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DayOutput]]:
    out = tmp_path_factory.mktemp("known-texts") / "world"
    days: list[DayOutput] = []
    simulate(TINY, out, on_day=days.append)
    return out, days


def test_known_texts_are_the_covered_releases_as_first_posted(
    run: tuple[Path, list[DayOutput]],
) -> None:
    out, days = run
    data = (out / "hashes" / "known-texts.jsonl").read_bytes()
    manifest = json.loads((out / "world.json").read_text(encoding="utf-8"))
    assert manifest["files"]["hashes/known-texts.jsonl"] == hashlib.sha256(data).hexdigest()

    parsed = parse_known_texts(data, source="known-texts.jsonl")
    assert parsed.entries and not parsed.rejected and not parsed.skipped
    assert {e.source for e in parsed.entries} == {"iru-sim"}
    listed = {e.text: e.label for e in parsed.entries}

    with (out / "hashes" / "known-content.csv").open(encoding="utf-8", newline="") as handle:
        hashed = {(r["hash_value"], r["label"]) for r in csv.DictReader(handle)}
    expected: dict[str, str] = {}
    for day in days:
        for release in day.releases:
            files = [m for m in day.media_files if m.release_id == release.release_id]
            labels = {label for m in files for value, label in hashed if value == m.sha256}
            if not labels or release.release_id not in day.release_texts:
                continue
            (label,) = labels
            original = next(m for m in files if m.kind == "original")
            carrying = {
                media.post_id
                for records in day.platforms.values()
                for media in records.media
                if media.sha256 == original.sha256
            }
            release_posts = sorted(
                (p.created_at, p.text)
                for records in day.platforms.values()
                for p in records.posts
                if p.post_id in carrying
            )
            text = day.release_texts[release.release_id]
            assert text == release_posts[0][1]  # the outlet's first post of it
            expected.setdefault(text, label)
    assert listed == expected
    assert len(data.splitlines()) == len(expected)


def test_known_texts_are_byte_identical_for_the_same_config(
    run: tuple[Path, list[DayOutput]], tmp_path: Path
) -> None:
    out, _ = run
    again = tmp_path / "again"
    simulate(TINY, again)
    relative = Path("hashes") / "known-texts.jsonl"
    assert (again / relative).read_bytes() == (out / relative).read_bytes()
