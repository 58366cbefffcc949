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
import pyarrow as pa
import scipy.sparse as sp
from sqlalchemy import select

from iru.network.reach import ReachInputs
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.database import Database
from iru.storage.models import current_labels
from iru.storage.schema import accounts

_REPOSTS_SQL = """
WITH prop AS (
  SELECT platform, post_id, account_id FROM posts SEMI JOIN supporters USING (platform, account_id)
  WHERE created_at >= $since AND repost_of_post_id IS NULL AND forwarded_from IS NULL
)
SELECT i.platform, i.src_account_id, p.account_id, count(*)
FROM interactions i JOIN prop p ON i.platform = p.platform AND i.dst_post_id = p.post_id
WHERE i.kind IN ('repost', 'forward') AND i.created_at >= $since
  AND i.src_account_id <> p.account_id
GROUP BY ALL
"""

_POSTS_SQL = """
SELECT platform, account_id, count(*) FROM posts SEMI JOIN supporters USING (platform, account_id)
WHERE created_at >= $since AND repost_of_post_id IS NULL AND forwarded_from IS NULL
GROUP BY ALL
"""

_EDGES_SQL = """
SELECT platform, src_account_id, dst_account_id, count(*) FROM interactions
WHERE dst_account_id IS NOT NULL AND src_account_id <> dst_account_id
  AND (created_at >= $since OR kind = 'follow')
GROUP BY ALL
"""

_FOLLOWERS_SQL = """
SELECT platform, dst_account_id, src_account_id FROM interactions
WHERE kind = 'follow' AND dst_account_id IS NOT NULL
"""


@dataclass(slots=True)
class Window:
    """The time window a reach model covers."""

    since: datetime | None
    until: datetime | None
    days: float


def _keys_table(keys: list[tuple[str, str]]) -> pa.Table:
    return pa.table({"platform": [p for p, _ in keys], "account_id": [a for _, a in keys]})


class ReachReader:
    """Reads one workspace's reach model inputs."""

    def __init__(self, database: Database, archive: Archive, window_days: float = 30.0) -> None:
        self.database = database
        self.archive = archive
        self.window_days = window_days

    def window(self) -> Window:
        if not self.archive.has_rows("posts"):
            return Window(None, None, self.window_days)
        with self.archive.query() as db:
            row = db.execute("SELECT max(created_at) FROM posts").fetchone()
        until = row[0] if row else None
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
        window = self.window()
        with self.database.engine.connect() as conn:
            profiles = {
                (str(p), str(a)): (h, f)
                for p, a, h, f in conn.execute(
                    select(
                        accounts.c.platform,
                        accounts.c.account_id,
                        accounts.c.handle,
                        accounts.c.followers_count,
                    )
                )
            }
        supporters = self.supporters()
        keys = sorted(set(profiles) | supporters | self._authors())
        index = {k: i for i, k in enumerate(keys)}
        n = len(keys)
        supporter = np.zeros(n, dtype=bool)
        for key in supporters:
            if key in index:
                supporter[index[key]] = True
        followers = np.array([float(profiles.get(k, (None, None))[1] or 0) for k in keys])
        posts = np.zeros(n, dtype=np.int64)
        reposts = np.zeros(n, dtype=np.int64)
        pairs: list[tuple[int, int, int]] = []
        edges: list[tuple[int, int, int]] = []
        followed: list[tuple[int, int]] = []
        if window.since is not None:
            with self.archive.query() as db:
                db.register("supporters", _keys_table(sorted(supporters)))
                params = {"since": window.since}
                for platform, author, count in db.execute(_POSTS_SQL, params).fetchall():
                    posts[index[(platform, author)]] = count
                if self.archive.has_rows("interactions"):
                    for platform, b, a, count in db.execute(_REPOSTS_SQL, params).fetchall():
                        if (platform, b) in index:
                            pairs.append((index[(platform, b)], index[(platform, a)], count))
                    for platform, src, dst, count in db.execute(_EDGES_SQL, params).fetchall():
                        i, j = index.get((platform, src)), index.get((platform, dst))
                        if i is not None and j is not None:
                            edges.append((i, j, count))
                    for platform, dst, src in db.execute(_FOLLOWERS_SQL).fetchall():
                        i, j = index.get((platform, src)), index.get((platform, dst))
                        if i is not None and j is not None:
                            followed.append((j, i))
        exposure = self._exposure(followers, supporter, followed)
        b = np.array([p[0] for p in pairs], dtype=np.int64)
        a = np.array([p[1] for p in pairs], dtype=np.int64)
        c = np.array([p[2] for p in pairs], dtype=np.float64)
        pair = sp.csr_matrix((c * exposure[b] if len(b) else c, (b, a)), shape=(n, n))
        np.add.at(reposts, b, c.astype(np.int64))
        own_total = posts * exposure + np.asarray(pair.sum(axis=0)).ravel()
        edge_array = np.array([(i, j) for i, j, _ in edges], dtype=np.int64).reshape(-1, 2)
        weights = np.array([w for _, _, w in edges], dtype=np.float64)
        return (
            ReachInputs(
                keys=keys,
                exposure=exposure,
                posts=posts,
                reposts=reposts,
                own_total=own_total,
                pair=pair,
                edges=edge_array,
                weights=weights,
                supporter=supporter,
            ),
            window,
        )

    def handles(self) -> dict[tuple[str, str], str]:
        with self.database.engine.connect() as conn:
            return {
                (str(p), str(a)): str(h or "")
                for p, a, h in conn.execute(
                    select(accounts.c.platform, accounts.c.account_id, accounts.c.handle)
                )
            }

    def _authors(self) -> set[tuple[str, str]]:
        if not self.archive.has_rows("posts"):
            return set()
        with self.archive.query() as db:
            return {
                (str(p), str(a))
                for p, a in db.execute("SELECT DISTINCT platform, account_id FROM posts").fetchall()
            }

    @staticmethod
    def _exposure(
        followers: np.ndarray, supporter: np.ndarray, followed: list[tuple[int, int]]
    ) -> np.ndarray:
        """E(x) = followers × share of x's known followers that are not supporters."""
        n = len(followers)
        known = np.zeros(n)
        at_risk = np.zeros(n)
        if followed:
            pairs = np.array(followed, dtype=np.int64)
            np.add.at(known, pairs[:, 0], 1.0)
            np.add.at(at_risk, pairs[:, 0], (~supporter[pairs[:, 1]]).astype(np.float64))
        overall = (
            float(at_risk.sum() / known.sum())
            if known.sum()
            else float(np.mean(~supporter))
            if n
            else 0.0
        )
        share = np.divide(at_risk, known, out=np.full(n, overall), where=known > 0)
        audience = np.where(followers > 0, followers, known)
        return np.asarray(audience * share)


__all__ = ["ReachReader", "Window"]
