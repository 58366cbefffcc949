"""``iru evidence capture | verify | anchor | purge``: the content-addressed, hash-chained
evidence store.

Until users exist, the person acting is named with ``--user``/``--unit`` (default
``cli``/``local``); every capture and purge is written to the audit log, and ``verify``
checks the manifest against those events (and against an anchor, as ``iru audit``).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from iru.cases.evidence import KINDS, content_address
from iru.cli.common import IruError, workspace_command
from iru.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


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
    store = ws.evidence_store()
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
@click.option(
    "--anchor",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also check the manifest still holds the head recorded in this anchor file.",
)
@workspace_command
def verify_evidence(anchor: Path | None, ws: Workspace) -> None:
    """Check the manifest chain, the manifest against the audit log's capture and purge
    events, and every held item's bytes; exit 1 naming the first problem.

    The audit log records every capture with its manifest seq, so a manifest cut short
    is found; an anchor (``iru evidence anchor``) kept outside the database also catches
    a manifest and audit log rebuilt together.
    """
    store = ws.evidence_store()
    report = store.verify()
    if not report.ok:
        raise IruError(report.summary())
    if anchor is not None:
        try:
            kept = json.loads(anchor.read_text(encoding="utf-8"))
            seq, digest = int(kept["seq"]), str(kept["hash"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IruError(f"{anchor}: not an evidence anchor: {exc}") from exc
        problem = store.anchor_problem(seq, digest)
        if problem is not None:
            raise IruError(f"{problem} (anchor {anchor.name})")
    click.echo(report.summary())


@evidence.command("anchor")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the anchor: keep it outside the database (another host, WORM).",
)
@workspace_command
def anchor_evidence(out: Path, ws: Workspace) -> None:
    """Write the manifest's head (seq and hash) to a file, after checking it."""
    report = ws.evidence_store().verify()
    if not report.ok:
        raise IruError(report.summary())
    head = report.chain
    kept = {"seq": head.checked, "hash": head.head, "at": datetime.now(UTC).isoformat()}
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        raise IruError(f"{out}: cannot write the anchor: {exc.strerror or exc}") from exc
    click.echo(
        f"anchored the evidence manifest at seq {head.checked}, head {head.head[:12]} in {out}"
    )


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
        removed = ws.evidence_store().purge(timedelta(days=days), actor=user, unit=unit)
    except ValueError as exc:
        raise IruError(str(exc)) from exc
    click.echo(f"purged {removed} evidence item(s) older than {days} days")


__all__ = ["actor_options", "evidence"]
