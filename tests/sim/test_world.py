"""The simulated world end to end: calibration, determinism, ingest by iru, ground truth."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from iru.sim.calibration import calibration_report
from iru.sim.config import PlatformModel, Role, WorldConfig
from iru.sim.content import ContentGenerator
from iru.sim.output import simulate
from iru.sim.population import PopulationBuilder
from iru.sim.vocabulary import generate_vocabulary
from iru.sim.world import World

from .. import shared
from ..conftest import open_workspace

# Platforms here suspend more than the census saw, so that a 4-day world has returns to check.
SMALL = WorldConfig(
    seed=11,
    days=4,
    scale=0.02,
    releases_per_day=4,
    platforms=(
        PlatformModel("twitter", 3.0, 1.0, 0.10, 0.01),
        PlatformModel("telegram", 12.0, 1.2, 0.25, 0.01),
        PlatformModel("activitypub", 24.0, 1.5, 0.35, 0.01),
    ),
)


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared.world(tmp_path_factory, SMALL)


def _truth(world_dir: Path) -> list[dict[str, str]]:
    text = (world_dir / "ground_truth.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_population_matches_the_census_at_full_scale() -> None:
    config = WorldConfig(seed=5, scale=1.0)
    content = ContentGenerator(generate_vocabulary(config.seed), config.seed)
    accounts = PopulationBuilder(config, content, np.random.default_rng(config.seed)).build()
    figures = calibration_report(config, accounts, None)
    failed = [f"{f.name}: {f.value} not in [{f.low}, {f.high}]" for f in figures if not f.ok]
    assert failed == []


def test_small_scale_keeps_the_shapes(world_dir: Path) -> None:
    config = WorldConfig(seed=11, scale=0.05)
    content = ContentGenerator(generate_vocabulary(config.seed), config.seed)
    accounts = PopulationBuilder(config, content, np.random.default_rng(config.seed)).build()
    by_name = {f.name: f for f in calibration_report(config, accounts, None)}
    for name in ("language: Arabic share", "share posting < 1/day", "share posting < 5/day"):
        assert by_name[name].ok, by_name[name]


def test_same_seed_gives_byte_identical_output(world_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    simulate(SMALL, again)
    assert _tree(again) == _tree(world_dir)
    manifest = json.loads((world_dir / "world.json").read_text(encoding="utf-8"))
    for relative, digest in manifest["files"].items():
        assert hashlib.sha256((world_dir / relative).read_bytes()).hexdigest() == digest


def test_every_output_file_is_ingested_with_nothing_quarantined(
    world_dir: Path, tmp_path: Path
) -> None:
    ws = open_workspace(tmp_path / "ws")
    inputs = [
        world_dir / "twitter",
        world_dir / "telegram",
        world_dir / "activitypub",
        world_dir / "follows.jsonl",
    ]
    report = ws.ingest_engine().run(inputs)
    assert report.unreadable == []
    assert report.quarantined == 0
    assert {fmt for _, fmt in report.files} == {"twitter-v2", "telegram", "activitypub", "jsonl"}
    assert report.tables["posts"].new > 1000
    # Every account iru stored is in the ground truth, with its role.
    truth = {(r["platform"], r["account_id"]): r for r in _truth(world_dir)}
    stored = list(ws.database.iter_accounts())
    missing = [
        (a["platform"], a["account_id"])
        for a in stored
        if (a["platform"], a["account_id"]) not in truth
    ]
    assert missing == []
    ws.close()


def test_ground_truth_has_roles_resurgence_and_cross_platform_actors(world_dir: Path) -> None:
    rows = list(_truth(world_dir))
    roles = {r["role"] for r in rows}
    assert {role.value for role in Role} <= roles
    returned = [r for r in rows if r["predecessor"]]
    assert returned, "no suspended account came back"
    ids = {(r["platform"], r["account_id"]): r for r in rows}
    for row in returned:
        before = ids[(row["platform"], row["predecessor"])]
        assert before["actor_id"] == row["actor_id"] and before["status"] == "suspended"
        assert before["handle"] != row["handle"]
    platforms_by_actor: dict[str, set[str]] = {}
    for r in rows:
        platforms_by_actor.setdefault(r["actor_id"], set()).add(r["platform"])
    assert any(len(p) >= 2 for p in platforms_by_actor.values())
    labels = {r["role"]: r["label"] for r in rows}
    assert labels["journalist"] == "not_supporter" and labels["bot"] == "supporter"


def test_shout_outs_announce_returned_accounts(world_dir: Path) -> None:
    rows = list(_truth(world_dir))
    handles = {r["handle"] for r in rows if r["predecessor"] and r["platform"] == "twitter"}
    text = "".join(p.read_text(encoding="utf-8") for p in (world_dir / "twitter").glob("*.jsonl"))
    assert any(f"@{h}" in text for h in handles)


def test_media_variants_and_known_content_list(world_dir: Path) -> None:
    pngs = list((world_dir / "media").glob("*.png"))
    assert len(pngs) == SMALL.days * SMALL.releases_per_day * 5
    lines = (world_dir / "hashes" / "known-content.txt").read_text(encoding="utf-8").splitlines()
    assert lines and all(len(line.split()[0]) == 64 for line in lines)


def test_two_seeds_have_disjoint_marker_vocabularies(world_dir: Path, tmp_path: Path) -> None:
    a = set(
        json.loads((world_dir / "ground_truth_markers.json").read_text(encoding="utf-8"))["markers"]
    )
    b = generate_vocabulary(SMALL.seed + 1).all_markers()
    assert a and not (a & b)


def test_referrals_are_removed_after_the_platform_latency_and_come_back() -> None:
    world = World(WorldConfig(seed=3, scale=0.01, releases_per_day=2))
    leaders = [a for a in world.accounts if a.role is Role.RINGLEADER and a.platform == "twitter"]
    sent = [world.refer("twitter", a.account_id, world.day_start) for a in leaders]
    accepted = [r for r in sent if r.accepted]
    assert accepted and all(r.act_at and r.act_at > r.sent_at for r in accepted)
    for _ in range(6):
        world.step()
    removed = {e.account_id for e in world.events if e.kind == "removed"}
    assert {r.account_id for r in accepted} == removed
    returns = [a for a in world.accounts if a.predecessor in removed]
    assert returns, "ringleaders come back 9 times in 10"
    for new in returns:
        old = world.by_key[("twitter", new.predecessor or "")]
        assert new.actor_id == old.actor_id and new.handle != old.handle
        assert new.followers < old.followers and new.image_seed == old.image_seed
