"""The storage reads behind the counter analysis, on a hand-made workspace."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, update

from iru.engine.readers import counter_cache
from iru.engine.readers.counter_version import counter_version
from iru.storage.counter_reads import (
    CounterArchiveReads,
    CounterSources,
    ProfileFacts,
    WindowNodes,
)
from iru.storage.schema import accounts, referral_events, referrals
from iru.workspace import Workspace

from ..small_world import S, U, V, small_world

SINCE = datetime(2025, 2, 1, tzinfo=UTC)
KEYS = [S, U, V]
SUPPORTER = np.array([True, False, False])


@pytest.fixture
def world(workspace: Workspace, tmp_path: Path) -> Workspace:
    small_world(workspace, tmp_path)
    return workspace


def _takedown(ws: Workspace) -> None:
    """A referral of S the platform answered ``removed`` twice; U's profile says removed."""
    at = datetime(2025, 3, 2, 15, tzinfo=UTC)
    with ws.database.engine.begin() as conn:
        conn.execute(
            insert(referrals).values(
                referral_id=1,
                reference="R-1",
                kind="referral",
                case_id=1,
                unit="EU",
                platform="f",
                account_id="S",
                status="removed",
                connector="export",
                idempotency_key="k-1",
                package_sha256="0" * 64,
                package_json="{}",
                target_hours=24.0,
                created_by="ann",
                created_at=at,
                updated_at=at,
            )
        )
        for n, status in enumerate(("sent", "removed", "removed"), start=1):
            conn.execute(
                insert(referral_events).values(
                    referral_id=1,
                    status=status,
                    at=at.replace(hour=15 + n),
                    detail="",
                    source="connector",
                    recorded_by="ann",
                    recorded_at=at,
                )
            )
        conn.execute(
            update(accounts)
            .where(accounts.c.platform == "f", accounts.c.account_id == "U")
            .values(status="removed")
        )


def test_sources_profiles_takedowns_and_stamps(world: Workspace) -> None:
    sources = CounterSources(world.database)
    assert sources.profiles() == {S: ProfileFacts("sup", "en"), U: ProfileFacts("u", None)}
    assert sources.removal_times() == {} and sources.removed_accounts() == set()
    before = sources.input_stamps()
    assert (before.profiles, before.removed_events, before.removed_profiles) == (2, 0, 0)
    version = counter_version(world.database, world.archive)
    _takedown(world)
    [(key, first)] = sources.removal_times().items()  # SQLite's min() drops the zone
    assert key == S and first.replace(tzinfo=None) == datetime(2025, 3, 2, 17)  # the first
    assert sources.removed_accounts() == {U}
    after = sources.input_stamps()
    assert (after.removed_events, after.removed_profiles) == (2, 1)
    assert counter_version(world.database, world.archive) != version


def test_window_counts_over_node_indices(world: Workspace) -> None:
    reads = CounterArchiveReads(world.archive)
    assert reads.window_accounts(SINCE) == {S, U, V}
    got = reads.window_counts(KEYS, SUPPORTER, SINCE)
    assert got.start == date(2025, 3, 1)  # the oldest post's day, not the window's start
    own = dict(zip(got.own_idx.tolist(), got.own_posts.tolist(), strict=True))
    marked = dict(zip(got.own_idx.tolist(), got.own_marked.tolist(), strict=True))
    assert own == {0: 2, 1: 1, 2: 1} and marked == {0: 1, 1: 0, 2: 0}  # U's repost is not own
    assert (got.amplified_idx.tolist(), got.amplified.tolist(), got.engaged.tolist()) == (
        [1],
        [1],
        [1],
    )
    assert (got.follows_idx.tolist(), got.follows.tolist()) == ([1], [1])
    assert got.contacts is not None and got.edges is not None
    c = got.contacts
    contacts = sorted(
        zip(c.account.tolist(), c.other.tolist(), c.kind, c.day.tolist(), c.hashtags, strict=True)
    )
    assert contacts == [
        (1, 0, "follow", -1, ()),
        (1, 0, "mention", 0, ()),  # S mentioned U: a contact of U's
        (1, 0, "quote", 1, ()),
        (1, 0, "repost", 1, ("Tag",)),  # the hashtags of the post reposted
    ]
    edges = sorted(
        zip(got.edges.src.tolist(), got.edges.dst.tolist(), got.edges.n.tolist(), strict=True)
    )
    assert edges == [(0, 1, 1.0), (1, 0, 3.0)]


def test_texts_samples_and_items(world: Workspace) -> None:
    reads = CounterArchiveReads(world.archive)
    nodes = WindowNodes(KEYS, SUPPORTER, SINCE, date(2025, 3, 1))
    assert nodes.first == (date(2025, 3, 1) - date(1970, 1, 1)).days
    # Marker-carrying posts first, then the newest.
    assert reads.candidate_texts(nodes, [0, 1], per=1) == [(0, "own one"), (1, "quoted")]
    assert reads.candidate_texts(nodes, [0], per=5) == [(0, "own one"), (0, "own two")]
    assert reads.post_count(nodes, [0, 1], own_only=True) == 3
    assert reads.post_count(nodes, [0, 1], own_only=False) == 4
    sample = reads.post_sample(nodes, [0, 1], own_only=False, limit=10)
    assert sorted(sample.text) == ["own one", "own two", "quoted", "rt"]
    assert sorted(sample.day.tolist()) == [0, 1, 1, 1]
    assert len(reads.post_sample(nodes, [0, 1], own_only=False, limit=2).text) == 2
    by_text = dict(zip(sample.text, zip(sample.language, sample.urls, strict=True), strict=True))
    assert by_text["own one"] == ("en", ("https://a.example/x",))
    assert by_text["rt"][0] == "en"  # a repost speaks the original's language
    items = reads.items(nodes, [1])
    assert sorted(zip(items.day.tolist(), items.target.tolist(), strict=True)) == [(1, 0), (1, 0)]
    assert items.author.tolist() == [1, 1]


def test_the_cache_digests_files_that_exist() -> None:
    package = Path(counter_cache.__file__).resolve().parents[2]
    assert all((package / name).exists() for name in counter_cache._CODE)
