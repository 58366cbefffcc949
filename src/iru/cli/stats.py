"""``iru stats``: what the workspace holds, by platform, language and day."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from iru.cli.common import output_format_option, workspace_command
from iru.workspace import Workspace


def collect_stats(ws: Workspace) -> dict[str, Any]:
    by_platform: dict[str, dict[str, int]] = {}
    for platform, count in ws.database.accounts_by_platform():
        by_platform.setdefault(platform, {})["accounts"] = count
    with ws.archive.query() as conn:
        for table in ("posts", "media", "interactions"):
            for platform, count in conn.execute(
                f"SELECT platform, count(*) FROM {table} GROUP BY 1 ORDER BY 1"
            ).fetchall():
                by_platform.setdefault(platform, {})[table] = int(count)
        languages = conn.execute(
            "SELECT coalesce(lang, 'unknown') AS lang, count(*) AS posts FROM posts "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        days = conn.execute(
            "SELECT CAST(created_at AT TIME ZONE 'UTC' AS DATE) AS day, platform, count(*) "
            "FROM posts GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        interaction_kinds = conn.execute(
            "SELECT kind, count(*) FROM interactions GROUP BY 1 ORDER BY 1"
        ).fetchall()
    empty = {"accounts": 0, "posts": 0, "media": 0, "interactions": 0}
    return {
        "platforms": {p: {**empty, **c} for p, c in sorted(by_platform.items())},
        "languages": {str(lang): int(n) for lang, n in languages},
        "days": [{"day": str(day), "platform": p, "posts": int(n)} for day, p, n in days],
        "interaction_kinds": {str(k): int(n) for k, n in interaction_kinds},
        "quarantined": ws.database.count("quarantine"),
    }


@click.command()
@output_format_option("table", "json")
@workspace_command
def stats(output_format: str, ws: Workspace) -> None:
    """Counts of accounts, posts, media and interactions by platform, language and day."""
    data = collect_stats(ws)
    if output_format == "json":
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    console = Console()
    table = Table(title="by platform")
    for column in ("platform", "accounts", "posts", "media", "interactions"):
        table.add_column(column, justify="left" if column == "platform" else "right")
    for platform, counts in data["platforms"].items():
        table.add_row(
            platform, *(f"{counts[k]:,}" for k in ("accounts", "posts", "media", "interactions"))
        )
    console.print(table)
    langs = Table(title="posts by language")
    langs.add_column("language")
    langs.add_column("posts", justify="right")
    for lang, n in data["languages"].items():
        langs.add_row(lang, f"{n:,}")
    console.print(langs)
    days = Table(title="posts by day")
    for column in ("day", "platform", "posts"):
        days.add_column(column, justify="right" if column == "posts" else "left")
    for row in data["days"]:
        days.add_row(row["day"], row["platform"], f"{row['posts']:,}")
    console.print(days)
    console.print(f"quarantined records: {data['quarantined']:,}")
