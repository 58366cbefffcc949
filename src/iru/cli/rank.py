"""``iru rank``: the accounts whose removal cuts propaganda reach to the at-risk audience most."""

from __future__ import annotations

import time
from pathlib import Path

import click

from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.engine.readers.rank import RANK_COLUMNS, STRATEGIES
from iru.workspace import Workspace

# What fits a terminal; csv and json carry every column (RANK_COLUMNS).
TABLE_COLUMNS = ("rank", "handle", "label", "score", "impact", "share", "community", "why")


@click.command("rank")
@click.option("--top", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "--strategy", type=click.Choice(sorted(STRATEGIES)), default="impact", show_default=True
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--seed", type=int, default=0, show_default=True, help="For random and Leiden.")
@out_option
@workspace_command
def rank_command(  # noqa: PLR0917 - one parameter per click option
    top: int, strategy: str, output_format: str, seed: int, out: Path | None, ws: Workspace
) -> None:
    """Rank accounts by the propaganda reach their removal cuts (see docs/network.md)."""
    started = time.perf_counter()
    reader = ws.network_reader()
    model = reader.model(seed=seed)
    if not model.n:
        raise IruError("no accounts stored: ingest data and run `iru detect` first")
    ranked = model.ranking(top, strategy, seed=seed)
    rows = [row.as_dict() for row in model.rank_rows(ranked, reader.assessed())]
    window, total = model.window, model.total_reach
    title = (
        f"top {len(rows)} by {strategy}: window {window.days:g} days to {window.until}, "
        f"total at-risk reach {total:,.0f}, {time.perf_counter() - started:.1f} s"
    )
    columns = TABLE_COLUMNS if output_format == "table" else RANK_COLUMNS
    render_rows(rows, columns, output_format, out, title=title)


__all__ = ["RANK_COLUMNS", "rank_command"]
