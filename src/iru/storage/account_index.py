"""The workbench's DuckDB read index of the archive: posts, signals and edges sorted by account.

The Parquet archive is laid out for bulk work (by platform and day), so finding one
account's posts means scanning every part file. Pages must answer in milliseconds, so
this index copies what they show into one DuckDB file in the workspace
(``cache/account-index.duckdb``), sorted by (platform, account) so DuckDB's zone maps
skip straight to the rows: newest posts, their signals, interaction edges both ways,
and daily volume by platform and language. It is rebuilt, into a new file swapped in
atomically, when the archive's files change; it holds nothing the archive does not,
so deleting it loses nothing. Reads answer frozen dataclasses, for one account or for
many at once (the ``*_of`` reads: the same rows, in one query per platform, for the read
models built ahead of requests); the read model the pages use is
:class:`iru.engine.readers.account_index.AccountIndex`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from iru.storage.archive import Archive

log = logging.getLogger(__name__)

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

_POST_COLUMNS = (
    "platform, account_id, post_id, created_at, text, lang, urls, media_ids, "
    "repost_of_post_id, quote_of_post_id, reply_to_post_id"
)
_POSTS = (
    f"SELECT {_POST_COLUMNS} FROM posts WHERE platform = ? AND account_id = ? "
    "ORDER BY created_at DESC, post_id DESC LIMIT ?"
)
# Many accounts at once (a read model built for a page of the queue): the same rows.
_ACCOUNTS = "account_id IN (SELECT unnest(?::VARCHAR[]))"
_POSTS_OF = (
    f"SELECT {_POST_COLUMNS} FROM posts WHERE platform = ? AND {_ACCOUNTS} "
    "QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY created_at DESC, post_id DESC)"
    " <= ? ORDER BY account_id, created_at DESC, post_id DESC"
)
_SIGNAL_ORDER = "ORDER BY account_id, post_id, detector, label, score, explanation"
_SIGNALS = (
    "SELECT post_id, detector, label, score, explanation FROM signals "
    f"WHERE platform = ? AND account_id = ? {_SIGNAL_ORDER}"
)
_SIGNALS_OF = (
    "SELECT account_id, post_id, detector, label, score, explanation FROM signals "
    f"WHERE platform = ? AND {_ACCOUNTS} {_SIGNAL_ORDER}"
)
_MEDIA = (
    "SELECT media_id, url, mime_type FROM media WHERE platform = ? AND list_contains(?, media_id)"
)
_NEIGHBOUR_ORDER = "n DESC, other, kind, direction"
_NEIGHBOURS = (
    "SELECT * FROM ("
    " SELECT dst AS other, kind, 'out' AS direction, n FROM edges_out"
    "  WHERE platform = ? AND src = ?"
    " UNION ALL"
    " SELECT src AS other, kind, 'in' AS direction, n FROM edges_in"
    "  WHERE platform = ? AND dst = ?"
    f") WHERE kind <> 'follow' ORDER BY {_NEIGHBOUR_ORDER} LIMIT ?"
)
_NEIGHBOURS_OF = (
    "SELECT account, other, kind, direction, n FROM ("
    " SELECT src AS account, dst AS other, kind, 'out' AS direction, n FROM edges_out"
    "  WHERE platform = ? AND src IN (SELECT unnest(?::VARCHAR[]))"
    " UNION ALL"
    " SELECT dst AS account, src AS other, kind, 'in' AS direction, n FROM edges_in"
    "  WHERE platform = ? AND dst IN (SELECT unnest(?::VARCHAR[]))"
    ") WHERE kind <> 'follow'"
    f" QUALIFY row_number() OVER (PARTITION BY account ORDER BY {_NEIGHBOUR_ORDER}) <= ?"
    f" ORDER BY account, {_NEIGHBOUR_ORDER}"
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
    """The index file; thread-safe (one DuckDB connection, a cursor per call).

    A stale index (the archive's generation moved on; checked at most every
    ``recheck_seconds``) is rebuilt before the next read answers; with ``background``,
    it is rebuilt in a thread while the old one keeps answering, then swapped in, so no
    request waits for a rebuild (only the very first build, when there is no index yet).
    """

    def __init__(
        self,
        archive: Archive,
        path: Path,
        *,
        recheck_seconds: float = 10.0,
        background: bool = False,
    ) -> None:
        self.archive = archive
        self.path = path
        self.recheck_seconds = recheck_seconds
        self.background = background
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._fingerprint = ""
        self._checked = 0.0
        self._building: threading.Thread | None = None
        self._retired: list[duckdb.DuckDBPyConnection] = []
        self._closed = False

    def fingerprint(self) -> str:
        """The archive's generation: it changes whenever rows are added."""
        return self.archive.generation()

    def generation(self) -> str:
        """The archive generation the index answers for now (checked as :meth:`connection`
        checks it): what the read models built from it are keyed on."""
        self.connection().close()
        with self._lock:
            return self._fingerprint

    def _build(self, fingerprint: str) -> Path:
        """A new index of the archive in a temporary file next to :attr:`path`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.unlink(missing_ok=True)
        conn = duckdb.connect(str(tmp))
        try:
            self.archive.create_views(conn, temporary=True)
            for statement in _BUILD:
                conn.execute(statement)
            conn.execute("CREATE TABLE meta AS SELECT ? AS fingerprint", [fingerprint])
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            raise
        conn.close()
        return tmp

    def _stored_fingerprint(self, conn: duckdb.DuckDBPyConnection) -> str:
        try:
            row = conn.execute("SELECT fingerprint FROM meta").fetchone()
        except duckdb.Error:
            return ""
        return str(row[0]) if row else ""

    def connection(self) -> IndexCursor:
        """A cursor on an index that matches the archive (rebuilt first when it does not;
        with ``background``, the old index answers while the new one is built)."""
        with self._lock:
            self._closed = False  # used again after close: reopened below
            now = time.monotonic()
            if self._conn is None or now - self._checked > self.recheck_seconds:
                self._checked = now
                current = self.fingerprint()
                if self._conn is None and self.path.exists():
                    self._conn = duckdb.connect(str(self.path), read_only=True)
                    self._fingerprint = self._stored_fingerprint(self._conn)
                if self._conn is not None and self._fingerprint != current and self.background:
                    self._rebuild_later(current)
                elif self._conn is None or self._fingerprint != current:
                    if self._conn is not None:
                        self._conn.close()
                        self._conn = None
                    self._build(current).replace(self.path)
                    self._conn = duckdb.connect(str(self.path), read_only=True)
                    self._fingerprint = current
            assert self._conn is not None
            return self._conn.cursor()

    def _rebuild_later(self, fingerprint: str) -> None:
        """Start one background rebuild (the lock is held)."""
        if self._building is not None:
            return
        self._building = threading.Thread(
            target=self._rebuild, args=(fingerprint,), name="iru-account-index", daemon=True
        )
        self._building.start()

    def _rebuild(self, fingerprint: str) -> None:
        try:
            tmp = self._build(fingerprint)
            # Opened under its own name: DuckDB shares one database per open path, and
            # the old index is still open under the final one.
            conn = duckdb.connect(str(tmp), read_only=True)
            tmp.replace(self.path)
        except Exception:  # the old index keeps answering; tried again at the next check
            log.exception("rebuilding the account index %s failed", self.path)
            with self._lock:
                self._building = None
            return
        with self._lock:
            self._building = None
            if self._closed:  # closed while it was built: kept on disk for the next start
                conn.close()
                return
            old, self._conn, self._fingerprint = self._conn, conn, fingerprint
            # Retired a rebuild ago: no read started then is still running.
            for retired in self._retired:
                retired.close()
            self._retired = [old] if old is not None else []

    def close(self) -> None:
        """Close the index (a rebuild in progress finishes on its own and is kept)."""
        with self._lock:
            self._closed = True
            for retired in self._retired:
                retired.close()
            self._retired = []
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

    # -- many accounts at once: the same rows as the reads above, by account ------------------

    def posts_of(
        self, platform: str, account_ids: Sequence[str], limit: int = 50
    ) -> dict[str, list[IndexedPost]]:
        """Each account's newest posts, newest first (as :meth:`posts`), by account id."""
        if len(account_ids) == 1:  # one account: the index's zone maps find it at once
            return {account_ids[0]: self.posts(platform, account_ids[0], limit)}
        found: dict[str, list[IndexedPost]] = {a: [] for a in account_ids}
        if account_ids:
            for row in self._rows(_POSTS_OF, [platform, list(account_ids), limit]):
                found[row[1]].append(IndexedPost(*row))
        return found

    def signals_of(
        self, platform: str, account_ids: Sequence[str]
    ) -> dict[str, list[IndexedSignal]]:
        """Every post signal of each account (as :meth:`signals`), by account id."""
        if len(account_ids) == 1:
            return {account_ids[0]: self.signals(platform, account_ids[0])}
        found: dict[str, list[IndexedSignal]] = {a: [] for a in account_ids}
        if account_ids:
            for row in self._rows(_SIGNALS_OF, [platform, list(account_ids)]):
                found[row[0]].append(IndexedSignal(*row[1:]))
        return found

    def neighbours_of(
        self, platform: str, account_ids: Sequence[str], limit: int = 40
    ) -> dict[str, list[Neighbour]]:
        """Each account's neighbours (as :meth:`neighbours`), by account id."""
        if len(account_ids) == 1:
            return {account_ids[0]: self.neighbours(platform, account_ids[0], limit)}
        found: dict[str, list[Neighbour]] = {a: [] for a in account_ids}
        if account_ids:
            ids = list(account_ids)
            for row in self._rows(_NEIGHBOURS_OF, [platform, ids, platform, ids, limit]):
                found[row[0]].append(Neighbour(*row[1:]))
        return found

    def daily(self, days: int = 14) -> list[DailyVolume]:
        """Posts per day, platform and language over the newest ``days`` days."""
        return [DailyVolume(*row) for row in self._rows(_DAILY, [days])]
