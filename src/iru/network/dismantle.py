"""Network dismantling: the fewest nodes whose removal breaks a graph into small pieces.

A supporter network is dismantled when its largest connected component holds
at most ``target * N`` of its ``N`` accounts. :func:`dismantle` returns a
removal order for one of these strategies:

``impact-dismantle`` (default)
    Decycle by CoreHD with ties broken towards the node that cuts the most off
    the giant, break the remaining trees optimally, then shrink the set by
    greedy reinsertion and exchanges (never more removals than CoreHD). The set
    is then ordered damage first: each next removal is the one that cuts the
    most off the giant now (hanging trees), core degree breaking ties. With a
    ``budget`` too small to reach the target, a pure damage-first greedy is used
    instead when it leaves a smaller giant after ``budget`` removals.
``corehd``
    Highest degree within the 2-core until no cycle is left, then tree breaking.
``ci``
    Adaptive Collective Influence, L = 2.
``hda``
    Adaptive highest degree (degrees recomputed after every removal).
``degree``
    Static highest degree of the original graph (the baseline).

Every strategy stops as soon as the target is met or ``budget`` nodes are
removed, whichever comes first; the reported largest component is recomputed
from the order. Pure: no database and no CLI.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from iru.network.damage import core_damage_order
from iru.network.greedy import break_trees, ci_order, corehd_decycle, hda_order
from iru.network.kernels import (
    BoolArray,
    IntArray,
    csr_from_edges,
    largest_component,
    largest_component_trajectory,
)
from iru.network.reinsert import shrink

__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "Dismantling",
    "Graph",
    "dismantle",
    "largest_component_curve",
]

STRATEGIES: dict[str, str] = {
    "impact-dismantle": "CoreHD decycling, tree breaking, reinsertion; damage-first order",
    "corehd": "highest degree in the 2-core, then optimal tree breaking",
    "ci": "adaptive Collective Influence (L = 2)",
    "hda": "adaptive highest degree",
    "degree": "static highest degree (baseline)",
}
DEFAULT_STRATEGY = "impact-dismantle"

#: Weight of the hanging trees against core degree in the damage-first greedy
#: used when a budget stops the removal before the target (see _best_with_budget).
BUDGET_HANG_WEIGHT = 8


@dataclass(frozen=True)
class Graph:
    """An undirected simple graph on nodes ``0..n-1`` as CSR arrays."""

    indptr: IntArray
    indices: IntArray

    @property
    def n(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def m(self) -> int:
        return int(self.indices.size // 2)

    def degrees(self) -> IntArray:
        return np.diff(self.indptr)

    @classmethod
    def from_edges(cls, n: int, edges: npt.ArrayLike) -> Graph:
        """The simple graph of ``edges`` (pairs of ints in ``[0, n)``); loops and repeats dropped."""
        return cls.from_simple_edges(n, simplify_edges(n, edges)[0])

    @classmethod
    def from_simple_edges(cls, n: int, pairs: IntArray) -> Graph:
        """Build from pairs already free of self-loops and duplicates (see simplify_edges)."""
        pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
        indptr, indices = csr_from_edges(
            n, np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
        )
        return cls(indptr, indices)

    @classmethod
    def from_igraph(cls, graph: Any) -> Graph:
        """From a python-igraph ``Graph`` (directions, loops and multi-edges dropped)."""
        pairs = np.array(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        return cls.from_edges(int(graph.vcount()), pairs)


def simplify_edges(n: int, edges: npt.ArrayLike) -> tuple[IntArray, int, int]:
    """Sorted unique ``(u < v)`` pairs, plus the number of self-loops and duplicates dropped."""
    arr = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"edge endpoints must lie in [0, {n})")
    loops = arr[:, 0] == arr[:, 1]
    arr = arr[~loops]
    lo = np.minimum(arr[:, 0], arr[:, 1])
    hi = np.maximum(arr[:, 0], arr[:, 1])
    codes = np.sort(lo * np.int64(max(n, 1)) + hi)
    if codes.size:
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    pairs = np.empty((codes.size, 2), dtype=np.int64)
    pairs[:, 0] = codes // max(n, 1)
    pairs[:, 1] = codes % max(n, 1)
    return pairs, int(loops.sum()), int(arr.shape[0] - codes.size)


@dataclass(frozen=True)
class Dismantling:
    """A removal order and what it achieves."""

    strategy: str
    nodes: int
    edges: int
    target: float
    threshold: int  # the largest component size allowed: floor(target * nodes)
    order: IntArray  # node ids, first removed first
    largest_component_before: int
    largest_component_after: int
    seconds: float

    @property
    def removed(self) -> int:
        return int(self.order.size)

    @property
    def reached(self) -> bool:
        """Whether the target was met (False when the budget ran out first)."""
        return self.largest_component_after <= self.threshold


def largest_component_curve(graph: Graph, order: npt.ArrayLike) -> IntArray:
    """``curve[k]`` = largest component after removing the first ``k`` nodes of ``order``."""
    arr = np.ascontiguousarray(order, dtype=np.int64)
    return largest_component_trajectory(graph.indptr, graph.indices, arr)


def threshold_for(target: float, n: int) -> int:
    """The largest component size allowed by ``target`` (a fraction of ``n``)."""
    return max(0, math.floor(target * n + 1e-9))


def dismantle(
    graph: Graph,
    target: float,
    *,
    budget: int | None = None,
    strategy: str = DEFAULT_STRATEGY,
) -> Dismantling:
    """Nodes to remove, in order, until the largest component is <= ``target * N``.

    Stops after ``budget`` nodes if that comes first. Deterministic: the same
    graph, target and budget always give the same order.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target must be a fraction between 0 and 1, got {target}")
    if budget is not None and budget < 0:
        raise ValueError(f"budget must be >= 0, got {budget}")
    started = time.perf_counter()
    n = graph.n
    threshold = threshold_for(target, n)
    limit = n if budget is None else min(budget, n)
    alive = np.ones(n, dtype=np.bool_)
    before = int(largest_component(graph.indptr, graph.indices, alive)) if n else 0
    if before <= threshold or limit == 0:
        order = np.empty(0, dtype=np.int64)
    else:
        order = _raw_order(graph, strategy, threshold, limit)
    cut = min(_reaching(graph, order, threshold), limit)
    order = order[:cut].copy()
    after = int(largest_component_curve(graph, order)[-1])
    return Dismantling(
        strategy=strategy,
        nodes=n,
        edges=graph.m,
        target=target,
        threshold=threshold,
        order=order,
        largest_component_before=before,
        largest_component_after=after,
        seconds=time.perf_counter() - started,
    )


