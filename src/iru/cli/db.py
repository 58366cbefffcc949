"""``iru db``: the SQL schema's migrations."""

from __future__ import annotations

import click

from iru.cli.common import workspace_command
from iru.workspace import Workspace


@click.group()
def db() -> None:
    """Manage the SQL database."""


@db.command()
@workspace_command
def upgrade(ws: Workspace) -> None:
    """Apply all migrations up to the newest schema (also done on first use)."""
    database = ws.database  # opening migrates to head
    database.upgrade()
    click.echo(f"database {database.redacted_url} at revision {database.current_revision()}")


@db.command()
@workspace_command
def current(ws: Workspace) -> None:
    """Print the schema revision the database is at."""
    database = ws.database
    click.echo(f"{database.current_revision()} (head {database.head_revision()})")
