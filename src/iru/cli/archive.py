"""``iru archive compact``: merge the archive's small part files, crash-safe."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from iru.cli.common import out_option, output_format_option, render_rows, workspace_command
from iru.workspace import Workspace

_COLUMNS = (
    "partitions",
    "files_in",
    "files_out",
    "rows",
    "mb_in",
    "mb_out",
    "waiting_for_detection",
    "recovered",
)


@click.group()
def archive() -> None:
    """The Parquet archive of posts, media, interactions and signals."""


@archive.command()
@click.option(
    "--target-mb",
    type=click.IntRange(min=1),
    help="Merge part files smaller than this into files of at least this size "
    "[default: the compact_target_mb setting].",
)
@click.option(
    "--min-files",
    type=click.IntRange(min=2),
    default=2,
    show_default=True,
    help="Leave a partition alone unless it holds at least this many small files.",
)
@output_format_option("table", "csv", "json")
@out_option
@workspace_command
def compact(
    target_mb: int | None, min_files: int, output_format: str, out: Path | None, ws: Workspace
) -> None:
    """Merge each partition's small part files into few large ones (one per partition-day
    when the day is smaller than the target). Posts and media files are merged once
    `iru detect` has scored them. A run killed at any point leaves a complete archive;
    the next run (or the next ingest) finishes or undoes the cut-short step."""
    compactor = ws.compactor(min_files=min_files)
    if target_mb is not None:
        compactor.target_bytes = target_mb << 20
    with (
        ws.write_lock("archive compact"),
        Progress(
            TextColumn("[bold]compacting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("partitions"),
            console=Console(stderr=True),
            transient=True,
            disable=not (ws.settings["progress"] and sys.stderr.isatty()),
        ) as progress,
    ):
        task = progress.add_task("partitions", total=None)
        report = compactor.run(
            lambda done, total: progress.update(task, completed=done, total=total)
        )
    row = {
        "partitions": report.partitions,
        "files_in": report.files_in,
        "files_out": report.files_out,
        "rows": report.rows,
        "mb_in": round(report.bytes_in / 2**20, 2),
        "mb_out": round(report.bytes_out / 2**20, 2),
        "waiting_for_detection": report.skipped_pending,
        "recovered": report.recovered,
    }
    render_rows([row], _COLUMNS, output_format, out, title="archive compact")
