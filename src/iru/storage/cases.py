"""Units, users, cases, decisions and deconfliction holds in the database.

Plain reads and writes; who may do what is decided in :mod:`iru.cases.access` and
checked by the service (:mod:`iru.engine.services.cases`) before anything here is called.

A case read from here carries its *effective* restriction: its own (a hold decision
restricts the case for good) or one carried from its predecessors — while the unit of a
predecessor case holds that predecessor's account (an active hold), every successor of
that case is restricted too (:func:`iru.cases.holds.carries_restriction`), so a
resurgent account's case never shows another unit what an investigation keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from iru.cases.access import Principal, Role
from iru.cases.holds import Hold, carries_restriction
from iru.domain import utc
from iru.storage.database import Database
from iru.storage.schema import (
    accounts,
    assessments,
    cases,
    decisions,
    holds,
    labels,
    resurgence_links,
    units,
    users,
)


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


@dataclass(frozen=True, slots=True)
class ReferDecision:
    """A decision to refer a case, and when it came to stand (its approval, under four eyes)."""

    case_id: int
    decision_id: int
    at: datetime


_CHUNK = 500


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _case(row: Any) -> CaseRow:
    return CaseRow(
        case_id=int(row.case_id),
        platform=str(row.platform),
        account_id=str(row.account_id),
        unit=str(row.unit),
        restricted=bool(row.restricted),
        status=str(row.status),
        opened_by=str(row.opened_by),
        opened_at=utc(row.opened_at),
        updated_at=utc(row.updated_at),
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
        placed_at=utc(row.placed_at),
        expires_at=utc(row.expires_at),
        lifted_at=utc(row.lifted_at) if row.lifted_at is not None else None,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class CaseStore:
    """The case tables of one database."""

    def __init__(self, database: Database, clock: Callable[[], datetime] = _now) -> None:
        self.database = database
        self.clock = clock  # when no ``now`` is given: whether a carried hold is active

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

    def case(
        self,
        conn: Connection,
        platform: str,
        account_id: str,
        unit: str,
        now: datetime | None = None,
    ) -> CaseRow | None:
        row = conn.execute(
            select(cases).where(
                (cases.c.platform == platform)
                & (cases.c.account_id == account_id)
                & (cases.c.unit == unit)
            )
        ).first()
        return self._carried(conn, _case(row), now) if row is not None else None

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

    def last_decision(self, conn: Connection, case_id: int) -> dict[str, Any] | None:
        row = conn.execute(
            select(decisions)
            .where(decisions.c.case_id == case_id)
            .order_by(decisions.c.decision_id.desc())
            .limit(1)
        ).first()
        return dict(row._mapping) if row is not None else None

    def approve(self, conn: Connection, decision_id: int, user: str, now: datetime) -> None:
        conn.execute(
            decisions.update()
            .where(decisions.c.decision_id == decision_id)
            .values(approved_by=user, approved_at=now)
        )

    def case_by_id(self, case_id: int, now: datetime | None = None) -> CaseRow | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(cases).where(cases.c.case_id == case_id)).first()
            return self._carried(conn, _case(row), now) if row is not None else None

    def cases(self, now: datetime | None = None) -> list[CaseRow]:
        """Every case, its restriction as it stands at ``now`` (see the module docstring)."""
        with self.database.engine.connect() as conn:
            found = [_case(r) for r in conn.execute(select(cases).order_by(cases.c.case_id))]
            if not any(c.predecessor_case_id is not None for c in found):
                return found
            held = self._held_accounts(conn, now)
        by_id = {c.case_id: c for c in found}
        return [
            replace(c, restricted=True)
            if not c.restricted and self._chain_held(c, by_id.get, held)
            else c
            for c in found
        ]

    # -- the restriction a hold carries to successors --------------------------------------

    def _held_accounts(self, conn: Connection, now: datetime | None) -> set[tuple[str, str, str]]:
        """(unit, platform, account_id) of every hold active at ``now``."""
        when = now or self.clock()
        return {
            (h.unit, h.platform, h.account_id)
            for h in (
                _hold(r) for r in conn.execute(select(holds).where(holds.c.lifted_at.is_(None)))
            )
            if h.active(when)
        }

    @staticmethod
    def _chain_held(
        case: CaseRow,
        lookup: Callable[[int], CaseRow | None],
        held: set[tuple[str, str, str]],
    ) -> bool:
        """Whether a predecessor of ``case`` is held by its own unit (the hold carries)."""
        chain: list[tuple[str, str, str]] = []
        seen = {case.case_id}
        previous = case.predecessor_case_id
        while previous is not None and previous not in seen:
            seen.add(previous)
            earlier = lookup(previous)
            if earlier is None:
                break
            chain.append((earlier.unit, earlier.platform, earlier.account_id))
            previous = earlier.predecessor_case_id
        return carries_restriction(chain, held)

    def _carried(self, conn: Connection, case: CaseRow, now: datetime | None) -> CaseRow:
        """``case`` with the restriction its predecessors' holds carry to it."""
        if case.restricted or case.predecessor_case_id is None:
            return case

        def lookup(case_id: int) -> CaseRow | None:
            row = conn.execute(select(cases).where(cases.c.case_id == case_id)).first()
            return _case(row) if row is not None else None

        if self._chain_held(case, lookup, self._held_accounts(conn, now)):
            return replace(case, restricted=True)
        return case

    def decisions_of(self, case_id: int) -> list[dict[str, Any]]:
        with self.database.engine.connect() as conn:
            query = (
                select(decisions)
                .where(decisions.c.case_id == case_id)
                .order_by(decisions.c.decision_id)
            )
            return [dict(r._mapping) for r in conn.execute(query)]

    def refer_decisions(self, case_ids: Iterable[int] | None = None) -> list[ReferDecision]:
        """Every decision to refer (of the cases ``case_ids`` when given), with when it stood."""
        columns = (
            decisions.c.case_id,
            decisions.c.decision_id,
            decisions.c.decided_at,
            decisions.c.approved_at,
        )
        refer = decisions.c.decision == "refer"
        if case_ids is None:
            queries = [select(*columns).where(refer)]
        else:
            wanted = list(case_ids)
            queries = [
                select(*columns).where(refer & decisions.c.case_id.in_(c)) for c in _chunks(wanted)
            ]
        with self.database.engine.connect() as conn:
            return [
                ReferDecision(
                    int(r.case_id), int(r.decision_id), utc(r.approved_at or r.decided_at)
                )
                for query in queries
                for r in conn.execute(query)
            ]

    def account_known(self, platform: str, account_id: str) -> bool:
        """Whether the database holds the account: a profile, an assessment, a resurgence
        link or a case of any unit."""
        with self.database.engine.connect() as conn:
            for table in (accounts, assessments, resurgence_links, cases):
                query = (
                    select(table.c.platform)
                    .where((table.c.platform == platform) & (table.c.account_id == account_id))
                    .limit(1)
                )
                if conn.execute(query).first() is not None:
                    return True
        return False

    # -- decision labels ---------------------------------------------------------------------

    def decision_label(
        self, conn: Connection, platform: str, account_id: str, unit: str
    ) -> str | None:
        """The training label the unit's decisions gave the account, if any."""
        key = (
            (labels.c.platform == platform)
            & (labels.c.account_id == account_id)
            & (labels.c.source == f"decision:{unit}")
        )
        value = conn.execute(select(labels.c.label).where(key)).scalar()
        return None if value is None else str(value)

    def set_decision_label(
        self,
        conn: Connection,
        platform: str,
        account_id: str,
        *,
        unit: str,
        label: str,
        now: datetime,
    ) -> None:
        """The unit's decisions now say ``label`` of the account (one label per unit)."""
        source = f"decision:{unit}"
        key = (labels.c.platform == platform) & (labels.c.account_id == account_id)
        conn.execute(labels.delete().where(key & (labels.c.source == source)))
        conn.execute(
            labels.insert().values(
                platform=platform,
                account_id=account_id,
                source=source,
                label=label,
                labelled_at=now,
            )
        )

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


__all__ = ["CaseRow", "CaseStore", "ReferDecision"]
