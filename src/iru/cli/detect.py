"""``iru detect``: score what is new in the archive and re-assess the accounts it touches."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from iru.cli.common import workspace_command
from iru.workspace import Workspace


@click.command()
@workspace_command
def detect(ws: Workspace) -> None:
    """Run every configured detector on new posts and media; update account assessments."""
    with (
        ws.write_lock("detect"),
        Progress(
            TextColumn("[bold]detecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("archive files"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not (ws.settings["progress"] and sys.stderr.isatty()),
        ) as progress,
    ):
        task = progress.add_task("files", total=None)
        engine = ws.detect_engine()
        report = engine.run(lambda done, total: progress.update(task, completed=done, total=total))
    table = Table(title="detect")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("detectors", ", ".join(d.name for d in engine.detectors))
    table.add_row("archive files scored", f"{report.files:,}")
    table.add_row("posts", f"{report.posts:,}")
    table.add_row("media", f"{report.media:,}")
    for name, count in sorted(report.signals.items()):
        table.add_row(f"signals: {name}", f"{count:,}")
    table.add_row("account model", report.model or "none (rules only; run `iru train`)")
    table.add_row("accounts assessed", f"{report.accounts_assessed:,}")
    table.add_row("labelled supporter", f"{report.supporters:,}")
    table.add_row("resurgence links", f"{report.links:,}")
    if report.compaction is not None and report.compaction.files_in:
        done = report.compaction
        table.add_row("archive compacted", f"{done.files_in:,} files into {done.files_out:,}")
    Console().print(table)
