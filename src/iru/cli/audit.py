"""``iru audit verify | list``: check the hash-chained audit log, and read it.

Reading the log is not itself recorded: it is the record. Once the workspace has
users, only auditors read it, and only their own unit's events.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from iru.app import Workspace
from iru.cases.access import Action, PermissionDenied, authorize
from iru.cases.chain import canonical_json
from iru.cli.common import (
    IruError,
    out_option,
    output_format_option,
    render_rows,
    workspace_command,
)
from iru.storage.audit import AuditStore
from iru.storage.cases import CaseStore

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
@workspace_command
def verify_audit(ws: Workspace) -> None:
    """Check every link of the audit log; exit 1 naming the first broken one."""
    report = AuditStore(ws.database).verify()
    if not report.ok:
        raise IruError(f"audit log broken at seq {report.first_broken}: {report.reason}")
    click.echo(f"audit log intact: {report.checked} events, head {report.head[:12]}")


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
    store = AuditStore(ws.database)
    structured = output_format == "json"
    cases = CaseStore(ws.database)
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
