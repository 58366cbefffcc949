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
  SELECT p.platform, p.post_id, s.idx AS a FROM posts p
  JOIN supporters s ON p.platform = s.platform AND p.account_id = s.account_id
  WHERE p.created_at >= $since AND p.repost_of_post_id IS NULL AND p.forwarded_from IS NULL
)
SELECT r.idx AS b, prop.a AS a, count(*) AS n
FROM interactions i
JOIN prop ON i.platform = prop.platform AND i.dst_post_id = prop.post_id
JOIN nodes r ON r.platform = i.platform AND r.account_id = i.src_account_id
WHERE i.kind IN ('repost', 'forward') AND i.created_at >= $since AND r.idx <> prop.a
GROUP BY ALL
"""

_POSTS_SQL = """
SELECT s.idx AS idx, count(*) AS n FROM posts p
JOIN supporters s ON p.platform = s.platform AND p.account_id = s.account_id
WHERE p.created_at >= $since AND p.repost_of_post_id IS NULL AND p.forwarded_from IS NULL
GROUP BY ALL
"""

_EDGES_SQL = """
SELECT s.idx AS src, d.idx AS dst, count(*) AS n FROM interactions i
JOIN nodes s ON s.platform = i.platform AND s.account_id = i.src_account_id
JOIN nodes d ON d.platform = i.platform AND d.account_id = i.dst_account_id
WHERE s.idx <> d.idx AND (i.created_at >= $since OR i.kind = 'follow')
GROUP BY ALL
"""

_FOLLOWERS_SQL = """
SELECT d.idx AS followee, s.idx AS follower FROM interactions i
JOIN nodes s ON s.platform = i.platform AND s.account_id = i.src_account_id
JOIN nodes d ON d.platform = i.platform AND d.account_id = i.dst_account_id
WHERE i.kind = 'follow'
"""


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
        """The reach model's arrays; DuckDB maps accounts to node indices in the joins."""
        window = self.window()
        with self.database.engine.connect() as conn:
            profiles = {
                (str(p), str(a)): f
                for p, a, f in conn.execute(
                    select(accounts.c.platform, accounts.c.account_id, accounts.c.followers_count)
                )
            }
        supporters = self.supporters()
        keys = sorted(set(profiles) | supporters | self._authors())
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
            nodes = pa.table(
                {
                    "platform": [p for p, _ in keys],
                    "account_id": [a for _, a in keys],
                    "idx": np.arange(n, dtype=np.int64),
                    "supporter": supporter,
                }
            )
            with self.archive.query() as db:
                db.register("nodes", nodes)
                db.execute("CREATE TEMP VIEW supporters AS SELECT * FROM nodes WHERE supporter")
                params = {"since": window.since}
                got = db.execute(_POSTS_SQL, params).fetchnumpy()
                posts[got["idx"].astype(np.int64)] = got["n"]
                if self.archive.has_rows("interactions"):
                    got = db.execute(_REPOSTS_SQL, params).fetchnumpy()
                    pairs = (_ints(got["b"]), _ints(got["a"]), got["n"].astype(np.float64))
                    got = db.execute(_EDGES_SQL, params).fetchnumpy()
                    edges = (_ints(got["src"]), _ints(got["dst"]), got["n"].astype(np.float64))
                    got = db.execute(_FOLLOWERS_SQL).fetchnumpy()
                    followed = (_ints(got["followee"]), _ints(got["follower"]))
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


def _ints(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


__all__ = ["ReachReader", "Window"]
