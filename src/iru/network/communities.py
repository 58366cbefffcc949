"""Communities of the interaction graph, and the accounts that bridge them.

:func:`communities` splits the accounts with the Leiden algorithm (modularity,
igraph) on the undirected interaction graph, parallel edges merged with their
weights summed. It is reproducible: igraph draws its random numbers from a
``random.Random(seed)`` for the call, so the global ``random`` state is left alone;
afterwards igraph is set back to its default, the ``random`` module (igraph has no
getter, so a generator set elsewhere is not restored). Ids are renumbered by size, largest first (ties: the community of the
lowest account index first), and an account without interactions is a community
of its own.

:func:`community_summary` describes each community: its supporters, its at-risk
members (those not assessed as supporters), the reach of its members' cascades
(``sum own_total``), its top accounts by reach, and its bridges: members with
edge weight to other communities, supporters reaching into mostly at-risk
communities first. :func:`bridges_of` lists the communities an account links to
besides its own (the "bridges to" column of a rank table). Pure: numpy and igraph.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import igraph as ig
import numpy as np
import numpy.typing as npt

from iru.network.reach import (
    FloatArray,
    IntArray,
    ReachInputs,
    check_inputs,
    clean_pair,
    interaction_edges,
)

__all__ = [
    "CommunitySummary",
    "bridges_of",
    "bridges_table",
    "communities",
    "community_summary",
]

#: A community is "mostly at-risk" when less than this share of it are supporters.
MOSTLY_AT_RISK = 0.5


@dataclass(frozen=True, slots=True)
class CommunitySummary:
    """One community of the interaction graph."""

    id: int  # 0 = largest
    size: int
    supporters: int  # members assessed as supporters
    at_risk: int  # members not assessed as supporters
    supporter_share: float  # supporters / size
    reach: float  # sum of own_total over the members
    top_accounts: list[int]  # members with the most reach on their own, most first
    bridges: list[int]  # members linking to other communities, strongest first


def communities(
    inputs: ReachInputs, seed: int = 0, resolution: float = 1.0, *, iterations: int = 2
) -> IntArray:
    """Leiden (modularity) community of every account, ids by size (largest = 0).

    ``iterations`` Leiden passes (igraph's default, 2); a negative number runs until
    a pass no longer improves the partition, which on a million accounts takes
    about eight times longer for a modularity gain in the fourth decimal.
    """
    check_inputs(inputs)
    n = inputs.n
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    src, dst, w = interaction_edges(inputs, directed=False)
    graph = ig.Graph(n=n, directed=False)
    graph.add_edges(zip(src.tolist(), dst.tolist(), strict=True))
    ig.set_random_number_generator(random.Random(seed))
    try:
        found = graph.community_leiden(
            objective_function="modularity",
            weights=w.tolist() if w.size else None,
            resolution=resolution,
            n_iterations=iterations,
        )
    finally:
        ig.set_random_number_generator(random)
    membership = np.asarray(found.membership, dtype=np.int64)
    isolated = np.bincount(np.concatenate([src, dst]), minlength=n) == 0
    membership[isolated] = membership.max() + 1 + np.arange(int(isolated.sum()))
    return _by_size(membership)


def _by_size(membership: IntArray) -> IntArray:
    """Renumber ids 0.. by size descending, ties by the lowest member index."""
    ids, first, inverse, sizes = np.unique(
        membership, return_index=True, return_inverse=True, return_counts=True
    )
    new_id = np.empty(ids.size, dtype=np.int64)
    new_id[np.lexsort((first, -sizes))] = np.arange(ids.size)
    return new_id[inverse.reshape(-1)]


def _weight_at(n: int, nodes: IntArray, weights: FloatArray) -> FloatArray:
    return np.asarray(np.bincount(nodes, weights=weights, minlength=n), dtype=np.float64)


def _top_per_group(
    group: IntArray, keys: Sequence[FloatArray], candidates: IntArray, limit: int, groups: int
) -> list[list[int]]:
    """Per group, up to ``limit`` candidates by ``keys`` (descending, in turn), ties by index."""
    order = np.lexsort(
        (candidates, *(-key[candidates] for key in reversed(keys)), group[candidates])
    )
    ranked = candidates[order]
    g = group[ranked]
    starts = np.searchsorted(g, np.arange(groups + 1))
    return [
        ranked[starts[c] : min(starts[c + 1], starts[c] + limit)].tolist() for c in range(groups)
    ]


def community_summary(
    inputs: ReachInputs,
    membership: npt.ArrayLike,
    *,
    top: int = 5,
    largest: int | None = None,
) -> list[CommunitySummary]:
    """A summary of every community (or of the ``largest`` ones), largest first.

    ``top_accounts``: members with positive reach on their own (``R({x})``), most
    first. ``bridges``: members with edge weight to other communities; supporters
    with weight into mostly at-risk communities (supporter share < 0.5) come first,
    by that weight, then the rest by their total weight to other communities.
    """
    check_inputs(inputs)
    n = inputs.n
    member = np.asarray(membership, dtype=np.int64).reshape(-1)
    if member.shape != (n,):
        raise ValueError(f"membership has shape {member.shape}, expected ({n},)")
    if n == 0:
        return []
    count = int(member.max()) + 1
    shown = count if largest is None else min(count, max(largest, 0))
    supporter = np.asarray(inputs.supporter, dtype=np.bool_)
    size = np.bincount(member, minlength=count)
    supporters = np.bincount(member, weights=supporter, minlength=count).astype(np.int64)
    share = np.divide(supporters, size, out=np.zeros(count), where=size > 0)
    own = np.asarray(inputs.own_total, dtype=np.float64)
    reach = np.bincount(member, weights=own, minlength=count)

    alone = own + np.asarray(clean_pair(inputs).sum(axis=1), dtype=np.float64).reshape(-1)
    every = np.arange(n, dtype=np.int64)
    tops = _top_per_group(member, [alone], every[alone > 0], top, shown)

    src, dst, w = interaction_edges(inputs, directed=False)
    cs, cd = member[src], member[dst]
    out = cs != cd
    src, dst, w, cs, cd = src[out], dst[out], w[out], cs[out], cd[out]
    mostly = share < MOSTLY_AT_RISK
    external = _weight_at(n, src, w) + _weight_at(n, dst, w)
    into_at_risk = _weight_at(n, src, w * mostly[cd]) + _weight_at(n, dst, w * mostly[cs])
    into_at_risk[~supporter] = 0.0
    bridges = _top_per_group(member, [into_at_risk, external], every[external > 0], top, shown)
    return [
        CommunitySummary(
            id=c,
            size=int(size[c]),
            supporters=int(supporters[c]),
            at_risk=int(size[c] - supporters[c]),
            supporter_share=float(share[c]),
            reach=float(reach[c]),
            top_accounts=tops[c],
            bridges=bridges[c],
        )
        for c in range(shown)
    ]


def bridges_table(
    inputs: ReachInputs, membership: npt.ArrayLike, nodes: Sequence[int], limit: int = 3
) -> list[list[int]]:
    """:func:`bridges_of` for many accounts in one pass over the edges."""
    check_inputs(inputs)
    n = inputs.n
    member = np.asarray(membership, dtype=np.int64).reshape(-1)
    if member.shape != (n,):
        raise ValueError(f"membership has shape {member.shape}, expected ({n},)")
    asked = np.asarray(nodes, dtype=np.int64).reshape(-1)
    if asked.size and (asked.min() < 0 or asked.max() >= n):
        raise ValueError(f"node indices must lie in [0, {n})")
    row = np.full(n, -1, dtype=np.int64)
    uniq, first = np.unique(asked, return_index=True)
    row[uniq] = first  # a repeated node gets the bridges of its first row
    edges = np.asarray(inputs.edges, dtype=np.int64).reshape(-1, 2)
    w = np.asarray(inputs.weights, dtype=np.float64).reshape(-1)
    # Both directions: an account links to the community at the other end.
    ends = np.concatenate([edges[:, 0], edges[:, 1]])
    others = np.concatenate([edges[:, 1], edges[:, 0]])
    weight = np.concatenate([w, w])
    keep = (row[ends] >= 0) & (member[others] != member[ends]) & (weight > 0)
    rows, comms, weight = row[ends[keep]], member[others[keep]], weight[keep]
    width = np.int64(int(member.max()) + 1 if n else 1)
    codes, inverse = np.unique(rows * width + comms, return_inverse=True)
    total = np.bincount(inverse.reshape(-1), weights=weight, minlength=codes.size)
    rows, comms = codes // width, codes % width
    order = np.lexsort((comms, -total, rows))
    rows, comms = rows[order], comms[order]
    starts = np.searchsorted(rows, np.arange(asked.size + 1))
    firsts = row[asked]
    return [
        comms[starts[r] : min(starts[r + 1], starts[r] + limit)].tolist() for r in firsts.tolist()
    ]


def bridges_of(
    inputs: ReachInputs, membership: npt.ArrayLike, node: int, limit: int = 3
) -> list[int]:
    """Communities ``node`` links to other than its own, most edge weight first (ties: id)."""
    return bridges_table(inputs, membership, [node], limit)[0]
