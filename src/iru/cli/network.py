"""``iru network``: supporter networks as graphs; ``dismantle`` finds whom to remove first.

``iru network summary`` shows the communities of the workspace's interaction graph
(supporter core, at-risk audience, the bridges between them); ``iru network
dismantle`` works on files, not on the workspace: it reads a plain edge list and
writes the removal order.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.network.dismantle import DEFAULT_STRATEGY, STRATEGIES, dismantle
from iru.network.edgelist import EdgeListError, read_edge_list, write_removal_order
from iru.workspace import Workspace

__all__ = ["network"]


@click.group()
def network() -> None:
    """Supporter networks: which accounts to remove to break them apart."""


@network.command("dismantle")
@click.option(
    "--edges",
    "edges_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Edge list: one 'u v' pair per line; '#' comments and blank lines skipped.",
)
@click.option(
    "--target",
    required=True,
    type=click.FloatRange(0.0, 1.0),
    help="Stop when the largest connected component is at most this fraction of the nodes.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the removal order here, one node name per line.",
)
@click.option(
    "--budget",
    type=click.IntRange(min=0),
    help="Remove at most this many nodes, even if the target is not reached.",
)
@click.option(
    "--strategy",
    type=click.Choice(list(STRATEGIES)),
    default=DEFAULT_STRATEGY,
    show_default=True,
    help="; ".join(f"{name}: {text}" for name, text in STRATEGIES.items()) + ".",
)
def dismantle_command(
    edges_path: Path, target: float, out: Path, budget: int | None, strategy: str
) -> None:
    """Order the nodes to remove until the largest component is <= TARGET of them."""
    started = time.perf_counter()
    try:
        edge_list = read_edge_list(edges_path)
    except EdgeListError as exc:
        raise IruError(str(exc)) from exc
    except OSError as exc:
        raise IruError(f"cannot read {edges_path}: {exc.strerror or exc}") from exc
    result = dismantle(edge_list.graph, target, budget=budget, strategy=strategy)
    try:
        write_removal_order(out, edge_list.names, result)
    except OSError as exc:
        raise IruError(f"cannot write {out}: {exc.strerror or exc}") from exc
    total = time.perf_counter() - started

    n = max(result.nodes, 1)
    table = Table(title=f"network dismantle ({result.strategy})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("nodes", f"{result.nodes:,}")
    dropped = edge_list.self_loops + edge_list.duplicates
    table.add_row(
        "edges",
        f"{result.edges:,}" + (f" ({dropped:,} self-loops/repeats dropped)" if dropped else ""),
    )
    table.add_row("largest component before", f"{result.largest_component_before:,}")
    table.add_row(
        "target",
        f"≤ {result.threshold:,} nodes ({target:.2%})"
        + ("" if result.reached else ", not reached"),
    )
    if budget is not None:
        table.add_row("budget", f"{budget:,}")
    table.add_row("removed", f"{result.removed:,} ({result.removed / n:.2%})")
    table.add_row(
        "largest component after",
        f"{result.largest_component_after:,} ({result.largest_component_after / n:.2%})",
    )
    table.add_row("seconds", f"{result.seconds:.2f} dismantling, {total:.2f} in all")
    table.add_row("written to", str(out))
    Console().print(table)


@network.command("summary")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--communities", "largest", type=int, default=20, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of Leiden.")
@out_option
@workspace_command
def summary(output_format: str, largest: int, seed: int, out: Path | None, ws: Workspace) -> None:
    """Communities of the window's interaction graph: supporter core, at-risk audience, bridges."""
    started = time.perf_counter()
    model = ws.network_reader().model(seed=seed)
    if not model.n:
        raise IruError("no accounts stored: ingest data and run `iru detect` first")
    rows = [
        {
            "community": c.id,
            "size": c.size,
            "supporters": c.supporters,
            "at_risk": c.at_risk,
            "supporter_share": round(c.supporter_share, 3),
            "kind": c.kind,
            "reach": round(c.reach, 1),
            "reach_share": c.reach_share,
            "top_accounts": " ".join(a.name for a in c.top_accounts),
            "bridges": " ".join(a.name for a in c.bridges),
        }
        for c in model.communities(largest=largest)
    ]
    window = model.window
    title = (
        f"{model.n:,} accounts, {model.pairs:,} interaction pairs, "
        f"{model.community_count:,} communities; window {window.days:g} "
        f"days to {window.until}; total at-risk reach {model.total_reach:,.0f}; "
        f"{time.perf_counter() - started:.1f} s"
    )
    render_rows(rows, SUMMARY_COLUMNS, output_format, out, title=title)


SUMMARY_COLUMNS = (
    "community",
    "size",
    "supporters",
    "at_risk",
    "supporter_share",
    "kind",
    "reach",
    "reach_share",
    "top_accounts",
    "bridges",
)
