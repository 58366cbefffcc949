"""Evidence over the interaction network: what an account's neighbours say about it.

The graph holds one sparse matrix per interaction kind, ``A[kind][src, dst]`` =
how often ``src`` acted on ``dst`` (reposted, forwarded, quoted, replied to,
mentioned, followed). Given a current probability ``p`` per account (analysts'
labels where known, the model's estimate elsewhere), :func:`neighbour_features`
gives every account, per kind and direction, how much supporter mass it touches:
being *reposted by* supporters (``repost:in``) is strong evidence, *reposting*
them (``repost:out``) weaker (the at-risk audience does it too), and quoting them
(``quote:out``) is what news and counter-speech do. The classifier learns the weight
of each from the labels; nothing here decides it. Iterating the classifier over
these features is iterative classification (Lu & Getoor 2003; Neville & Jensen 2000).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

KINDS = ("repost", "forward", "quote", "reply", "mention", "follow")
DIRECTIONS = ("out", "in")
# The words an analyst reads for a relation, per direction.
RELATION_WORDS = {
    ("repost", "in"): "reposted by",
    ("repost", "out"): "reposts",
    ("forward", "in"): "forwarded by",
    ("forward", "out"): "forwards",
    ("quote", "in"): "quoted by",
    ("quote", "out"): "quotes",
    ("reply", "in"): "replied to by",
    ("reply", "out"): "replies to",
    ("mention", "in"): "mentioned by",
    ("mention", "out"): "mentions",
    ("follow", "in"): "followed by",
    ("follow", "out"): "follows",
}


def feature_names() -> list[str]:
    return [
        f"{kind}:{direction}:{what}"
        for kind in KINDS
        for direction in DIRECTIONS
        for what in ("supporter_evidence", "supporter_mean", "degree")
    ]


@dataclass(slots=True)
class InteractionGraph:
    """Accounts as nodes (one index each), one weighted matrix per interaction kind."""

    keys: list[tuple[str, str]]
    matrices: dict[str, sp.csr_matrix]

    @classmethod
    def build(
        cls,
        keys: Sequence[tuple[str, str]],
        edges: Iterable[tuple[str, str, str, str, int]],
    ) -> InteractionGraph:
        """From (platform, kind, src, dst, count) rows; edges to unknown accounts are dropped."""
        index = {key: i for i, key in enumerate(keys)}
        coords: dict[str, tuple[list[int], list[int], list[float]]] = {
            kind: ([], [], []) for kind in KINDS
        }
        for platform, kind, src, dst, count in edges:
            a, b = index.get((platform, src)), index.get((platform, dst))
            if a is None or b is None or a == b or kind not in coords:
                continue
            rows, cols, values = coords[kind]
            rows.append(a)
            cols.append(b)
            values.append(float(count))
        n = len(keys)
        matrices = {
            kind: sp.csr_matrix((values, (rows, cols)), shape=(n, n), dtype=np.float64)
            for kind, (rows, cols, values) in coords.items()
        }
        return cls(list(keys), matrices)

    def __len__(self) -> int:
        return len(self.keys)

    def edges(self) -> int:
        return sum(int(m.nnz) for m in self.matrices.values())

    def neighbours(self, nodes: np.ndarray) -> np.ndarray:
        """Indices of every account one interaction away from ``nodes`` (either direction)."""
        mask = np.zeros(len(self.keys), dtype=bool)
        mask[nodes] = True
        reached = np.zeros(len(self.keys), dtype=bool)
        picked = mask.astype(np.float64)
        for matrix in self.matrices.values():
            reached |= (matrix @ picked) > 0
            reached |= (matrix.T @ picked) > 0
        return np.nonzero(reached & ~mask)[0]


def neighbour_features(graph: InteractionGraph, p: np.ndarray) -> np.ndarray:
    """For every account, per kind and direction: supporter evidence, mean and degree (n × 36).

    Evidence is ``1 - exp(-mass)`` (mass: the edge-weighted sum of neighbours' ``p``) and
    degree ``1 - exp(-weight / 3)``: both saturate, so the features keep their scale as the
    window fills up and a model trained on a few days still reads a month."""
    n = len(graph)
    columns = []
    ones = np.ones(n)
    for kind in KINDS:
        matrix = graph.matrices[kind]
        for direction in DIRECTIONS:
            m = matrix if direction == "out" else matrix.T.tocsr()
            weight = m @ ones
            mass = m @ p
            mean = np.divide(mass, weight, out=np.zeros(n), where=weight > 0)
            # Saturating, so that a longer window (more edges) does not shift the scale.
            columns += [1 - np.exp(-mass), mean, 1 - np.exp(-weight / 3)]
    return np.column_stack(columns) if columns else np.zeros((n, 0))


def supporter_contacts(
    graph: InteractionGraph, supporter: np.ndarray
) -> dict[tuple[str, str], np.ndarray]:
    """Per (kind, direction): how many distinct supporter accounts each account touches."""
    weights = supporter.astype(np.float64)
    found = {}
    for kind in KINDS:
        linked = graph.matrices[kind].copy()
        linked.data[:] = 1.0
        found[(kind, "out")] = np.rint(linked @ weights).astype(np.int64)
        found[(kind, "in")] = np.rint(linked.T @ weights).astype(np.int64)
    return found


def contacts_of(
    contacts: dict[tuple[str, str], np.ndarray], node: int
) -> list[tuple[str, str, int]]:
    """(kind, direction, supporter accounts) of one account, largest first, zeros left out."""
    found = [
        (kind, direction, int(c[node])) for (kind, direction), c in contacts.items() if c[node]
    ]
    return sorted(found, key=lambda f: (-f[2], f[0], f[1]))


__all__ = [
    "DIRECTIONS",
    "KINDS",
    "RELATION_WORDS",
    "InteractionGraph",
    "contacts_of",
    "feature_names",
    "neighbour_features",
    "supporter_contacts",
]
