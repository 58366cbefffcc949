"""Greedy removal kernels: adaptive highest degree, CoreHD decycling, tree breaking, CI.

Each kernel takes CSR arrays and an ``alive`` mask that it updates in place as
it removes nodes, and returns the removal order. ``threshold`` is the largest
component size to reach (an integer, ``floor(target * N)``) and ``budget`` the
most nodes to remove; kernels that cannot see the component sizes as they go
check them every ``check_every`` removals, so they may overshoot by that much
(:func:`iru.network.dismantle.dismantle` trims the order afterwards).

* ``hda_order``: remove the node of highest current degree (bucket queue).
* ``corehd_decycle``: remove the highest-degree node of the 2-core until the
  2-core is empty (Zdeborová, Zhang & Zhou 2016); the rest is a forest.
* ``break_trees``: cut every tree above ``threshold`` with the fewest nodes (the
  bottom-up greedy is optimal on trees).
* ``ci_order``: adaptive Collective Influence with L = 2 (Morone & Makse 2015),
  ``CI(i) = (k_i - 1) * sum(k_j - 1 for j at distance exactly 2)``. CI never
  grows when nodes are removed, so a max-heap of stale upper bounds with
  recomputation on pop (lazy evaluation) always picks the true maximum and only
  touches the nodes that reach the top, not the whole radius-3 ball.
"""

from __future__ import annotations

import numpy as np

from iru.network._jit import jit
from iru.network.kernels import (
    BoolArray,
    IntArray,
    alive_degrees,
    bucket_insert,
    bucket_remove,
    heap_pop,
    heap_push,
    largest_component,
)

__all__ = ["break_trees", "ci_order", "corehd_decycle", "hda_order"]


