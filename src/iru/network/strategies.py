"""Ranking strategies: which accounts to refer first, scored by the reach model.

:func:`rank` orders accounts by one of these strategies and reports, for every
account, the reach its removal cuts given the accounts ranked above it
(:func:`iru.network.reach.marginal_gains`), so all strategies are comparable:

``impact`` (default)
    Greedy maximisation of the reach removed ``R`` (see :mod:`iru.network.reach`).
    Gains are updated exactly as accounts are picked (picking ``x`` takes
    ``pair[x, a]`` off every ``a`` and ``pair[b, x]`` off every ``b``) and kept in a
    lazy max-heap (CELF): gains only fall, so a stale heap entry is an upper bound
    and is refreshed when it reaches the top. Ties go to the lower index. Only
    accounts with a positive gain are ranked, so the list may be shorter than ``k``;
    since ``R`` is submodular, the greedy is within ``1 - 1/e`` of the best ``k``.
``volume``
    Most propaganda posts plus reposts: the numbers game.
``degree``
    Total weighted degree (in + out) in the interaction graph.
``pagerank``
    PageRank (damping 0.85) on the directed weighted interaction graph, where
    ``src -> dst`` means ``src`` amplifies ``dst``, so influence flows to ``dst``.
``random``
    A seeded permutation of the accounts with any propaganda activity.

The baselines rank accounts with a positive score only, ties by index. Pure: numpy,
scipy and igraph; no database and no CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import igraph as ig
import numpy as np
import scipy.sparse as sp

from iru.network._jit import jit
from iru.network.kernels import heap_pop, heap_push
from iru.network.reach import (
    FloatArray,
    IntArray,
    ReachInputs,
    check_inputs,
    clean_pair,
    gains_along,
    interaction_edges,
    total_reach,
)

__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "Ranked",
    "greedy_reach",
    "pagerank_scores",
    "rank",
    "weighted_degree",
]

STRATEGIES: dict[str, str] = {
    "impact": "greedy maximisation of the at-risk reach removed",
    "volume": "most propaganda posts and reposts (the numbers game)",
    "degree": "highest weighted interaction degree",
    "pagerank": "highest PageRank on the amplification graph",
    "random": "seeded random draw among active accounts (baseline)",
}
DEFAULT_STRATEGY = "impact"

#: A gain at most this fraction of the account's gain on its own counts as zero
#: (rounding left over by the incremental updates).
RELATIVE_ZERO = 1e-9

Explain = Callable[[FloatArray], list[str]]


@dataclass(frozen=True, slots=True)
class Ranked:
    """One account of a ranking and the reach its removal cuts."""

    index: int  # node index into ReachInputs.keys
    rank: int  # 1 = refer first
    gain: float  # reach removed by this account given the ones ranked above it
    reach_removed: float  # R of this account and all above it
    share: float  # reach_removed / total reach (0 when there is none)
    why: str  # one line for the analyst


@jit
def greedy_reach(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    data: FloatArray,
    t_indptr: IntArray,
    t_indices: IntArray,
    t_data: FloatArray,
    gain: FloatArray,
    k: int,
) -> tuple[IntArray, FloatArray]:
    """Greedy (CELF) maximisation of R: up to ``k`` nodes with positive gain, and their gains.

    ``indptr/indices/data`` is ``pair`` as CSR, ``t_*`` its transpose as CSR, and
    ``gain`` the gains given the empty set (``own_total + pair row sums``); it is
    updated in place.
    """
    n = gain.size
    floor = gain * RELATIVE_ZERO
    keys = np.empty(n, dtype=np.float64)
    vals = np.empty(n, dtype=np.int64)
    size = 0
    for x in range(n):
        if gain[x] > floor[x] and gain[x] > 0.0:
            size = heap_push(keys, vals, size, -gain[x], x)
    removed = np.zeros(n, dtype=np.bool_)
    order = np.empty(min(k, n), dtype=np.int64)
    gains = np.empty(min(k, n), dtype=np.float64)
    count = 0
    while count < order.size and size > 0:
        bound = -keys[0]
        x = vals[0]
        size = heap_pop(keys, vals, size)
        g = gain[x]
        if g <= floor[x] or g <= 0.0:
            continue
        if bound > g:  # stale: put it back with its current gain
            size = heap_push(keys, vals, size, -g, x)
            continue
        removed[x] = True
        order[count] = x
        gains[count] = g
        count += 1
        for p in range(indptr[x], indptr[x + 1]):  # x's reposts of a's posts
            a = indices[p]
            if not removed[a]:
                gain[a] -= data[p]
        for p in range(t_indptr[x], t_indptr[x + 1]):  # b's reposts of x's posts
            b = t_indices[p]
            if not removed[b]:
                gain[b] -= t_data[p]
    return order[:count], gains[:count]


def weighted_degree(inputs: ReachInputs) -> FloatArray:
    """In + out degree of every account, weighted by interaction counts (no self-loops)."""
    n = inputs.n
    edges = np.asarray(inputs.edges, dtype=np.int64).reshape(-1, 2)
    w = np.asarray(inputs.weights, dtype=np.float64).reshape(-1)
    w = np.where(edges[:, 0] != edges[:, 1], w, 0.0)
    out = np.bincount(edges[:, 0], weights=w, minlength=n)
    out += np.bincount(edges[:, 1], weights=w, minlength=n)
    return np.asarray(out, dtype=np.float64)


def pagerank_scores(inputs: ReachInputs, damping: float = 0.85) -> FloatArray:
    """PageRank on the amplification graph (``src -> dst``: ``src`` amplifies ``dst``)."""
    n = inputs.n
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    src, dst, w = interaction_edges(inputs)
    graph = ig.Graph(n=n, directed=True)
    graph.add_edges(zip(src.tolist(), dst.tolist(), strict=True))
    scores = graph.pagerank(weights=w.tolist() if w.size else None, damping=damping)
    return np.asarray(scores, dtype=np.float64)


def _top(score: FloatArray, candidates: IntArray, k: int) -> IntArray:
    """The ``k`` candidates (sorted by index) of highest score, ties to the lower index."""
    s = score[candidates]
    if k < candidates.size:
        kth = np.partition(s, s.size - k)[s.size - k]
        above = candidates[s > kth]
        ties = candidates[s == kth][: k - above.size]
        candidates = np.concatenate([above, ties])
        s = score[candidates]
    return candidates[np.lexsort((candidates, -s))]


def _approx(x: float) -> str:
    """A reach figure for humans: two significant digits from 1,000 up."""
    if abs(x) >= 1000:
        digits = int(np.floor(np.log10(abs(x)))) - 1
        x = round(x, -digits)
    return f"{round(x):,}"


def _n(count: int, noun: str) -> str:
    """``1 post``, ``3 posts``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _count(x: float) -> str:
    return f"{round(x):,}" if float(x).is_integer() else f"{x:,.1f}"


