"""The HTTP connector: delivers packages to a platform's notice API (docs/connectors.md).

One call, one try: :meth:`HttpConnector.deliver` POSTs the notice with the referral's
idempotency key and turns the answer into a :class:`~iru.cases.connectors.Receipt` or a
:class:`~iru.cases.connectors.DeliveryError` (retryable for timeouts, connection failures,
429 and 5xx). Retrying with backoff is the delivery service's job, the same for every
connector. Reading a ticket's events (polling) and answering a clarification request
use the same API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import httpx

from iru.cases.connectors import DeliveryError, Outgoing, PlatformEvent, Receipt

if TYPE_CHECKING:
    from iru.engine.adapters.examples import ConnectorExample

MAX_SEQ = 2**63 - 1  # a platform event's number, as the database holds it


def _time(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise DeliveryError(f"{what}: not a time: {value!r}", retryable=False) from exc
    if moment.utcoffset() is None:
        raise DeliveryError(f"{what}: {value!r} has no time zone", retryable=False)
    return moment


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        message = str(body.get("error", body))
        problems = body.get("problems")
        if problems:
            message += ": " + "; ".join(str(p) for p in problems)
        return message
    return str(body)[:200]


def event_from_json(data: Any) -> PlatformEvent:
    """A platform event as the protocol gives it (a ticket's ``events`` or a callback)."""
    if not isinstance(data, dict):
        raise ValueError(f"an event must be an object, got {type(data).__name__}")
    try:
        seq = int(data["seq"])
        status = str(data["status"])
        at = _time(data["at"], "event.at")
    except (KeyError, TypeError, ValueError, OverflowError, DeliveryError) as exc:
        raise ValueError(f"malformed event: {exc}") from exc
    if not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"malformed event: seq {seq} is not between 0 and {MAX_SEQ}")
    form = data.get("form")
    return PlatformEvent(
        seq=seq,
        status=status,
        at=at,
        detail=str(data.get("detail") or ""),
        form=form if isinstance(form, dict) else None,
    )


class HttpConnector:
    """Delivers notices to ``{base_url}/v1/{platform}/notices``."""

    name = "http"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"platform_api_url: {base_url!r} is not an http(s) URL")
        headers = {"User-Agent": "iru-connector/1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, headers=headers, transport=transport
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], root: Path) -> Self:
        """The platforms' API at the ``platform_api_url`` setting."""
        url = str(settings.get("platform_api_url") or "")
        if not url:
            raise ValueError(
                "the http connector needs platform_api_url (e.g. http://127.0.0.1:8600 for "
                "`iru platform-sim serve --port 8600`)"
            )
        return cls(url)

    @classmethod
    def examples(cls) -> Sequence[ConnectorExample]:
        """A synthetic referral, delivered to a notice API on loopback."""
        from iru.engine.adapters.examples import (
            ConnectorExample,
            example_outgoing,
            loopback_notice_api,
        )

        return (ConnectorExample({}, example_outgoing(), target=loopback_notice_api),)

    def close(self) -> None:
        self.client.close()

    def deliver(self, outgoing: Outgoing) -> Receipt:
        body = {
            "kind": outgoing.kind,
            "reference": outgoing.reference,
            "package": json.loads(outgoing.package_json),
            "package_sha256": outgoing.package_sha256,
            "callback_url": outgoing.callback_url,
        }
        try:
            response = self.client.post(
                f"/v1/{outgoing.platform}/notices",
                json=body,
                headers={"Idempotency-Key": outgoing.idempotency_key},
            )
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timed out: {exc}", retryable=True) from exc
        except httpx.TransportError as exc:
            raise DeliveryError(f"cannot reach the platform: {exc}", retryable=True) from exc
        status = response.status_code
        if status in (429, 502, 503, 504) or status >= 500:
            raise DeliveryError(
                f"HTTP {status}: {_error_text(response)}",
                retryable=True,
                http_status=status,
                retry_after=_retry_after(response),
            )
        if status not in (200, 201):
            raise DeliveryError(
                f"HTTP {status}: {_error_text(response)}", retryable=False, http_status=status
            )
        try:
            data = response.json()
            ticket = str(data["ticket"])
            received_at = _time(data["received_at"], "receipt.received_at")
        except (ValueError, KeyError, TypeError) as exc:
            raise DeliveryError(
                f"malformed receipt: {exc}", retryable=True, http_status=status
            ) from exc
        if data.get("package_sha256") not in (None, outgoing.package_sha256):
            raise DeliveryError(
                "the platform's receipt names another package "
                f"({data.get('package_sha256')} != {outgoing.package_sha256})",
                retryable=False,
                http_status=status,
            )
        return Receipt(
            connector=self.name,
            ticket=ticket,
            received_at=received_at,
            replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true",
            http_status=status,
            raw=data,
        )

    def events(self, platform: str, ticket: str) -> list[PlatformEvent] | None:
        try:
            response = self.client.get(f"/v1/{platform}/notices/{ticket}")
        except httpx.TransportError as exc:
            raise DeliveryError(f"cannot reach the platform: {exc}", retryable=True) from exc
        if response.status_code != 200:
            raise DeliveryError(
                f"HTTP {response.status_code}: {_error_text(response)}",
                retryable=response.status_code >= 500,
                http_status=response.status_code,
            )
        data = response.json()
        return [event_from_json(item) for item in data.get("events", [])]

    def clarify(self, platform: str, ticket: str, text: str) -> None:
        try:
            response = self.client.post(
                f"/v1/{platform}/notices/{ticket}/clarification", json={"text": text}
            )
        except httpx.TransportError as exc:
            raise DeliveryError(f"cannot reach the platform: {exc}", retryable=True) from exc
        if response.status_code != 200:
            raise DeliveryError(
                f"HTTP {response.status_code}: {_error_text(response)}",
                retryable=response.status_code >= 500,
                http_status=response.status_code,
            )


def from_settings(settings: Mapping[str, Any], root: Path) -> HttpConnector:
    """The platforms' API at the ``platform_api_url`` setting (:meth:`HttpConnector.from_settings`)."""
    return HttpConnector.from_settings(settings, root)


__all__ = ["HttpConnector", "event_from_json", "from_settings"]
