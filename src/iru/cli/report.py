"""Reports on the command line: ``iru report impact`` and ``iru report transparency``.

Both read the unit's real case data in the workspace (never the simulator), limited to
the cases the acting user may read, and leave a ``report.impact`` or
``report.transparency`` audit event. docs/report.md explains every figure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from iru.cases.access import PermissionDenied
from iru.cli.cases import _acting, user_option
from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.domain.jsonsafe import dumps
from iru.engine.readers.report import impact_figures, transparency_figures
from iru.measure.report import Period, parse_period
from iru.measure.report_html import render_html, render_pdf
from iru.workspace import Workspace

_SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".json": "json"}
_PERIOD_HELP = "YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (UTC, both days included)."


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise IruError(f"--period: {exc}") from exc


def _write(kind: str, figures: dict[str, Any], output_format: str, out: Path) -> None:
    if output_format == "pdf":
        render_pdf(kind, figures, out)
    elif output_format == "html":
        out.write_text(render_html(kind, figures), encoding="utf-8")
    else:
        out.write_text(dumps(figures, indent=2) + "\n", encoding="utf-8")


def _impact_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    reach, outcomes, speed = figures["reach"], figures["outcomes"], figures["speed"]
    rows: list[tuple[str, Any]] = [
        ("referrals and orders made", reach["referrals_made"]),
        ("accounts referred", reach["accounts_referred"]),
        ("accounts removed", reach["accounts_removed"]),
        ("removal rate", outcomes["removal_rate"]),
        ("reach removed", reach["reach_removed"]),
        ("share of all reach removed", reach["share_of_reach_removed"]),
        ("reach removed per referral", reach["reach_removed_per_referral"]),
        ("propaganda exposures (all days)", figures["exposures_total"]),
        ("days with exposures", len(figures["exposures"])),
        ("median hours first seen to removal", figures["survival"]["median_hours"]),
        ("resurgent accounts", figures["resurgence"]["resurgent_accounts"]),
    ]
    rows += [(f"median hours {k.replace('_', ' ')}", v["median_hours"]) for k, v in speed.items()]
    return [{"figure": name, "value": value} for name, value in rows]


@click.group("report")
def report() -> None:
    """Reports from the unit's case data: impact and transparency."""


@report.command("impact")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "html", "pdf"]),
    default="table",
    show_default=True,
)
@click.option("--period", help=f"Only referrals made in this period: {_PERIOD_HELP}")
@out_option
@user_option
@workspace_command
def report_impact(
    output_format: str,
    period: str | None,
    out: Path | None,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """Reach removed per referral, survival, speed.

    The closed-loop experiment's measures on the unit's real cases (docs/report.md).
    """
    principal = _acting(ws, user_name)
    chosen = _period(period) if period else None
    if output_format == "pdf" and out is None:
        raise IruError("--format pdf needs --out FILE.pdf")
    try:
        figures = impact_figures(
            ws, principal, datetime.now(UTC), period=chosen, output=str(out or "-")
        )
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    if output_format == "table":
        render_rows(_impact_rows(figures), ("figure", "value"), "table", out, title="impact")
    elif out is not None:
        _write("impact", figures, output_format, out)
        click.echo(f"wrote {out}")
    elif output_format == "html":
        click.echo(render_html("impact", figures), nl=False)
    else:
        click.echo(dumps(figures, indent=2))


@report.command("transparency")
@click.option("--period", required=True, help=_PERIOD_HELP)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="FILE.html, FILE.pdf or FILE.json.",
)
@user_option
@workspace_command
def report_transparency(period: str, out: Path, user_name: str | None, ws: Workspace) -> None:
    """Transparency report of a period (TCO Articles 7, 8).

    Referrals and removal orders by platform and language, removal rates, time to
    removal, orders within the hour, Annex III, resurgence, evidence (docs/report.md).
    """
    output_format = _SUFFIXES.get(out.suffix.lower())
    if output_format is None:
        raise IruError(f"--out: {out.name}: name a .html, .pdf or .json file")
    principal = _acting(ws, user_name)
    chosen = _period(period)
    try:
        figures = transparency_figures(ws, principal, chosen, datetime.now(UTC), output=str(out))
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    _write("transparency", figures, output_format, out)
    totals, orders = figures["totals"], figures["removal_orders"]
    rate = totals["removal_rate"]
    click.echo(
        f"wrote {out}: {totals['made']} referral(s) and order(s) in {chosen.label}, "
        f"{totals['removed']} removed"
        + (f" ({100 * rate:.1f} % of those decided)" if rate is not None else "")
        + f", {orders['within_the_hour']} of {orders['orders']} order(s) within the hour"
    )


__all__ = ["report"]
