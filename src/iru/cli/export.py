"""``iru export``: the store's records for other tools (accounts now; cases, STIX, MISP later)."""

from __future__ import annotations

from pathlib import Path

import click

from iru.app import Workspace
from iru.cli.common import out_option, render_rows, workspace_command

# The contract columns first; score/label/impact stay empty until detection fills them.
ACCOUNT_COLUMNS = (
    "platform",
    "account_id",
    "handle",
    "score",
    "label",
    "impact",
    "status",
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
    render_rows(ws.database.iter_accounts(), ACCOUNT_COLUMNS, output_format, out)
