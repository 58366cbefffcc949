"""Units, users, cases, decisions and deconfliction holds in the database.

Plain reads and writes; who may do what is decided in :mod:`iru.cases.access` and
checked by the service (:mod:`iru.engine.cases`) before anything here is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from iru.cases.access import Principal, Role
from iru.cases.holds import Hold
from iru.storage.audit import utc_from_db
from iru.storage.database import Database
from iru.storage.schema import cases, decisions, holds, units, users


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: int
    platform: str
    account_id: str
    unit: str
    restricted: bool
    status: str
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    predecessor_case_id: int | None = None  # the removed account's case it resurged from


def _case(row: Any) -> CaseRow:
    return CaseRow(
        case_id=int(row.case_id),
        platform=str(row.platform),
        account_id=str(row.account_id),
        unit=str(row.unit),
        restricted=bool(row.restricted),
        status=str(row.status),
        opened_by=str(row.opened_by),
        opened_at=utc_from_db(row.opened_at),
        updated_at=utc_from_db(row.updated_at),
        predecessor_case_id=(
            int(row.predecessor_case_id) if row.predecessor_case_id is not None else None
        ),
    )


def _hold(row: Any) -> Hold:
    return Hold(
        platform=str(row.platform),
        account_id=str(row.account_id),
        unit=str(row.unit),
        contact=str(row.contact),
        reason=str(row.reason),
        placed_by=str(row.placed_by),
        placed_at=utc_from_db(row.placed_at),
        expires_at=utc_from_db(row.expires_at),
        lifted_at=utc_from_db(row.lifted_at) if row.lifted_at is not None else None,
    )


class CaseStore:
    """The case tables of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- units and users -------------------------------------------------------------------

    def user_count(self) -> int:
        with self.database.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def ensure_unit(
        self, conn: Connection, code: str, name: str, contact: str, now: datetime
    ) -> None:
        if conn.execute(select(units.c.code).where(units.c.code == code)).first() is None:
            conn.execute(
                units.insert().values(code=code, name=name or code, contact=contact, created_at=now)
            )

    def add_user(self, conn: Connection, name: str, role: Role, unit: str, now: datetime) -> None:
        conn.execute(
            users.insert().values(
                name=name, role=role.value, unit=unit, active=True, created_at=now
            )
        )

    def principal(self, name: str) -> Principal | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            return None
        return Principal(str(row.name), Role(row.role), str(row.unit), bool(row.active))

    def users(self) -> list[dict[str, Any]]:
        with self.database.engine.connect() as conn:
            query = select(users.c.name, users.c.role, users.c.unit, users.c.active).order_by(
                users.c.name
            )
            return [dict(r._mapping) for r in conn.execute(query)]

    def unit_contact(self, code: str) -> str:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(units.c.contact).where(units.c.code == code)).first()
        return str(row.contact) if row is not None and row.contact else ""

    # -- cases and decisions ---------------------------------------------------------------

    def case(self, conn: Connection, platform: str, account_id: str, unit: str) -> CaseRow | None:
        row = conn.execute(
            select(cases).where(
                (cases.c.platform == platform)
                & (cases.c.account_id == account_id)
                & (cases.c.unit == unit)
            )
        ).first()
        return _case(row) if row is not None else None

    def open_case(
        self,
        conn: Connection,
        platform: str,
        account_id: str,
        *,
        unit: str,
        user: str,
        now: datetime,
        restricted: bool = False,
        predecessor_case_id: int | None = None,
    ) -> CaseRow:
        conn.execute(
            cases.insert().values(
                platform=platform,
                account_id=account_id,
                unit=unit,
                restricted=restricted,
                predecessor_case_id=predecessor_case_id,
                status="open",
                opened_by=user,
                opened_at=now,
                updated_at=now,
            )
        )
        found = self.case(conn, platform, account_id, unit)
        assert found is not None
        return found

    def set_status(
        self,
        conn: Connection,
        case_id: int,
        status: str,
        now: datetime,
        restricted: bool | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if restricted is not None:
            values["restricted"] = restricted
        conn.execute(cases.update().where(cases.c.case_id == case_id).values(**values))

    def add_decision(
        self,
        conn: Connection,
        case_id: int,
        *,
        decision: str,
        reason: str,
        user: str,
        now: datetime,
        approved_by: str | None = None,
    ) -> int:
        result = conn.execute(
            decisions.insert().values(
                case_id=case_id,
                decision=decision,
                reason=reason,
                decided_by=user,
                decided_at=now,
                approved_by=approved_by,
                approved_at=now if approved_by else None,
            )
        )
        key = result.inserted_primary_key
        return int(key[0]) if key is not None else 0

    def pending_referral(self, conn: Connection, case_id: int) -> dict[str, Any] | None:
        row = conn.execute(
            select(decisions)
            .where(
                (decisions.c.case_id == case_id)
                & (decisions.c.decision == "refer")
                & decisions.c.approved_by.is_(None)
            )
            .order_by(decisions.c.decision_id.desc())
        ).first()
        return dict(row._mapping) if row is not None else None

    def approve(self, conn: Connection, decision_id: int, user: str, now: datetime) -> None:
        conn.execute(
            decisions.update()
            .where(decisions.c.decision_id == decision_id)
            .values(approved_by=user, approved_at=now)
        )

    def case_by_id(self, case_id: int) -> CaseRow | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.case_id == case_id)).first()
        return _case(row) if row is not None else None

    def cases(self) -> list[CaseRow]:
        with self.database.engine.connect() as conn:
            return [_case(r) for r in conn.execute(select(cases).order_by(cases.c.case_id))]

    def decisions_of(self, case_id: int) -> list[dict[str, Any]]:
        with self.database.engine.connect() as conn:
            query = (
                select(decisions)
                .where(decisions.c.case_id == case_id)
                .order_by(decisions.c.decision_id)
            )
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- holds -------------------------------------------------------------------------------

    def add_hold(self, conn: Connection, hold: Hold) -> None:
        conn.execute(
            holds.insert().values(
                platform=hold.platform,
                account_id=hold.account_id,
                unit=hold.unit,
                contact=hold.contact,
                reason=hold.reason,
                placed_by=hold.placed_by,
                placed_at=hold.placed_at,
                expires_at=hold.expires_at,
            )
        )

    def holds_on(self, conn: Connection, platform: str, account_id: str) -> list[Hold]:
        query = select(holds).where(
            (holds.c.platform == platform) & (holds.c.account_id == account_id)
        )
        return [_hold(r) for r in conn.execute(query)]

    def holds_of(self, unit: str) -> list[tuple[int, Hold]]:
        """A unit's holds, newest first, with their ids."""
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                select(holds).where(holds.c.unit == unit).order_by(holds.c.hold_id.desc())
            )
            return [(int(r.hold_id), _hold(r)) for r in rows]

    def hold_by_id(self, conn: Connection, hold_id: int) -> Hold | None:
        row = conn.execute(select(holds).where(holds.c.hold_id == hold_id)).first()
        return _hold(row) if row is not None else None

    def lift_hold(self, conn: Connection, hold_id: int, now: datetime) -> None:
        conn.execute(holds.update().where(holds.c.hold_id == hold_id).values(lifted_at=now))


__all__ = ["CaseRow", "CaseStore"]
