"""Resurgent accounts end to end: referred supporters come back, ``iru detect`` links them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from iru.sim.config import WorldConfig
from iru.sim.output import WorldWriter
from iru.sim.world import World
from iru.storage.assessments import DetectionStore

from . import shared
from .conftest import Iru


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world whose ringleaders and distributors are referred after day 0 (made once
    per run, shared by the xdist workers)."""
    return shared.once(tmp_path_factory, "resurgence-world", _referred_world)


def _referred_world(out: Path) -> None:
    sim = World(WorldConfig(seed=5, days=4, scale=0.02))
    writer = WorldWriter(sim, out)
    for day in range(4):
        writer.write_day(sim.step())
        if day == 0:
            for account in list(sim.accounts):
                if account.role.value in ("ringleader", "distributor") and account.active:
                    sim.refer(account.platform, account.account_id, sim.day_start)
    writer.finish()


def _media_dir(iru: Iru, world: Path) -> None:
    iru.workspace.mkdir(parents=True, exist_ok=True)
    (iru.workspace / "iru.toml").write_text(f'media_dir = "{world / "media"}"\n', encoding="utf-8")


def test_returning_supporters_are_linked_to_their_former_accounts(world: Path, iru: Iru) -> None:
    _media_dir(iru, world)
    for args in (
        ("ingest", str(world / "twitter"), str(world / "telegram"), str(world / "activitypub")),
        ("hashes", "import", str(world / "hashes" / "known-content.csv")),
        ("indicators", "import", str(world / "knowledge" / "indicators.toml")),
        ("label", "import", str(world / "knowledge" / "labels.csv")),
        ("detect",),
        ("train",),
        ("detect",),
    ):
        iru(*args)
    with (world / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {(r["platform"], r["account_id"]): r for r in csv.DictReader(handle)}
    returned = {k: r["predecessor"] for k, r in truth.items() if r["predecessor"]}
    assert returned, "the world should hold returned accounts"
    ws = iru.open()
    try:
        links = DetectionStore(ws.database).links()
        assessed = DetectionStore(ws.database).by_account()
    finally:
        ws.close()
    assert links, "no resurgence link was found"
    for link in links:
        key = (link["platform"], link["account_id"])
        # Every link names the account's true predecessor, with its evidence.
        assert returned.get(key) == link["predecessor_id"], link
        assert 0.6 <= link["confidence"] <= 1.0
        evidence = json.loads(link["evidence"])
        assert set(evidence) >= {"handle", "avatar", "bio", "audience", "shout_outs"}
        assert link["explanation"].startswith("@")
        assert link["first_post_at"] is not None
        # The link is one of the new account's reasons.
        assert link["explanation"] in json.loads(assessed[key]["reasons"])
    linked = {(link["platform"], link["account_id"]) for link in links}
    posting = {k for k in returned if k in assessed and (k[0], returned[k]) in assessed}
    assert len(linked & posting) >= 0.6 * len(posting), (len(linked & posting), len(posting))


def test_without_a_model_referred_accounts_are_linked_once(
    world: Path, iru: Iru, tmp_path: Path
) -> None:
    """The unit labelled the accounts it referred; no model is trained; links still come."""
    _media_dir(iru, world)
    with (world / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    referred = {(r["platform"], r["predecessor"]) for r in rows if r["predecessor"]}
    labels = tmp_path / "referred.csv"
    labels.write_text(
        "platform,account_id,label\n"
        + "".join(f"{platform},{account_id},supporter\n" for platform, account_id in referred),
        encoding="utf-8",
    )
    for args in (("ingest", str(world / "twitter")), ("label", "import", str(labels)), ("detect",)):
        iru(*args)
    ws = iru.open()
    try:
        first = DetectionStore(ws.database).links()
    finally:
        ws.close()
    assert first
    iru("detect")
    ws = iru.open()
    try:
        again = DetectionStore(ws.database).links()
    finally:
        ws.close()
    key = ("platform", "account_id", "predecessor_id", "linked_at")
    assert [tuple(r[k] for k in key) for r in first] == [tuple(r[k] for k in key) for r in again]
    truth = {(r["platform"], r["account_id"]): r["predecessor"] for r in rows}
    assert all(truth[(r["platform"], r["account_id"])] == r["predecessor_id"] for r in first)
    ws = iru.open()
    try:
        assessed = DetectionStore(ws.database).by_account()
    finally:
        ws.close()
    for link in first:  # the new account inherits its predecessor's label, with the reason
        view = assessed[(link["platform"], link["account_id"])]
        assert view["label"] == "supporter"
        assert json.loads(view["reasons"])[0] == link["explanation"]