@jit
def hda_order(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    alive: BoolArray,
    threshold: int,
    budget: int,
    check_every: int,
) -> IntArray:
    """Adaptive highest-degree removal until the largest component is <= threshold."""
    n = alive.size
    deg = alive_degrees(indptr, indices, alive)
    top = 0
    for v in range(n):
        if alive[v]:
            top = max(top, deg[v])
    head = np.full(top + 1, -1, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    prv = np.full(n, -1, dtype=np.int64)
    for v in range(n - 1, -1, -1):
        if alive[v]:
            bucket_insert(head, nxt, prv, deg[v], v)
    order = np.empty(n, dtype=np.int64)
    count = 0
    while count < budget:
        if count % check_every == 0 and largest_component(indptr, indices, alive) <= threshold:
            break
        while top > 0 and head[top] < 0:
            top -= 1
        v = head[top]
        if v < 0 or (top == 0 and threshold >= 1):
            break  # nothing left, or only isolated nodes: every component is a single node
        bucket_remove(head, nxt, prv, top, v)
        alive[v] = False
        order[count] = v
        count += 1
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if alive[u]:
                bucket_remove(head, nxt, prv, deg[u], u)
                deg[u] -= 1
                bucket_insert(head, nxt, prv, deg[u], u)
    return order[:count].copy()


@jit
def corehd_decycle(indptr: IntArray, indices: IntArray, alive: BoolArray) -> IntArray:
    """Remove the highest-degree node of the 2-core until there is no 2-core left."""
    n = alive.size
    deg = alive_degrees(indptr, indices, alive)
    incore = alive.copy()
    queue = np.empty(n, dtype=np.int64)
    qlen = 0
    for v in range(n):
        if incore[v] and deg[v] < 2:
            queue[qlen] = v
            qlen += 1
    # Peel to the 2-core; ``deg`` becomes the degree within the core.
    while qlen > 0:
        qlen -= 1
        v = queue[qlen]
        if not incore[v]:
            continue
        incore[v] = False
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if incore[u]:
                deg[u] -= 1
                if deg[u] < 2:
                    queue[qlen] = u
                    qlen += 1
    top = 0
    for v in range(n):
        if incore[v]:
            top = max(top, deg[v])
    head = np.full(top + 1, -1, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    prv = np.full(n, -1, dtype=np.int64)
    for v in range(n - 1, -1, -1):
        if incore[v]:
            bucket_insert(head, nxt, prv, deg[v], v)
    order = np.empty(n, dtype=np.int64)
    count = 0
    while True:
        while top >= 2 and head[top] < 0:
            top -= 1
        if top < 2:
            break
        v = head[top]
        bucket_remove(head, nxt, prv, top, v)
        incore[v] = False
        alive[v] = False
        order[count] = v
        count += 1
        qlen = 0
        queue[0] = v
        qlen = 1
        while qlen > 0:
            qlen -= 1
            w = queue[qlen]
            for p in range(indptr[w], indptr[w + 1]):
                u = indices[p]
                if not incore[u]:
                    continue
                bucket_remove(head, nxt, prv, deg[u], u)
                deg[u] -= 1
                if deg[u] < 2:
                    incore[u] = False
                    queue[qlen] = u
                    qlen += 1
                else:
                    bucket_insert(head, nxt, prv, deg[u], u)
    return order[:count].copy()


@jit
def break_trees(indptr: IntArray, indices: IntArray, alive: BoolArray, threshold: int) -> IntArray:
    """Cut every component above ``threshold`` along a BFS tree, bottom-up.

    On a forest this removes the fewest nodes possible: a node is removed exactly
    when what hangs below it (itself included) would exceed the threshold. On a
    graph with cycles the result may still be too large; callers check.
    """
    n = alive.size
    seen = np.zeros(n, dtype=np.bool_)
    parent = np.full(n, -1, dtype=np.int64)
    acc = np.zeros(n, dtype=np.int64)
    bfs = np.empty(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    count = 0
    for s in range(n):
        if not alive[s] or seen[s]:
            continue
        seen[s] = True
        bfs[0] = s
        tail = 1
        headq = 0
        while headq < tail:
            v = bfs[headq]
            headq += 1
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if alive[u] and not seen[u]:
                    seen[u] = True
                    parent[u] = v
                    bfs[tail] = u
                    tail += 1
        if tail <= threshold:
            continue
        for i in range(tail):
            acc[bfs[i]] = 1
        for i in range(tail - 1, -1, -1):
            v = bfs[i]
            if acc[v] > threshold:
                alive[v] = False
                order[count] = v
                count += 1
            elif parent[v] >= 0:
                acc[parent[v]] += acc[v]
    return order[:count].copy()


@jit
def _ci2(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    alive: BoolArray,
    deg: IntArray,
    stamp: IntArray,
    tick: int,
    v: int,
) -> int:
    """CI with L = 2 of alive node ``v``; ``stamp`` marks visited nodes with ``tick``."""
    if deg[v] <= 1:
        return 0
    stamp[v] = tick
    for p in range(indptr[v], indptr[v + 1]):
        u = indices[p]
        if alive[u]:
            stamp[u] = tick
    total = 0
    for p in range(indptr[v], indptr[v + 1]):
        u = indices[p]
        if not alive[u]:
            continue
        for q in range(indptr[u], indptr[u + 1]):
            w = indices[q]
            if alive[w] and stamp[w] != tick:
                stamp[w] = tick
                total += deg[w] - 1
    return int((deg[v] - 1) * total)


@jit
def ci_order(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    alive: BoolArray,
    threshold: int,
    budget: int,
    check_every: int,
) -> IntArray:
    """Adaptive CI (L = 2) removal until the largest component is <= threshold.

    Stops early, with the graph not yet dismantled, when every CI is zero
    (only stars and isolated edges left); the caller finishes with HDA.
    """
    n = alive.size
    deg = alive_degrees(indptr, indices, alive)
    stamp = np.full(n, -1, dtype=np.int64)
    keys = np.empty(n, dtype=np.int64)
    vals = np.empty(n, dtype=np.int64)
    size = 0
    tick = 0
    for v in range(n):
        if alive[v]:
            size = heap_push(
                keys, vals, size, -_ci2(indptr, indices, alive, deg, stamp, tick, v), v
            )
            tick += 1
    order = np.empty(n, dtype=np.int64)
    count = 0
    checked = -1
    while count < budget and size > 0:
        if count != checked and count % check_every == 0:
            checked = count
            if largest_component(indptr, indices, alive) <= threshold:
                break
        key = keys[0]
        v = vals[0]
        size = heap_pop(keys, vals, size)
        if not alive[v]:
            continue
        if key == 0:
            break
        fresh = -_ci2(indptr, indices, alive, deg, stamp, tick, v)
        tick += 1
        if fresh > key:
            size = heap_push(keys, vals, size, fresh, v)
            continue
        alive[v] = False
        order[count] = v
        count += 1
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if alive[u]:
                deg[u] -= 1
    return order[:count].copy()
