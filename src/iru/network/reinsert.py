"""Shrink a dismantling set: greedy reinsertion and exchanges.

Given removed nodes that leave no component above ``threshold``, put back one
at a time the removed node whose return creates the smallest component (itself
plus every component it touches), while that stays ``<= threshold``
(Braunstein, Dall'Asta, Semerjian & Zdeborová 2016). Components are kept in a
union-find; a min-heap holds each candidate's cost, which only grows as
components merge, so a popped entry that still matches after recomputation is
the true minimum.

Greedy reinsertion never undoes a removal that was a poor choice in the first
place (a degree-based method removes the two hubs of two cliques, not the
node that bridges them). An exchange pass fixes such cases: a present node
``x`` in a small component, whose removal lets at least two of its removed
neighbours come back without any component exceeding the threshold, is
swapped for them. Passes of reinsertion and exchange alternate until neither
finds anything.
"""

from __future__ import annotations

import numpy as np

from iru.network._jit import jit
from iru.network.kernels import IntArray, find, heap_pop, heap_push, union

__all__ = ["shrink"]

#: Largest component in which the exchange pass looks for a node to swap out.
EXCHANGE_COMPONENT = 64


@jit
def _cost(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    present: IntArray,
    parent: IntArray,
    size: IntArray,
    stamp: IntArray,
    tick: int,
    v: int,
) -> int:
    """Size of the component ``v`` would be in if put back now."""
    total = 1
    for p in range(indptr[v], indptr[v + 1]):
        u = indices[p]
        if present[u]:
            r = find(parent, u)
            if stamp[r] != tick:
                stamp[r] = tick
                total += size[r]
    return int(total)


@jit
def _components(
    indptr: IntArray, indices: IntArray, present: IntArray
) -> tuple[IntArray, IntArray]:
    n = present.size
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    for v in range(n):
        if present[v]:
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if u < v and present[u]:
                    union(parent, size, u, v)
    return parent, size


@jit
def _reinsert_pass(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    present: IntArray,
    parent: IntArray,
    size: IntArray,
    stamp: IntArray,
    tick: int,
    threshold: int,
) -> tuple[int, int]:
    """Greedy reinsertion of absent nodes; returns (nodes put back, next tick)."""
    n = present.size
    keys = np.empty(n, dtype=np.int64)
    vals = np.empty(n, dtype=np.int64)
    heap = 0
    for v in range(n):
        if not present[v]:
            cost = _cost(indptr, indices, present, parent, size, stamp, tick, v)
            tick += 1
            if cost <= threshold:
                heap = heap_push(keys, vals, heap, cost, v)
    back = 0
    while heap > 0:
        key = keys[0]
        v = vals[0]
        heap = heap_pop(keys, vals, heap)
        cost = _cost(indptr, indices, present, parent, size, stamp, tick, v)
        tick += 1
        if cost > threshold:
            continue  # costs only grow: it will never fit again
        if cost != key:
            heap = heap_push(keys, vals, heap, cost, v)
            continue
        present[v] = 1
        back += 1
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if present[u]:
                union(parent, size, u, v)
    return back, tick


