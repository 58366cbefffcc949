"""``iru export``: the store's records for other tools (accounts now; cases, STIX, MISP later)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from iru.app import Workspace
from iru.cli.common import out_option, render_rows, workspace_command
from iru.storage.assessments import DetectionStore

# The contract columns first; score/label/reasons come from `iru detect`, impact from ranking.
ACCOUNT_COLUMNS = (
    "platform",
    "account_id",
    "handle",
    "score",
    "label",
    "impact",
    "status",
    "reasons",
    "display_name",
    "language",
    "created_at",
    "followers_count",
    "following_count",
    "post_count",
    "observed_at",
)


@click.group()
def export() -> None:
    """Export records from the workspace."""


@export.command("accounts")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
)
@out_option
@workspace_command
def export_accounts(output_format: str, out: Path | None, ws: Workspace) -> None:
    """Every known account with the contract columns platform,account_id,handle,score,label,impact,status."""
    assessed = DetectionStore(ws.database).by_account()

    def rows() -> Iterator[dict[str, Any]]:
        for account in ws.database.iter_accounts():
            view = assessed.get((account["platform"], account["account_id"]))
            if view is not None:
                account["score"] = round(float(view["score"]), 4)
                account["label"] = view["label"]
                account["reasons"] = "; ".join(json.loads(view["reasons"]))
                if not account.get("language") and view.get("language"):
                    account["language"] = view["language"]  # detected from its posts
            yield account

    render_rows(rows(), ACCOUNT_COLUMNS, output_format, out)
