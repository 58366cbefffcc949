"""Network dismantling: known answers on hand-made graphs, invariants, the CLI, and scale."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import igraph as ig
import numpy as np
import pytest
from click.testing import CliRunner

from iru.cli import cli
from iru.network.dismantle import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    Graph,
    dismantle,
    largest_component_curve,
)
from iru.network.edgelist import EdgeListError, read_edge_list

ALL = list(STRATEGIES)


def star(leaves: int) -> Graph:
    return Graph.from_edges(leaves + 1, [(0, i) for i in range(1, leaves + 1)])


def cliques_with_bridge(size: int = 5) -> tuple[Graph, int]:
    """Two cliques of ``size`` nodes, and one more node adjacent to one node of each."""
    edges = [(a, b) for a, b in itertools.combinations(range(size), 2)]
    edges += [(size + a, size + b) for a, b in itertools.combinations(range(size), 2)]
    bridge = 2 * size
    edges += [(bridge, 0), (bridge, size)]
    return Graph.from_edges(2 * size + 1, edges), bridge


def path(n: int) -> Graph:
    return Graph.from_edges(n, [(i, i + 1) for i in range(n - 1)])


def scale_free(n: int, seed: int, gamma: float = 2.5, kmin: int = 2) -> Graph:
    """Configuration-model graph with a power-law degree sequence in [kmin, sqrt(n)]."""
    rng = np.random.default_rng(seed)
    ks = np.arange(kmin, int(n**0.5) + 1)
    p = ks.astype(float) ** -gamma
    degrees = rng.choice(ks, size=n, p=p / p.sum())
    degrees[0] += degrees.sum() % 2
    stubs = np.repeat(np.arange(n), degrees)
    rng.shuffle(stubs)
    return Graph.from_edges(n, stubs.reshape(-1, 2))


def igraph_of(graph: Graph) -> ig.Graph:
    src = np.repeat(np.arange(graph.n), graph.degrees())
    keep = src < graph.indices
    return ig.Graph(n=graph.n, edges=np.column_stack([src[keep], graph.indices[keep]]).tolist())


def largest_after(graph: Graph, order: np.ndarray) -> int:
    """Recompute with igraph: the largest component once ``order`` is deleted."""
    g = igraph_of(graph)
    g.delete_vertices(order.tolist())
    if g.vcount() == 0:
        return 0
    return max(g.connected_components().sizes())


@pytest.mark.parametrize("strategy", ALL)
def test_star_is_dismantled_by_its_hub(strategy: str) -> None:
    result = dismantle(star(9), 0.2, strategy=strategy)
    assert result.order.tolist() == [0]
    assert result.largest_component_after == 1
    assert result.reached


@pytest.mark.parametrize("strategy", [DEFAULT_STRATEGY, "ci"])
def test_bridge_between_two_cliques_goes_first(strategy: str) -> None:
    graph, bridge = cliques_with_bridge()
    result = dismantle(graph, 5 / 11, strategy=strategy)
    assert result.order.tolist() == [bridge]
    assert result.largest_component_after == 5


def test_degree_methods_miss_the_bridge() -> None:
    graph, bridge = cliques_with_bridge()
    for strategy in ("degree", "hda", "corehd"):
        order = dismantle(graph, 5 / 11, strategy=strategy).order.tolist()
        assert bridge not in order
        assert len(order) == 2


@pytest.mark.parametrize("strategy", ALL)
def test_path_is_cut_into_pieces_of_the_target_size(strategy: str) -> None:
    graph = path(10)
    result = dismantle(graph, 0.3, strategy=strategy)
    assert result.threshold == 3
    assert result.largest_component_after <= 3
    if strategy in ("corehd", DEFAULT_STRATEGY):
        assert result.removed == 2  # optimal: 3 + 1 + 3 + 1 + 2


@pytest.mark.parametrize("strategy", ALL)
def test_nothing_to_do_gives_an_empty_order(strategy: str) -> None:
    empty = Graph.from_edges(0, np.empty((0, 2), dtype=np.int64))
    result = dismantle(empty, 0.5, strategy=strategy)
    assert result.removed == 0
    assert result.largest_component_after == 0
    below = dismantle(Graph.from_edges(6, [(0, 1), (2, 3), (4, 5)]), 0.34, strategy=strategy)
    assert below.removed == 0
    assert below.largest_component_after == 2


def test_target_zero_removes_everything_and_budget_caps() -> None:
    graph = path(6)
    assert dismantle(graph, 0.0).removed == 6
    capped = dismantle(graph, 0.0, budget=2)
    assert capped.removed == 2
    assert not capped.reached
    assert dismantle(graph, 0.5, budget=0).removed == 0


@pytest.mark.parametrize("strategy", ALL)
def test_budget_caps_the_removals(strategy: str) -> None:
    graph = scale_free(3_000, seed=5)
    full = dismantle(graph, 0.01, strategy=strategy)
    assert full.removed > 10
    capped = dismantle(graph, 0.01, strategy=strategy, budget=10)
    assert capped.removed == 10
    assert not capped.reached
    assert capped.largest_component_after == largest_after(graph, capped.order)
    assert capped.largest_component_after <= largest_after(graph, full.order[:10])


@pytest.mark.parametrize("strategy", ALL)
def test_reported_component_matches_igraph_and_order_is_deterministic(strategy: str) -> None:
    graph = scale_free(4_000, seed=11)
    first = dismantle(graph, 0.05, strategy=strategy)
    again = dismantle(graph, 0.05, strategy=strategy)
    assert np.array_equal(first.order, again.order)
    assert len(set(first.order.tolist())) == first.removed
    assert first.largest_component_after == largest_after(graph, first.order)
    assert first.largest_component_after <= first.threshold
    assert first.largest_component_before == largest_after(graph, first.order[:0])
    # The order is minimal as a prefix: one node fewer misses the target.
    assert largest_after(graph, first.order[:-1]) > first.threshold
    curve = largest_component_curve(graph, first.order)
    assert curve[-1] == first.largest_component_after
    assert all(np.diff(curve) <= 0)


def test_default_beats_static_degree_on_a_scale_free_graph() -> None:
    graph = scale_free(20_000, seed=3)
    default = dismantle(graph, 0.01)
    static = dismantle(graph, 0.01, strategy="degree")
    corehd = dismantle(graph, 0.01, strategy="corehd")
    assert default.reached and static.reached
    assert default.removed < 0.8 * static.removed
    assert default.removed <= corehd.removed
    # Its first removals also cut more off the giant than the static degree order.
    k = default.removed // 2
    assert largest_after(graph, default.order[:k]) < largest_after(graph, static.order[:k])


def test_pure_python_fallback_gives_the_same_order(tmp_path: Path) -> None:
    graph, _ = cliques_with_bridge()
    script = (
        "import numpy as np, itertools\n"
        "from iru.network import _jit\n"
        "assert not _jit.NUMBA\n"
        "from iru.network.dismantle import Graph, dismantle\n"
        f"g = Graph.from_edges({graph.n}, np.array({igraph_of(graph).get_edgelist()}))\n"
        "print(' '.join(','.join(map(str, dismantle(g, 0.2, strategy=s).order))"
        f" for s in {ALL!r}))\n"
    )
    env = {**os.environ, "IRU_NETWORK_NO_JIT": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    expected = [",".join(map(str, dismantle(graph, 0.2, strategy=s).order)) for s in ALL]
    assert out == expected


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="strategy"):
        dismantle(path(3), 0.5, strategy="nope")
    with pytest.raises(ValueError, match="target"):
        dismantle(path(3), 1.5)
    with pytest.raises(ValueError, match="budget"):
        dismantle(path(3), 0.5, budget=-1)


def test_edge_list_is_read_as_a_simple_undirected_graph(tmp_path: Path) -> None:
    edges = tmp_path / "edges.txt"
    edges.write_text(
        "# a comment\n\nalice bob\nbob carol  # trailing comment\nbob alice\n"
        "carol carol\n  7\t01\n7 alice\n",
        encoding="utf-8",
    )
    read = read_edge_list(edges)
    assert read.names == ["alice", "bob", "carol", "7", "01"]
    assert (read.graph.n, read.graph.m) == (5, 4)
    assert (read.pairs_read, read.self_loops, read.duplicates) == (6, 1, 1)


def test_malformed_and_undecodable_lines_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("a b\n# fine\nlonely\n", encoding="utf-8")
    with pytest.raises(EdgeListError, match=r"bad\.txt, line 3: expected two node names"):
        read_edge_list(bad)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"a b\nc \xff\n")
    with pytest.raises(EdgeListError, match="line 2: not valid UTF-8"):
        read_edge_list(binary)


def test_cli_writes_the_order_with_its_header(tmp_path: Path) -> None:
    edges = tmp_path / "edges.txt"
    lines = [f"leaf{i} hub" for i in range(8)] + ["leaf0 leaf1", "x y", "# done"]
    edges.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "order.txt"
    result = CliRunner().invoke(
        cli,
        ["network", "dismantle", "--edges", str(edges), "--target", "0.2", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "removed" in result.output and "largest component after" in result.output
    written = out.read_text(encoding="utf-8").splitlines()
    assert written[0] == (
        "# iru network dismantle: strategy=impact-dismantle, nodes=11, edges=10, "
        "removed=1, largest_component_after=2"
    )
    assert written[1:] == ["hub"]


def test_cli_budget_and_strategy(tmp_path: Path) -> None:
    edges = tmp_path / "edges.txt"
    edges.write_text("".join(f"{i} {i + 1}\n" for i in range(20)), encoding="utf-8")
    out = tmp_path / "order.txt"
    args = ["network", "dismantle", "--edges", str(edges), "--target", "0.1", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--budget", "2", "--strategy", "hda"])
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8").splitlines()
    assert written[0].startswith("# iru network dismantle: strategy=hda, nodes=21, edges=20,")
    assert "removed=2," in written[0]
    assert len(written) == 3
    assert "not reached" in result.output


def test_cli_malformed_line_exits_1_naming_the_line(tmp_path: Path) -> None:
    edges = tmp_path / "edges.txt"
    edges.write_text("a b\nb c\nc d e\n", encoding="utf-8")
    args = ["--edges", str(edges), "--target", "0.5", "--out", str(tmp_path / "o.txt")]
    result = CliRunner().invoke(cli, ["network", "dismantle", *args])
    assert result.exit_code == 1
    assert "line 3" in result.output and "edges.txt" in result.output
    assert not (tmp_path / "o.txt").exists()
    missing = CliRunner().invoke(
        cli, ["network", "dismantle", "--edges", str(tmp_path / "none.txt"), *args[2:]]
    )
    assert missing.exit_code == 1
    assert "cannot read" in missing.output
