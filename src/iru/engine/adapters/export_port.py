"""The ``export`` entry point: the export connector behind the connector port.

Turns an :class:`~iru.cases.connectors.Outgoing` package back into a
:class:`~iru.cases.packages.Package` (the form is decoded from the JSON that was stored
and hashed), writes it with :class:`~iru.engine.adapters.export.ExportConnector`, and
answers with a receipt that has no ticket and no time of receipt: the referral is *sent*,
and the analyst records the platform's answers (``iru referrals status``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from iru.cases.connectors import DeliveryError, Outgoing, PlatformEvent, Receipt
from iru.cases.packages import Package
from iru.cases.tco import Referral, RemovalOrder, order_from_json, referral_from_json
from iru.engine.adapters.export import ExportConnector

if TYPE_CHECKING:
    from iru.engine.adapters.examples import ConnectorExample


class ExportPort:
    """Files for e-mail instead of an API call."""

    name = "export"

    def __init__(self, connector: ExportConnector) -> None:
        self.connector = connector

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], root: Path) -> Self:
        """Files under ``<workspace>/outbox``, sent from the ``outbox_sender`` address."""
        connector = ExportConnector(
            root / "outbox", sender=str(settings.get("outbox_sender") or ""), recipients={}
        )
        return cls(connector)

    @classmethod
    def examples(cls) -> Sequence[ConnectorExample]:
        """A synthetic referral, exported to the outbox of a scratch workspace."""
        from iru.engine.adapters.examples import ConnectorExample, example_outgoing

        settings = {"outbox_sender": "IRU Example <iru@unit.example>"}
        return (ConnectorExample(settings, example_outgoing()),)

    def deliver(self, outgoing: Outgoing) -> Receipt:
        form: Referral | RemovalOrder = (
            order_from_json(outgoing.package_json)
            if outgoing.kind == "removal_order"
            else referral_from_json(outgoing.package_json)
        )
        package = Package(
            kind="removal_order" if outgoing.kind == "removal_order" else "referral",
            reference=outgoing.reference,
            platform=outgoing.platform,
            account_id=outgoing.account_id,
            form=form,
            json_bytes=outgoing.package_json,
            sha256=outgoing.package_sha256,
            html=outgoing.html,
            handle=outgoing.handle,
        )
        try:
            written = self.connector.deliver(
                package, idempotency_key=outgoing.idempotency_key, now=datetime.now(UTC)
            )
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"export: {exc}", retryable=isinstance(exc, OSError)) from exc
        return Receipt(
            connector=self.name,
            ticket=None,
            received_at=None,
            replayed=written.replayed,
            raw={"files": list(written.files), "message_id": written.message_id},
        )

    def events(self, platform: str, ticket: str) -> list[PlatformEvent] | None:
        return None  # platforms answer by e-mail: the analyst records it

    def clarify(self, platform: str, ticket: str, text: str) -> None:
        raise DeliveryError(
            "the export connector cannot answer a platform: reply to its e-mail",
            retryable=False,
        )

    def close(self) -> None:
        """Nothing held open between deliveries."""


def from_settings(settings: Mapping[str, Any], root: Path) -> ExportPort:
    """Files under ``<workspace>/outbox`` (:meth:`ExportPort.from_settings`)."""
    return ExportPort.from_settings(settings, root)


__all__ = ["ExportPort", "from_settings"]
