"""The reach model: how much propaganda reach to the at-risk audience removing accounts cuts.

Every propaganda post ``p`` of an account ``x`` reaches ``E(x)``, the at-risk part of
``x``'s audience (followers not assessed as supporters), and every repost of ``p`` by
another account ``b`` reaches ``E(b)`` more. Removing an account takes its posts down
with every repost of them, and its own reposts of other accounts' posts. So removing a
set ``S`` of accounts cuts

    R(S) = sum_{a in S} own_total[a] + sum_{b in S} sum_{a not in S} pair[b, a]

where ``own_total[a]`` is the reach of ``a``'s cascades whole and ``pair[b, a]`` the
reach of ``b``'s reposts of ``a``'s posts (counted once: if ``a`` goes too, those
reposts are already gone with ``a``'s cascades). ``R`` is a coverage function,
monotone and submodular, and the marginal gain of one more account ``x`` is

    gain(x | S) = own_total[x] + sum_a pair[x, a] - sum_{b in S} pair[b, x]
                  - sum_{a in S} pair[x, a].

Reach counts exposures (audience size summed over posts), not distinct people. The
:class:`ReachInputs` are built elsewhere from the archive; this module is pure numpy
and scipy (see docs/network.md for the model with a worked example).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "BoolArray",
    "FloatArray",
    "IntArray",
    "ReachInputs",
    "check_inputs",
    "clean_pair",
    "gains_along",
    "interaction_edges",
    "marginal_gains",
    "reach_removed",
    "total_reach",
]


@dataclass(slots=True)
class ReachInputs:
    """Per-account propaganda activity and reach over one window, indexed ``0..n-1``."""

    keys: list[tuple[str, str]]  # node index -> (platform, account_id)
    exposure: np.ndarray  # float E(x): x's at-risk audience (followers not assessed supporters)
    posts: np.ndarray  # int: propaganda posts x authored (originals, quotes, replies)
    reposts: np.ndarray  # int: propaganda posts of others x reposted/forwarded
    own_total: np.ndarray  # float: sum over x's posts p of E(x) + sum of E(b) over reposts of p
    pair: sp.csr_matrix  # n x n float: pair[b, a] = sum of E(b) over b's reposts of a's posts
    edges: np.ndarray  # int (m, 2): directed interactions src -> dst (src acted on dst)
    weights: np.ndarray  # float (m,): interaction counts
    supporter: np.ndarray  # bool: assessed supporter

    @property
    def n(self) -> int:
        """Number of accounts."""
        return len(self.keys)


def check_inputs(inputs: ReachInputs) -> None:
    """Raise ``ValueError`` when the arrays of ``inputs`` disagree in shape or range."""
    n = inputs.n
    for name in ("exposure", "posts", "reposts", "own_total", "supporter"):
        shape = np.shape(getattr(inputs, name))
        if shape != (n,):
            raise ValueError(f"{name} has shape {shape}, expected ({n},)")
    if not sp.issparse(inputs.pair) or inputs.pair.shape != (n, n):
        raise ValueError(f"pair must be a sparse {n} x {n} matrix")
    edges = np.asarray(inputs.edges)
    if edges.size and (edges.ndim != 2 or edges.shape[1] != 2):
        raise ValueError(f"edges has shape {edges.shape}, expected (m, 2)")
    m = edges.size // 2
    if np.shape(inputs.weights) != (m,):
        raise ValueError(f"weights has shape {np.shape(inputs.weights)}, expected ({m},)")
    if m and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"edge endpoints must lie in [0, {n})")
    if m and np.min(inputs.weights) < 0:
        raise ValueError("edge weights must be non-negative")
    data = inputs.pair.data
    if data.size and data.min() < 0:
        raise ValueError("pair entries must be non-negative")


def clean_pair(inputs: ReachInputs) -> sp.csr_matrix:
    """``pair`` as canonical float64 CSR (duplicates summed, sorted) without its diagonal.

    A diagonal entry would be an account reposting itself, which the model excludes.
    """
    pair = sp.csr_matrix(inputs.pair, dtype=np.float64)
    if not pair.has_canonical_format:
        pair.sum_duplicates()
    if pair.nnz and np.any(pair.diagonal()):
        pair.setdiag(0)
        pair.eliminate_zeros()
    return pair


def _nodes(n: int, nodes: npt.ArrayLike) -> IntArray:
    arr = np.asarray(nodes, dtype=np.int64).reshape(-1)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"node indices must lie in [0, {n})")
    return arr


def total_reach(inputs: ReachInputs) -> float:
    """``R(all)``: the reach removed by removing every account, ``sum own_total``."""
    return float(np.sum(inputs.own_total, dtype=np.float64))


def reach_removed(inputs: ReachInputs, nodes: Sequence[int] | npt.ArrayLike) -> float:
    """``R(S)`` for the set ``S`` of ``nodes`` (repeats count once)."""
    n = inputs.n
    idx = np.unique(_nodes(n, nodes))
    if idx.size == 0:
        return 0.0
    in_set = np.zeros(n, dtype=np.bool_)
    in_set[idx] = True
    own = float(np.sum(np.asarray(inputs.own_total, dtype=np.float64)[idx]))
    rows = clean_pair(inputs)[idx]
    cross = float(np.sum(rows.data[~in_set[rows.indices]]))
    return own + cross


def marginal_gains(inputs: ReachInputs, order: Sequence[int] | npt.ArrayLike) -> FloatArray:
    """Gain of each node of ``order`` given the nodes before it; their sum is ``R(order)``.

    A node repeated in ``order`` gains 0 the second time.
    """
    return gains_along(clean_pair(inputs), inputs.own_total, _nodes(inputs.n, order))


def gains_along(pair: sp.csr_matrix, own_total: npt.ArrayLike, order: IntArray) -> FloatArray:
    """:func:`marginal_gains` on a :func:`clean_pair` matrix, for callers that hold one."""
    n = pair.shape[0]
    k = order.size
    if k == 0:
        return np.zeros(0, dtype=np.float64)
    pos = np.full(n, k, dtype=np.int64)  # k = "not in the order"
    uniq, first = np.unique(order, return_index=True)
    pos[uniq] = first
    is_first = pos[order] == np.arange(k)
    gains = np.where(is_first, np.asarray(own_total, dtype=np.float64)[order], 0.0)
    rows = pair[order]
    row_of = np.repeat(np.arange(k, dtype=np.int64), np.diff(rows.indptr))
    keep = is_first[row_of]
    row_of, col_pos, w = row_of[keep], pos[rows.indices[keep]], rows.data[keep]
    # pair[x, a] counts for x unless a went earlier; when a goes later it counts for x
    # and is then taken back from a (a's own_total already holds that repost).
    plus = col_pos > row_of
    gains += np.bincount(row_of[plus], weights=w[plus], minlength=k)
    later = plus & (col_pos < k)
    gains -= np.bincount(col_pos[later], weights=w[later], minlength=k)
    return gains


def interaction_edges(
    inputs: ReachInputs, *, directed: bool = True
) -> tuple[IntArray, IntArray, FloatArray]:
    """The interaction graph as ``(src, dst, weight)`` arrays, simple and positive.

    Self-loops and zero weights are dropped and parallel edges merged, their weights
    summed; undirected, each pair appears once as ``src < dst``. Sorted by
    ``(src, dst)``.
    """
    n = inputs.n
    edges = np.asarray(inputs.edges, dtype=np.int64).reshape(-1, 2)
    w = np.asarray(inputs.weights, dtype=np.float64).reshape(-1)
    keep = (edges[:, 0] != edges[:, 1]) & (w > 0)
    src, dst, w = edges[keep, 0], edges[keep, 1], w[keep]
    if not directed:
        src, dst = np.minimum(src, dst), np.maximum(src, dst)
    codes = src * np.int64(max(n, 1)) + dst
    uniq, inverse = np.unique(codes, return_inverse=True)
    merged = np.bincount(inverse.reshape(-1), weights=w, minlength=uniq.size)
    return uniq // max(n, 1), uniq % max(n, 1), merged.astype(np.float64)
