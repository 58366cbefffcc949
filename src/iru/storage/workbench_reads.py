"""The workbench's reads of the SQL store, typed: data versions, profiles, links, labels, cases.

:class:`WorkbenchReads` is what the workbench's read side (``iru.web.views``) asks of the
database: each method runs its queries and answers with frozen dataclasses, so that no
SQL and no row object leaves ``storage/``. Built by ``Workspace.workbench_reads()``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, func, select

from iru.storage.schema import accounts, assessments, holds, resurgence_links
from iru.storage.schema import cases as cases_table

if TYPE_CHECKING:
    from iru.cases.holds import Hold
    from iru.storage.cases import CaseRow, CaseStore
    from iru.storage.database import Database

T = TypeVar("T")


@dataclass(frozen=True)
class DataVersion:
    """How many rows a table holds and its newest timestamp: changes when the table does."""

    rows: int
    newest: str  # str() of the newest timestamp as the database returns it ("None": empty)

    def key(self) -> tuple[int, str]:
        return (self.rows, self.newest)


@dataclass(frozen=True)
class StoredAccount:
    """An account's newest stored snapshot (the ``accounts`` table's columns, in its order)."""

    platform: str
    account_id: str
    handle: str | None
    display_name: str | None
    description: str | None
    profile_image_url: str | None
    url: str | None
    location: str | None
    language: str | None
    created_at: datetime | None
    followers_count: int | None
    following_count: int | None
    post_count: int | None
    listed_count: int | None
    verified: bool | None
    protected: bool | None
    observed_at: datetime | None
    status: str


@dataclass(frozen=True)
class StoredAssessment:
    """The account's assessment: score, label and the reasons given for them."""

    platform: str
    account_id: str
    score: float
    label: str
    reasons: tuple[str, ...]
    signals: int
    assessed_at: datetime
    model: str
    local_score: float | None
    language: str | None


@dataclass(frozen=True)
class AccountProfile:
    """What the store holds of one account: its snapshot and its assessment (either may lack)."""

    account: StoredAccount | None
    assessment: StoredAssessment | None


@dataclass(frozen=True)
class StoredResurgenceLink:
    """A link from a new account to the removed one it is taken to replace."""

    platform: str
    account_id: str  # the new account
    predecessor_id: str  # the account it replaces
    confidence: float
    evidence: str  # JSON: feature -> strength
    explanation: str
    first_post_at: datetime | None
    linked_at: datetime


@dataclass(frozen=True)
class CaseOnAccount:
    """A unit's case on one account (None: none yet) and every hold on the account."""

    case: CaseRow | None
    holds: tuple[Hold, ...]


def _of(kind: type[T], row: Any, **given: Any) -> T:
    """``kind`` from a row's columns of the same names (``given`` replaces some)."""
    names = [f.name for f in fields(kind)]  # type: ignore[arg-type]
    return kind(**{n: given[n] if n in given else row._mapping[n] for n in names})


def _assessment_of(row: Any) -> StoredAssessment:
    return _of(
        StoredAssessment, row, score=float(row.score), reasons=tuple(json.loads(row.reasons))
    )


def _chunks(values: Sequence[str], size: int = 500) -> list[list[str]]:
    """``values`` in lists of at most ``size`` (bound parameters per query stay few)."""
    unique = list(dict.fromkeys(values))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


