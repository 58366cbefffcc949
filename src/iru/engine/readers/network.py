"""Builds the reach model's inputs for a time window, from the archive and the assessments.

Nodes are the accounts iru knows. Propaganda posts are the original posts (not reposts
or forwards) of accounts assessed (or labelled) supporter in the window; a repost or
forward of one carries it to the reposter's audience. ``E(x)``, the at-risk audience
of an account, is its follower count times the share of its known followers that are
not supporters (the sampled follow edges iru holds; the network-wide share where it
holds none). See docs/network.md for the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp

from iru.network.reach import ReachInputs
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.database import Database
from iru.storage.models import current_labels
from iru.storage.network_inputs import ReachInputStore


@dataclass(slots=True)
class Window:
    """The time window a reach model covers."""

    since: datetime | None
    until: datetime | None
    days: float


class ReachReader:
    """Reads one workspace's reach model inputs."""

    def __init__(self, database: Database, archive: Archive, window_days: float = 30.0) -> None:
        self.database = database
        self.archive = archive
        self.window_days = window_days
        self.store = ReachInputStore(database, archive)

    def window(self) -> Window:
        until = self.archive.newest("posts")
        since = until - timedelta(days=self.window_days) if until else None
        return Window(since, until, self.window_days)

    def supporters(self) -> set[tuple[str, str]]:
        """Accounts assessed supporter, with analysts' labels winning."""
        found = {
            k
            for k, v in DetectionStore(self.database).by_account().items()
            if v["label"] == "supporter"
        }
        for key, label in current_labels(self.database).items():
            if label == "supporter":
                found.add(key)
            else:
                found.discard(key)
        return found

    def inputs(self) -> tuple[ReachInputs, Window]:
        """The reach model's arrays; the store maps accounts to node indices in its joins."""
        window = self.window()
        profiles = self.store.followers()
        supporters = self.supporters()
        keys = sorted(set(profiles) | supporters | self.store.authors())
        n = len(keys)
        index = {k: i for i, k in enumerate(keys)}
        supporter = np.zeros(n, dtype=bool)
        supporter[[index[k] for k in supporters if k in index]] = True
        followers = np.array([float(profiles.get(k) or 0) for k in keys])
        posts = np.zeros(n, dtype=np.int64)
        reposts = np.zeros(n, dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        pairs = (empty, empty, np.zeros(0))
        edges = (empty, empty, np.zeros(0))
        followed = (empty, empty)
        if window.since is not None:
            got = self.store.window_counts(keys, supporter, window.since)
            posts[got.post_idx] = got.post_n
            pairs = (got.pair_b, got.pair_a, got.pair_n)
            edges = (got.edge_src, got.edge_dst, got.edge_n)
            followed = (got.followee, got.follower)
        exposure = self._exposure(followers, supporter, followed)
        b, a, c = pairs
        pair = sp.csr_matrix((c * exposure[b], (b, a)), shape=(n, n))
        np.add.at(reposts, b, c.astype(np.int64))
        own_total = posts * exposure + np.asarray(pair.sum(axis=0)).ravel()
        return (
            ReachInputs(
                keys=keys,
                exposure=exposure,
                posts=posts,
                reposts=reposts,
                own_total=own_total,
                pair=pair,
                edges=np.column_stack([edges[0], edges[1]]).reshape(-1, 2),
                weights=edges[2],
                supporter=supporter,
            ),
            window,
        )

    def handles(self) -> dict[tuple[str, str], str]:
        """The handle of every stored profile ("" where iru knows none)."""
        return self.store.handles()

    @staticmethod
    def _exposure(
        followers: np.ndarray, supporter: np.ndarray, followed: tuple[np.ndarray, np.ndarray]
    ) -> np.ndarray:
        """E(x) = followers × share of x's known followers that are not supporters."""
        n = len(followers)
        followee, follower = followed
        known = np.bincount(followee, minlength=n).astype(np.float64)
        at_risk = np.bincount(
            followee, weights=(~supporter[follower]).astype(np.float64), minlength=n
        )
        if known.sum():
            overall = float(at_risk.sum() / known.sum())
        else:
            overall = float(np.mean(~supporter)) if n else 0.0
        share = np.divide(at_risk, known, out=np.full(n, overall), where=known > 0)
        audience = np.where(followers > 0, followers, known)
        return np.asarray(audience * share)


__all__ = ["ReachReader", "Window"]
