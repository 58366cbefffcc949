"""Case work on the command line: ``iru users``, ``iru queue``, ``iru decide``, ``iru approve``.

The acting user comes from ``--user`` or the ``user`` setting (``IRU_USER``); every
command checks that user's permissions in the service layer and leaves an audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from iru.cases.access import PermissionDenied, Role
from iru.cases.holds import HoldError
from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.engine.readers.queue import reference_time, triage_rows
from iru.engine.services.cases import (
    DECISIONS,
    CaseService,
    Deconflicted,
    UnknownAccount,
    UnknownUser,
)
from iru.engine.services.referrals import open_referral
from iru.engine.services.triage import queue_candidates
from iru.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])
QUEUE_COLUMNS = (
    "position",
    "platform",
    "account_id",
    "handle",
    "score",
    "impact",
    "urgency",
    "priority",
    "language",
    "why",
)


def user_option(func: F) -> F:
    return click.option("--user", "user_name", help="Acting user [env IRU_USER].")(func)


def service(ws: Workspace) -> CaseService:
    return CaseService(ws.database, four_eyes=ws.settings["four_eyes"], archive=ws.archive)


def _acting(ws: Workspace, user_name: str | None) -> Any:
    try:
        return service(ws).principal(user_name or ws.settings["user"])
    except UnknownUser as exc:
        raise IruError(str(exc)) from exc


def _account(ws: Workspace, account: str) -> tuple[str, str]:
    """PLATFORM:ACCOUNT_ID, or @handle when exactly one stored account has it."""
    if account.startswith("@"):
        handle = account[1:].lower()
        matches = [key for key, h in ws.reach_reader().handles().items() if h.lower() == handle]
        if len(matches) != 1:
            found = "no" if not matches else f"{len(matches)}"
            raise IruError(f"{found} stored accounts have handle {account}; use PLATFORM:ID")
        return matches[0]
    platform, sep, account_id = account.partition(":")
    if not sep or not platform or not account_id:
        raise IruError(f"{account!r}: give the account as PLATFORM:ACCOUNT_ID or @handle")
    return platform, account_id


@click.group()
def users() -> None:
    """The unit's users: their role and unit."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit", required=True, help="Unit code, e.g. DE-BKA or EU-IRU.")
