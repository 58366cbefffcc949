"""``iru settings``: every setting's value and where it came from (secrets hidden)."""

from __future__ import annotations

import click

from iru.cli.common import output_format_option, render_rows, workspace_command
from iru.config import SETTINGS
from iru.workspace import Workspace


@click.command()
@output_format_option("table", "json")
@workspace_command
def settings(output_format: str, ws: Workspace) -> None:
    """Show the effective settings."""
    rows = [
        {
            "name": s.name,
            "value": ws.settings.shown(s.name),
            "source": ws.settings.sources[s.name],
            "help": s.help,
        }
        for s in SETTINGS
    ]
    render_rows(rows, ("name", "value", "source", "help"), output_format)