class WorkbenchReads:
    """The workbench's typed reads of one workspace's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- versions: what the workbench's caches are keyed on ---------------------------------

    def assessments_version(self) -> DataVersion:
        """Changes when detection writes new assessments."""
        return self._version(assessments, assessments.c.assessed_at)

    def cases_version(self) -> DataVersion:
        """Changes when a case is opened or its status changes."""
        return self._version(cases_table, cases_table.c.updated_at)

    def _version(self, table: Any, stamp: Any) -> DataVersion:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.max(stamp)).select_from(table)).one()
        return DataVersion(int(row[0]), str(row[1]))

    # -- one account -------------------------------------------------------------------------

    def account(self, platform: str, account_id: str) -> StoredAccount | None:
        with self.database.engine.connect() as conn:
            return self._account(conn, platform, account_id)

    def assessment(self, platform: str, account_id: str) -> StoredAssessment | None:
        with self.database.engine.connect() as conn:
            return self._assessment(conn, platform, account_id)

    def profile(self, platform: str, account_id: str) -> AccountProfile:
        """The account's snapshot and assessment, read together."""
        with self.database.engine.connect() as conn:
            return AccountProfile(
                self._account(conn, platform, account_id),
                self._assessment(conn, platform, account_id),
            )

    def profiles_of(self, platform: str, account_ids: Sequence[str]) -> dict[str, AccountProfile]:
        """Each account's snapshot and assessment (as :meth:`profile`), by account id."""
        snapshots: dict[str, StoredAccount] = {}
        assessed: dict[str, StoredAssessment] = {}
        with self.database.engine.connect() as conn:
            for ids in _chunks(account_ids):
                for row in conn.execute(
                    select(accounts).where(
                        (accounts.c.platform == platform) & accounts.c.account_id.in_(ids)
                    )
                ):
                    snapshots[row.account_id] = _of(StoredAccount, row)
                for row in conn.execute(
                    select(assessments).where(
                        (assessments.c.platform == platform) & assessments.c.account_id.in_(ids)
                    )
                ):
                    assessed[row.account_id] = _assessment_of(row)
        return {a: AccountProfile(snapshots.get(a), assessed.get(a)) for a in account_ids}

    def resurgence_links_for(
        self, platform: str, account_ids: Sequence[str]
    ) -> dict[str, list[StoredResurgenceLink]]:
        """Each account's links (as :meth:`resurgence_links_of`), by account id."""
        found: dict[str, list[StoredResurgenceLink]] = {a: [] for a in account_ids}
        with self.database.engine.connect() as conn:
            for ids in _chunks(account_ids):
                rows = conn.execute(
                    select(resurgence_links).where(
                        (resurgence_links.c.platform == platform)
                        & (
                            resurgence_links.c.account_id.in_(ids)
                            | resurgence_links.c.predecessor_id.in_(ids)
                        )
                    )
                ).all()
                for row in rows:
                    link = _of(StoredResurgenceLink, row)
                    for side in {link.account_id, link.predecessor_id}:
                        if side in found and link not in found[side]:
                            found[side].append(link)
        return found

    def _account(self, conn: Connection, platform: str, account_id: str) -> StoredAccount | None:
        row = conn.execute(
            select(accounts).where(
                (accounts.c.platform == platform) & (accounts.c.account_id == account_id)
            )
        ).first()
        return _of(StoredAccount, row) if row is not None else None

    def _assessment(
        self, conn: Connection, platform: str, account_id: str
    ) -> StoredAssessment | None:
        row = conn.execute(
            select(assessments).where(
                (assessments.c.platform == platform) & (assessments.c.account_id == account_id)
            )
        ).first()
        return _assessment_of(row) if row is not None else None

    def resurgence_links_of(self, platform: str, account_id: str) -> list[StoredResurgenceLink]:
        """The links in which the account is the new one or the predecessor."""
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                select(resurgence_links).where(
                    (resurgence_links.c.platform == platform)
                    & (
                        (resurgence_links.c.account_id == account_id)
                        | (resurgence_links.c.predecessor_id == account_id)
                    )
                )
            ).all()
        return [_of(StoredResurgenceLink, r) for r in rows]

    def labels(self) -> dict[tuple[str, str], str]:
        """Every assessed account's label, by (platform, account_id)."""
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                select(assessments.c.platform, assessments.c.account_id, assessments.c.label)
            )
            return {(r.platform, r.account_id): r.label for r in rows}

    def case_subjects(self) -> frozenset[tuple[str, str]]:
        """Every account with a case (of any unit) or a hold (lifted or not): the others
        have neither, whatever :meth:`case_on` is asked (keyed on :meth:`cases_version`:
        placing a hold sets its case's status)."""
        with self.database.engine.connect() as conn:
            found = {
                (r.platform, r.account_id)
                for r in conn.execute(
                    select(cases_table.c.platform, cases_table.c.account_id).distinct()
                )
            }
            found |= {
                (r.platform, r.account_id)
                for r in conn.execute(select(holds.c.platform, holds.c.account_id).distinct())
            }
        return frozenset(found)

    def case_on(self, store: CaseStore, platform: str, account_id: str, unit: str) -> CaseOnAccount:
        """``unit``'s case on the account (by ``store``, with its clock) and the account's holds."""
        with self.database.engine.connect() as conn:
            case = store.case(conn, platform, account_id, unit)
            holds = store.holds_on(conn, platform, account_id)
        return CaseOnAccount(case, tuple(holds))


__all__ = [
    "AccountProfile",
    "CaseOnAccount",
    "DataVersion",
    "StoredAccount",
    "StoredAssessment",
    "StoredResurgenceLink",
    "WorkbenchReads",
]