@click.option("--unit-name", default="", help="The unit's name (when it is new).")
@click.option("--contact", default="", help="The unit's deconfliction desk (when it is new).")
@user_option
@workspace_command
def users_add(  # noqa: PLR0917 - one parameter per click option
    name: str,
    role: str,
    unit: str,
    unit_name: str,
    contact: str,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """Add a user; the first user of a workspace must be an admin and needs no --user."""
    cases = service(ws)
    actor = None
    if cases.store.user_count():
        actor = _acting(ws, user_name)
    try:
        cases.add_user(
            actor, name, Role(role), unit, datetime.now(UTC), unit_name=unit_name, contact=contact
        )
    except (PermissionDenied, ValueError) as exc:
        raise IruError(str(exc)) from exc
    click.echo(f"user {name} added: {role} of unit {unit}")


@users.command("list")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@workspace_command
def users_list(output_format: str, ws: Workspace) -> None:
    """Every user, role and unit."""
    render_rows(service(ws).store.users(), ("name", "role", "unit", "active"), output_format)


@click.command("queue")
@click.option("--top", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--platform", "platforms", multiple=True, help="Only these platforms.")
@click.option("--language", "languages", multiple=True, help="Only these languages.")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@out_option
@user_option
@workspace_command
def queue(  # noqa: PLR0917 - one parameter per click option
    top: int,
    platforms: tuple[str, ...],
    languages: tuple[str, ...],
    output_format: str,
    out: Path | None,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """Accounts to review, resurgences of removed targets first, then impact × confidence × urgency."""
    principal = _acting(ws, user_name)
    candidates = queue_candidates(
        ws.database,
        ws.reach_reader(),
        ws.account_reader(),
        ws.settings["detect_threshold"],
    )
    reference = reference_time(datetime.now(UTC), ws.account_reader().newest_post_at())
    try:
        found = triage_rows(
            service(ws), principal, candidates, reference, platforms=platforms, languages=languages
        )
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    rows = [row.cli(n) for n, row in enumerate(found[:top], start=1)]
    render_rows(rows, QUEUE_COLUMNS, output_format, out, title=f"queue of {principal.name}")


@click.command("decide")
@click.argument("account")
@click.argument("decision", type=click.Choice(DECISIONS))
@click.option("--reason", required=True, help="Why: it is stored, audited and shown to reviewers.")
@click.option("--contact", default="", help="For a hold: whom other units should call.")
@click.option("--hold-days", type=click.IntRange(1, 180), default=30, show_default=True)
@click.option(
    "--package/--no-package",
    default=True,
    show_default=True,
    help="On a referral that stands: preserve the evidence and queue its package.",
)
@click.option(
    "--counter-speech",
    is_flag=True,
    help="With dismiss: the account speaks against the propaganda (training label counter_speech).",
)
@user_option
@workspace_command
def decide(  # noqa: PLR0917 - one parameter per click option
    account: str,
    decision: str,
    reason: str,
    contact: str,
    hold_days: int,
    package: bool,
    counter_speech: bool,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """Decide on ACCOUNT (PLATFORM:ID or @handle): refer, dismiss, monitor or hold."""
    if counter_speech and decision != "dismiss":
        raise IruError(f"--counter-speech goes with dismiss only, not {decision}")
    principal = _acting(ws, user_name)
    platform, account_id = _account(ws, account)
    now = datetime.now(UTC)
    try:
        result = service(ws).decide(
            principal,
            platform,
            account_id,
            decision=decision,
            reason=reason,
            now=now,
            contact=contact,
            hold_until=now + timedelta(days=hold_days) if decision == "hold" else None,
            label="counter_speech" if counter_speech else None,
        )
    except (PermissionDenied, HoldError, ValueError, UnknownAccount) as exc:
        raise IruError(str(exc).strip("'\"")) from exc
    except Deconflicted as exc:
        raise IruError(f"refused: {exc}") from exc
    label = f"; training label {result.label}" if result.label else ""
    again = " (this decision stands already: nothing recorded again)" if result.repeated else ""
    click.echo(f"case {result.case_id} on {platform}:{account_id}: {result.status}{label}{again}")
    if package and result.status == "referred":
        queued = open_referral(ws.referral_service(), result.case_id) if result.repeated else None
        if queued is not None:  # a retry after the package was built: nothing to add
            click.echo(f"referral {queued} queued already")
        else:
            _package(ws, principal, platform, account_id)


def _package(ws: Workspace, principal: Any, platform: str, account_id: str) -> None:
    from iru.cli.referrals import make_referral  # the referral commands build on these

    row = make_referral(ws, principal, platform, account_id)
    click.echo(f"referral {row.reference} queued ({row.connector}): run `iru deliver`")


@click.command("approve")
@click.argument("account")
@user_option
@workspace_command
def approve(account: str, user_name: str | None, ws: Workspace) -> None:
    """Approve the pending referral of ACCOUNT (supervisors; not one's own decision)."""
    principal = _acting(ws, user_name)
    platform, account_id = _account(ws, account)
    try:
        result = service(ws).approve(principal, platform, account_id, datetime.now(UTC))
    except (PermissionDenied, LookupError) as exc:
        raise IruError(str(exc)) from exc
    except Deconflicted as exc:
        raise IruError(f"refused: {exc}") from exc
    click.echo(f"case {result.case_id} on {platform}:{account_id}: referred (approved)")
    _package(ws, principal, platform, account_id)


__all__ = ["approve", "decide", "queue", "users"]
