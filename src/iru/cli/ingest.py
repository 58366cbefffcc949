"""``iru ingest``: read platform exports into the workspace, with progress and a summary."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from iru.cli.common import IruError, workspace_command
from iru.engine.pipeline.ingest import IngestReport
from iru.ingest.base import ProgressCallback
from iru.ingest.registry import available_formats
from iru.workspace import Workspace

# Files smaller than this finish before a bar would be worth drawing.
_PROGRESS_MIN_BYTES = 4 * 1024 * 1024


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        yield progress


def _summary(report: IngestReport) -> Table:
    table = Table(title="ingest")
    for column in ("records", "read", "new", "duplicate"):
        table.add_column(column, justify="right" if column != "records" else "left")
    for name, counts in report.tables.items():
        table.add_row(name, f"{counts.read:,}", f"{counts.new:,}", f"{counts.duplicates:,}")
    table.add_row("quarantined", f"{report.quarantined:,}", f"{report.quarantined_new:,}", "")
    if report.skipped_count:
        table.add_row("skipped files", f"{report.skipped_count:,}", "", "")
    return table


def _skipped(report: IngestReport) -> Table:
    table = Table(title="skipped (not read)")
    table.add_column("file")
    table.add_column("reason")
    for what, why in report.skipped_rows():
        table.add_row(what, why)
    return table


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_name",
    default="auto",
    show_default=True,
    help="auto, or one of the installed formats: twitter-v2, telegram, activitypub, jsonl.",
)
@workspace_command
def ingest(paths: tuple[Path, ...], format_name: str, ws: Workspace) -> None:
    """Read platform exports (files or folders) into the workspace.

    Records are deduplicated by (platform, id); bad records go to the quarantine
    and the run goes on. In a folder, files that are not exports (or not regular
    files) are skipped and listed with the reason. Exits non-zero only when nothing
    usable was read or an input named on its own cannot be read.
    """
    if format_name != "auto" and format_name not in available_formats():
        known = ", ".join(["auto", *sorted(available_formats())])
        raise IruError(f"unknown --format {format_name!r}; choose from {known}", 2)
    show = bool(ws.settings["progress"]) and sys.stderr.isatty()
    with ws.write_lock("ingest"), _progress(show) as progress:

        def track(path: Path, size: int) -> ProgressCallback | None:
            if progress is None or size < _PROGRESS_MIN_BYTES:
                return None
            task = progress.add_task(path.name, total=size)
            return lambda n: progress.advance(task, n)

        report = ws.ingest_engine().run(list(paths), format_name, track)
    console = Console()
    if report.skipped_count:
        console.print(_skipped(report))
    console.print(_summary(report))
    for line in report.partly_read:
        click.echo(
            f"iru: warning: {line} (what came before is stored; see the quarantine)", err=True
        )
    for line in report.unreadable:
        click.echo(f"iru: error: {line}", err=True)
    click.echo(
        f"accepted {report.accepted:,}, duplicate {report.duplicates:,}, "
        f"quarantined {report.quarantined:,}"
        + (" (see `iru quarantine list`)" if report.quarantined else "")
        + (f", skipped {report.skipped_count:,} file(s)" if report.skipped_count else "")
    )
    if report.unreadable:
        raise IruError(f"{len(report.unreadable)} input(s) could not be read")
    if report.usable == 0:
        raise IruError("nothing usable was read from the input")
