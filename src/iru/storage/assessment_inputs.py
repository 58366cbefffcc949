"""What account assessment reads: profiles (SQL store), posts, signals and interactions (archive).

Typed reads for :class:`iru.engine.readers.accounts.AccountReader`, which assembles them
into the detection core's inputs (account documents, the interaction graph): each
account's post counts and newest own and passed-on texts, per-detector signal counts,
stored signals, activity spans, windowed interaction counts and mentions. The SQL and
the DuckDB queries over the archive's views are here and nowhere else.

Inside :meth:`AssessmentInputStore.session` every archive read of one assessment run
shares one DuckDB connection (the archive's views are built once, each query runs on
a cursor of its own, so a streamed read and another query do not disturb each other).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import duckdb
import pyarrow as pa
from sqlalchemy import select, tuple_

from iru.detect.assess import AccountSignal, LanguageTally
from iru.storage.archive import TABLES, Archive
from iru.storage.database import Database
from iru.storage.schema import accounts

__all__ = [
    "TEXTS_PER_ACCOUNT",
    "AssessmentInputStore",
    "InteractionCount",
    "MentionRow",
    "PostSummary",
    "SignalCount",
    "StoredProfile",
    "archive_authors",
]

TEXTS_PER_ACCOUNT = 40
_IN_CHUNK = 400  # accounts per IN (...) list
_SCAN_PROFILES = 2_000  # from this many accounts on, profiles are read in one pass

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

_SIGNAL_ROWS_SQL = (
    "SELECT s.platform, s.account_id, s.detector, s.label, s.score, s.explanation "
    "FROM signals s JOIN wanted w USING (platform, account_id)"
)
# The same, language signals tallied per (account, label): one row instead of one per post.
_EVIDENCE_ROWS_SQL = _SIGNAL_ROWS_SQL + " WHERE s.detector <> 'language'"
_LANGUAGE_TALLY_SQL = (
    "SELECT s.platform, s.account_id, s.label, count(*), sum(s.score) "
    "FROM signals s JOIN wanted w USING (platform, account_id) "
    "WHERE s.detector = 'language' GROUP BY ALL"
)
_AUTHORS_SQL = "SELECT DISTINCT platform, account_id FROM posts"
_ACTIVITY_SQL = (
    "SELECT platform, account_id, min(created_at), max(created_at) FROM posts GROUP BY ALL"
)
_NEWEST_INTERACTION_SQL = "SELECT max(created_at) FROM interactions"
_INTERACTIONS_SQL = (
    "SELECT platform, kind, src_account_id, dst_account_id, count(*) FROM interactions "
    "WHERE dst_account_id IS NOT NULL AND created_at >= ? GROUP BY ALL"
)
_MENTIONS_SQL = (
    "SELECT platform, account_id, unnest(mentions), post_id, created_at FROM posts "
    "WHERE created_at >= ? AND len(mentions) > 0"
)


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """What the SQL store holds of an account's profile, as assessment reads it."""

    platform: str
    account_id: str
    handle: str | None
    description: str | None
    profile_image_url: str | None
    created_at: datetime | None
    followers_count: int | None


@dataclass(frozen=True, slots=True)
class PostSummary:
    """One account's posts: counts by kind, its newest own and passed-on texts (newest first)."""

    platform: str
    account_id: str
    posts: int
    reposts: int
    quotes: int
    replies: int
    with_links: int
    own_texts: list[str | None]
    passed_texts: list[str | None]

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.account_id)


@dataclass(frozen=True, slots=True)
class SignalCount:
    """How often one detector fired on an account's own (or passed-on) content, and its best."""

    platform: str
    account_id: str
    detector: str
    passed: bool
    n: int
    best: float


class InteractionCount(NamedTuple):
    """How often ``src`` acted on ``dst`` in one way (the interaction graph's input rows)."""

    platform: str
    kind: str
    src: str
    dst: str
    n: int


class MentionRow(NamedTuple):
    """A post that mentions a handle or id."""

    platform: str
    author: str
    mentioned: str
    post_id: str
    at: datetime


