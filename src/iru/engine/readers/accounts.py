"""Reads what account assessment needs from the archive and the database, in bounded chunks.

Account documents (texts, posting behaviour, per-detector signal counts) come from
DuckDB queries over the Parquet archive joined with the profiles in the database;
the interaction graph of the last ``window_days`` comes from the archive's
``interactions`` table, one row per (kind, src, dst) with its count.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import select, tuple_

from iru.detect.assess import AccountSignal
from iru.detect.features import AccountDocument
from iru.detect.propagation import InteractionGraph
from iru.storage.archive import Archive
from iru.storage.database import Database
from iru.storage.schema import accounts

TEXTS_PER_ACCOUNT = 40
CHUNK = 5_000
_IN_CHUNK = 400

_POSTS_SQL = f"""
WITH p AS (
  SELECT platform, account_id, post_id, created_at, text,
         repost_of_post_id IS NOT NULL OR forwarded_from IS NOT NULL AS passed,
         quote_of_post_id IS NOT NULL AS quoted,
         reply_to_post_id IS NOT NULL AS replied,
         len(urls) > 0 AS linked
  FROM posts SEMI JOIN wanted USING (platform, account_id)
),
counts AS (
  SELECT platform, account_id, count(*) AS posts, count_if(passed) AS reposts,
         count_if(quoted) AS quotes, count_if(replied) AS replies, count_if(linked) AS with_links
  FROM p GROUP BY ALL
),
recent AS (
  SELECT platform, account_id, passed, list(text ORDER BY created_at DESC, post_id) AS texts
  FROM (
    SELECT * FROM p
    QUALIFY row_number() OVER (
      PARTITION BY platform, account_id, passed ORDER BY created_at DESC, post_id
    ) <= {TEXTS_PER_ACCOUNT}
  )
  GROUP BY ALL
)
SELECT c.platform, c.account_id, c.posts, c.reposts, c.quotes, c.replies, c.with_links,
       own.texts, pas.texts
FROM counts c
LEFT JOIN recent own
  ON own.platform = c.platform AND own.account_id = c.account_id AND NOT own.passed
LEFT JOIN recent pas
  ON pas.platform = c.platform AND pas.account_id = c.account_id AND pas.passed
