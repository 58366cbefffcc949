"""The workbench's DuckDB read index of the archive: posts, signals and edges sorted by account.

The Parquet archive is laid out for bulk work (by platform and day), so finding one
account's posts means scanning every part file. Pages must answer in milliseconds, so
this index copies what they show into one DuckDB file in the workspace
(``cache/account-index.duckdb``), sorted by (platform, account) so DuckDB's zone maps
skip straight to the rows: newest posts, their signals, interaction edges both ways,
and daily volume by platform and language. It is rebuilt, into a new file swapped in
atomically, when the archive's files change; it holds nothing the archive does not,
so deleting it loses nothing. Reads answer frozen dataclasses; the read model the pages
use is :class:`iru.engine.readers.account_index.AccountIndex`.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from iru.storage.archive import Archive

__all__ = [
    "AccountIndexStore",
    "DailyVolume",
    "IndexCursor",
    "IndexedMedia",
    "IndexedPost",
    "IndexedSignal",
    "Neighbour",
]

#: A cursor on the index (:meth:`AccountIndexStore.connection`); close it when done.
IndexCursor = duckdb.DuckDBPyConnection

_BUILD = (
    """CREATE TABLE posts AS SELECT platform, account_id, post_id, created_at, text, lang,
        urls, media_ids, repost_of_post_id, quote_of_post_id, reply_to_post_id
       FROM posts ORDER BY platform, account_id, created_at DESC""",
    """CREATE TABLE signals AS SELECT platform, subject_id AS post_id, account_id, detector,
        label, score, explanation FROM signals WHERE subject = 'post'
       ORDER BY platform, account_id, subject_id""",
    """CREATE TABLE media AS SELECT platform, media_id, url, mime_type FROM media
       ORDER BY platform, media_id""",
    """CREATE TABLE edges_out AS SELECT platform, src_account_id AS src,
        dst_account_id AS dst, kind, count(*)::INTEGER AS n FROM interactions
       WHERE src_account_id IS NOT NULL AND dst_account_id IS NOT NULL
       GROUP BY ALL ORDER BY platform, src""",
    """CREATE TABLE edges_in AS SELECT * FROM edges_out ORDER BY platform, dst""",
    """CREATE TABLE daily AS SELECT CAST(created_at AS DATE) AS day, platform,
        coalesce(lang, 'und') AS language, count(*)::INTEGER AS posts FROM posts
       GROUP BY ALL ORDER BY day""",
)

_POSTS = (
    "SELECT platform, account_id, post_id, created_at, text, lang, urls, media_ids, "
    "repost_of_post_id, quote_of_post_id, reply_to_post_id FROM posts "
    "WHERE platform = ? AND account_id = ? ORDER BY created_at DESC LIMIT ?"
)
_SIGNALS = (
    "SELECT post_id, detector, label, score, explanation FROM signals "
    "WHERE platform = ? AND account_id = ?"
)
_MEDIA = (
    "SELECT media_id, url, mime_type FROM media WHERE platform = ? AND list_contains(?, media_id)"
)
_NEIGHBOURS = (
    "SELECT * FROM ("
    " SELECT dst AS other, kind, 'out' AS direction, n FROM edges_out"
    "  WHERE platform = ? AND src = ?"
    " UNION ALL"
    " SELECT src AS other, kind, 'in' AS direction, n FROM edges_in"
    "  WHERE platform = ? AND dst = ?"
    ") WHERE kind <> 'follow' ORDER BY n DESC, other LIMIT ?"
)
_DAILY = (
    "SELECT day, platform, language, posts FROM daily "
    "WHERE day > (SELECT max(day) FROM daily) - ?::INTEGER ORDER BY day, platform, language"
)


@dataclass(frozen=True, slots=True)
class IndexedPost:
    """One post of an account, as the account page shows it."""

    platform: str
    account_id: str
    post_id: str
    created_at: datetime
    text: str | None
    lang: str | None
    urls: list[str] | None
    media_ids: list[str] | None
    repost_of_post_id: str | None
    quote_of_post_id: str | None
    reply_to_post_id: str | None


@dataclass(frozen=True, slots=True)
class IndexedSignal:
    """One signal a detector gave one post of the account."""

    post_id: str
    detector: str
    label: str
    score: float
    explanation: str | None


@dataclass(frozen=True, slots=True)
class IndexedMedia:
    """One media item the account's posts carry."""

    media_id: str
    url: str | None
    mime_type: str | None


