"""What the reach model reads: profiles (SQL store) and a window's posts and interactions (archive).

Typed reads for :class:`iru.engine.readers.network.ReachReader`, which builds the reach
model's inputs from them. The window's counts come back as numpy arrays over node
indices: the caller numbers the accounts and says which are supporters, and DuckDB maps
accounts to those indices in the joins. The SQL is here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import select

from iru.storage.archive import Archive
from iru.storage.assessment_inputs import archive_authors
from iru.storage.counter_sql import EDGES_SQL
from iru.storage.database import Database
from iru.storage.schema import accounts

__all__ = ["ReachCounts", "ReachInputStore"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

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

# Edges (EDGES_SQL) and follows join ``nodes`` to one side at a time: see counter_sql.py.
_FOLLOWERS_SQL = """
WITH f AS MATERIALIZED (
    SELECT i.platform, s.idx AS follower, i.dst_account_id FROM interactions i
    JOIN nodes s ON s.platform = i.platform AND s.account_id = i.src_account_id
    WHERE i.kind = 'follow'
)
SELECT d.idx AS followee, f.follower AS follower FROM f
JOIN nodes d ON d.platform = f.platform AND d.account_id = f.dst_account_id
"""

_SUPPORTERS_VIEW = "CREATE TEMP VIEW supporters AS SELECT * FROM nodes WHERE supporter"


def _ints(values: npt.ArrayLike) -> IntArray:
    return np.asarray(values, dtype=np.int64)


def _empty() -> IntArray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class ReachCounts:
    """A window's counts over node indices.

    ``posts``: original posts (not reposts or forwards) per supporter (``post_idx``,
    ``post_n``); ``pair_*``: account ``b`` reposted or forwarded ``n`` of supporter
    ``a``'s posts; ``edge_*``: interactions ``src`` -> ``dst`` in the window (follows
    whenever made); ``followee``/``follower``: every stored follow edge."""

    post_idx: IntArray
    post_n: IntArray
    pair_b: IntArray
    pair_a: IntArray
    pair_n: FloatArray
    edge_src: IntArray
    edge_dst: IntArray
    edge_n: FloatArray
    followee: IntArray
    follower: IntArray


class ReachInputStore:
    """The reach model's reads of one workspace's SQL store and archive."""

    def __init__(self, database: Database, archive: Archive) -> None:
        self.database = database
        self.archive = archive

    def followers(self) -> dict[tuple[str, str], int | None]:
        """The follower count of every stored profile (None where the platform gave none)."""
        with self.database.engine.connect() as conn:
            return {
                (str(p), str(a)): f
                for p, a, f in conn.execute(
                    select(accounts.c.platform, accounts.c.account_id, accounts.c.followers_count)
                )
            }

    def handles(self) -> dict[tuple[str, str], str]:
        """The handle of every stored profile ("" where iru knows none)."""
        with self.database.engine.connect() as conn:
            return {
                (str(p), str(a)): str(h or "")
                for p, a, h in conn.execute(
                    select(accounts.c.platform, accounts.c.account_id, accounts.c.handle)
                )
            }

    def authors(self) -> set[tuple[str, str]]:
        """Every account with a post in the archive."""
        return archive_authors(self.archive)

    def window_counts(
        self,
        keys: Sequence[tuple[str, str]],
        supporter: npt.NDArray[np.bool_],
        since: datetime,
    ) -> ReachCounts:
        """The counts of the window from ``since``, over the indices of ``keys``
        (``supporter``: which of them are supporters)."""
        n = len(keys)
        nodes = pa.table(
            {
                "platform": [p for p, _ in keys],
                "account_id": [a for _, a in keys],
                "idx": np.arange(n, dtype=np.int64),
                "supporter": supporter,
            }
        )
        none = _empty()
        pairs = (none, none, np.zeros(0))
        edges = (none, none, np.zeros(0))
        followed = (none, none)
        with self.archive.query() as db:
            db.register("nodes", nodes)
            db.execute(_SUPPORTERS_VIEW)
            params = {"since": since}
            got = db.execute(_POSTS_SQL, params).fetchnumpy()
            posts = (_ints(got["idx"]), _ints(got["n"]))
            if self.archive.has_rows("interactions"):
                got = db.execute(_REPOSTS_SQL, params).fetchnumpy()
                pairs = (_ints(got["b"]), _ints(got["a"]), got["n"].astype(np.float64))
                got = db.execute(EDGES_SQL, params).fetchnumpy()
                edges = (_ints(got["src"]), _ints(got["dst"]), got["n"].astype(np.float64))
                got = db.execute(_FOLLOWERS_SQL).fetchnumpy()
                followed = (_ints(got["followee"]), _ints(got["follower"]))
        return ReachCounts(
            post_idx=posts[0],
            post_n=posts[1],
            pair_b=pairs[0],
            pair_a=pairs[1],
            pair_n=np.asarray(pairs[2], dtype=np.float64),
            edge_src=edges[0],
            edge_dst=edges[1],
            edge_n=np.asarray(edges[2], dtype=np.float64),
            followee=followed[0],
            follower=followed[1],
        )
