"""What a workspace holds, counted: accounts, posts, media and interactions by platform, day, language.

:class:`ArchiveStatsReader` counts in the SQL store (accounts, quarantined records) and in
the Parquet archive (DuckDB: posts, media, interactions) and answers one frozen
:class:`ArchiveStats`. Built by ``Workspace.stats_reader()``; ``iru stats`` renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iru.storage.archive import Archive
    from iru.storage.database import Database

COUNTED = ("posts", "media", "interactions")  # the archive's tables counted per platform


@dataclass(frozen=True)
class PlatformCounts:
    """One platform's records in the workspace."""

    accounts: int = 0
    posts: int = 0
    media: int = 0
    interactions: int = 0


@dataclass(frozen=True)
class DayCount:
    """Posts of one platform on one UTC day."""

    day: date | None
    platform: str
    posts: int


@dataclass(frozen=True)
class ArchiveStats:
    """The workspace's counts, each part in the order ``iru stats`` shows it."""

    platforms: tuple[tuple[str, PlatformCounts], ...]  # by platform name
    languages: tuple[tuple[str, int], ...]  # posts per language, most first ("unknown": none)
    days: tuple[DayCount, ...]  # by day, then platform
    interaction_kinds: tuple[tuple[str, int], ...]  # by kind
    quarantined: int  # records refused at ingest


class ArchiveStatsReader:
    """Counts of one workspace's SQL store and archive."""

    def __init__(self, database: Database, archive: Archive) -> None:
        self.database = database
        self.archive = archive

    def read(self) -> ArchiveStats:
        counts: dict[str, dict[str, int]] = {}
        for platform, n in self.database.accounts_by_platform():
            counts.setdefault(platform, {})["accounts"] = n
        with self.archive.query() as conn:
            for table in COUNTED:
                for platform, n in conn.execute(
                    f"SELECT platform, count(*) FROM {table} GROUP BY 1 ORDER BY 1"
                ).fetchall():
                    counts.setdefault(platform, {})[table] = int(n)
            languages = conn.execute(
                "SELECT coalesce(lang, 'unknown') AS lang, count(*) AS posts FROM posts "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
            days = conn.execute(
                "SELECT CAST(created_at AT TIME ZONE 'UTC' AS DATE) AS day, platform, count(*) "
                "FROM posts GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
            kinds = conn.execute(
                "SELECT kind, count(*) FROM interactions GROUP BY 1 ORDER BY 1"
            ).fetchall()
        return ArchiveStats(
            platforms=tuple((p, PlatformCounts(**c)) for p, c in sorted(counts.items())),
            languages=tuple((str(lang), int(n)) for lang, n in languages),
            days=tuple(DayCount(day, p, int(n)) for day, p, n in days),
            interaction_kinds=tuple((str(k), int(n)) for k, n in kinds),
            quarantined=self.database.count("quarantine"),
        )


__all__ = ["ArchiveStats", "ArchiveStatsReader", "DayCount", "PlatformCounts"]
