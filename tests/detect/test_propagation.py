"""The interaction graph and its neighbour features, on hand-made graphs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from iru.detect.propagation import (
    DIRECTIONS,
    KINDS,
    RELATION_WORDS,
    InteractionGraph,
    contacts_of,
    feature_names,
    neighbour_features,
    supporter_contacts,
)

A, B, C, D = ("x", "a"), ("x", "b"), ("x", "c"), ("x", "d")
KEYS = [A, B, C, D]

# (platform, kind, src, dst, count): A reposts B twice (in two rows), C reposts B once,
# B reposts D three times, D quotes A once.
EDGES = [
    ("x", "repost", "a", "b", 1),
    ("x", "repost", "a", "b", 1),
    ("x", "repost", "c", "b", 1),
    ("x", "repost", "b", "d", 3),
    ("x", "quote", "d", "a", 1),
]
# Rows the graph must drop: a self-loop, unknown accounts, another platform, an unknown kind.
NOISE = [
    ("x", "repost", "a", "a", 5),
    ("x", "repost", "a", "zz", 1),
    ("x", "mention", "zz", "b", 1),
    ("y", "repost", "a", "b", 7),
    ("x", "like", "a", "b", 1),
]


def _graph() -> InteractionGraph:
    return InteractionGraph.build(KEYS, [*EDGES, *NOISE])


def _column(kind: str, direction: str, what: str) -> int:
    return feature_names().index(f"{kind}:{direction}:{what}")


def test_feature_names_cover_every_kind_and_direction_in_order() -> None:
    names = feature_names()
    assert len(names) == len(KINDS) * len(DIRECTIONS) * 3 == 36
    assert names[:6] == [
        "repost:out:supporter_evidence",
        "repost:out:supporter_mean",
        "repost:out:degree",
        "repost:in:supporter_evidence",
        "repost:in:supporter_mean",
        "repost:in:degree",
    ]
    assert names[-1] == "follow:in:degree"
    assert set(RELATION_WORDS) == {(k, d) for k in KINDS for d in DIRECTIONS}


def test_build_drops_self_loops_unknown_accounts_and_kinds_and_sums_counts() -> None:
    graph = _graph()
    assert len(graph) == 4 and graph.keys == KEYS
    assert set(graph.matrices) == set(KINDS)
    for matrix in graph.matrices.values():
        assert matrix.shape == (4, 4)
    repost = graph.matrices["repost"].toarray()
    expected = np.zeros((4, 4))
    expected[0, 1] = 2  # two rows of A -> B, summed
    expected[2, 1] = 1
    expected[1, 3] = 3
    np.testing.assert_array_equal(repost, expected)
    quote = graph.matrices["quote"].toarray()
    assert quote[3, 0] == 1 and quote.sum() == 1
    for kind in ("forward", "reply", "mention", "follow"):
        assert graph.matrices[kind].nnz == 0, kind
    assert np.all(np.diag(repost) == 0)
    assert graph.edges() == 4  # A->B counted once after summing


def test_build_with_no_edges_or_no_accounts() -> None:
    empty = InteractionGraph.build(KEYS, [])
    assert empty.edges() == 0
    np.testing.assert_array_equal(neighbour_features(empty, np.ones(4)), np.zeros((4, 36)))
    nobody = InteractionGraph.build([], EDGES)
    assert len(nobody) == 0 and nobody.edges() == 0
    assert neighbour_features(nobody, np.zeros(0)).shape == (0, 36)


def test_neighbour_features_give_mass_mean_and_degree_per_kind_and_direction() -> None:
    graph = _graph()
    p = np.array([1.0, 0.0, 0.5, 0.2])
    features = neighbour_features(graph, p)
    assert features.shape == (4, 36)

    expected = np.zeros((4, 36))

    def put(node: int, kind: str, direction: str, mass: float, weight: float) -> None:
        expected[node, _column(kind, direction, "supporter_evidence")] = 1 - math.exp(-mass)
        expected[node, _column(kind, direction, "supporter_mean")] = mass / weight
        expected[node, _column(kind, direction, "degree")] = 1 - math.exp(-weight / 3)

    # repost, out: A -> B (x2, p=0), B -> D (x3, p=0.2), C -> B (x1, p=0).
    put(0, "repost", "out", mass=2 * 0.0, weight=2)
    put(1, "repost", "out", mass=3 * 0.2, weight=3)
    put(2, "repost", "out", mass=1 * 0.0, weight=1)
    # repost, in: B is reposted by A (x2, p=1) and C (x1, p=0.5); D by B (x3, p=0).
    put(1, "repost", "in", mass=2 * 1.0 + 1 * 0.5, weight=3)
    put(3, "repost", "in", mass=3 * 0.0, weight=3)
    # quote: D quotes A (p=1); A is quoted by D (p=0.2).
    put(3, "quote", "out", mass=1.0, weight=1)
    put(0, "quote", "in", mass=0.2, weight=1)

    np.testing.assert_allclose(features, expected, rtol=0, atol=1e-12)
    # Spot checks against the raw numbers, so a wrong helper above cannot hide a bug.
    assert features[1, _column("repost", "in", "supporter_evidence")] == pytest.approx(
        1 - math.exp(-2.5)
    )
    assert features[1, _column("repost", "in", "supporter_mean")] == pytest.approx(2.5 / 3)
    assert features[1, _column("repost", "in", "degree")] == pytest.approx(1 - math.exp(-1))
    assert features[1, _column("repost", "out", "supporter_mean")] == pytest.approx(0.2)
    # No neighbours of a kind: every column of it is exactly zero, not NaN.
    assert not np.isnan(features).any()
    assert features[:, _column("follow", "in", "supporter_mean")].tolist() == [0, 0, 0, 0]


def test_neighbour_features_follow_the_probabilities() -> None:
    graph = _graph()
    low = neighbour_features(graph, np.zeros(4))
    high = neighbour_features(graph, np.ones(4))
    mass = _column("repost", "in", "supporter_evidence")
    degree = _column("repost", "in", "degree")
    assert low[1, mass] == 0 and high[1, mass] == pytest.approx(1 - math.exp(-3))
    # Degree does not depend on p.
    np.testing.assert_array_equal(low[:, degree], high[:, degree])


def test_neighbours_are_one_hop_in_both_directions_without_the_input_nodes() -> None:
    keys = [*KEYS, ("x", "e")]  # e: no interactions at all
    graph = InteractionGraph.build(keys, EDGES)
    assert graph.neighbours(np.array([0])).tolist() == [1, 3]  # A reposts B, D quotes A
    assert graph.neighbours(np.array([1])).tolist() == [0, 2, 3]
    assert graph.neighbours(np.array([2])).tolist() == [1]  # not two hops (A, D)
    assert graph.neighbours(np.array([0, 1])).tolist() == [2, 3]
    assert graph.neighbours(np.array([4])).tolist() == []
    assert graph.neighbours(np.array([], dtype=np.int64)).tolist() == []
    everyone = graph.neighbours(np.arange(5))
    assert everyone.tolist() == []


def test_supporter_contacts_count_distinct_supporters_per_kind_and_direction() -> None:
    graph = _graph()
    supporter = np.array([True, False, True, True])
    contacts = supporter_contacts(graph, supporter)
    assert set(contacts) == {(k, d) for k in KINDS for d in DIRECTIONS}
    # repost out: B reposts D (a supporter); A and C repost B (not one).
    assert contacts[("repost", "out")].tolist() == [0, 1, 0, 0]
    # repost in: B is reposted by A (twice, still one account) and C; D by B (not one).
    assert contacts[("repost", "in")].tolist() == [0, 2, 0, 0]
    assert contacts[("quote", "out")].tolist() == [0, 0, 0, 1]  # D quotes A
    assert contacts[("quote", "in")].tolist() == [1, 0, 0, 0]  # A is quoted by D
    for kind in ("forward", "reply", "mention", "follow"):
        for direction in DIRECTIONS:
            assert contacts[(kind, direction)].tolist() == [0, 0, 0, 0]
    nobody = supporter_contacts(graph, np.zeros(4, dtype=bool))
    assert all(c.sum() == 0 for c in nobody.values())


def test_contacts_of_one_account_are_largest_first_without_zeros() -> None:
    graph = _graph()
    contacts = supporter_contacts(graph, np.array([True, False, True, True]))
    assert contacts_of(contacts, 1) == [("repost", "in", 2), ("repost", "out", 1)]
    assert contacts_of(contacts, 0) == [("quote", "in", 1)]
    assert contacts_of(contacts, 2) == []  # C reposts B, who is no supporter
    assert contacts_of(contacts, 3) == [("quote", "out", 1)]


def test_contacts_of_break_ties_by_kind_then_direction() -> None:
    keys = [("t", str(i)) for i in range(6)]
    edges = [
        ("t", "repost", "1", "0", 1),
        ("t", "mention", "0", "2", 4),
        ("t", "follow", "0", "3", 1),
        ("t", "follow", "4", "0", 1),
        ("t", "follow", "5", "0", 1),
        ("t", "reply", "0", "5", 1),  # 5 is no supporter below
    ]
    graph = InteractionGraph.build(keys, edges)
    supporter = np.array([False, True, True, True, True, False])
    assert contacts_of(supporter_contacts(graph, supporter), 0) == [
        ("follow", "in", 1),  # "in" sorts before "out"
        ("follow", "out", 1),
        ("mention", "out", 1),  # four mentions of one account: one account
        ("repost", "in", 1),
    ]
