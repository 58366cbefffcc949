"""``iru detect``: score what is new in the archive and re-assess the accounts it touches."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from iru.app import Workspace
from iru.cli.common import workspace_command


@click.command()
@workspace_command
def detect(ws: Workspace) -> None:
    """Run every configured detector on new posts and media; update account assessments."""
    with ws.write_lock("detect"):
        engine = ws.detect_engine()
        report = engine.run()
    table = Table(title="detect")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("detectors", ", ".join(d.name for d in engine.detectors))
    table.add_row("archive files scored", f"{report.files:,}")
    table.add_row("posts", f"{report.posts:,}")
    table.add_row("media", f"{report.media:,}")
    for name, count in sorted(report.signals.items()):
        table.add_row(f"signals: {name}", f"{count:,}")
    table.add_row("accounts assessed", f"{report.accounts_assessed:,}")
    table.add_row("labelled supporter", f"{report.supporters:,}")
    Console().print(table)
