"""Referrals on the command line: ``iru refer``, ``iru deliver``, ``iru track``, ``iru referrals``.

``iru decide ACCOUNT refer`` builds the referral package itself once the referral stands
(approved, where four eyes apply); ``iru refer`` makes one explicitly — a removal order
with ``--order``. ``iru deliver`` sends what is queued through the connector,
``iru track`` reads the platforms' answers (polling, or callbacks with ``--listen``), and
``iru referrals`` lists, shows and updates them by hand (for e-mailed referrals).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from iru.cases.access import PermissionDenied, Principal
from iru.cases.connectors import PLATFORM_STATUSES, DeliveryError
from iru.cases.tco import Reason
from iru.cli.cases import _account, _acting, user_option
from iru.cli.common import IruError, out_option, render_rows, workspace_command
from iru.domain import utc
from iru.engine.adapters.registry import UnknownConnector
from iru.engine.services.cases import Deconflicted
from iru.engine.services.dispatcher import follow_up
from iru.engine.services.referrals import ReferralError, ReferralRow, ReferralService
from iru.engine.services.targets import TargetNotFound
from iru.workspace import Workspace

LIST_COLUMNS = (
    "reference",
    "kind",
    "platform",
    "account_id",
    "status",
    "ticket",
    "connector",
    "created_at",
    "received_at",
    "closed_at",
    "error",
)


def parse_time(value: str | None, what: str = "--at") -> datetime:
    """An ISO 8601 time with a zone (``Z`` allowed); now when not given."""
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise IruError(f"{what}: {value!r} is not an ISO 8601 time") from exc
    if moment.utcoffset() is None:
        raise IruError(f"{what}: {value!r} has no time zone (add Z for UTC)")
    return utc(moment)


def _row(row: ReferralRow) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "kind": row.kind,
        "platform": row.platform,
        "account_id": row.account_id,
        "status": row.status,
        "ticket": row.ticket or "",
        "connector": row.connector,
        "created_at": row.created_at,
        "received_at": row.received_at,
        "closed_at": row.closed_at,
        "error": row.error or "",
    }


def make_referral(
    ws: Workspace,
    principal: Principal,
    platform: str,
    account_id: str,
    *,
    kind: str = "referral",
    reasons: tuple[Reason, ...] = (Reason.INCITES,),
    additional: str | None = None,
    non_disclosure: bool = False,
) -> ReferralRow:
    """Build and queue a package; one clear error line on failure."""
    try:
        service: ReferralService = ws.referral_service()
        return service.create(
            principal,
            platform,
            account_id,
            now=datetime.now(UTC),
            kind=kind,
            connector=ws.connector_name(),
            reasons=reasons or (Reason.INCITES,),
            additional_reasons=additional,
            non_disclosure=non_disclosure,
        )
    except (PermissionDenied, ReferralError, TargetNotFound, ValueError) as exc:
        raise IruError(str(exc)) from exc
    except Deconflicted as exc:
        raise IruError(f"refused: {exc}") from exc


@click.command("refer")
@click.argument("account")
@click.option("--order", is_flag=True, help="A removal order (TCO Regulation), not a referral.")
@click.option(
    "--ground",
    "grounds",
    multiple=True,
    type=click.Choice([r.value for r in Reason]),
    help="Annex I section B reason (repeatable) [default: incites].",
)
@click.option("--additional", help="Free-text additional reasons (orders).")
@click.option("--non-disclosure", is_flag=True, help="The provider must not inform the user.")
@user_option
@workspace_command
def refer(  # noqa: PLR0917 - one parameter per click option
    account: str,
    order: bool,
    grounds: tuple[str, ...],
    additional: str | None,
    non_disclosure: bool,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """Preserve ACCOUNT's evidence and queue a referral package (or a removal order)."""
    principal = _acting(ws, user_name)
    platform, account_id = _account(ws, account)
    row = make_referral(
        ws,
        principal,
        platform,
        account_id,
        kind="removal_order" if order else "referral",
        reasons=tuple(Reason(g) for g in grounds),
        additional=additional,
        non_disclosure=non_disclosure,
    )
    click.echo(f"{row.kind} {row.reference} queued for {platform}:{account_id} ({row.connector})")


