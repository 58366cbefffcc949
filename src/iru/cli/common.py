"""What every ``iru`` command shares: workspace options, the error type, output helpers."""

from __future__ import annotations

import csv
import functools
import io
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from iru.config import SettingsError, load_settings
from iru.domain.errors import DatabaseError
from iru.domain.jsonsafe import dumps, is_undefined
from iru.workspace import Workspace, WorkspaceBusy

F = TypeVar("F", bound=Callable[..., Any])


class IruError(click.ClickException):
    """A failure to report as one line, with an exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]


def workspace_command(func: F) -> F:
    """Add --workspace/--config/--database-url and pass an opened Workspace as ``ws``."""

    @click.option(
        "--workspace",
        type=click.Path(file_okay=False, path_type=Path),
        help="Workspace folder [env IRU_WORKSPACE; default ./iru-workspace].",
    )
    @click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML config file [env IRU_CONFIG; default <workspace>/iru.toml].",
    )
    @click.option(
        "--database-url",
        help="SQLAlchemy URL [env IRU_DATABASE_URL; default SQLite in the workspace].",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        workspace: Path | None,
        config_file: Path | None,
        database_url: str | None,
        **kwargs: Any,
    ) -> Any:
        try:
            settings = load_settings(
                flags={
                    "workspace": str(workspace) if workspace else None,
                    "database_url": database_url,
                },
                config_file=config_file,
            )
        except SettingsError as exc:
            raise IruError(str(exc), 2) from exc
        ws = Workspace(settings)
        try:
            return func(*args, ws=ws, **kwargs)
        except (DatabaseError, WorkspaceBusy) as exc:
            raise IruError(str(exc)) from exc
        finally:
            ws.close()

    return wrapper  # type: ignore[return-value]


def output_format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="table for people; csv/json for scripts.",
    )


def out_option(func: F) -> F:
    return click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to this file instead of standard output.",
    )(func)


def stdout_console() -> Console:
    return Console(soft_wrap=False)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def render_rows(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    output_format: str,
    out: Path | None = None,
    title: str | None = None,
) -> None:
    """Write rows as a rich table, CSV or JSON, to ``out`` or standard output."""
    if output_format == "table":
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(
                *("" if is_undefined(row.get(c)) else str(_plain(row.get(c))) for c in columns)
            )
        if out is not None:
            with out.open("w", encoding="utf-8") as handle:
                Console(file=handle, width=200).print(table)
        else:
            stdout_console().print(table)
        return
    buffer: io.StringIO | Any = io.StringIO()
    if output_format == "csv":
        writer = csv.DictWriter(
            buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {c: "" if is_undefined(row.get(c)) else _plain(row.get(c)) for c in columns}
            )
    else:  # undefined figures (NaN, infinity) are null, never invalid JSON
        data = [{c: _plain(row.get(c)) for c in columns} for row in rows]
        buffer.write(dumps(data, indent=2) + "\n")
    text = buffer.getvalue()
    if out is not None:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
