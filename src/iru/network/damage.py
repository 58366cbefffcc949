"""Core-and-hanging-trees greedy: remove the nodes that cut the most off the giant first.

Every connected graph is its 2-core (the part that holds cycles) plus trees
that hang off single core nodes. Removing a core node ``v`` at once cuts off
everything hanging from it, its *hanging weight* ``w(v)``, and lowers the core
degree of its core neighbours, some of which then drop out of the core and
hang, with their own trees, off their one remaining core neighbour.

:func:`core_damage_order` keeps the 2-core, the core degrees and the hanging
weights up to date as it removes, and always removes the candidate core node
of highest ``deg_weight * core_degree + hang_weight * w``:

* ``hang_weight = 1`` and a huge ``deg_weight``: CoreHD (highest degree in the
  2-core) with ties broken towards the node that cuts most off; it decycles
  with as few removals as CoreHD and leaves a set that does more early damage.
* a huge ``hang_weight``: what is cut off *now* comes first, core degree breaks
  ties; restricted to a fixed removal set it orders that set damage first.
* moderate weights: a trade-off for a fixed budget of removals.

Scores are kept in a max-heap of stale entries: every change pushes a fresh
entry and a popped entry counts only if it still matches the node's score.
"""

from __future__ import annotations

import numpy as np

from iru.network._jit import jit
from iru.network.kernels import BoolArray, IntArray, alive_degrees, heap_pop, heap_push

__all__ = ["core_damage_order"]


@jit
def _rebuild(  # noqa: PLR0917 - numba kernels take positional arrays
    keys: IntArray,
    vals: IntArray,
    incore: BoolArray,
    cand: BoolArray,
    deg: IntArray,
    hang: IntArray,
    deg_weight: int,
    hang_weight: int,
) -> int:
    """Refill the heap with one fresh entry per candidate core node; return its size."""
    size = 0
    for v in range(incore.size):
        if incore[v] and cand[v]:
            size = heap_push(keys, vals, size, -(deg_weight * deg[v] + hang_weight * hang[v]), v)
    return size


@jit
def core_damage_order(  # noqa: PLR0917 - numba kernels take positional arrays
    indptr: IntArray,
    indices: IntArray,
    alive: BoolArray,
    cand: BoolArray,
    deg_weight: int,
    hang_weight: int,
    limit: int,
) -> IntArray:
    """Greedy removal from the 2-core by core degree and hanging weight (see module doc).

    Only nodes with ``cand`` set are removed; the others shape the core and the
    weights. Stops when no candidate is left in the 2-core or after ``limit``
    removals. ``alive`` is updated in place.
    """
    n = alive.size
    deg = alive_degrees(indptr, indices, alive)
    incore = alive.copy()
    hang = np.zeros(n, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    cap = 2 * n + 16
    keys = np.empty(cap, dtype=np.int64)
    vals = np.empty(cap, dtype=np.int64)
    heap = 0
    order = np.empty(n, dtype=np.int64)
    count = 0
    qlen = 0
    for v in range(n):
        if incore[v] and deg[v] < 2:
            queue[qlen] = v
            qlen += 1
    started = False
    v = -1
    while True:
        # Peel: a node that falls out of the core hangs, with its trees, off the
        # one core neighbour it has left (or becomes a piece of its own).
        while qlen > 0:
            qlen -= 1
            u = queue[qlen]
            if not incore[u]:
                continue
            incore[u] = False
            anchor = -1
            for p in range(indptr[u], indptr[u + 1]):
                y = indices[p]
                if incore[y]:
                    anchor = y
                    deg[y] -= 1
                    if deg[y] < 2:
                        queue[qlen] = y
                        qlen += 1
            if anchor >= 0 and u != v:
                hang[anchor] += 1 + hang[u]
            if started:
                for p in range(indptr[u], indptr[u + 1]):
                    y = indices[p]
                    if incore[y] and cand[y]:
                        if heap >= cap - 1:
                            heap = _rebuild(
                                keys, vals, incore, cand, deg, hang, deg_weight, hang_weight
                            )
                        else:
                            score = deg_weight * deg[y] + hang_weight * hang[y]
                            heap = heap_push(keys, vals, heap, -score, y)
        if not started:
            started = True
            heap = _rebuild(keys, vals, incore, cand, deg, hang, deg_weight, hang_weight)
        if count >= limit:
            break
        v = -1
        while heap > 0:
            key = keys[0]
            y = vals[0]
            heap = heap_pop(keys, vals, heap)
            if incore[y] and key == -(deg_weight * deg[y] + hang_weight * hang[y]):
                v = y
                break
        if v < 0:
            break
        alive[v] = False
        order[count] = v
        count += 1
        queue[0] = v
        qlen = 1
    return order[:count].copy()