@click.command("deliver")
@click.option("--reference", "references", multiple=True, help="Only these referrals.")
@click.option("--connector", "connector_name", help="Connector [default: the connector setting].")
@user_option
@workspace_command
def deliver(
    references: tuple[str, ...], connector_name: str | None, user_name: str | None, ws: Workspace
) -> None:
    """Send the unit's queued referrals; safe to run again (idempotency keys)."""
    principal = _acting(ws, user_name)
    try:
        delivery = ws.delivery_service(ws.connector(connector_name))
    except (UnknownConnector, ValueError) as exc:
        raise IruError(str(exc)) from exc

    def said(outcome: Any) -> None:
        replay = " (replayed receipt)" if outcome.replayed else ""
        ticket = f" ticket {outcome.ticket}" if outcome.ticket else ""
        error = f": {outcome.error}" if outcome.error else ""
        click.echo(
            f"{outcome.reference} {outcome.platform}: {outcome.status}{ticket}"
            f" after {outcome.tries} tr{'y' if outcome.tries == 1 else 'ies'}{replay}{error}"
        )

    try:
        outcomes = delivery.deliver_pending(principal, references, on_done=said)
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    finally:
        delivery.connector.close()
    stuck = [o for o in outcomes if o.status in ("queued", "failed")]
    click.echo(f"delivered {len(outcomes) - len(stuck)} of {len(outcomes)} queued referral(s)")
    if stuck:
        raise IruError(f"{len(stuck)} referral(s) not delivered (see above)")


@click.command("track")
@click.option("--listen", help="Also serve platform callbacks on HOST:PORT.")
@click.option(
    "--for",
    "duration",
    type=click.FloatRange(min=0),
    default=0,
    help="With --listen: seconds to serve (0: until interrupted).",
)
@click.option("--interval", type=click.FloatRange(min=0.1), default=30.0, show_default=True)
@user_option
@workspace_command
def track(
    listen: str | None, duration: float, interval: float, user_name: str | None, ws: Workspace
) -> None:
    """Read the platforms' answers on open referrals; re-check removed accounts."""
    principal = _acting(ws, user_name)
    try:
        delivery = ws.delivery_service()
    except (UnknownConnector, ValueError) as exc:
        raise IruError(str(exc)) from exc

    def once() -> None:
        report = delivery.poll(principal)
        rechecked, reopened = follow_up(ws, delivery, datetime.now(UTC))
        click.echo(
            f"checked {report.checked} referral(s): {report.applied} new status event(s), "
            f"{rechecked} removed account(s) seen posting again, {reopened} case(s) reopened"
        )
        for error in report.errors or ():
            click.echo(f"  {error}", err=True)

    try:
        once()
        if listen:
            _listen(ws, listen, duration, interval, once)
    finally:
        delivery.connector.close()


def _listen(ws: Workspace, listen: str, duration: float, interval: float, once: Any) -> None:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise IruError(f"--listen: {listen!r} is not HOST:PORT")
    secret = str(ws.settings["callback_secret"])
    if not secret:
        raise IruError("--listen needs callback_secret (IRU_CALLBACK_SECRET) to check signatures")
    _serve_callbacks(ws, host, int(port), secret, duration, interval, once)


def _serve_callbacks(  # noqa: PLR0917 - internal
    ws: Workspace,
    host: str,
    port: int,
    secret: str,
    duration: float,
    interval: float,
    once: Any,
) -> None:
    import threading

    import uvicorn

    from iru.web.callbacks import callback_app

    app = callback_app(ws.referral_service(), secret, lambda: datetime.now(UTC))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    click.echo(f"listening for callbacks on http://{host}:{port}/callbacks/<platform>")
    started = time.monotonic()
    try:
        while thread.is_alive() and (not duration or time.monotonic() - started < duration):
            time.sleep(
                min(
                    interval,
                    max(0.1, duration - (time.monotonic() - started)) if duration else interval,
                )
            )
            once()
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@click.group()
def referrals() -> None:
    """Referrals and removal orders: list, show, record a platform's answer, clarify."""


