"""``iru export``: the store's records for other tools: accounts, cases, referrals, hashes; STIX and MISP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from iru.cases.access import PermissionDenied
from iru.cli.cases import service, user_option
from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.engine.services.cases import UnknownUser
from iru.engine.services.sharing import NothingToExport, export_shared
from iru.workspace import Workspace

# The contract columns first; score/label/reasons come from `iru detect`, impact from ranking.
ACCOUNT_COLUMNS = (
    "platform",
    "account_id",
    "handle",
    "score",
    "label",
    "impact",
    "status",
    "reasons",
    "display_name",
    "language",
    "created_at",
    "followers_count",
    "following_count",
    "post_count",
    "observed_at",
)


@click.group()
def export() -> None:
    """Export records from the workspace."""


@export.command("accounts")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
)
@out_option
@workspace_command
def export_accounts(output_format: str, out: Path | None, ws: Workspace) -> None:
    """Every known account with the contract columns platform,account_id,handle,score,label,impact,status."""
    assessed = ws.detection_store().by_account()

    def rows() -> Iterator[dict[str, Any]]:
        for account in ws.database.iter_accounts():
            view = assessed.get((account["platform"], account["account_id"]))
            if view is not None:
                account["score"] = round(float(view["score"]), 4)
                account["label"] = view["label"]
                account["reasons"] = "; ".join(json.loads(view["reasons"]))
                if not account.get("language") and view.get("language"):
                    account["language"] = view["language"]  # detected from its posts
            yield account

    render_rows(rows(), ACCOUNT_COLUMNS, output_format, out)


def _share(
    ws: Workspace, output_format: str, out: Path, unit: str | None, user_name: str | None
) -> None:
    """Export the referred accounts the acting user may read; audited as export.<format>."""
    try:
        principal = service(ws).principal(user_name or ws.settings["user"])
        result = export_shared(
            ws.database,
            ws.evidence_store(),
            ws.archive,
            principal,
            output_format=output_format,
            out=out,
            unit=unit,
        )
    except (UnknownUser, PermissionDenied, NothingToExport) as exc:
        raise IruError(str(exc)) from exc
    hidden = (
        f"; {result.left_out} referred case(s) left out: {principal.name} may not read them"
        if result.left_out
        else ""
    )
    click.echo(f"wrote {result.targets} referred account(s) to {out} ({output_format}){hidden}")


def _share_options(func: Any) -> Any:
    func = click.option(
        "--format",
        type=click.Choice(["json"]),
        default="json",
        show_default=True,
        expose_value=False,
        help="Both sharing formats are JSON documents.",
    )(func)
    func = click.option(
        "--unit", help="Only the cases of this unit (default: every case the user may read)."
    )(func)
    return click.option(
        "--out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The file to write (replaced atomically).",
    )(func)


@export.command("stix")
@_share_options
@user_option
@workspace_command
def export_stix(out: Path, unit: str | None, user_name: str | None, ws: Workspace) -> None:
    """Referred accounts as a STIX 2.1 bundle (TLP:AMBER) for partners."""
    _share(ws, "stix", out, unit, user_name)


@export.command("misp")
@_share_options
@user_option
@workspace_command
def export_misp(out: Path, unit: str | None, user_name: str | None, ws: Workspace) -> None:
    """Referred accounts as a MISP event (the JSON /events/add takes, tlp:amber)."""
    _share(ws, "misp", out, unit, user_name)


def _format_option(func: Any) -> Any:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["csv", "json"]),
        default="csv",
        show_default=True,
    )(func)


CASE_COLUMNS = (
    "case_id",
    "platform",
    "account_id",
    "unit",
    "status",
    "restricted",
    "opened_by",
    "opened_at",
    "updated_at",
    "predecessor_case_id",
    "decisions",
    "last_decision",
    "last_reason",
    "referrals",
)


@export.command("cases")
@_format_option
@out_option
@user_option
@workspace_command
def export_cases(
    output_format: str, out: Path | None, user_name: str | None, ws: Workspace
) -> None:
    """The cases the acting user may read, with their decisions and referrals; audited."""
    cases = service(ws)
    try:
        principal = cases.principal(user_name or ws.settings["user"])
        visible = cases.visible_cases(principal, datetime.now(UTC))
    except (UnknownUser, PermissionDenied) as exc:
        raise IruError(str(exc)) from exc
    by_case: dict[int, list[str]] = {}
    for row in ws.referral_service().store.find():
        by_case.setdefault(row.case_id, []).append(f"{row.reference}:{row.status}")
    rows = []
    for case in visible:
        decided = cases.store.decisions_of(case.case_id)
        rows.append(
            {
                **{c: getattr(case, c) for c in CASE_COLUMNS if hasattr(case, c)},
                "decisions": len(decided),
                "last_decision": decided[-1]["decision"] if decided else "",
                "last_reason": decided[-1]["reason"] if decided else "",
                "referrals": " ".join(by_case.get(case.case_id, [])),
            }
        )
    render_rows(rows, CASE_COLUMNS, output_format, out)


@export.command("referrals")
@_format_option
@out_option
@user_option
@workspace_command
def export_referrals(
    output_format: str, out: Path | None, user_name: str | None, ws: Workspace
) -> None:
    """The referrals and removal orders the acting user may read; audited."""
    referrals = ws.referral_service()
    try:
        principal = service(ws).principal(user_name or ws.settings["user"])
        rows = referrals.listing(principal)
    except (UnknownUser, PermissionDenied) as exc:
        raise IruError(str(exc)) from exc
    referrals.audit.append(
        principal.name,
        principal.unit,
        "export.referrals",
        f"unit:{principal.unit}",
        after={"referrals": len(rows), "format": output_format},
        at=datetime.now(UTC),
    )
    columns = (
        "reference",
        "kind",
        "platform",
        "account_id",
        "unit",
        "status",
        "ticket",
        "connector",
        "package_sha256",
        "created_by",
        "created_at",
        "sent_at",
        "received_at",
        "closed_at",
        "attempts",
        "error",
    )
    render_rows([{c: getattr(r, c) for c in columns} for r in rows], columns, output_format, out)


@export.command("hashes")
@_format_option
@out_option
@workspace_command
def export_hashes(output_format: str, out: Path | None, ws: Workspace) -> None:
    """The known-content hash list (PDQ, MD5, SHA-256 …) with labels and sources."""
    columns = ("hash_type", "value", "label", "source", "list_sha256", "created_at", "imported_at")
    render_rows(ws.knowledge_store().hashes(), columns, output_format, out)
