"""``iru rank`` and ``iru network summary`` on hand-made data with known answers, and on a world."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from iru.engine.readers.network import ReachReader
from iru.sim.config import WorldConfig
from iru.sim.output import simulate

from .conftest import Iru

T = "2025-03-01T10:00:00Z"


def _line(**record: object) -> str:
    return json.dumps(record)


def _hand_made(path: Path) -> Path:
    """A ringleader R (2 posts, each reposted by A and B), a prolific P nobody reposts, and
    followers: R has 100 followers of which 1 of 2 sampled is at risk (E = 50); A and B
    have 10 followers, all sampled ones at risk (E = 10); P has 40, all at risk (E = 40)."""
    lines = [
        _line(type="account", platform="f", account_id=a, handle=a.lower(), followers_count=n)
        for a, n in (("R", 100), ("A", 10), ("B", 10), ("P", 40), ("U", 1), ("V", 1))
    ]
    for i in range(2):
        lines.append(
            _line(type="post", platform="f", post_id=f"r{i}", account_id="R", created_at=T)
        )
        for who in ("A", "B"):
            lines.append(
                _line(
                    type="post",
                    platform="f",
                    post_id=f"{who}{i}",
                    account_id=who,
                    created_at=T,
                    repost_of_post_id=f"r{i}",
                )
            )
            lines.append(
                _line(
                    type="interaction",
                    platform="f",
                    kind="repost",
                    src_account_id=who,
                    dst_account_id="R",
                    post_id=f"{who}{i}",
                    dst_post_id=f"r{i}",
                    created_at=T,
                )
            )
    for i in range(5):
        lines.append(
            _line(type="post", platform="f", post_id=f"p{i}", account_id="P", created_at=T)
        )
    for src, dst in (("A", "R"), ("U", "R"), ("U", "A"), ("V", "B"), ("U", "P")):
        lines.append(
            _line(
                type="interaction",
                platform="f",
                kind="follow",
                src_account_id=src,
                dst_account_id=dst,
                created_at=T,
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _labels(path: Path) -> Path:
    rows = [("R", "supporter"), ("A", "supporter"), ("B", "supporter"), ("P", "supporter")]
    rows += [("U", "not_supporter"), ("V", "not_supporter")]
    path.write_text(
        "platform,account_id,label\n" + "".join(f"f,{a},{lab}\n" for a, lab in rows),
        encoding="utf-8",
    )
    return path


def test_reach_inputs_follow_the_model_by_hand(iru: Iru, tmp_path: Path) -> None:
    iru("ingest", str(_hand_made(tmp_path / "data.jsonl")))
    iru("label", "import", str(_labels(tmp_path / "labels.csv")))
    ws = iru.open()
    try:
        inputs, window = ReachReader(ws.database, ws.archive).inputs()
    finally:
        ws.close()
    index = {key[1]: i for i, key in enumerate(inputs.keys)}
    exposure = {a: inputs.exposure[index[a]] for a in index}
    # R: followers A (supporter) and U (at risk) sampled -> half of 100.
    assert exposure["R"] == pytest.approx(50)
    assert exposure["A"] == pytest.approx(10) and exposure["B"] == pytest.approx(10)
    assert exposure["P"] == pytest.approx(40)
    # R's 2 posts reach its own audience and, through 4 reposts, A's and B's.
    assert inputs.own_total[index["R"]] == pytest.approx(2 * 50 + 2 * 10 + 2 * 10)
    assert inputs.own_total[index["P"]] == pytest.approx(5 * 40)
    assert inputs.pair[index["A"], index["R"]] == pytest.approx(20)
    assert inputs.posts[index["R"]] == 2 and inputs.reposts[index["A"]] == 2
    assert window.until is not None
    assert np.sum(inputs.supporter) == 4


def test_rank_impact_beats_the_numbers_game_by_hand(iru: Iru, tmp_path: Path) -> None:
    iru("ingest", str(_hand_made(tmp_path / "data.jsonl")))
    iru("label", "import", str(_labels(tmp_path / "labels.csv")))
    impact = list(csv.DictReader(io.StringIO(iru("rank", "--top", "1", "--format", "csv").output)))
    volume = list(
        csv.DictReader(
            io.StringIO(iru("rank", "--top", "1", "--strategy", "volume", "--format", "csv").output)
        )
    )
    # Volume picks P (5 posts, reach 200); impact picks P too, unless R's cascades weigh more:
    # R removes 140 + nothing else; P removes 200: impact takes the larger reach, P.
    assert impact[0]["account_id"] == "P" and float(impact[0]["reach_removed"]) == 200
    two = list(csv.DictReader(io.StringIO(iru("rank", "--top", "2", "--format", "csv").output)))
    assert [r["account_id"] for r in two] == ["P", "R"]
    assert float(two[1]["impact"]) == pytest.approx(140)
    assert float(two[1]["share"]) == pytest.approx(1.0)
    assert volume[0]["account_id"] == "P"
    for column in ("platform", "account_id", "handle", "score", "label", "impact", "status"):
        assert column in impact[0]
    assert "rank" in impact[0] and "reach_removed" in impact[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rank-world") / "world"
    simulate(WorldConfig(seed=8, days=2, scale=0.01), out)
    return out


def test_rank_and_summary_on_a_world(iru: Iru, world: Path) -> None:
    iru("ingest", str(world / "twitter"), str(world / "follows.jsonl"))
    iru("label", "import", str(world / "knowledge" / "labels.csv"))
    iru("indicators", "import", str(world / "knowledge" / "indicators.toml"))
    iru("detect")
    removed = {}
    for strategy in ("impact", "volume", "degree", "pagerank", "random"):
        rows = json.loads(
            iru("rank", "--top", "10", "--strategy", strategy, "--format", "json").output
        )
        assert 0 < len(rows) <= 10
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        shares = [r["share"] for r in rows]
        assert shares == sorted(shares) and 0 <= shares[-1] <= 1
        assert all(r["why"] for r in rows)
        removed[strategy] = shares[-1]
    assert removed["impact"] >= max(removed.values()) - 1e-9
    assert removed["impact"] > removed["volume"]
    table = iru("rank", "--top", "3").output
    assert "top 3 by impact" in table
    summary = json.loads(iru("network", "summary", "--format", "json").output)
    assert summary and summary[0]["community"] == 0
    assert {"supporter core", "at-risk audience"} >= {c["kind"] for c in summary}
    # Each share is rounded to 4 places: the sum may exceed 1 by half a unit per row.
    assert sum(c["reach_share"] for c in summary) <= 1.0 + 0.5e-4 * len(summary)


def test_rank_on_an_empty_workspace_is_one_clear_line(iru: Iru) -> None:
    result = iru("rank", ok=False)
    assert result.exit_code == 1
    assert "no accounts stored" in result.stderr.strip()
