"""The workspace's counts (iru.storage.archive_stats) and their JSON document (iru.engine.readers.stats)."""

from __future__ import annotations

from datetime import date

from iru.engine.readers.stats import stats_document
from iru.storage.archive_stats import ArchiveStats, DayCount, PlatformCounts
from iru.workspace import Workspace

from .conftest import EXAMPLES


def test_an_empty_workspace_counts_nothing(workspace: Workspace) -> None:
    stats = workspace.stats_reader().read()
    assert stats == ArchiveStats((), (), (), (), 0)
    assert stats_document(stats) == {
        "platforms": {},
        "languages": {},
        "days": [],
        "interaction_kinds": {},
        "quarantined": 0,
    }


def test_counts_by_platform_language_day_and_kind(workspace: Workspace) -> None:
    workspace.ingest_engine().run([EXAMPLES])
    stats = workspace.stats_reader().read()
    platforms = dict(stats.platforms)
    assert [p for p, _ in stats.platforms] == sorted(platforms)
    assert platforms["twitter"].posts == 6 and platforms["twitter"].accounts == 5
    assert all(isinstance(c, PlatformCounts) for c in platforms.values())
    counts = [n for _, n in stats.languages]
    assert counts == sorted(counts, reverse=True) and dict(stats.languages)["ar"] >= 1
    assert {d.day for d in stats.days if d.platform == "twitter"} == {
        date(2024, 3, 1),
        date(2024, 3, 2),
    }
    assert list(stats.days) == sorted(stats.days, key=lambda d: (str(d.day), d.platform))
    assert sum(d.posts for d in stats.days) == sum(c.posts for c in platforms.values())
    assert dict(stats.interaction_kinds)["repost"] >= 2
    assert stats.quarantined == workspace.database.count("quarantine")
    document = stats_document(stats)
    assert list(document) == ["platforms", "languages", "days", "interaction_kinds", "quarantined"]
    assert list(document["platforms"]["twitter"]) == ["accounts", "posts", "media", "interactions"]
    assert document["days"][0] == {
        "day": str(stats.days[0].day),
        "platform": stats.days[0].platform,
        "posts": stats.days[0].posts,
    }
    assert isinstance(stats.days[0], DayCount)