def _keys_table(keys: Sequence[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {"platform": [p for p, _ in keys], "account_id": [a for _, a in keys]},
        schema=pa.schema([("platform", pa.string()), ("account_id", pa.string())]),
    )


def archive_authors(archive: Archive) -> set[tuple[str, str]]:
    """Every (platform, account) with a post in the archive."""
    if not archive.has_rows("posts"):
        return set()
    with archive.query() as db:
        return {(str(p), str(a)) for p, a in db.execute(_AUTHORS_SQL).fetchall()}


class AssessmentInputStore:
    """Assessment's reads of one workspace's SQL store and archive."""

    def __init__(self, database: Database, archive: Archive) -> None:
        self.database = database
        self.archive = archive
        self._shared: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def session(self) -> Iterator[None]:
        """Share one archive connection between the reads made until the block ends
        (nested sessions use the outer one)."""
        if self._shared is not None:
            yield
            return
        if not all(self.archive.has_rows(table) for table in TABLES):
            # An empty table's view reads an Arrow table registered on its own connection,
            # which a cursor does not see: a young archive keeps a connection per read.
            yield
            return
        with self.archive.query() as db:
            self._shared = db
            try:
                yield
            finally:
                self._shared = None

    @contextmanager
    def _archive(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the archive's views: a cursor of the session's, or a new one."""
        if self._shared is None:
            with self.archive.query() as db:
                yield db
            return
        cursor = self._shared.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def profile_keys(self) -> set[tuple[str, str]]:
        """Every account with a stored profile."""
        with self.database.engine.connect() as conn:
            return {
                (str(p), str(a))
                for p, a in conn.execute(select(accounts.c.platform, accounts.c.account_id))
            }

    def author_keys(self) -> set[tuple[str, str]]:
        """Every account with a post in the archive."""
        if self._shared is None:
            return archive_authors(self.archive)
        with self._archive() as db:
            return {(str(p), str(a)) for p, a in db.execute(_AUTHORS_SQL).fetchall()}

    def profiles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredProfile]:
        """Stored profiles of ``keys`` (those iru has one for)."""
        found: dict[tuple[str, str], StoredProfile] = {}
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
            if len(ordered) >= _SCAN_PROFILES:  # one pass beats many IN lists
                wanted = set(ordered)
                for row in conn.execute(select(*columns)):
                    if (key := (str(row.platform), str(row.account_id))) in wanted:
                        found[key] = StoredProfile(*row)
                return found
            for start in range(0, len(ordered), _IN_CHUNK):
                part = ordered[start : start + _IN_CHUNK]
                query = select(*columns).where(
                    tuple_(accounts.c.platform, accounts.c.account_id).in_(part)
                )
                for row in conn.execute(query):
                    found[(str(row.platform), str(row.account_id))] = StoredProfile(*row)
        return found

    def signal_counts(self, keys: Sequence[tuple[str, str]]) -> list[SignalCount]:
        """Per account, detector and own/passed-on content: how often it fired, its best score
        (media signals count for the post that carries the media; language is left out)."""
        if not keys or not self.archive.has_rows("signals"):
            return []
        with self._archive() as db:
            db.register("wanted", _keys_table(keys))
            return [
                SignalCount(str(p), str(a), str(d), bool(passed), int(n), float(best))
                for p, a, d, passed, n, best in db.execute(_SIGNALS_SQL).fetchall()
            ]

    def post_summaries(
        self, keys: Sequence[tuple[str, str]], batch: int = 5_000
    ) -> Generator[PostSummary, None, None]:
        """The post summary of each of ``keys`` with a post, in key order, streamed ``batch``
        rows at a time (one pass over the archive; the connection stays open until the
        iterator is exhausted or closed)."""
        if not keys or not self.archive.has_rows("posts"):
            return
        with self._archive() as db:
            db.register("wanted", _keys_table(keys))
            cursor = db.execute(_POSTS_SQL)
            while rows := cursor.fetchmany(batch):
                for p, a, posts, reposts, quotes, replies, links, own, passed in rows:
                    yield PostSummary(
                        p,
                        a,
                        posts,
                        reposts,
                        quotes,
                        replies,
                        links,
                        list(own or []),
                        list(passed or []),
                    )

    def signals(self, keys: Sequence[tuple[str, str]]) -> list[AccountSignal]:
        """The stored signals of ``keys``, reduced to what assessment needs."""
        if not keys or not self.archive.has_rows("signals"):
            return []
        with self._archive() as db:
            db.register("wanted", _keys_table(keys))
            rows = db.execute(_SIGNAL_ROWS_SQL).fetchall()
        return [AccountSignal(*row) for row in rows]

    def signal_summary(
        self, keys: Sequence[tuple[str, str]]
    ) -> tuple[list[AccountSignal], list[LanguageTally]]:
        """The stored signals of ``keys`` but the language ones, and those tallied per label
        (what :func:`iru.detect.assess.assess_accounts` needs, in far fewer rows)."""
        if not keys or not self.archive.has_rows("signals"):
            return [], []
        with self._archive() as db:
            db.register("wanted", _keys_table(keys))
            rows = db.execute(_EVIDENCE_ROWS_SQL).fetchall()
            tallies = db.execute(_LANGUAGE_TALLY_SQL).fetchall()
        return [AccountSignal(*row) for row in rows], [
            LanguageTally(str(p), str(a), str(label), int(n), float(total))
            for p, a, label, n, total in tallies
        ]

    def activity(self) -> dict[tuple[str, str], tuple[datetime, datetime]]:
        """(first, last) post time of every author in the archive."""
        if not self.archive.has_rows("posts"):
            return {}
        with self._archive() as db:
            rows = db.execute(_ACTIVITY_SQL).fetchall()
        return {(p, a): (first, last) for p, a, first, last in rows}

    def interaction_counts(self, days: float) -> list[InteractionCount]:
        """(platform, kind, src, dst, count) of the interactions with a destination account
        in the ``days`` before the newest interaction."""
        if not self.archive.has_rows("interactions"):
            return []
        with self._archive() as db:
            newest = db.execute(_NEWEST_INTERACTION_SQL).fetchone()
            since = newest[0] - timedelta(days=days) if newest and newest[0] else None
            rows = db.execute(_INTERACTIONS_SQL, [since]).fetchall()
        return [InteractionCount(*row) for row in rows]

    def mentions(self, since: datetime) -> list[MentionRow]:
        """(platform, author, mentioned handle or id, post_id, time) of posts since ``since``."""
        if not self.archive.has_rows("posts"):
            return []
        with self._archive() as db:
            return [MentionRow(*row) for row in db.execute(_MENTIONS_SQL, [since]).fetchall()]
