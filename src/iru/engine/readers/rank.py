"""The network read model: ranking, communities and what-if over one window's reach model.

One model for every place that shows the network: ``iru rank`` and ``iru network
summary`` render its rows as a table, CSV or JSON; the workbench's network page,
what-if panel, account page and dashboard render the same rows as pages and JSON.
:class:`NetworkReader` (built by ``Workspace.network_reader()``) loads a
:class:`NetworkModel`: the reach model's inputs (:class:`ReachReader`), the handles,
the communities (Leiden, seeded) and the total at-risk reach; the model answers
frozen rows (:class:`RankRow`, :class:`CommunityRow`, :class:`WhatIf`). The
arrays stay in here and in :mod:`iru.network`; the edges see plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from iru.engine.readers.network import ReachReader, Window
from iru.network.communities import bridges_of, communities, community_summary
from iru.network.reach import IntArray, ReachInputs, reach_removed, total_reach
from iru.network.strategies import STRATEGIES, Ranked, rank
from iru.storage.reach_reads import (
    AssessedAccount,
    AssessmentReads,
    DailyReach,
    DailyReachReads,
)

Key = tuple[str, str]

#: A community is a "supporter core" from this share of supporters on.
SUPPORTER_CORE = 0.5
#: Below this share of supporters a community is an "at-risk audience" on the workbench.
AT_RISK_AUDIENCE = 0.2


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account as the network pages name it."""

    platform: str
    account_id: str
    handle: str

    def as_dict(self) -> dict[str, str]:
        return {"platform": self.platform, "account_id": self.account_id, "handle": self.handle}

    @property
    def name(self) -> str:
        """``@handle``, or the account id where the handle is not known."""
        return "@" + self.handle if self.handle else self.account_id


@dataclass(frozen=True, slots=True)
class RankRow:
    """One ranked account: the columns of ``iru rank``, in its order."""

    rank: int
    platform: str
    account_id: str
    handle: str
    score: float | None  # the stored assessment's score, 4 places; None when not assessed
    label: str | None
    impact: float  # reach cut by this account given those above it, 1 place
    reach_removed: float  # reach cut by this account and those above it, 1 place
    share: float  # reach_removed / total at-risk reach, 4 places
    community: int
    bridges_to: str  # accounts of other communities it interacts with most, "@h (cN)"
    status: str
    why: str

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in RANK_COLUMNS}


#: The columns of a :class:`RankRow`, in order.
RANK_COLUMNS = tuple(RankRow.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class CommunityRow:
    """One community of the interaction graph, largest first (id 0)."""

    id: int
    size: int
    supporters: int
    at_risk: int
    supporter_share: float
    reach: float  # the reach of its members' cascades
    reach_share: float  # reach / total at-risk reach, 4 places (0 when there is none)
    top_accounts: tuple[AccountRef, ...]  # most reach on their own first
    bridges: tuple[AccountRef, ...]  # members linking to other communities, strongest first

    @property
    def kind(self) -> str:
        """``iru network summary``'s kind: supporter core or at-risk audience."""
        return "supporter core" if self.supporter_share >= SUPPORTER_CORE else "at-risk audience"

    @property
    def band(self) -> str:
        """The workbench's kind: supporter core, mixed, or at-risk audience."""
        if self.supporter_share >= SUPPORTER_CORE:
            return "supporter core"
        return "at-risk audience" if self.supporter_share < AT_RISK_AUDIENCE else "mixed"


@dataclass(frozen=True, slots=True)
class WhatIf:
    """What removing a chosen set of accounts would cut of the at-risk reach."""

    selected: int  # chosen accounts found in the model (repeats count)
    reach_removed: float  # 1 place
    share: float  # of the total, 4 places
    total: float  # 1 place
    communities_hit: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "selected": self.selected,
            "reach_removed": self.reach_removed,
            "share": self.share,
            "total": self.total,
            "communities_hit": self.communities_hit,
        }


