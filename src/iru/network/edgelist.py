"""Plain-text edge lists in, removal orders out.

An edge list has one ``u v`` pair per line, separated by whitespace; node names
are any strings without whitespace (ints are names too: ``1`` and ``01`` are
two nodes). Blank lines and lines starting with ``#`` are skipped, and so is a
trailing ``# comment`` after the pair. The graph is read as undirected and
simple: self-loops and repeated pairs (in either direction) are dropped and
counted. Nodes are numbered in order of first appearance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from iru.network.dismantle import Dismantling, Graph, simplify_edges

__all__ = ["EdgeList", "EdgeListError", "read_edge_list", "write_removal_order"]


class EdgeListError(ValueError):
    """A line of an edge list that cannot be read; the message names file and line."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}, line {line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class EdgeList:
    """A graph read from a file, with the name of every node id."""

    names: list[str]
    graph: Graph
    pairs_read: int
    self_loops: int
    duplicates: int


def read_edge_list(path: Path) -> EdgeList:
    """Read ``path``; raise :class:`EdgeListError` on the first malformed line.

    An unreadable file raises ``OSError`` as usual.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data.count(b"\n", 0, exc.start) + 1
        raise EdgeListError(path, bad, "not valid UTF-8 text") from None
    tokens: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        fields = line.split()
        if len(fields) != 2:
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) > 2 and fields[2].startswith("#"):
                fields = fields[:2]
            else:
                raise EdgeListError(path, number, _bad_line(line, len(fields)))
        elif fields[0].startswith("#"):
            continue
        tokens += fields
    # Number the names in order of first appearance (dicts keep insertion order).
    names = list(dict.fromkeys(tokens))
    index = dict(zip(names, range(len(names)), strict=True))
    ends = np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    n = len(names)
    raw_pairs = ends.reshape(-1, 2)
    pairs, loops, duplicates = simplify_edges(n, raw_pairs)
    return EdgeList(
        names=names,
        graph=Graph.from_simple_edges(n, pairs),
        pairs_read=int(raw_pairs.shape[0]),
        self_loops=loops,
        duplicates=duplicates,
    )


def _bad_line(line: str, fields: int) -> str:
    shown = line.strip()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    plural = "" if fields == 1 else "s"
    return (
        f"expected two node names separated by whitespace, found {fields} field{plural}: {shown!r}"
    )


def write_removal_order(path: Path, names: list[str], result: Dismantling) -> None:
    """One removed node name per line, first removed first, under a header comment."""
    header = (
        f"# iru network dismantle: strategy={result.strategy}, nodes={result.nodes}, "
        f"edges={result.edges}, removed={result.removed}, "
        f"largest_component_after={result.largest_component_after}\n"
    )
    body = "".join(f"{names[node]}\n" for node in result.order.tolist())
    path.write_text(header + body, encoding="utf-8")
