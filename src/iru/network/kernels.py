"""Low-level graph kernels shared by the dismantling strategies.

Graphs are undirected and simple, stored as CSR arrays: the neighbours of node
``v`` are ``indices[indptr[v]:indptr[v + 1]]``. Node sets are boolean masks
(``alive``). Everything here is numba-compilable (see :mod:`iru.network._jit`):
components by iterative depth-first search, a union-find with path halving, a
binary min-heap on parallel key/value arrays and a bucket queue keyed by degree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from iru.network._jit import jit

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
# Heap keys: integers for the dismantling heaps, floats for the reach greedy (numba
# compiles one version per key type).
KeyArray = npt.NDArray[np.int64] | npt.NDArray[np.float64]

__all__ = [
    "BoolArray",
    "IntArray",
    "KeyArray",
    "alive_degrees",
    "bucket_insert",
    "bucket_remove",
    "csr_from_edges",
    "find",
    "heap_pop",
    "heap_push",
    "largest_component",
    "largest_component_trajectory",
    "union",
]


@jit
def csr_from_edges(n: int, us: IntArray, vs: IntArray) -> tuple[IntArray, IntArray]:
    """CSR arrays of the undirected graph on ``n`` nodes with edges ``(us[e], vs[e])``."""
    deg = np.zeros(n, dtype=np.int64)
    for e in range(us.size):
        deg[us[e]] += 1
        deg[vs[e]] += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        indptr[v + 1] = indptr[v] + deg[v]
    fill = indptr[:n].copy()
    indices = np.empty(indptr[n], dtype=np.int64)
    for e in range(us.size):
        u = us[e]
        v = vs[e]
        indices[fill[u]] = v
        fill[u] += 1
        indices[fill[v]] = u
        fill[v] += 1
    return indptr, indices


@jit
def alive_degrees(indptr: IntArray, indices: IntArray, alive: BoolArray) -> IntArray:
    """Degree of every alive node counting alive neighbours only (0 for removed nodes)."""
    n = alive.size
    deg = np.zeros(n, dtype=np.int64)
    for v in range(n):
        if alive[v]:
            d = 0
            for p in range(indptr[v], indptr[v + 1]):
                if alive[indices[p]]:
                    d += 1
            deg[v] = d
    return deg


@jit
def largest_component(indptr: IntArray, indices: IntArray, alive: BoolArray) -> int:
    """Size of the largest connected component of the subgraph induced by ``alive``."""
    n = alive.size
    seen = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    best = 0
    for s in range(n):
        if not alive[s] or seen[s]:
            continue
        seen[s] = True
        stack[0] = s
        top = 1
        size = 0
        while top > 0:
            top -= 1
            v = stack[top]
            size += 1
            for p in range(indptr[v], indptr[v + 1]):
                u = indices[p]
                if alive[u] and not seen[u]:
                    seen[u] = True
                    stack[top] = u
                    top += 1
        best = max(best, size)
    return best


@jit
def find(parent: IntArray, x: int) -> int:
    """Union-find root of ``x`` (path halving)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@jit
def union(parent: IntArray, size: IntArray, a: int, b: int) -> int:
    """Merge the sets of ``a`` and ``b``; return the size of the merged set."""
    ra = find(parent, a)
    rb = find(parent, b)
    if ra == rb:
        return int(size[ra])
    if size[ra] < size[rb]:
        ra, rb = rb, ra
    parent[rb] = ra
    size[ra] += size[rb]
    return int(size[ra])


@jit
def largest_component_trajectory(indptr: IntArray, indices: IntArray, order: IntArray) -> IntArray:
    """``out[k]`` = largest component after removing ``order[:k]``, for k = 0..len(order).

    Computed backwards with a union-find: start from the graph without every node
    of ``order`` and put them back last first, so the whole curve costs one pass.
    """
    n = indptr.size - 1
    r = order.size
    present = np.ones(n, dtype=np.bool_)
    for i in range(r):
        present[order[i]] = False
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    best = 0
    for v in range(n):
        if not present[v]:
            continue
        best = max(best, 1)
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if u < v and present[u]:
                best = max(best, union(parent, size, u, v))
    out = np.empty(r + 1, dtype=np.int64)
    out[r] = best
    for i in range(r - 1, -1, -1):
        v = order[i]
        present[v] = True
        best = max(best, 1)
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if present[u]:
                best = max(best, union(parent, size, u, v))
        out[i] = best
    return out


@jit
def heap_push(keys: KeyArray, vals: IntArray, size: int, key: float, val: int) -> int:
    """Push ``(key, val)`` on the min-heap held in ``keys``/``vals``; return the new size."""
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] > keys[i] or (keys[parent] == keys[i] and vals[parent] > vals[i]):
            keys[parent], keys[i] = keys[i], keys[parent]
            vals[parent], vals[i] = vals[i], vals[parent]
            i = parent
        else:
            break
    return size + 1


@jit
def heap_pop(keys: KeyArray, vals: IntArray, size: int) -> int:
    """Drop the top of the heap (read ``keys[0]``, ``vals[0]`` first); return the new size."""
    size -= 1
    keys[0] = keys[size]
    vals[0] = vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        right = left + 1
        if right < size and (
            keys[right] < keys[left] or (keys[right] == keys[left] and vals[right] < vals[left])
        ):
            child = right
        if keys[child] < keys[i] or (keys[child] == keys[i] and vals[child] < vals[i]):
            keys[child], keys[i] = keys[i], keys[child]
            vals[child], vals[i] = vals[i], vals[child]
            i = child
        else:
            break
    return size


@jit
def bucket_insert(head: IntArray, nxt: IntArray, prv: IntArray, key: int, v: int) -> None:
    """Put ``v`` at the front of bucket ``key`` (doubly linked lists, -1 terminated)."""
    first = head[key]
    nxt[v] = first
    prv[v] = -1
    if first >= 0:
        prv[first] = v
    head[key] = v


@jit
def bucket_remove(head: IntArray, nxt: IntArray, prv: IntArray, key: int, v: int) -> None:
    """Unlink ``v`` from bucket ``key``."""
    if prv[v] >= 0:
        nxt[prv[v]] = nxt[v]
    else:
        head[key] = nxt[v]
    if nxt[v] >= 0:
        prv[nxt[v]] = prv[v]