@dataclass(frozen=True, eq=False)
class NetworkModel:
    """One window's reach model with its communities, and the rows read from it."""

    inputs: ReachInputs
    window: Window
    handles: Mapping[Key, str]
    membership: IntArray  # node -> community id (largest first)
    total_reach: float
    index: Mapping[Key, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {key: i for i, key in enumerate(self.inputs.keys)})

    @property
    def n(self) -> int:
        """Accounts in the model."""
        return self.inputs.n

    @property
    def pairs(self) -> int:
        """Interaction pairs (directed, counted once) in the model."""
        return len(self.inputs.edges)

    @property
    def community_count(self) -> int:
        return int(self.membership.max()) + 1 if self.n else 0

    def account(self, node: int) -> AccountRef:
        platform, account_id = self.inputs.keys[node]
        return AccountRef(platform, account_id, self.handles.get((platform, account_id), ""))

    def node(self, platform: str, account_id: str) -> int | None:
        return self.index.get((platform, account_id))

    def community(self, node: int) -> int:
        return int(self.membership[node])

    # -- ranking ---------------------------------------------------------------------------

    def ranking(self, top: int, strategy: str = "impact", seed: int = 0) -> list[Ranked]:
        """The top ``top`` accounts by ``strategy`` (see :mod:`iru.network.strategies`)."""
        return rank(self.inputs, top, strategy, seed=seed)

    def rank_rows(
        self,
        ranked: Iterable[Ranked],
        assessed: Mapping[Key, AssessedAccount] | None = None,
        *,
        bridges: bool = True,
    ) -> list[RankRow]:
        """One row per ranked account; ``bridges=False`` leaves ``bridges_to`` empty."""
        found = assessed or {}
        rows = []
        for r in ranked:
            ref = self.account(r.index)
            view = found.get((ref.platform, ref.account_id))
            rows.append(
                RankRow(
                    rank=r.rank,
                    platform=ref.platform,
                    account_id=ref.account_id,
                    handle=ref.handle,
                    score=round(view.score, 4) if view else None,
                    label=view.label if view else None,
                    impact=round(r.gain, 1),
                    reach_removed=round(r.reach_removed, 1),
                    share=round(r.share, 4),
                    community=self.community(r.index),
                    bridges_to=self._bridges(r.index) if bridges else "",
                    status="active",
                    why=r.why,
                )
            )
        return rows

    def _bridges(self, node: int, limit: int = 3) -> str:
        """The accounts in other communities ``node`` interacts with most, and their communities."""
        inputs, membership = self.inputs, self.membership
        communities_linked = bridges_of(inputs, membership, node, limit=limit)
        edges, weights = inputs.edges, inputs.weights
        touching = (edges[:, 0] == node) | (edges[:, 1] == node)
        others = np.where(edges[touching, 0] == node, edges[touching, 1], edges[touching, 0])
        outside = membership[others] != membership[node]
        strength: dict[int, float] = {}
        for other, weight in zip(others[outside], weights[touching][outside], strict=True):
            strength[int(other)] = strength.get(int(other), 0.0) + float(weight)
        best = sorted(strength, key=lambda j: (-strength[j], j))[:limit]
        named = [
            f"@{self.handles.get(inputs.keys[j]) or inputs.keys[j][1]} (c{int(membership[j])})"
            for j in best
        ]
        if not named and communities_linked:
            named = [f"c{c}" for c in communities_linked]
        return " ".join(named)

    # -- communities -----------------------------------------------------------------------

    def communities(self, largest: int | None = None) -> list[CommunityRow]:
        """Every community (or the ``largest`` ones), largest first."""
        total = self.total_reach
        return [
            CommunityRow(
                id=c.id,
                size=c.size,
                supporters=c.supporters,
                at_risk=c.at_risk,
                supporter_share=c.supporter_share,
                reach=c.reach,
                reach_share=round(c.reach / total, 4) if total else 0.0,
                top_accounts=tuple(self.account(i) for i in c.top_accounts),
                bridges=tuple(self.account(i) for i in c.bridges),
            )
            for c in community_summary(self.inputs, self.membership, largest=largest)
        ]

    # -- what-if ---------------------------------------------------------------------------

    def whatif(self, chosen: Iterable[Key]) -> WhatIf:
        """Removing the ``chosen`` accounts (those not in the model are left out)."""
        nodes = [self.index[k] for k in chosen if k in self.index]
        total = self.total_reach
        cut = reach_removed(self.inputs, nodes) if nodes else 0.0
        return WhatIf(
            selected=len(nodes),
            reach_removed=round(cut, 1),
            share=round(cut / total, 4) if total else 0.0,
            total=round(total, 1),
            communities_hit=len({self.community(n) for n in nodes}),
        )


class NetworkReader:
    """Reads one workspace's network model, assessments and daily reach."""

    def __init__(
        self, reach: ReachReader, assessments: AssessmentReads, daily: DailyReachReads
    ) -> None:
        self.reach = reach
        self.assessments = assessments
        self.daily = daily

    def model(self, seed: int = 0) -> NetworkModel:
        """The window's reach model, its handles and its communities (Leiden, ``seed``)."""
        inputs, window = self.reach.inputs()
        membership = communities(inputs, seed=seed) if inputs.n else np.zeros(0, dtype=np.int64)
        return NetworkModel(
            inputs=inputs,
            window=window,
            handles=self.reach.handles(),
            membership=membership,
            total_reach=total_reach(inputs) if inputs.n else 0.0,
        )

    def assessed(self) -> dict[Key, AssessedAccount]:
        """Every stored assessment, by account."""
        return self.assessments.by_account()

    def daily_reach(self) -> list[DailyReach]:
        """Per day: at-risk accounts that took up a post of an account assessed supporter,
        and the supporters active (analysts' labels not applied: the assessments alone)."""
        supporters = [key for key, row in self.assessed().items() if row.label == "supporter"]
        return self.daily.daily(supporters)


__all__ = [
    "RANK_COLUMNS",
    "STRATEGIES",
    "AccountRef",
    "AssessedAccount",
    "CommunityRow",
    "DailyReach",
    "NetworkModel",
    "NetworkReader",
    "RankRow",
    "WhatIf",
]
