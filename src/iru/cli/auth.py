"""Workbench credentials on the command line: ``iru users passwd`` and ``iru tokens``.

A password is read twice from the terminal (never echoed) or, for scripts, once from
standard input with ``--password-stdin``; it is never a command-line argument. An API
token is printed once, when it is created; only its SHA-256 is kept.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from iru.cases.access import PermissionDenied
from iru.cli.cases import _acting, user_option, users
from iru.cli.common import IruError, render_rows, workspace_command
from iru.engine.services.auth import TOKEN_COLUMNS, AuthService
from iru.workspace import Workspace


def auth_service(ws: Workspace) -> AuthService:
    return AuthService(ws.database, session_hours=ws.settings["session_hours"])


def _read_stdin_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@users.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@user_option
@workspace_command
def users_passwd(name: str, password_stdin: bool, user_name: str | None, ws: Workspace) -> None:
    """Set NAME's workbench password (the user themself or an admin; without --user only
    a first password). Ends NAME's open sessions."""
    acting = user_name or ws.settings["user"]
    actor = _acting(ws, acting) if acting else None
    service = auth_service(ws)
    if service.store.credentials(name) is None:
        raise IruError(f"unknown user {name!r}: add one with `iru users add`")
    if password_stdin:
        password = _read_stdin_password()
    else:
        password = click.prompt(
            f"New password for {name}", hide_input=True, confirmation_prompt=True
        )
    try:
        service.set_password(actor, name, password, datetime.now(UTC))
    except (PermissionDenied, LookupError, ValueError) as exc:
        raise IruError(str(exc)) from exc
    click.echo(f"password of {name} set")


@click.group()
def tokens() -> None:
    """API tokens for scripts (Authorization: Bearer iru_...)."""


@tokens.command("create")
@click.argument("name")
@click.option("--for", "for_user", required=True, help="The user the token acts as.")
@user_option
@workspace_command
def tokens_create(name: str, for_user: str, user_name: str | None, ws: Workspace) -> None:
    """Create token NAME for a user (an admin for anyone, a user for themself); it is
    printed once."""
    actor = _acting(ws, user_name)
    try:
        raw = auth_service(ws).create_token(actor, name, for_user, datetime.now(UTC))
    except (PermissionDenied, LookupError, ValueError) as exc:
        raise IruError(str(exc)) from exc
    click.echo(raw)
    click.echo(
        f"store this token for {for_user} now: it is shown only once (iru keeps its hash)",
        err=True,
    )


@tokens.command("list")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@user_option
@workspace_command
def tokens_list(output_format: str, user_name: str | None, ws: Workspace) -> None:
    """The tokens (an admin sees all, others their own); never the secrets."""
    actor = _acting(ws, user_name)
    try:
        rows = auth_service(ws).tokens(actor)
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    render_rows(rows, TOKEN_COLUMNS, output_format)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@user_option
@workspace_command
def tokens_revoke(token_id: int, user_name: str | None, ws: Workspace) -> None:
    """Revoke token TOKEN_ID (an admin any, a user their own)."""
    actor = _acting(ws, user_name)
    try:
        auth_service(ws).revoke_token(actor, token_id, datetime.now(UTC))
    except (PermissionDenied, LookupError, ValueError) as exc:
        raise IruError(str(exc)) from exc
    click.echo(f"token {token_id} revoked")


__all__ = ["tokens", "users_passwd"]
