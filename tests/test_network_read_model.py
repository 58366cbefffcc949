"""The network read model (ranking rows, communities, what-if) on a graph with known answers."""

from __future__ import annotations

import numpy as np

from iru.engine.readers.network import Window
from iru.engine.readers.rank import (
    RANK_COLUMNS,
    AccountRef,
    AssessedAccount,
    CommunityRow,
    NetworkModel,
)
from iru.network.communities import communities
from iru.network.reach import total_reach
from tests.network.test_communities import two_cliques


def model() -> NetworkModel:
    """Supporters 0-4 and at-risk 5-9 in two cliques, 5 reposting 4; 10, 11 alone.
    Reach: 0 cuts 260 on its own, 4 cuts 70, 10 cuts 7 (337 in all)."""
    inputs = two_cliques()
    handles = {("twitter", "acct0"): "zero", ("twitter", "acct5"): "five"}
    return NetworkModel(
        inputs=inputs,
        window=Window(None, None, 30.0),
        handles=handles,
        membership=communities(inputs),
        total_reach=total_reach(inputs),
    )


def test_rank_rows_carry_the_rank_columns_in_order() -> None:
    assert RANK_COLUMNS == (
        "rank",
        "platform",
        "account_id",
        "handle",
        "score",
        "label",
        "impact",
        "reach_removed",
        "share",
        "community",
        "bridges_to",
        "status",
        "why",
    )
    m = model()
    assessed = {("twitter", "acct4"): AssessedAccount("twitter", "acct4", 0.876543, "supporter")}
    rows = m.rank_rows(m.ranking(2, "impact"), assessed)
    first, second = rows
    assert (first.account_id, first.handle, first.impact, first.community) == (
        "acct0",
        "zero",
        260.0,
        0,
    )
    assert first.score is None and first.label is None and first.bridges_to == ""
    assert (second.account_id, second.impact, second.reach_removed) == ("acct4", 70.0, 330.0)
    assert second.share == round(330 / 337, 4)
    assert (second.score, second.label) == (0.8765, "supporter")
    # 4's only tie outside its community is 5 (community 1), named by its handle.
    assert second.bridges_to == "@five (c1)"
    assert list(second.as_dict()) == list(RANK_COLUMNS) and second.as_dict()["status"] == "active"
    assert m.rank_rows(m.ranking(2, "impact"), bridges=False)[1].bridges_to == ""


def test_communities_kind_band_and_names() -> None:
    m = model()
    rows = m.communities()
    assert [c.id for c in rows] == [0, 1, 2, 3] and m.community_count == 4
    core, audience = rows[0], rows[1]
    assert (core.kind, core.band, core.reach_share) == ("supporter core", "supporter core", 0.9792)
    assert (audience.kind, audience.band, audience.reach_share) == (
        "at-risk audience",
        "at-risk audience",
        0.0,
    )
    assert core.top_accounts[0] == AccountRef("twitter", "acct0", "zero")
    assert [a.name for a in core.top_accounts[:2]] == ["@zero", "acct4"]
    assert core.top_accounts[0].as_dict() == {
        "platform": "twitter",
        "account_id": "acct0",
        "handle": "zero",
    }
    assert [c.id for c in m.communities(largest=2)] == [0, 1]
    mixed = CommunityRow(9, 10, 3, 7, 0.3, 0.0, 0.0, (), ())
    assert (mixed.kind, mixed.band) == ("at-risk audience", "mixed")


def test_whatif_counts_the_chosen_accounts_found() -> None:
    m = model()
    chosen = [("twitter", "acct0"), ("twitter", "acct0"), ("nope", "x"), ("twitter", "acct5")]
    # R({0, 5}) = 0's own 260 + 5's repost of 4 (20).
    assert m.whatif(chosen).as_dict() == {
        "selected": 3,
        "reach_removed": 280.0,
        "share": round(280 / 337, 4),
        "total": 337.0,
        "communities_hit": 2,
    }
    none = m.whatif([])
    assert (none.selected, none.reach_removed, none.communities_hit) == (0, 0.0, 0)
    assert m.node("twitter", "acct5") == 5 and m.node("nope", "x") is None
    assert m.pairs == len(m.inputs.edges) and isinstance(m.membership, np.ndarray)
