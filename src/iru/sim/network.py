"""The follow graph of a simulated world: an insular supporter core, bridges, watchers.

Supporters mostly follow each other, weighted towards the most-followed (the
ringleaders); the at-risk audience follows some supporters (the bridges) and the
general population; hard negatives follow the core to watch it. The graph is a
sample — each account follows ``follows_per_account`` others — while the public
follower counts keep the census distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iru.sim.config import HARD_NEGATIVE_ROLES, SUPPORTER_ROLES, Role
from iru.sim.population import SimAccount

# For each role: which groups it follows, with what share of its follows.
FOLLOW_MIX: dict[Role, tuple[tuple[str, float], ...]] = {
    Role.RINGLEADER: (("core", 0.6), ("supporters", 0.4)),
    Role.DISTRIBUTOR: (("core", 0.5), ("supporters", 0.5)),
    Role.BOT: (("core", 0.7), ("supporters", 0.3)),
    Role.SUPPORTER: (("core", 0.35), ("supporters", 0.5), ("general", 0.15)),
    Role.AT_RISK: (("core", 0.1), ("supporters", 0.25), ("general", 0.65)),
    Role.BYSTANDER: (("general", 0.9), ("watchers", 0.1)),
    Role.JOURNALIST: (("core", 0.4), ("watchers", 0.3), ("general", 0.3)),
    Role.RESEARCHER: (("core", 0.5), ("watchers", 0.3), ("general", 0.2)),
    Role.OFFICIAL: (("core", 0.3), ("watchers", 0.4), ("general", 0.3)),
    Role.COUNTER_SPEECH: (("core", 0.4), ("watchers", 0.2), ("general", 0.4)),
}


@dataclass(frozen=True, slots=True)
class FollowGraph:
    """Directed follow edges as compressed rows: account i follows ``targets[offsets[i]:offsets[i+1]]``."""

    offsets: np.ndarray
    targets: np.ndarray

    def followees(self, index: int) -> np.ndarray:
        return self.targets[self.offsets[index] : self.offsets[index + 1]]

    @property
    def edges(self) -> int:
        return int(self.targets.size)


def _groups(accounts: list[SimAccount]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Member indices and the weight of being followed, per group."""
    members: dict[str, list[int]] = {"core": [], "supporters": [], "general": [], "watchers": []}
    for a in accounts:
        if a.role in (Role.RINGLEADER, Role.DISTRIBUTOR):
            members["core"].append(a.index)
        if a.role in SUPPORTER_ROLES:
            members["supporters"].append(a.index)
        elif a.role in HARD_NEGATIVE_ROLES:
            members["watchers"].append(a.index)
        else:
            members["general"].append(a.index)
    followers = np.array([a.followers for a in accounts], dtype=float)
    groups = {}
    for name, idx in members.items():
        index = np.array(idx, dtype=np.int64)
        weight = followers[index] + 1.0 if index.size else np.zeros(0)
        groups[name] = (index, np.cumsum(weight) / weight.sum() if index.size else weight)
    return groups


def build_follow_graph(
    accounts: list[SimAccount], per_account: int, rng: np.random.Generator
) -> FollowGraph:
    """Sample who follows whom, preferentially towards the most-followed in each group."""
    groups = _groups(accounts)
    by_role: dict[Role, list[int]] = {}
    for a in accounts:
        by_role.setdefault(a.role, []).append(a.index)
    sources: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for role, mix in FOLLOW_MIX.items():
        src = np.array(by_role.get(role, []), dtype=np.int64)
        if src.size == 0:
            continue
        for group, share in mix:
            members, cumulative = groups[group]
            k = max(1, round(per_account * share))
            if members.size == 0:
                continue
            picks = np.searchsorted(cumulative, rng.random(src.size * k), side="right")
            sources.append(np.repeat(src, k))
            targets.append(members[np.minimum(picks, members.size - 1)])
    src_all = np.concatenate(sources)
    dst_all = np.concatenate(targets)
    keep = src_all != dst_all
    pairs = np.unique(np.stack([src_all[keep], dst_all[keep]], axis=1), axis=0)
    counts = np.bincount(pairs[:, 0], minlength=len(accounts))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return FollowGraph(offsets=offsets, targets=pairs[:, 1].astype(np.int64))
