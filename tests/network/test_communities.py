"""Communities of the interaction graph and their bridges, on graphs with known answers."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from iru.network.communities import (
    CommunitySummary,
    bridges_of,
    bridges_table,
    communities,
    community_summary,
)
from iru.network.reach import ReachInputs
from tests.network.test_reach import from_cascades


def clique(nodes: range) -> list[tuple[int, int]]:
    return list(itertools.combinations(nodes, 2))


def two_cliques() -> ReachInputs:
    """Supporters 0-4 and at-risk 5-9, two cliques joined by 5 reposting 4; 10, 11 alone.

    Cascades: 0 (exposure 100) posts twice, reposted by 1, 2, 3 (exposure 10);
    4 (exposure 50) posts once, reposted by 5 (exposure 20); 10 (exposure 7) posts once.
    """
    exposure = [100, 10, 10, 10, 50] + [20] * 5 + [7, 0]
    cascades = [(0, [1, 2, 3]), (0, [1, 2, 3]), (4, [5]), (10, [])]
    supporter = [True] * 5 + [False] * 7
    edges = clique(range(5)) + clique(range(5, 10))
    return from_cascades(exposure, cascades, supporter, extra_edges=edges)


def test_two_cliques_make_two_communities_and_the_loners_their_own() -> None:
    membership = communities(two_cliques())
    assert membership.tolist() == [0] * 5 + [1] * 5 + [2, 3]


def test_summary_by_hand() -> None:
    inputs = two_cliques()
    summary = community_summary(inputs, communities(inputs))
    assert summary[0] == CommunitySummary(
        id=0,
        size=5,
        supporters=5,
        at_risk=0,
        supporter_share=1.0,
        reach=2 * (100 + 30) + (50 + 20),
        top_accounts=[0, 4, 1, 2, 3],  # alone: 260, 70, then 20 each for their reposts
        bridges=[4],
    )
    assert summary[1] == CommunitySummary(
        id=1,
        size=5,
        supporters=0,
        at_risk=5,
        supporter_share=0.0,
        reach=0.0,
        top_accounts=[5],
        bridges=[5],
    )
    assert summary[2] == CommunitySummary(2, 1, 0, 1, 0.0, 7.0, [10], [])
    assert summary[3] == CommunitySummary(3, 1, 0, 1, 0.0, 0.0, [], [])
    assert [s.id for s in community_summary(inputs, communities(inputs), largest=2)] == [0, 1]
    assert community_summary(inputs, communities(inputs), top=2)[0].top_accounts == [0, 4]


def test_bridges_of_an_account() -> None:
    inputs = two_cliques()
    membership = communities(inputs)
    assert bridges_of(inputs, membership, 4) == [1]
    assert bridges_of(inputs, membership, 5) == [0]
    assert bridges_of(inputs, membership, 0) == []
    assert bridges_table(inputs, membership, [4, 0, 5, 4]) == [[1], [], [0], [1]]


def test_supporters_reaching_into_at_risk_communities_are_the_first_bridges() -> None:
    # Three cliques: supporters 0-5, at-risk 6-11, supporters 12-17.
    # 0 links once into the at-risk clique; 1 links three times to the other supporters.
    supporter = [True] * 6 + [False] * 6 + [True] * 6
    edges = clique(range(6)) + clique(range(6, 12)) + clique(range(12, 18))
    edges += [(0, 6)] + [(1, 12)] * 3 + [(7, 13)] * 2
    inputs = from_cascades([1.0] * 18, [], supporter, extra_edges=edges)
    membership = communities(inputs)
    assert membership.tolist() == [0] * 6 + [1] * 6 + [2] * 6
    summary = community_summary(inputs, membership)
    assert summary[0].bridges == [0, 1]  # 0 first, though 1 has more weight outside
    assert summary[1].bridges == [7, 6]  # no supporters: by weight outside
    assert summary[2].bridges == [13, 12]  # 13 reaches into the at-risk clique
    assert summary[0].supporter_share == 1.0 and summary[1].at_risk == 6
    assert bridges_of(inputs, membership, 7) == [2]
    assert bridges_of(inputs, membership, 0, limit=0) == []


def planted(seed: int) -> ReachInputs:
    """Six groups of sizes 15..60, dense inside and sparse across."""
    rng = np.random.default_rng(seed)
    sizes = [15, 20, 30, 40, 50, 60]
    group = np.repeat(np.arange(6), sizes)
    n = group.size
    pairs = np.array(list(itertools.combinations(range(n), 2)))
    p = np.where(group[pairs[:, 0]] == group[pairs[:, 1]], 0.5, 0.003)
    edges = pairs[rng.random(len(pairs)) < p]
    order = rng.permutation(n)  # so that ids cannot follow node order
    return from_cascades(
        [1.0] * n, [], extra_edges=[(int(order[a]), int(order[b])) for a, b in edges]
    )


def test_leiden_is_deterministic_and_leaves_the_global_random_state_alone() -> None:
    inputs = planted(1)
    random.seed(5)
    expected = random.random()
    random.seed(5)
    first = communities(inputs, seed=3)
    assert random.random() == expected
    assert np.array_equal(first, communities(inputs, seed=3))
    sizes = np.bincount(first)
    assert sizes.tolist() == sorted(sizes.tolist(), reverse=True)
    assert sizes.tolist() == [60, 50, 40, 30, 20, 15]  # the planted groups
    many = communities(inputs, seed=3, resolution=5.0)
    assert many.max() > first.max()


def test_empty_and_malformed() -> None:
    empty = from_cascades([], [])
    assert communities(empty).size == 0
    assert community_summary(empty, np.zeros(0, dtype=np.int64)) == []
    with pytest.raises(ValueError, match="membership"):
        community_summary(two_cliques(), [0, 1])
    with pytest.raises(ValueError, match="node indices"):
        bridges_of(two_cliques(), communities(two_cliques()), 99)