@referrals.command("list")
@click.option("--status", "statuses", multiple=True, help="Only these statuses.")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@out_option
@user_option
@workspace_command
def referrals_list(
    statuses: tuple[str, ...],
    output_format: str,
    out: Path | None,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """The referrals visible to the acting user."""
    principal = _acting(ws, user_name)
    try:
        rows = ws.referral_service().listing(principal, statuses or None)
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    render_rows([_row(r) for r in rows], LIST_COLUMNS, output_format, out, title="referrals")


@referrals.command("show")
@click.argument("reference")
@click.option(
    "--format", "output_format", type=click.Choice(["json", "html", "text"]), default="text"
)
@out_option
@user_option
@workspace_command
def referrals_show(
    reference: str, output_format: str, out: Path | None, user_name: str | None, ws: Workspace
) -> None:
    """One referral: the package (json/html), or its status history (text)."""
    principal = _acting(ws, user_name)
    service = ws.referral_service()
    try:
        row = service.get(principal, reference, datetime.now(UTC))
    except (LookupError, PermissionDenied) as exc:
        raise IruError(str(exc)) from exc
    if output_format == "json":
        text = json.dumps(json.loads(row.package_json), indent=2, ensure_ascii=False) + "\n"
    elif output_format == "html":
        if not row.html_sha256:
            raise IruError(f"{reference} has no package yet ({row.status})")
        text = ws.evidence_store().get(row.html_sha256).decode()
    else:
        lines = [f"{row.kind} {row.reference} on {row.platform}:{row.account_id}: {row.status}"]
        lines.append(f"package sha256 {row.package_sha256}")
        for event in service.store.events(row.referral_id):
            seq = f" #{event.seq}" if event.seq else ""
            lines.append(
                f"  {event.at.isoformat()}  {event.status:<22} {event.source}{seq}  {event.detail}"
            )
        state = service.deadlines(principal, datetime.now(UTC), include_closed=True)
        for deadline in state:
            if deadline.referral.reference == reference:
                due = deadline.clock.due_at.isoformat() if deadline.clock.due_at else "-"
                lines.append(f"deadline: {deadline.clock.status}, due {due}")
        text = "\n".join(lines) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


@referrals.command("metrics")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table"
)
@out_option
@user_option
@workspace_command
def referrals_metrics(
    output_format: str, out: Path | None, user_name: str | None, ws: Workspace
) -> None:
    """Per platform: referrals sent, removed, rejected, restored, removal rate, time, breaches."""
    principal = _acting(ws, user_name)
    try:
        rows = ws.referral_service().metrics(principal, datetime.now(UTC))
    except PermissionDenied as exc:
        raise IruError(str(exc)) from exc
    columns = (
        "platform",
        "kind",
        "sent",
        "open",
        "removed",
        "rejected",
        "restored",
        "removal_rate",
        "median_hours_to_removal",
        "breaches",
    )
    render_rows(rows, columns, output_format, out, title="referral outcomes")


@referrals.command("status")
@click.argument("reference")
@click.argument("status", type=click.Choice(PLATFORM_STATUSES))
@click.option("--detail", default="", help="What the platform said.")
@click.option("--at", "at", help="When (ISO 8601 with zone) [default: now].")
@user_option
@workspace_command
def referrals_status(  # noqa: PLR0917 - one parameter per click option
    reference: str,
    status: str,
    detail: str,
    at: str | None,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """Record a platform's answer by hand (referrals sent by e-mail)."""
    principal = _acting(ws, user_name)
    try:
        row = ws.referral_service().record_status(
            principal, reference, status, at=parse_time(at), detail=detail, now=datetime.now(UTC)
        )
    except (LookupError, PermissionDenied, ReferralError) as exc:
        raise IruError(str(exc)) from exc
    click.echo(f"{row.reference}: {row.status}")


@referrals.command("clarify")
@click.argument("reference")
@click.option("--text", required=True, help="The clarification the platform asked for.")
@user_option
@workspace_command
def referrals_clarify(reference: str, text: str, user_name: str | None, ws: Workspace) -> None:
    """Answer a platform's request for clarification (the clock restarts on its receipt)."""
    principal = _acting(ws, user_name)
    try:
        delivery = ws.delivery_service()
    except (UnknownConnector, ValueError) as exc:
        raise IruError(str(exc)) from exc
    try:
        row = delivery.clarify(principal, reference, text)
    except (LookupError, PermissionDenied, ReferralError, DeliveryError, ValueError) as exc:
        raise IruError(str(exc)) from exc
    finally:
        delivery.connector.close()
    click.echo(f"{row.reference}: {row.status}")


__all__ = ["deliver", "make_referral", "parse_time", "refer", "referrals", "track"]
