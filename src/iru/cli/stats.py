"""``iru stats``: what the workspace holds, by platform, language and day."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from iru.cli.common import output_format_option, workspace_command
from iru.engine.readers.stats import stats_document
from iru.workspace import Workspace


@click.command()
@output_format_option("table", "json")
@workspace_command
def stats(output_format: str, ws: Workspace) -> None:
    """Counts of accounts, posts, media and interactions by platform, language and day."""
    data = ws.stats_reader().read()
    if output_format == "json":
        json.dump(stats_document(data), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    console = Console()
    table = Table(title="by platform")
    for column in ("platform", "accounts", "posts", "media", "interactions"):
        table.add_column(column, justify="left" if column == "platform" else "right")
    for platform, counts in data.platforms:
        table.add_row(
            platform,
            *(f"{n:,}" for n in (counts.accounts, counts.posts, counts.media, counts.interactions)),
        )
    console.print(table)
    langs = Table(title="posts by language")
    langs.add_column("language")
    langs.add_column("posts", justify="right")
    for lang, n in data.languages:
        langs.add_row(lang, f"{n:,}")
    console.print(langs)
    days = Table(title="posts by day")
    for column in ("day", "platform", "posts"):
        days.add_column(column, justify="right" if column == "posts" else "left")
    for day in data.days:
        days.add_row(str(day.day), day.platform, f"{day.posts:,}")
    console.print(days)
    console.print(f"quarantined records: {data.quarantined:,}")