@jit
def _exchange_pass(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    present: IntArray,
    parent: IntArray,
    size: IntArray,
    threshold: int,
    max_component: int,
) -> int:
    """Swap present nodes for two or more removed neighbours where that fits; return swaps.

    Conservative: brought-back neighbours must touch disjoint components. Leaves
    the union-find stale where it swapped (marked dirty, skipped): rebuild it
    before reuse.
    """
    n = present.size
    cost = np.zeros(n, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)  # per-candidate marks on union-find roots
    for v in range(n):
        if not present[v]:
            cost[v] = _cost(indptr, indices, present, parent, size, mark, v, v)
    mark[:] = -1
    claim = np.full(n, -1, dtype=np.int64)  # roots claimed by an accepted neighbour
    dirty = np.zeros(n, dtype=np.bool_)  # roots and nodes changed in this pass
    piece = np.full(n, -1, dtype=np.int64)  # which piece of comp(x) - x a node is in
    piece_size = np.zeros(max_component + 1, dtype=np.int64)
    piece_mark = np.full(max_component + 1, -1, dtype=np.int64)
    piece_claim = np.full(max_component + 1, -1, dtype=np.int64)
    members = np.empty(max_component + 1, dtype=np.int64)
    accepted = np.empty(n, dtype=np.int64)
    is_accepted = np.zeros(n, dtype=np.bool_)
    swaps = 0
    trial = 0
    tag = 0
    for x in range(n):
        if not present[x] or dirty[x]:
            continue
        rx = find(parent, x)
        cs = size[rx]
        if dirty[rx] or cs > max_component:
            continue
        eligible = 0
        for p in range(indptr[x], indptr[x + 1]):
            u = indices[p]
            if not present[u] and not dirty[u] and cost[u] - cs <= threshold:
                eligible += 1
        if eligible < 2:
            continue
        trial += 1
        present[x] = 0
        npieces = 0
        nmembers = 0
        for p in range(indptr[x], indptr[x + 1]):
            s = indices[p]
            if not present[s] or piece[s] >= 0:
                continue
            piece[s] = npieces
            members[nmembers] = s
            head = nmembers
            nmembers += 1
            while head < nmembers:
                w = members[head]
                head += 1
                for q in range(indptr[w], indptr[w + 1]):
                    y = indices[q]
                    if present[y] and piece[y] < 0:
                        piece[y] = npieces
                        members[nmembers] = y
                        nmembers += 1
            npieces += 1
        for k in range(npieces):
            piece_size[k] = 0
        for i in range(nmembers):
            piece_size[piece[members[i]]] += 1
        nacc = 0
        for p in range(indptr[x], indptr[x + 1]):
            r = indices[p]
            if present[r] or dirty[r] or cost[r] - cs > threshold:
                continue
            tag += 1
            total = 1
            ok = True
            for q in range(indptr[r], indptr[r + 1]):
                y = indices[q]
                if is_accepted[y]:
                    ok = False
                    break
                if not present[y]:
                    continue
                k = piece[y]
                if k >= 0:
                    if piece_claim[k] == trial:
                        ok = False
                        break
                    if piece_mark[k] != tag:
                        piece_mark[k] = tag
                        total += piece_size[k]
                else:
                    root = find(parent, y)
                    if dirty[root] or claim[root] == trial:
                        ok = False
                        break
                    if mark[root] != tag:
                        mark[root] = tag
                        total += size[root]
            if not ok or total > threshold:
                continue
            for q in range(indptr[r], indptr[r + 1]):
                y = indices[q]
                if present[y]:
                    if piece[y] >= 0:
                        piece_claim[piece[y]] = trial
                    else:
                        claim[find(parent, y)] = trial
            accepted[nacc] = r
            is_accepted[r] = True
            nacc += 1
        if nacc >= 2:
            swaps += 1
            dirty[rx] = True
            dirty[x] = True
            for i in range(nacc):
                r = accepted[i]
                present[r] = 1
                dirty[r] = True
                for q in range(indptr[r], indptr[r + 1]):
                    y = indices[q]
                    if present[y] and piece[y] < 0:
                        dirty[find(parent, y)] = True
        else:
            present[x] = 1
        for i in range(nacc):
            is_accepted[accepted[i]] = False
        for i in range(nmembers):
            piece[members[i]] = -1
    return swaps


@jit
def shrink(indptr: IntArray, indices: IntArray, removed: IntArray, threshold: int) -> IntArray:
    """The nodes that stay removed, sorted; no component exceeds ``threshold`` without them.

    ``removed`` must itself leave no component above ``threshold``.
    """
    n = indptr.size - 1
    present = np.ones(n, dtype=np.int64)
    for i in range(removed.size):
        present[removed[i]] = 0
    if threshold >= 1:
        stamp = np.full(n, -1, dtype=np.int64)
        tick = 0
        for _ in range(8):
            parent, size = _components(indptr, indices, present)
            _, tick = _reinsert_pass(indptr, indices, present, parent, size, stamp, tick, threshold)
            swaps = _exchange_pass(
                indptr, indices, present, parent, size, threshold, EXCHANGE_COMPONENT
            )
            if swaps == 0:
                break
    return np.flatnonzero(present == 0).astype(np.int64)
