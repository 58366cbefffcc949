"""``iru rank``: the accounts whose removal cuts propaganda reach to the at-risk audience most."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.engine.readers.network import ReachReader
from iru.network.communities import bridges_of, communities
from iru.network.reach import ReachInputs, total_reach
from iru.network.strategies import STRATEGIES, rank
from iru.storage.assessments import DetectionStore
from iru.workspace import Workspace

RANK_COLUMNS = (
    "rank",
    "platform",
    "account_id",
    "handle",
    "score",
    "label",
    "impact",
    "reach_removed",
    "share",
    "community",
    "bridges_to",
    "status",
    "why",
)

# What fits a terminal; csv and json carry every column.
TABLE_COLUMNS = ("rank", "handle", "label", "score", "impact", "share", "community", "why")


def _bridges(
    inputs: ReachInputs,
    membership: np.ndarray,
    node: int,
    handles: dict[tuple[str, str], str],
    limit: int = 3,
) -> str:
    """The accounts in other communities ``node`` interacts with most, and their communities."""
    communities_linked = bridges_of(inputs, membership, node, limit=limit)
    edges, weights = inputs.edges, inputs.weights
    touching = (edges[:, 0] == node) | (edges[:, 1] == node)
    others = np.where(edges[touching, 0] == node, edges[touching, 1], edges[touching, 0])
    outside = membership[others] != membership[node]
    strength: dict[int, float] = {}
    for other, weight in zip(others[outside], weights[touching][outside], strict=True):
        strength[int(other)] = strength.get(int(other), 0.0) + float(weight)
    best = sorted(strength, key=lambda j: (-strength[j], j))[:limit]
    named = [
        f"@{handles.get(inputs.keys[j]) or inputs.keys[j][1]} (c{int(membership[j])})" for j in best
    ]
    if not named and communities_linked:
        named = [f"c{c}" for c in communities_linked]
    return " ".join(named)


def reach_inputs(ws: Workspace) -> ReachReader:
    return ws.reach_reader()


def ranked_rows(
    ws: Workspace, inputs: ReachInputs, top: int, strategy: str, seed: int
) -> list[dict[str, Any]]:
    """One row per ranked account, with the contract columns of ``iru rank``."""
    ranked = rank(inputs, top, strategy, seed=seed)
    membership = communities(inputs, seed=seed)
    assessed = DetectionStore(ws.database).by_account()
    handles = reach_inputs(ws).handles()
    rows = []
    for r in ranked:
        key = inputs.keys[r.index]
        view = assessed.get(key, {})
        rows.append(
            {
                "rank": r.rank,
                "platform": key[0],
                "account_id": key[1],
                "handle": handles.get(key, ""),
                "score": round(float(view["score"]), 4) if view else None,
                "label": view.get("label"),
                "impact": round(r.gain, 1),
                "reach_removed": round(r.reach_removed, 1),
                "share": round(r.share, 4),
                "community": int(membership[r.index]),
                "bridges_to": _bridges(inputs, membership, r.index, handles),
                "status": "active",
                "why": r.why,
            }
        )
    return rows


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
    inputs, window = reach_inputs(ws).inputs()
    if not inputs.keys:
        raise IruError("no accounts stored: ingest data and run `iru detect` first")
    total = total_reach(inputs)
    rows = ranked_rows(ws, inputs, top, strategy, seed)
    title = (
        f"top {len(rows)} by {strategy}: window {window.days:g} days to {window.until}, "
        f"total at-risk reach {total:,.0f}, {time.perf_counter() - started:.1f} s"
    )
    columns = TABLE_COLUMNS if output_format == "table" else RANK_COLUMNS
    render_rows(rows, columns, output_format, out, title=title)


__all__ = ["RANK_COLUMNS", "rank_command", "ranked_rows", "reach_inputs"]
