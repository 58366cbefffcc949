"""Reads what account assessment needs from the archive and the database, in bounded chunks.

Account documents (texts, posting behaviour, per-detector signal counts) come from
DuckDB queries over the Parquet archive joined with the profiles in the database;
the interaction graph of the last ``window_days`` comes from the archive's
``interactions`` table, one row per (kind, src, dst) with its count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from iru.detect.assess import AccountSignal
from iru.detect.features import AccountDocument
from iru.detect.propagation import InteractionGraph
from iru.storage.archive import Archive
from iru.storage.database import Database
from iru.storage.schema import accounts

TEXTS_PER_ACCOUNT = 40
CHUNK = 5_000

_POSTS_SQL = f"""
SELECT platform, account_id,
  count(*) AS posts,
  count(*) FILTER (WHERE repost_of_post_id IS NOT NULL OR forwarded_from IS NOT NULL) AS reposts,
  count(*) FILTER (WHERE quote_of_post_id IS NOT NULL) AS quotes,
  count(*) FILTER (WHERE reply_to_post_id IS NOT NULL) AS replies,
  count(*) FILTER (WHERE len(urls) > 0) AS with_links,
  (list(text ORDER BY created_at DESC, post_id)
     FILTER (WHERE repost_of_post_id IS NULL AND forwarded_from IS NULL))[1:{TEXTS_PER_ACCOUNT}]
     AS own_texts,
  (list(text ORDER BY created_at DESC, post_id)
     FILTER (WHERE repost_of_post_id IS NOT NULL OR forwarded_from IS NOT NULL))
     [1:{TEXTS_PER_ACCOUNT}] AS passed_on,
  min(created_at) AS first_post_at,
  max(created_at) AS last_post_at
FROM posts JOIN wanted USING (platform, account_id)
GROUP BY platform, account_id
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
        wanted = set(keys)
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
        with self.database.engine.connect() as conn:
            for row in conn.execute(select(*columns)):
                key = (str(row.platform), str(row.account_id))
                if key in wanted:
                    found[key] = dict(row._mapping)
        return found

    def documents(self, keys: Sequence[tuple[str, str]]) -> Iterator[list[AccountDocument]]:
        """Documents for ``keys``, in order, ``CHUNK`` accounts at a time."""
        for start in range(0, len(keys), CHUNK):
            part = list(keys[start : start + CHUNK])
            yield self._documents(part)

    def _documents(self, keys: list[tuple[str, str]]) -> list[AccountDocument]:
        profiles = self.profiles(keys)
        docs = {}
        for key in keys:
            profile = profiles.get(key, {})
            docs[key] = AccountDocument(
                platform=key[0],
                account_id=key[1],
                handle=profile.get("handle") or "",
                bio=profile.get("description") or "",
                followers=int(profile.get("followers_count") or 0),
            )
        if self.archive.has_rows("posts"):
            with self.archive.query() as db:
                db.register("wanted", _keys_table(keys))
                for row in db.execute(_POSTS_SQL).fetchall():
                    doc = docs[(row[0], row[1])]
                    doc.posts, doc.reposts, doc.quotes, doc.replies, doc.with_links = row[2:7]
                    doc.own_texts = [t for t in row[7] or [] if t]
                    doc.passed_on = [t for t in row[8] or [] if t]
                if self.archive.has_rows("signals"):
                    for platform, account_id, detector, passed, n, best in db.execute(
                        _SIGNALS_SQL
                    ).fetchall():
                        where = "passed" if passed else "own"
                        docs[(platform, account_id)].signals[(detector, where)] = (
                            int(n),
                            float(best),
                        )
        return [docs[key] for key in keys]

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
        if not self.archive.has_rows("posts"):
            return None
        with self.archive.query() as db:
            row = db.execute("SELECT max(created_at) FROM posts").fetchone()
        return row[0] if row else None

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
