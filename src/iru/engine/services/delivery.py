"""Delivering queued packages through a connector, and reading the platforms' answers.

Delivery is at-least-once on the wire and exactly-once at the platform: every try of a
referral carries the same idempotency key, so a platform that already made a ticket
answers with that ticket again. Each try is recorded *before* it is made, so a run killed
mid-delivery leaves a trace (marked *interrupted* by the next run) and the referral stays
queued until a receipt is stored — the next run sends it again, under the same key, and
the platform replays the receipt instead of making a second ticket.

Tries are spaced by exponential backoff with jitter (tenacity), honouring a platform's
Retry-After; a refusal that cannot change (4xx) marks the referral *failed* at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from iru.cases.access import Action, Principal, authorize
from iru.cases.connectors import TRACKED_STATUSES, Connector, DeliveryError, Outgoing, Receipt
from iru.engine.services.cases import subject
from iru.engine.services.referrals import ReferralError, ReferralService
from iru.storage.audit import AUDIT_CHAIN, locked_transaction
from iru.storage.evidence import EvidenceStore
from iru.storage.referrals import ReferralRow


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    reference: str
    platform: str
    status: str  # received | sent | queued (try again later) | failed
    ticket: str | None
    tries: int
    replayed: bool
    error: str | None = None


@dataclass(slots=True)
class PollReport:
    checked: int = 0
    applied: int = 0
    errors: list[str] | None = None


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.retryable


class DeliveryService:
    """Sends a unit's queued referrals through one connector and tracks their answers."""

    def __init__(
        self,
        referrals: ReferralService,
        connector: Connector,
        evidence: EvidenceStore,
        *,
        attempts: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 60.0,
        callback_url: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.referrals = referrals
        self.store = referrals.store
        self.connector = connector
        self.evidence = evidence
        self.attempts = attempts
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.callback_url = callback_url.rstrip("/") if callback_url else None
        self.clock = clock
        self.sleep = sleep
        # backoff × 2^(try−1), plus up to one backoff of jitter, at most backoff_max.
        self._backoff = wait_exponential_jitter(multiplier=backoff, jitter=backoff, max=backoff_max)

    # -- delivering ------------------------------------------------------------------------

    def _outgoing(self, row: ReferralRow) -> Outgoing:
        handle = None
        html = self.evidence.get(row.html_sha256).decode() if row.html_sha256 else ""
        callback = f"{self.callback_url}/{row.platform}" if self.callback_url else None
        return Outgoing(
            reference=row.reference,
            kind=row.kind,
            platform=row.platform,
            account_id=row.account_id,
            handle=handle,
            package_json=row.package_json.encode(),
            package_sha256=row.package_sha256,
            html=html,
            idempotency_key=row.idempotency_key,
            callback_url=callback,
        )

    def _wait(self, state: RetryCallState) -> float:
        wait = self._backoff(state)
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, DeliveryError) and error.retry_after is not None:
            return max(wait, min(error.retry_after, self.backoff_max))
        return wait

    def deliver_pending(
        self,
        principal: Principal,
        references: tuple[str, ...] = (),
        on_done: Callable[[DeliveryOutcome], None] | None = None,
    ) -> list[DeliveryOutcome]:
        """Deliver the principal's unit's queued referrals (or just ``references``)."""
        authorize(principal, Action.REFERRAL_SEND)
        rows = [
            r
            for r in self.store.find(statuses=("queued",))
            if r.unit == principal.unit and (not references or r.reference in references)
        ]
        outcomes = []
        for row in rows:
            outcome = self.deliver_one(principal, row)
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)
        return outcomes

    def deliver_one(self, principal: Principal, row: ReferralRow) -> DeliveryOutcome:
        # A killed run's try: its receipt, if the platform made one, comes back replayed now.
        self.store.interrupted(row.referral_id, self.clock())
        outgoing = self._outgoing(row)
        tries = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            sleep=self.sleep,
            reraise=True,
        )
        started = self.clock()
        try:
            for attempt in retrying:
                with attempt:
                    tries += 1
                    receipt, delivery_id = self._try(row, outgoing, row.attempts + tries)
        except DeliveryError as exc:
            return self._failed(principal, row, exc, tries)
        return self._received(principal, row, receipt, delivery_id, tries=tries, started=started)

    def _try(self, row: ReferralRow, outgoing: Outgoing, number: int) -> tuple[Receipt, int]:
        delivery_id = self.store.start_attempt(
            row.referral_id, number, self.connector.name, self.clock()
        )
        try:
            receipt = self.connector.deliver(outgoing)
        except DeliveryError as exc:
            self.store.finish_attempt_now(
                delivery_id,
                finished_at=self.clock(),
                outcome="error",
                http_status=exc.http_status,
                error=str(exc),
            )
            raise
        return receipt, delivery_id

    def _received(
        self,
        principal: Principal,
        row: ReferralRow,
        receipt: Receipt,
        delivery_id: int,
        *,
        tries: int,
        started: datetime,
    ) -> DeliveryOutcome:
        now = self.clock()
        status = "received" if receipt.received_at is not None else "sent"
        with locked_transaction(self.referrals.database, AUDIT_CHAIN) as conn:
            self.store.finish_attempt(
                conn,
                delivery_id,
                finished_at=now,
                outcome="replayed" if receipt.replayed else "receipt",
                http_status=receipt.http_status,
                receipt_json=msgspec.json.encode(receipt.raw).decode() if receipt.raw else None,
            )
            self.store.update(
                conn,
                row.referral_id,
                status=status,
                ticket=receipt.ticket,
                sent_at=started,
                received_at=receipt.received_at,
                error=None,
                updated_at=now,
            )
            events: list[tuple[str, datetime, str]] = [
                ("sent", started, f"delivered by {receipt.connector}")
            ]
            if receipt.received_at is not None:
                events.append(("received", receipt.received_at, f"ticket {receipt.ticket}"))
            for event, at, detail in events:
                self.store.add_event(
                    conn,
                    referral_id=row.referral_id,
                    seq=None,
                    status=event,
                    at=at,
                    detail=detail,
                    source="connector",
                    recorded_by=principal.name,
                    recorded_at=now,
                )
            self.referrals.audit.append_in(
                conn,
                principal.name,
                principal.unit,
                "referral.deliver",
                subject(row.platform, row.account_id),
                before={"status": row.status},
                after={
                    "reference": row.reference,
                    "status": status,
                    "ticket": receipt.ticket,
                    "replayed": receipt.replayed,
                    "tries": tries,
                    "connector": receipt.connector,
                },
                at=now,
            )
        return DeliveryOutcome(
            row.reference, row.platform, status, receipt.ticket, tries, receipt.replayed
        )

    def _failed(
        self, principal: Principal, row: ReferralRow, exc: DeliveryError, tries: int
    ) -> DeliveryOutcome:
        now = self.clock()
        status = "queued" if exc.retryable else "failed"
        with locked_transaction(self.referrals.database, AUDIT_CHAIN) as conn:
            self.store.update(conn, row.referral_id, status=status, error=str(exc), updated_at=now)
            self.referrals.audit.append_in(
                conn,
                principal.name,
                principal.unit,
                "referral.deliver_failed",
                subject(row.platform, row.account_id),
                before={"status": row.status},
                after={"reference": row.reference, "status": status, "error": str(exc)},
                at=now,
            )
        return DeliveryOutcome(row.reference, row.platform, status, None, tries, False, str(exc))

    # -- tracking --------------------------------------------------------------------------

    def poll(self, principal: Principal) -> PollReport:
        """Read the platforms' answers on the unit's open referrals and apply the new ones."""
        authorize(principal, Action.REFERRAL_SEND)
        report = PollReport(errors=[])
        for row in self.store.find(statuses=(*TRACKED_STATUSES, "restored")):
            if row.unit != principal.unit or row.ticket is None:
                continue
            report.checked += 1
            try:
                events = self.connector.events(row.platform, row.ticket)
            except DeliveryError as exc:
                assert report.errors is not None
                report.errors.append(f"{row.reference}: {exc}")
                continue
            for event in sorted(events or (), key=lambda e: e.seq):
                if event.seq <= row.last_seq:
                    continue
                try:
                    if self.referrals.apply_event(
                        row,
                        event,
                        source="poll",
                        actor=f"platform:{row.platform}",
                        now=self.clock(),
                    ):
                        report.applied += 1
                except ReferralError as exc:
                    assert report.errors is not None
                    report.errors.append(str(exc))
        return report

    def clarify(self, principal: Principal, reference: str, text: str) -> ReferralRow:
        """Answer a platform's clarification request through the connector."""
        authorize(principal, Action.REFERRAL_SEND)
        row = self.store.get(reference)
        if row is None or row.unit != principal.unit:
            raise LookupError(f"no referral {reference} of unit {principal.unit}")
        if row.status != "clarification" or row.ticket is None:
            raise ReferralError(f"{reference} is {row.status}: no clarification is asked for")
        self.connector.clarify(row.platform, row.ticket, text)
        self.referrals.audit.append(
            principal.name,
            principal.unit,
            "referral.clarify",
            subject(row.platform, row.account_id),
            after={"reference": reference, "text": text},
            at=self.clock(),
        )
        self.poll(principal)
        found = self.store.get(reference)
        assert found is not None
        return found


__all__ = ["DeliveryOutcome", "DeliveryService", "PollReport", "utc_now"]
