"""Referrals, their platform events and delivery attempts in the database.

Plain reads and writes; the service (:mod:`iru.engine.services.referrals`) checks permissions,
holds the audit chain's lock and decides what changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from iru.domain import utc
from iru.storage.database import Database
from iru.storage.schema import accounts, deliveries, referral_events, referrals


@dataclass(frozen=True, slots=True)
class ReferralRow:
    referral_id: int
    reference: str
    kind: str
    case_id: int
    unit: str
    platform: str
    account_id: str
    status: str
    connector: str
    idempotency_key: str
    package_sha256: str
    package_json: str
    html_sha256: str | None
    target_hours: float
    ticket: str | None
    last_seq: int
    attempts: int
    error: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventRow:
    referral_id: int
    seq: int | None
    status: str
    at: datetime
    detail: str
    form_json: str | None
    source: str
    recorded_by: str
    recorded_at: datetime


_TIMES = ("created_at", "updated_at", "sent_at", "received_at", "closed_at")


def _when(value: Any) -> datetime | None:
    return utc(value) if value is not None else None


def _referral(row: Any) -> ReferralRow:
    values = dict(row._mapping)
    for name in _TIMES:
        values[name] = _when(values[name])
    return ReferralRow(**values)


def _event(row: Any) -> EventRow:
    values = {k: v for k, v in row._mapping.items() if k != "event_id"}
    values["at"] = utc(values["at"])
    values["recorded_at"] = utc(values["recorded_at"])
    return EventRow(**values)


class ReferralStore:
    """The referral tables of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- referrals ----------------------------------------------------------------------------

    @staticmethod
    def next_number(conn: Connection, prefix: str) -> int:
        """The next serial for references starting with ``prefix`` (call under a lock)."""
        count = conn.execute(
            select(func.count())
            .select_from(referrals)
            .where(referrals.c.reference.like(f"{prefix}%"))
        ).scalar_one()
        return int(count) + 1

    @staticmethod
    def insert(conn: Connection, **values: Any) -> int:
        result = conn.execute(referrals.insert().values(**values))
        key = result.inserted_primary_key
        return int(key[0]) if key is not None else 0

    @staticmethod
    def update(conn: Connection, referral_id: int, **values: Any) -> None:
        conn.execute(
            referrals.update().where(referrals.c.referral_id == referral_id).values(**values)
        )

    def get(self, reference: str, conn: Connection | None = None) -> ReferralRow | None:
        query = select(referrals).where(referrals.c.reference == reference)
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.database.engine.connect() as own:
                row = own.execute(query).first()
        return _referral(row) if row is not None else None

    def by_ticket(self, platform: str, ticket: str) -> ReferralRow | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(
                select(referrals).where(
                    (referrals.c.platform == platform) & (referrals.c.ticket == ticket)
                )
            ).first()
        return _referral(row) if row is not None else None

    def find(
        self,
        *,
        statuses: tuple[str, ...] | None = None,
        case_id: int | None = None,
        platform: str | None = None,
        account_id: str | None = None,
    ) -> list[ReferralRow]:
        query = select(referrals).order_by(referrals.c.referral_id)
        if statuses is not None:
            query = query.where(referrals.c.status.in_(statuses))
        if case_id is not None:
            query = query.where(referrals.c.case_id == case_id)
        if platform is not None and account_id is not None:
            query = query.where(
                (referrals.c.platform == platform) & (referrals.c.account_id == account_id)
            )
        with self.database.engine.connect() as conn:
            return [_referral(row) for row in conn.execute(query)]

    @staticmethod
    def set_account_status(conn: Connection, platform: str, account_id: str, status: str) -> None:
        """The platform's word for the account (removed, active), as a referral's answer gives it."""
        conn.execute(
            accounts.update()
            .where((accounts.c.platform == platform) & (accounts.c.account_id == account_id))
            .values(status=status)
        )

    # -- events -------------------------------------------------------------------------------

    @staticmethod
    def has_event(conn: Connection, referral_id: int, seq: int) -> bool:
        found = conn.execute(
            select(referral_events.c.event_id).where(
                (referral_events.c.referral_id == referral_id) & (referral_events.c.seq == seq)
            )
        ).first()
        return found is not None

    @staticmethod
    def add_event(conn: Connection, **values: Any) -> None:
        conn.execute(referral_events.insert().values(**values))

    def events(self, referral_id: int) -> list[EventRow]:
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                select(referral_events)
                .where(referral_events.c.referral_id == referral_id)
                .order_by(referral_events.c.at, referral_events.c.event_id)
            )
            return [_event(row) for row in rows]

    def events_of(self, referral_ids: set[int]) -> dict[int, list[EventRow]]:
        """The events of each referral named, in the order they happened."""
        found: dict[int, list[EventRow]] = {}
        if not referral_ids:
            return found
        query = select(referral_events).order_by(
            referral_events.c.referral_id, referral_events.c.at, referral_events.c.event_id
        )
        with self.database.engine.connect() as conn:
            for row in conn.execute(query):
                if int(row.referral_id) in referral_ids:
                    event = _event(row)
                    found.setdefault(event.referral_id, []).append(event)
        return found

    # -- delivery attempts --------------------------------------------------------------------

    def start_attempt(self, referral_id: int, attempt: int, connector: str, now: datetime) -> int:
        """Record an attempt before it is made (committed), so a crash leaves its trace."""
        with self.database.engine.begin() as conn:
            result = conn.execute(
                deliveries.insert().values(
                    referral_id=referral_id,
                    attempt=attempt,
                    connector=connector,
                    started_at=now,
                    outcome="pending",
                )
            )
            conn.execute(
                referrals.update()
                .where(referrals.c.referral_id == referral_id)
                .values(attempts=referrals.c.attempts + 1)
            )
        key = result.inserted_primary_key
        return int(key[0]) if key is not None else 0

    @staticmethod
    def finish_attempt(conn: Connection, delivery_id: int, **values: Any) -> None:
        conn.execute(
            deliveries.update().where(deliveries.c.delivery_id == delivery_id).values(**values)
        )

    def finish_attempt_now(self, delivery_id: int, **values: Any) -> None:
        with self.database.engine.begin() as conn:
            self.finish_attempt(conn, delivery_id, **values)

    def interrupted(self, referral_id: int, now: datetime) -> int:
        """Mark attempts a killed run left pending; returns how many."""
        with self.database.engine.begin() as conn:
            result = conn.execute(
                deliveries.update()
                .where(
                    (deliveries.c.referral_id == referral_id) & (deliveries.c.outcome == "pending")
                )
                .values(outcome="interrupted", finished_at=now)
            )
        return int(result.rowcount or 0)

    def attempts(self, referral_id: int) -> list[dict[str, Any]]:
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries)
                .where(deliveries.c.referral_id == referral_id)
                .order_by(deliveries.c.delivery_id)
            )
            out = []
            for row in rows:
                values = dict(row._mapping)
                values["started_at"] = _when(values["started_at"])
                values["finished_at"] = _when(values["finished_at"])
                out.append(values)
            return out


__all__ = ["EventRow", "ReferralRow", "ReferralStore"]