@dataclass(frozen=True, slots=True)
class Neighbour:
    """Another account it interacts with: how, which way (``out``/``in``) and how often."""

    other: str
    kind: str
    direction: str
    n: int


@dataclass(frozen=True, slots=True)
class DailyVolume:
    """Posts of one day, platform and language."""

    day: date
    platform: str
    language: str
    posts: int


class AccountIndexStore:
    """The index file; thread-safe (one DuckDB connection, a cursor per call)."""

    def __init__(self, archive: Archive, path: Path, *, recheck_seconds: float = 10.0) -> None:
        self.archive = archive
        self.path = path
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._fingerprint = ""
        self._checked = 0.0

    def fingerprint(self) -> str:
        """The archive's generation: it changes whenever rows are added."""
        return self.archive.generation()

    def _build(self, fingerprint: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        conn = duckdb.connect(str(tmp))
        try:
            self.archive.create_views(conn, temporary=True)
            for statement in _BUILD:
                conn.execute(statement)
            conn.execute("CREATE TABLE meta AS SELECT ? AS fingerprint", [fingerprint])
        finally:
            conn.close()
        tmp.replace(self.path)

    def _stored_fingerprint(self, conn: duckdb.DuckDBPyConnection) -> str:
        try:
            row = conn.execute("SELECT fingerprint FROM meta").fetchone()
        except duckdb.Error:
            return ""
        return str(row[0]) if row else ""

    def connection(self) -> IndexCursor:
        """A cursor on an index that matches the archive (rebuilt first when it does not)."""
        with self._lock:
            now = time.monotonic()
            if self._conn is None or now - self._checked > self.recheck_seconds:
                self._checked = now
                current = self.fingerprint()
                if self._conn is None and self.path.exists():
                    self._conn = duckdb.connect(str(self.path), read_only=True)
                    self._fingerprint = self._stored_fingerprint(self._conn)
                if self._conn is None or self._fingerprint != current:
                    if self._conn is not None:
                        self._conn.close()
                        self._conn = None
                    self._build(current)
                    self._conn = duckdb.connect(str(self.path), read_only=True)
                    self._fingerprint = current
            assert self._conn is not None
            return self._conn.cursor()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- reads -----------------------------------------------------------------------------

    def _rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        cursor = self.connection()
        try:
            return cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()

    def posts(self, platform: str, account_id: str, limit: int = 50) -> list[IndexedPost]:
        """The account's newest posts, newest first."""
        return [IndexedPost(*row) for row in self._rows(_POSTS, [platform, account_id, limit])]

    def signals(self, platform: str, account_id: str) -> list[IndexedSignal]:
        """Every post signal of the account."""
        return [IndexedSignal(*row) for row in self._rows(_SIGNALS, [platform, account_id])]

    def media(self, platform: str, media_ids: list[str]) -> list[IndexedMedia]:
        """The media among ``media_ids`` the index holds."""
        if not media_ids:
            return []
        return [IndexedMedia(*row) for row in self._rows(_MEDIA, [platform, media_ids])]

    def neighbours(self, platform: str, account_id: str, limit: int = 40) -> list[Neighbour]:
        """The accounts it interacts with most, both ways (follows left out)."""
        params = [platform, account_id, platform, account_id, limit]
        return [Neighbour(*row) for row in self._rows(_NEIGHBOURS, params)]

    def daily(self, days: int = 14) -> list[DailyVolume]:
        """Posts per day, platform and language over the newest ``days`` days."""
        return [DailyVolume(*row) for row in self._rows(_DAILY, [days])]