ORDER BY c.platform, c.account_id
"""

_SIGNALS_SQL = """
WITH owned AS (
  SELECT s.platform, s.account_id, s.detector, s.score,
         coalesce(p.repost_of_post_id IS NOT NULL OR p.forwarded_from IS NOT NULL, false)
           AS passed
  FROM signals s
  JOIN wanted w ON s.platform = w.platform AND s.account_id = w.account_id
  LEFT JOIN media m
    ON s.subject = 'media' AND m.platform = s.platform AND m.media_id = s.subject_id
  LEFT JOIN posts p
    ON p.platform = s.platform
   AND p.post_id = CASE WHEN s.subject = 'post' THEN s.subject_id ELSE m.post_id END
  WHERE s.detector <> 'language'
)
SELECT platform, account_id, detector, passed, count(*) AS n, max(score) AS best
FROM owned GROUP BY ALL
"""


def _keys_table(keys: Sequence[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {"platform": [p for p, _ in keys], "account_id": [a for _, a in keys]},
        schema=pa.schema([("platform", pa.string()), ("account_id", pa.string())]),
    )


class AccountReader:
    """Account documents, activity spans and the interaction graph of one workspace."""

    def __init__(self, database: Database, archive: Archive, window_days: float = 30.0) -> None:
        self.database = database
        self.archive = archive
        self.window_days = window_days

    def keys(self) -> list[tuple[str, str]]:
        """Every account iru knows: profiles in the database and authors in the archive."""
        with self.database.engine.connect() as conn:
            known = {
                (str(p), str(a))
                for p, a in conn.execute(select(accounts.c.platform, accounts.c.account_id))
            }
        if self.archive.has_rows("posts"):
            with self.archive.query() as db:
                known |= {
                    (str(p), str(a))
                    for p, a in db.execute(
                        "SELECT DISTINCT platform, account_id FROM posts"
                    ).fetchall()
                }
        return sorted(known)

    def profiles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Stored profiles of ``keys`` (those iru has one for)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        columns = (
            accounts.c.platform,
            accounts.c.account_id,
            accounts.c.handle,
            accounts.c.description,
            accounts.c.profile_image_url,
            accounts.c.created_at,
            accounts.c.followers_count,
        )
        ordered = sorted(set(keys))
        with self.database.engine.connect() as conn:
            for start in range(0, len(ordered), _IN_CHUNK):
                part = ordered[start : start + _IN_CHUNK]
                query = select(*columns).where(
                    tuple_(accounts.c.platform, accounts.c.account_id).in_(part)
                )
                for row in conn.execute(query):
                    found[(str(row.platform), str(row.account_id))] = dict(row._mapping)
        return found

    def documents(self, keys: Sequence[tuple[str, str]]) -> Iterator[list[AccountDocument]]:
        """Documents for ``keys`` in sorted order, ``CHUNK`` accounts at a time.

        One pass over the archive: DuckDB keeps the newest ``TEXTS_PER_ACCOUNT`` own and
        passed-on texts of each account and streams the rows out in key order."""
        ordered = sorted(set(keys))
        if not ordered:
            return
        if not self.archive.has_rows("posts"):
            for start in range(0, len(ordered), CHUNK):
                yield self._bare(ordered[start : start + CHUNK])
            return
        with self.archive.query() as db:
            db.register("wanted", _keys_table(ordered))
            signals: dict[tuple[str, str], dict[tuple[str, str], tuple[int, float]]] = {}
            if self.archive.has_rows("signals"):
                for platform, account_id, detector, passed, n, best in db.execute(
                    _SIGNALS_SQL
                ).fetchall():
                    where = "passed" if passed else "own"
                    signals.setdefault((platform, account_id), {})[(detector, where)] = (
                        int(n),
                        float(best),
                    )
            cursor = db.execute(_POSTS_SQL)
            pending: deque[Any] = deque(cursor.fetchmany(CHUNK))
            for start in range(0, len(ordered), CHUNK):
                part = ordered[start : start + CHUNK]
                docs = {d.key: d for d in self._bare(part)}
                while True:
                    if not pending:
                        pending.extend(cursor.fetchmany(CHUNK))
                        if not pending:
                            break
                    if (pending[0][0], pending[0][1]) > part[-1]:
                        break
                    row = pending.popleft()
                    doc = docs[(row[0], row[1])]
                    doc.posts, doc.reposts, doc.quotes, doc.replies, doc.with_links = row[2:7]
                    doc.own_texts = [t for t in row[7] or [] if t]
                    doc.passed_on = [t for t in row[8] or [] if t]
                for key, doc in docs.items():
                    doc.signals = signals.pop(key, {})
                yield list(docs.values())

    def _bare(self, keys: Sequence[tuple[str, str]]) -> list[AccountDocument]:
        """Documents holding only the stored profile."""
        profiles = self.profiles(keys)
        docs = []
        for key in keys:
            profile = profiles.get(key, {})
            docs.append(
                AccountDocument(
                    platform=key[0],
                    account_id=key[1],
                    handle=profile.get("handle") or "",
                    bio=profile.get("description") or "",
                    followers=int(profile.get("followers_count") or 0),
                )
            )
        return docs

    def signal_rows(self, keys: Sequence[tuple[str, str]]) -> list[AccountSignal]:
        """The stored signals of ``keys``, reduced to what assessment needs."""
        if not keys or not self.archive.has_rows("signals"):
            return []
        with self.archive.query() as db:
            db.register("wanted", _keys_table(keys))
            rows = db.execute(
                "SELECT s.platform, s.account_id, s.detector, s.label, s.score, s.explanation "
                "FROM signals s JOIN wanted w USING (platform, account_id)"
            ).fetchall()
        return [AccountSignal(*row) for row in rows]

    def activity(self) -> dict[tuple[str, str], tuple[datetime, datetime]]:
        """(first, last) post time of every author in the archive."""
        if not self.archive.has_rows("posts"):
            return {}
        with self.archive.query() as db:
            rows = db.execute(
                "SELECT platform, account_id, min(created_at), max(created_at) FROM posts GROUP BY ALL"
            ).fetchall()
        return {(p, a): (first, last) for p, a, first, last in rows}

    def newest_post_at(self) -> datetime | None:
        return self.archive.newest("posts")

    def graph(self, keys: Sequence[tuple[str, str]]) -> InteractionGraph:
        """The interaction graph of the ``window_days`` before the newest interaction."""
        if not self.archive.has_rows("interactions"):
            return InteractionGraph.build(keys, [])
        with self.archive.query() as db:
            newest = db.execute("SELECT max(created_at) FROM interactions").fetchone()
            since = newest[0] - timedelta(days=self.window_days) if newest and newest[0] else None
            rows = db.execute(
                "SELECT platform, kind, src_account_id, dst_account_id, count(*) FROM interactions "
                "WHERE dst_account_id IS NOT NULL AND created_at >= ? GROUP BY ALL",
                [since],
            ).fetchall()
        return InteractionGraph.build(keys, rows)

    def mentions(self, since: datetime) -> list[tuple[str, str, str, str, datetime]]:
        """(platform, author, mentioned handle or id, post_id, time) of posts since ``since``."""
        if not self.archive.has_rows("posts"):
            return []
        with self.archive.query() as db:
            return [
                tuple(row)
                for row in db.execute(
                    "SELECT platform, account_id, unnest(mentions), post_id, created_at FROM posts "
                    "WHERE created_at >= ? AND len(mentions) > 0",
                    [since],
                ).fetchall()
            ]


__all__ = ["CHUNK", "TEXTS_PER_ACCOUNT", "AccountReader"]
