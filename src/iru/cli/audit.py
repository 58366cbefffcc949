"""``iru audit verify | anchor | list``: check the hash-chained audit log, and read it.

Reading the log is not itself recorded: it is the record. Once the workspace has
users, only auditors read it, and only their own unit's events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from iru.cases.access import Action, PermissionDenied, authorize
from iru.cases.chain import canonical_json
from iru.cli.common import (
    IruError,
    out_option,
    output_format_option,
    render_rows,
    workspace_command,
)
from iru.workspace import Workspace

AUDIT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "unit",
    "action",
    "subject",
    "before",
    "after",
    "prev_hash",
    "hash",
)
_TABLE_COLUMNS = ("seq", "at", "actor", "unit", "action", "subject", "before", "after", "hash")


@click.group()
def audit() -> None:
    """The audit log: who did what to which subject, hash-chained."""


@audit.command("verify")
@click.option(
    "--anchor",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also check the log still holds the head recorded in this anchor file.",
)
@workspace_command
def verify_audit(anchor: Path | None, ws: Workspace) -> None:
    """Check every link of the audit log; exit 1 naming the first broken one.

    The chain proves no event was changed, removed or reordered *inside* it; an anchor
    (``iru audit anchor``) kept outside the database also catches a log cut short or
    rebuilt whole from some point on.
    """
    store = ws.audit_store()
    report = store.verify()
    if not report.ok:
        raise IruError(f"audit log broken at seq {report.first_broken}: {report.reason}")
    if anchor is not None:
        try:
            kept = json.loads(anchor.read_text(encoding="utf-8"))
            seq, digest = int(kept["seq"]), str(kept["hash"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IruError(f"{anchor}: not an audit anchor: {exc}") from exc
        found = next(iter(store.events(since_seq=seq - 1)), None) if seq > 0 else None
        if seq > 0 and (found is None or found.seq != seq):
            raise IruError(
                f"audit log cut short: anchor {anchor.name} names seq {seq}, "
                f"the log ends at {report.checked}"
            )
        if found is not None and found.hash != digest:
            raise IruError(
                f"audit log rewritten: seq {seq} has hash {found.hash[:12]}, "
                f"anchor {anchor.name} recorded {digest[:12]}"
            )
    click.echo(f"audit log intact: {report.checked} events, head {report.head[:12]}")


@audit.command("anchor")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the anchor: keep it outside the database (another host, WORM).",
)
@workspace_command
def anchor_audit(out: Path, ws: Workspace) -> None:
    """Write the audit log's head (seq and hash) to a file, after checking the chain."""
    report = ws.audit_store().verify()
    if not report.ok:
        raise IruError(f"audit log broken at seq {report.first_broken}: {report.reason}")
    anchor = {"seq": report.checked, "hash": report.head, "at": datetime.now(UTC).isoformat()}
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(anchor, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)
    click.echo(f"anchored the audit log at seq {report.checked}, head {report.head[:12]} in {out}")


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else canonical_json(value).decode("utf-8")


@audit.command("list")
@click.option("--subject", help="Only events about this subject, e.g. twitter:12345.")
@click.option("--user", "user_name", help="Acting user [env IRU_USER].")
@output_format_option("table", "csv", "json")
@out_option
@workspace_command
def list_audit(
    subject: str | None,
    user_name: str | None,
    output_format: str,
    out: Path | None,
    ws: Workspace,
) -> None:
    """List audit events in order (before/after as JSON).

    Once the workspace has users, reading the log needs the audit.read permission
    (auditors) and shows the events of the reader's own unit only: another unit's
    entries may name its investigations."""
    store = ws.audit_store()
    structured = output_format == "json"
    cases = ws.case_store()
    unit: str | None = None
    if cases.user_count():
        principal = cases.principal(user_name or ws.settings["user"])
        if principal is None:
            raise IruError("reading the audit log needs --user (an auditor of your unit)")
        try:
            authorize(principal, Action.AUDIT_READ)
        except PermissionDenied as exc:
            raise IruError(str(exc)) from exc
        unit = principal.unit

    def rows() -> Iterator[dict[str, Any]]:
        for event in store.events(subject=subject):
            if unit is not None and event.unit != unit:
                continue
            yield {
                "seq": event.seq,
                "at": event.at,
                "actor": event.actor,
                "unit": event.unit,
                "action": event.action,
                "subject": event.subject,
                "before": event.before if structured else _json(event.before),
                "after": event.after if structured else _json(event.after),
                "prev_hash": event.prev_hash,
                "hash": event.hash[:12] if output_format == "table" else event.hash,
            }

    columns = _TABLE_COLUMNS if output_format == "table" else AUDIT_COLUMNS
    render_rows(rows(), columns, output_format, out, title="audit log")


__all__ = ["AUDIT_COLUMNS", "audit"]
