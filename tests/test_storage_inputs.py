"""The storage reads behind assessment and the reach model, on a hand-made workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from iru.detect.assess import AccountSignal
from iru.storage.assessment_inputs import (
    AssessmentInputStore,
    InteractionCount,
    MentionRow,
    PostSummary,
    SignalCount,
)
from iru.storage.network_inputs import ReachInputStore
from iru.workspace import Workspace

from .small_world import DAY1, S, U, V, small_world


@pytest.fixture
def world(workspace: Workspace, tmp_path: Path) -> Workspace:
    small_world(workspace, tmp_path)
    return workspace


def test_an_empty_workspace_reads_nothing(workspace: Workspace) -> None:
    store = AssessmentInputStore(workspace.database, workspace.archive)
    assert store.profile_keys() == set() and store.author_keys() == set()
    assert store.profiles([S]) == {}
    assert list(store.post_summaries([S])) == []
    assert store.signal_counts([S]) == [] and store.signals([S]) == []
    assert store.activity() == {} and store.interaction_counts(30) == []
    assert store.mentions(DAY1) == []


def test_profiles_and_authors(world: Workspace) -> None:
    store = AssessmentInputStore(world.database, world.archive)
    assert store.profile_keys() == {S, U}
    assert store.author_keys() == {S, U, V}
    found = store.profiles([S, V, S])
    assert set(found) == {S}
    profile = found[S]
    assert (profile.handle, profile.description, profile.followers_count) == ("sup", "bio s", 100)


def test_post_summaries_stream_in_key_order(world: Workspace) -> None:
    store = AssessmentInputStore(world.database, world.archive)
    expected = [
        PostSummary("f", "S", 2, 0, 0, 0, 1, ["own two", "own one"], []),
        PostSummary("f", "U", 2, 1, 1, 0, 0, ["quoted"], ["rt"]),
        PostSummary("f", "V", 1, 0, 0, 0, 0, ["v post"], []),
    ]
    assert list(store.post_summaries([S, U, V])) == expected
    assert list(store.post_summaries([V, S, U], batch=1)) == expected  # any batch size
    assert [s.key for s in store.post_summaries([U])] == [U]


def test_signals_counted_by_own_and_passed_on_content(world: Workspace) -> None:
    store = AssessmentInputStore(world.database, world.archive)
    assert sorted(store.signal_counts([S, U, V]), key=lambda c: c.account_id) == [
        SignalCount("f", "S", "indicators", False, 1, 0.9),
        SignalCount("f", "U", "indicators", True, 1, 0.7),  # on a repost: passed on
    ]
    rows = store.signals([S])
    assert sorted(rows, key=lambda r: r.detector) == [
        AccountSignal("f", "S", "indicators", "marker", 0.9, "indicators on p1"),
        AccountSignal("f", "S", "language", "en", 1.0, "language on p1"),
    ]


def test_activity_interactions_and_mentions(world: Workspace) -> None:
    store = AssessmentInputStore(world.database, world.archive)
    activity = store.activity()
    assert activity[S] == (DAY1, datetime(2025, 3, 2, 10, tzinfo=UTC))
    assert set(activity) == {S, U, V}
    # 30 days before the newest interaction: the old follow is outside.
    assert sorted(store.interaction_counts(30)) == [
        InteractionCount("f", "mention", "S", "U", 1),
        InteractionCount("f", "quote", "U", "S", 1),
        InteractionCount("f", "repost", "U", "S", 1),
    ]
    assert len(store.interaction_counts(100)) == 4
    assert store.mentions(DAY1) == [MentionRow("f", "S", "u", "p1", DAY1)]
    assert store.mentions(datetime(2025, 3, 2, tzinfo=UTC)) == []


def test_reach_inputs_over_node_indices(world: Workspace) -> None:
    store = ReachInputStore(world.database, world.archive)
    assert store.followers() == {S: 100, U: 10}
    assert store.handles() == {S: "sup", U: "u"}
    assert store.authors() == {S, U, V}
    keys = [S, U, V]
    got = store.window_counts(keys, np.array([True, False, False]), DAY1)
    assert (got.post_idx.tolist(), got.post_n.tolist()) == ([0], [2])  # S's own posts
    # U (1) reposted one of S's (0) posts.
    assert (got.pair_b.tolist(), got.pair_a.tolist(), got.pair_n.tolist()) == ([1], [0], [1.0])
    edges = sorted(
        zip(got.edge_src.tolist(), got.edge_dst.tolist(), got.edge_n.tolist(), strict=True)
    )
    assert edges == [(0, 1, 1.0), (1, 0, 3.0)]  # the mention; repost, quote and the follow
    assert (got.followee.tolist(), got.follower.tolist()) == ([0], [1])
    later = store.window_counts(
        keys, np.array([True, False, False]), datetime(2025, 3, 2, tzinfo=UTC)
    )
    assert later.post_n.tolist() == [1] and later.pair_b.tolist() == []
