"""Typed reads behind the network's read model: stored assessments and daily reach.

:class:`AssessmentReads` gives each assessed account's score and label (the SQL
store); :class:`DailyReachReads` counts, per day of the Parquet archive, the at-risk
accounts that took up a supporter's post and the supporters active (DuckDB). Both
answer frozen dataclasses, so nothing above storage handles rows, SQL or arrays of
a driver (see :mod:`iru.engine.readers.rank`, which reads through them).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
from sqlalchemy import select

from iru.storage.archive import Archive
from iru.storage.database import Database
from iru.storage.schema import assessments

# Interactions that carry a post on to the actor's audience.
_DAILY_REACH_SQL = """
SELECT CAST(i.created_at AS DATE) AS day,
       count(DISTINCT CASE WHEN s2.account_id IS NULL THEN i.src_account_id END),
       count(DISTINCT CASE WHEN s2.account_id IS NOT NULL THEN i.src_account_id END)
FROM interactions i
JOIN supporters s ON s.platform = i.platform AND s.account_id = i.dst_account_id
LEFT JOIN supporters s2 ON s2.platform = i.platform AND s2.account_id = i.src_account_id
WHERE i.kind IN ('repost', 'quote', 'reply', 'forward')
GROUP BY 1 ORDER BY 1
"""


@dataclass(frozen=True, slots=True)
class AssessedAccount:
    """One account's stored assessment: the detection score and the label it gave."""

    platform: str
    account_id: str
    score: float
    label: str


@dataclass(frozen=True, slots=True)
class DailyReach:
    """One day of supporters' reach: at-risk accounts that took up a supporter's post
    (reposted, quoted, replied to or forwarded it) and supporters that did."""

    day: date
    at_risk_reach: int
    supporters_active: int


class AssessmentReads:
    """The stored assessments of one database, by account."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def by_account(self) -> dict[tuple[str, str], AssessedAccount]:
        """Every assessed account's score and label, keyed by (platform, account_id)."""
        query = select(
            assessments.c.platform,
            assessments.c.account_id,
            assessments.c.score,
            assessments.c.label,
        )
        with self.database.engine.connect() as conn:
            return {
                (str(p), str(a)): AssessedAccount(str(p), str(a), float(s), str(lab))
                for p, a, s, lab in conn.execute(query)
            }


class DailyReachReads:
    """Daily reach of a set of supporters, from the archive's interactions."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def daily(self, supporters: Collection[tuple[str, str]]) -> list[DailyReach]:
        """Per day (oldest first): interactions of kind repost, quote, reply or forward
        with a supporter's account, counted by distinct actor, at-risk or supporter."""
        if not supporters:
            return []
        table = pa.table(
            {
                "platform": [platform for platform, _ in supporters],
                "account_id": [account_id for _, account_id in supporters],
            }
        )
        with self.archive.query() as conn:
            conn.register("supporters", table)
            rows = conn.execute(_DAILY_REACH_SQL).fetchall()
        return [DailyReach(day, int(at_risk), int(active)) for day, at_risk, active in rows]


__all__ = ["AssessedAccount", "AssessmentReads", "DailyReach", "DailyReachReads"]