def _impact_why(
    inputs: ReachInputs,
    pair: sp.csr_matrix,
    transposed: sp.csr_matrix,
    order: IntArray,
    gains: FloatArray,
) -> list[str]:
    reposters = np.diff(transposed.indptr)[order]
    repost_reach = np.asarray(pair[order].sum(axis=1)).reshape(-1)
    lines = []
    for i, x in enumerate(order):
        posts, reposts = int(inputs.posts[x]), int(inputs.reposts[x])
        own, more = float(inputs.own_total[x]), float(repost_reach[i])
        verb = "reaches" if reposts == 1 else "reach"
        if posts:
            spread = (
                f" reposted by {_n(int(reposters[i]), 'account')}"
                if reposters[i]
                else ", never reposted"
            )
            line = (
                f"authored {_n(posts, 'propaganda post')}{spread}, "
                f"reaching ~{_approx(own)} at-risk exposures"
            )
            if reposts:
                line += f"; its own {_n(reposts, 'repost')} {verb} ~{_approx(more)} more"
        else:
            line = (
                f"its {_n(reposts, 'repost')} of propaganda {verb} ~{_approx(more)} "
                "at-risk exposures"
            )
        overlap = own + more - float(gains[i])
        if overlap > 0.005 * (own + more):
            line += f" (~{_approx(overlap)} of it already cut by accounts ranked above)"
        lines.append(line)
    return lines


def _impact(inputs: ReachInputs, pair: sp.csr_matrix, k: int) -> tuple[IntArray, Explain]:
    transposed = pair.T.tocsr()
    start = np.asarray(inputs.own_total, dtype=np.float64) + np.asarray(
        pair.sum(axis=1), dtype=np.float64
    ).reshape(-1)
    order, _ = greedy_reach(
        pair.indptr.astype(np.int64),
        pair.indices.astype(np.int64),
        pair.data,
        transposed.indptr.astype(np.int64),
        transposed.indices.astype(np.int64),
        transposed.data,
        start,
        k,
    )
    return order, lambda gains: _impact_why(inputs, pair, transposed, order, gains)


def _baseline(inputs: ReachInputs, k: int, strategy: str, seed: int) -> tuple[IntArray, list[str]]:
    every = np.arange(inputs.n, dtype=np.int64)
    volume = np.asarray(inputs.posts, dtype=np.int64) + np.asarray(inputs.reposts, dtype=np.int64)
    if strategy == "volume":
        order = _top(volume.astype(np.float64), every[volume > 0], k)
        return order, [
            f"{int(volume[x]):,} propaganda posts and reposts "
            f"({_n(int(inputs.posts[x]), 'post')}, {_n(int(inputs.reposts[x]), 'repost')})"
            for x in order
        ]
    if strategy == "degree":
        degree = weighted_degree(inputs)
        order = _top(degree, every[degree > 0], k)
        return order, [f"degree {_count(float(degree[x]))}" for x in order]
    if strategy == "pagerank":
        scores = pagerank_scores(inputs)
        order = _top(scores, every[scores > 0], k)
        return order, [f"PageRank {scores[x]:.2g} (rank {i + 1:,})" for i, x in enumerate(order)]
    order = np.random.default_rng(seed).permutation(every[volume > 0])[:k]
    return order, [f"random draw (seed {seed})"] * order.size


def rank(
    inputs: ReachInputs, k: int, strategy: str = DEFAULT_STRATEGY, seed: int = 0
) -> list[Ranked]:
    """The top ``k`` accounts by ``strategy``, each with the reach its removal cuts.

    ``gain`` is the reach removed by an account given those ranked above it,
    ``reach_removed`` the reach removed by the whole prefix and ``share`` its part
    of the total reach; ``seed`` only matters to ``random``.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if k < 0:
        raise ValueError("k must be non-negative")
    check_inputs(inputs)
    if inputs.n == 0 or k == 0:
        return []
    pair = clean_pair(inputs)
    if strategy == "impact":
        order, explain = _impact(inputs, pair, k)
        gains = gains_along(pair, inputs.own_total, order)
        why = explain(gains)
    else:
        order, why = _baseline(inputs, k, strategy, seed)
        gains = gains_along(pair, inputs.own_total, order)
    cumulative = np.cumsum(gains)
    total = total_reach(inputs)
    return [
        Ranked(
            index=int(x),
            rank=i + 1,
            gain=float(gains[i]),
            reach_removed=float(cumulative[i]),
            share=float(cumulative[i] / total) if total > 0 else 0.0,
            why=why[i],
        )
        for i, x in enumerate(order)
    ]
