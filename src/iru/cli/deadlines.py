"""``iru deadlines`` (the clocks of referrals and removal orders) and ``iru holds``.

A removal order must be executed within one hour of the platform's receipt, a referral
within the unit's target (``referral_target_hours``); clocks pause while a platform waits
for a clarification. ``iru deadlines`` lists the running, paused and breached clocks, most
urgent first, with their alerts; ``--fail-on-breach`` makes it a check for cron.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from iru.cases.access import PermissionDenied
from iru.cli.cases import _acting, service, user_option
from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.cli.referrals import parse_time
from iru.workspace import Workspace

DEADLINE_COLUMNS = (
    "reference",
    "kind",
    "platform",
    "account_id",
    "clock",
    "received_at",
    "due_at",
    "remaining",
    "overdue_by",
    "paused_for",
    "alert",
)


def _span(value: timedelta | None) -> str:
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    hours, rest = divmod(abs(seconds), 3600)
    return f"{'-' if seconds < 0 else ''}{hours}:{rest // 60:02d}:{rest % 60:02d}"


@click.command("deadlines")
@click.option("--at", "at", help="Evaluate at this time (ISO 8601 with zone) [default: now].")
@click.option(
    "--warn-minutes", type=click.IntRange(min=0, max=7 * 24 * 60), default=15, show_default=True
)
@click.option("--all", "include_closed", is_flag=True, help="Include met and closed clocks.")
@click.option("--fail-on-breach", is_flag=True, help="Exit 3 when any deadline is breached.")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@out_option
@user_option
@workspace_command
def deadlines(  # noqa: PLR0917 - one parameter per click option
    at: str | None,
    warn_minutes: int,
    include_closed: bool,
    fail_on_breach: bool,
    output_format: str,
    out: Path | None,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """Deadline clocks of the unit's referrals and removal orders, most urgent first."""
    principal = _acting(ws, user_name)
    now = parse_time(at)
    try:
        found = ws.referral_service().deadlines(
            principal, now, timedelta(minutes=warn_minutes), include_closed=include_closed
        )
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    rows = [
        {
            "reference": d.referral.reference,
            "kind": d.referral.kind,
            "platform": d.referral.platform,
            "account_id": d.referral.account_id,
            "clock": d.clock.status,
            "received_at": d.referral.received_at,
            "due_at": d.clock.due_at,
            "remaining": _span(d.clock.remaining),
            "overdue_by": _span(d.clock.overdue_by),
            "paused_for": _span(d.clock.paused_for) if d.clock.paused_for else "",
            "alert": d.clock.problem or (d.alerts[-1].message if d.alerts else ""),
        }
        for d in found
    ]
    render_rows(rows, DEADLINE_COLUMNS, output_format, out, title=f"deadlines at {now:%H:%M} UTC")
    breached = sum(1 for d in found if d.clock.status == "breached")
    if fail_on_breach and breached:
        raise IruError(f"{breached} deadline(s) breached", exit_code=3)


@click.group()
def holds() -> None:
    """Deconfliction holds of the acting user's unit."""


@holds.command("list")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@user_option
@workspace_command
def holds_list(output_format: str, user_name: str | None, ws: Workspace) -> None:
    """The unit's holds, active or not."""
    principal = _acting(ws, user_name)
    now = datetime.now(UTC)
    try:
        found = service(ws).holds(principal)
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    rows = [
        {
            "hold_id": hold_id,
            "account": f"{h.platform}:{h.account_id}",
            "active": h.active(now),
            "placed_by": h.placed_by,
            "placed_at": h.placed_at,
            "expires_at": h.expires_at,
            "lifted_at": h.lifted_at,
            "reason": h.reason,
        }
        for hold_id, h in found
    ]
    columns = ("hold_id", "account", "active", "placed_by", "placed_at", "expires_at")
    render_rows(rows, (*columns, "lifted_at", "reason"), output_format, title="holds")


@holds.command("lift")
@click.argument("hold_id", type=int)
@click.option("--reason", required=True, help="Why the investigation no longer needs it.")
@user_option
@workspace_command
def holds_lift(hold_id: int, reason: str, user_name: str | None, ws: Workspace) -> None:
    """Lift one of the unit's holds (supervisors)."""
    principal = _acting(ws, user_name)
    try:
        hold = service(ws).lift_hold(principal, hold_id, reason, datetime.now(UTC))
    except (PermissionDenied, LookupError, ValueError) as exc:
        raise IruError(str(exc)) from exc
    click.echo(f"hold {hold_id} on {hold.platform}:{hold.account_id} lifted")


__all__ = ["deadlines", "holds"]
