"""``iru plugins``: the installed ingest formats, detectors and connectors, with their versions.

Reads entry-point metadata only (:mod:`iru.plugins`): no plugin is imported to list it.
"""

from __future__ import annotations

import json

import click

from iru.plugins import installed_plugins

COLUMNS = ("kind", "name", "distribution", "version", "object")


@click.command("plugins")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people; json for scripts.",
)
def plugins(output_format: str) -> None:
    """List installed plugins: kind, name, providing package and version, object."""
    rows = [plugin.as_dict() for plugin in installed_plugins()]
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} plugins installed")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(row[column] for column in COLUMNS))
    Console(soft_wrap=False).print(table)