def _raw_order(graph: Graph, strategy: str, threshold: int, limit: int) -> IntArray:
    """A removal order that reaches the threshold or the limit, possibly with extra nodes."""
    indptr, indices, n = graph.indptr, graph.indices, graph.n
    alive = np.ones(n, dtype=np.bool_)
    if strategy == "degree":
        return np.argsort(-graph.degrees(), kind="stable").astype(np.int64)
    if strategy == "hda":
        return hda_order(indptr, indices, alive, threshold, limit, n + 1)
    if strategy == "ci":
        first = ci_order(indptr, indices, alive, threshold, limit, max(1, n // 100))
        return np.concatenate([first, _finish(graph, alive, threshold, limit - first.size)])
    if strategy == "corehd":
        return _decycle_and_break(graph, threshold, hanging_ties=False)
    # CoreHD with ties broken by hanging weight leaves a set about as small as
    # CoreHD's that does more damage early; it is kept unless it needs more
    # removals than CoreHD, in which case CoreHD's own set is shrunk instead.
    chosen = shrink(indptr, indices, _decycle_and_break(graph, threshold, True), threshold)
    corehd = _decycle_and_break(graph, threshold, False)
    if chosen.size > corehd.size:
        chosen = shrink(indptr, indices, corehd, threshold)
    order = _damage_first(graph, chosen)
    if limit < order.size:
        order = _best_with_budget(graph, order, limit)
    return order


def _decycle_and_break(graph: Graph, threshold: int, hanging_ties: bool) -> IntArray:
    """CoreHD decycling, then optimal tree breaking, cut where the target is reached."""
    n = graph.n
    alive = np.ones(n, dtype=np.bool_)
    if hanging_ties:
        everyone = np.ones(n, dtype=np.bool_)
        decycling = core_damage_order(graph.indptr, graph.indices, alive, everyone, n + 1, 1, n)
    else:
        decycling = corehd_decycle(graph.indptr, graph.indices, alive)
    trees = break_trees(graph.indptr, graph.indices, alive, threshold)
    order = np.concatenate([decycling, trees, _finish(graph, alive, threshold, n)])
    return order[: _reaching(graph, order, threshold)]


def _reaching(graph: Graph, order: IntArray, threshold: int) -> int:
    """Length of the shortest prefix of ``order`` after which the target holds (or all)."""
    curve = largest_component_curve(graph, order)
    reached = np.flatnonzero(curve <= threshold)
    return int(reached[0]) if reached.size else int(order.size)


def _damage_first(graph: Graph, nodes: IntArray) -> IntArray:
    """``nodes`` ordered so that each removal cuts as much as possible off the giant."""
    n = graph.n
    cand = np.zeros(n, dtype=np.bool_)
    cand[nodes] = True
    alive = np.ones(n, dtype=np.bool_)
    hang_weight = int(graph.degrees().max(initial=0)) + 1
    first = core_damage_order(graph.indptr, graph.indices, alive, cand, 1, hang_weight, n)
    cand[first] = False
    rest = np.flatnonzero(cand)
    rest = rest[np.argsort(-graph.degrees()[rest], kind="stable")]
    return np.concatenate([first, rest]).astype(np.int64)


def _best_with_budget(graph: Graph, order: IntArray, limit: int) -> IntArray:
    """With only ``limit`` removals allowed, keep whichever prefix leaves less of the giant.

    The dismantling set is chosen to reach the target with the fewest nodes; with
    a smaller budget a pure damage-first greedy (core degree + hanging weight)
    can leave a smaller giant after ``limit`` removals.
    """
    n = graph.n
    alive = np.ones(n, dtype=np.bool_)
    everyone = np.ones(n, dtype=np.bool_)
    greedy = core_damage_order(
        graph.indptr, graph.indices, alive, everyone, 1, BUDGET_HANG_WEIGHT, limit
    )
    if greedy.size < limit:
        greedy = np.concatenate(
            [greedy, hda_order(graph.indptr, graph.indices, alive, 0, limit - greedy.size, n + 1)]
        )
    mine = np.ones(n, dtype=np.bool_)
    mine[order[:limit]] = False
    if largest_component(graph.indptr, graph.indices, alive) < largest_component(
        graph.indptr, graph.indices, mine
    ):
        return greedy
    return order[:limit].copy()


def _finish(graph: Graph, alive: BoolArray, threshold: int, limit: int) -> IntArray:
    """Adaptive highest degree on what is left, if anything is still above the threshold."""
    if limit <= 0 or largest_component(graph.indptr, graph.indices, alive) <= threshold:
        return np.empty(0, dtype=np.int64)
    return hda_order(graph.indptr, graph.indices, alive, threshold, limit, graph.n + 1)
