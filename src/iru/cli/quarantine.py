"""``iru quarantine list``: the records ingest could not use, with where and why."""

from __future__ import annotations

from pathlib import Path

import click

from iru.cli.common import out_option, output_format_option, render_rows, workspace_command
from iru.workspace import Workspace

_COLUMNS = ("id", "source", "format", "locator", "reason", "raw", "quarantined_at")


@click.group()
def quarantine() -> None:
    """Inspect quarantined records."""


@quarantine.command("list")
@output_format_option("table", "csv", "json")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@out_option
@workspace_command
def list_quarantine(output_format: str, limit: int | None, out: Path | None, ws: Workspace) -> None:
    """List quarantined records: source file, record locator, reason and raw bytes."""
    rows = ws.database.quarantine_rows(limit)
    if output_format == "table":
        for row in rows:
            raw = row["raw"].decode("utf-8", errors="replace")
            row["raw"] = raw if len(raw) <= 60 else raw[:57] + "..."
    render_rows(rows, _COLUMNS, output_format, out, title=f"quarantine ({len(rows)})")
