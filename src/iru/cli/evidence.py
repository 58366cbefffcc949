"""``iru evidence capture | verify | purge``: the content-addressed, hash-chained evidence store.

Until users exist, the person acting is named with ``--user``/``--unit`` (default
``cli``/``local``); every capture and purge is written to the audit log.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from iru.app import Workspace
from iru.cases.evidence import KINDS, content_address
from iru.cli.common import IruError, workspace_command
from iru.storage.evidence import EvidenceStore

F = TypeVar("F", bound=Callable[..., Any])


def _store(ws: Workspace) -> EvidenceStore:
    return EvidenceStore(ws.database, ws.root / "evidence")


def actor_options(func: F) -> F:
    """``--user NAME --unit CODE``: who is acting (users and logins come later)."""
    func = click.option(
        "--unit", default="local", show_default=True, help="Unit code of the person acting."
    )(func)
    return click.option(
        "--user", default="cli", show_default=True, help="User name of the person acting."
    )(func)


@click.group()
def evidence() -> None:
    """Preserved evidence: content-addressed files and a hash-chained manifest."""


@evidence.command("capture")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--subject", required=True, help="What it is evidence of, e.g. twitter:12345.")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="What was captured.")
@click.option("--source", help="Source URL or archive locator [default: file:<name of FILE>].")
@click.option("--mime-type", help="Media type [default: guessed from FILE's name].")
@actor_options
@workspace_command
def capture_evidence(
    *,
    file: Path,
    subject: str,
    kind: str,
    source: str | None,
    mime_type: str | None,
    user: str,
    unit: str,
    ws: Workspace,
) -> None:
    """Preserve FILE as evidence about a subject (stored once, however often captured)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise IruError(f"{file}: cannot open: {exc.strerror or exc}") from exc
    mime_type = mime_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    store = _store(ws)
    held = store.path(content_address(data)).is_file()
    try:
        entry = store.capture(
            subject,
            kind,
            data,
            source=source or f"file:{file.name}",
            captured_by=user,
            unit=unit,
            mime_type=mime_type,
        )
    except ValueError as exc:
        raise IruError(str(exc)) from exc
    click.echo(
        f"captured {entry.sha256[:12]} ({entry.size:,} bytes) for {entry.subject} "
        f"as manifest seq {entry.seq}{' (bytes already held)' if held else ''}"
    )


@evidence.command("verify")
@workspace_command
def verify_evidence(ws: Workspace) -> None:
    """Check the manifest chain and every held item's bytes; exit 1 naming the first problem."""
    report = _store(ws).verify()
    if not report.ok:
        raise IruError(report.summary())
    click.echo(report.summary())


@evidence.command("purge")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    help="Retention in days [default: the evidence_retention_days setting, 183].",
)
@actor_options
@workspace_command
def purge_evidence(older_than_days: int | None, user: str, unit: str, ws: Workspace) -> None:
    """Remove items whose every capture is older than the retention period (tombstoned)."""
    days = older_than_days or int(ws.settings["evidence_retention_days"])
    try:
        removed = _store(ws).purge(timedelta(days=days), actor=user, unit=unit)
    except ValueError as exc:
        raise IruError(str(exc)) from exc
    click.echo(f"purged {removed} evidence item(s) older than {days} days")


__all__ = ["actor_options", "evidence"]
