"""The storage reads behind the network read model: assessments by account, daily reach."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from iru.detect.assess import Assessment
from iru.storage.assessments import DetectionStore
from iru.storage.reach_reads import AssessedAccount, AssessmentReads, DailyReach, DailyReachReads
from iru.workspace import Workspace

from .conftest import Iru

DAY1 = "2025-03-01T10:00:00Z"
DAY2 = "2025-03-02T12:00:00Z"


def test_assessments_by_account(workspace: Workspace) -> None:
    reads = AssessmentReads(workspace.database)
    assert reads.by_account() == {}
    DetectionStore(workspace.database).save_assessments(
        [
            Assessment("f", "S1", 0.91, "supporter", reasons=["x"], signals=3),
            Assessment("f", "U", 0.12, "not_supporter"),
        ]
    )
    found = reads.by_account()
    assert found == {
        ("f", "S1"): AssessedAccount("f", "S1", 0.91, "supporter"),
        ("f", "U"): AssessedAccount("f", "U", 0.12, "not_supporter"),
    }
    assert isinstance(found["f", "S1"].score, float)


def _interaction(kind: str, src: str, dst: str, at: str) -> str:
    return json.dumps(
        {
            "type": "interaction",
            "platform": "f",
            "kind": kind,
            "src_account_id": src,
            "dst_account_id": dst,
            "created_at": at,
        }
    )


def _world(path: Path) -> Path:
    """Supporters S1, S2; at-risk U1, U2, X. Day 1: U1 reposts S1 and replies to S2 (one
    at-risk account), S2 reposts S1 (one supporter); day 2: U2 quotes S1, X forwards S2.
    Left out: follows and mentions of supporters, and S1 reposting X (not a supporter)."""
    lines = [
        json.dumps({"type": "account", "platform": "f", "account_id": a, "handle": a.lower()})
        for a in ("S1", "S2", "U1", "U2", "X")
    ]
    lines += [
        _interaction("repost", "U1", "S1", DAY1),
        _interaction("reply", "U1", "S2", DAY1),
        _interaction("repost", "S2", "S1", DAY1),
        _interaction("follow", "U2", "S1", DAY1),
        _interaction("quote", "U2", "S1", DAY2),
        _interaction("forward", "X", "S2", DAY2),
        _interaction("mention", "U1", "S1", DAY2),
        _interaction("repost", "S1", "X", DAY2),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_daily_reach_by_hand(iru: Iru, tmp_path: Path) -> None:
    iru("ingest", str(_world(tmp_path / "data.jsonl")))
    ws = iru.open()
    try:
        reads = DailyReachReads(ws.archive)
        assert reads.daily([]) == []
        expected = [DailyReach(date(2025, 3, 1), 1, 1), DailyReach(date(2025, 3, 2), 2, 0)]
        assert reads.daily({("f", "S1"), ("f", "S2")}) == expected
        # With S1 alone a supporter, S2's repost of it is at-risk reach.
        assert reads.daily([("f", "S1")]) == [
            DailyReach(date(2025, 3, 1), 2, 0),
            DailyReach(date(2025, 3, 2), 1, 0),
        ]
        # The network reader takes the supporters from the stored assessments.
        DetectionStore(ws.database).save_assessments(
            [
                Assessment("f", "S1", 0.9, "supporter"),
                Assessment("f", "S2", 0.8, "supporter"),
                Assessment("f", "U1", 0.1, "not_supporter"),
            ]
        )
        assert ws.network_reader().daily_reach() == expected
    finally:
        ws.close()


def test_network_reader_on_an_empty_workspace(workspace: Workspace) -> None:
    reader = workspace.network_reader()
    model = reader.model()
    assert (model.n, model.community_count, model.total_reach) == (0, 0, 0.0)
    assert model.communities() == [] and model.ranking(5) == []
    assert model.whatif([("f", "S1")]).as_dict() == {
        "selected": 0,
        "reach_removed": 0.0,
        "share": 0.0,
        "total": 0.0,
        "communities_hit": 0,
    }
    assert reader.assessed() == {} and reader.daily_reach() == []
