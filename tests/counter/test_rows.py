"""The counter rows read model: what ``iru counter`` prints and the page shows, built once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from iru.engine.readers.counter import CounterAnalysis
from iru.engine.readers.counter_rows import CounterRows, Hub, plain
from iru.web.counter_page import counter_context
from iru.workspace import Workspace

from ..small_world import S, U, small_world


def test_rows_of_a_small_window(workspace: Workspace, tmp_path: Path) -> None:
    small_world(workspace, tmp_path)
    analysis = CounterAnalysis(
        workspace.database, workspace.archive, embedder=None, min_size=1, supporters={S}
    )
    rows = CounterRows(analysis)
    assert rows.window == (date(2025, 3, 1), date(2025, 3, 2))
    assert "narratives" not in vars(analysis)  # nothing computed beyond what was asked

    [segment] = rows.segments()
    assert rows.segment(segment.id) == segment and rows.segment("xx") is None
    assert (segment.id, segment.size, segment.community_name) == ("und/f/c0", 1, "c0")
    assert segment.hubs == [Hub("f", "S", "@sup", 1)] and segment.hashtags == [("Tag", 1)]
    assert dict(segment.routes) == {"follow": 1, "repost": 1, "quote": 1, "mention": 1}
    assert rows.audience_size == 1 and rows.segment_count == 1
    [member] = rows.members()
    assert (member.platform, member.account_id, member.handle) == (U[0], U[1], "u")
    assert member.hubs == [("@sup", 4)] and member.contacts == 4
    assert member.routes == [("follow", 1), ("mention", 1), ("quote", 1), ("repost", 1)]
    assert "narratives" not in vars(analysis)

    overall, mine = rows.share()
    assert overall.segment == "all" and mine.segment == segment.id
    daily = rows.daily()
    assert [d.day for d in daily] == [date(2025, 3, 1), date(2025, 3, 2)] * 2
    assert rows.daily(overall_only=True) == daily[:2]
    assert list(plain(overall))[:4] == ["segment", "language", "platform", "size"]
    assert rows.takedowns == 0 and rows.counter_accounts == 0

    assert (overall.propaganda, overall.counter, overall.share) == (2.0, 0.0, 0.0)
    # Without an encoder or other posts, no narrative stands out in a window this small.
    assert rows.narratives() == [] and rows.terms(3) == [] and rows.told(segment, 4) == []

    # The page lays out the same rows.
    context = counter_context(rows)
    assert context["window"] == {"first": "2025-03-01", "last": "2025-03-02"}
    assert [s["id"] for s in context["segments"]] == [segment.id]
    assert context["segments"][0]["hubs"] == [
        {"platform": "f", "account_id": "S", "name": "@sup", "members": 1}
    ]
    assert counter_context(None)["segments"] == []
