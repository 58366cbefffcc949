"""What the post archive holds of given accounts, read through DuckDB for the services.

A referral's target (its newest posts and their media), the reports' first posts and
per-day exposures of the at-risk audience, and the known-media matches a sharing
export cites: typed rows, the SQL here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from iru.domain import utc
from iru.storage.archive import Archive

# The columns of a post that a referral preserves, in this order.
POST_COLUMNS = (
    "post_id",
    "created_at",
    "text",
    "lang",
    "conversation_id",
    "reply_to_post_id",
    "reply_to_account_id",
    "repost_of_post_id",
    "quote_of_post_id",
    "forwarded_from",
    "hashtags",
    "urls",
    "mentions",
    "media_ids",
)

_EXPOSURES_SQL = """
WITH prop AS (
  SELECT p.platform, p.post_id, p.account_id, CAST(p.day AS VARCHAR) AS d, n.exposure
  FROM posts p JOIN nodes n ON p.platform = n.platform AND p.account_id = n.account_id
  WHERE n.supporter AND p.repost_of_post_id IS NULL AND p.forwarded_from IS NULL
), hits AS (
  SELECT d, exposure AS x FROM prop
  UNION ALL
  SELECT CAST(i.day AS VARCHAR) AS d, r.exposure AS x FROM interactions i
  JOIN prop ON i.platform = prop.platform AND i.dst_post_id = prop.post_id
  JOIN nodes r ON r.platform = i.platform AND r.account_id = i.src_account_id
  WHERE i.kind IN ('repost', 'forward') AND i.src_account_id <> prop.account_id
)
SELECT d, sum(x) FROM hits GROUP BY d
"""

_ACTIVE_SQL = """
SELECT CAST(p.day AS VARCHAR) AS d, count(DISTINCT p.account_id) FROM posts p
JOIN nodes n ON p.platform = n.platform AND p.account_id = n.account_id
WHERE n.supporter GROUP BY d
"""


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A stored media item as a post cites it (all None when the archive has no row of it)."""

    url: str | None = None
    mime_type: str | None = None
    sha256: str | None = None
    local_path: str | None = None


@dataclass(frozen=True, slots=True)
class ArchivedPost:
    """One post: its :data:`POST_COLUMNS`, and each media id it carries with its stored item."""

    columns: dict[str, Any]
    media: tuple[tuple[str, MediaFile], ...]


@dataclass(frozen=True, slots=True)
class DayExposure:
    """One day (ISO date) of propaganda: its exposures of the at-risk audience, and how many
    supporters posted."""

    day: str
    exposure: float
    active: int


@dataclass(frozen=True, slots=True)
class MediaMatch:
    """A post-level signal of one detector: its account, label and evidence (JSON text)."""

    platform: str
    account_id: str
    label: str
    evidence: str | None


def _keys_table(keys: Sequence[tuple[str, str]]) -> pa.Table:
    return pa.table({"platform": [p for p, _ in keys], "account_id": [a for _, a in keys]})


class PostReads:
    """Reads of one post archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def first_posts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
        """Each account's first post in the archive."""
        if not keys or not self.archive.has_rows("posts"):
            return {}
        with self.archive.query() as db:
            db.register("wanted", _keys_table(keys))
            rows = db.execute(
                "SELECT p.platform, p.account_id, min(p.created_at) FROM posts p "
                "JOIN wanted w ON p.platform = w.platform AND p.account_id = w.account_id "
                "GROUP BY ALL"
            ).fetchall()
        return {(str(p), str(a)): utc(at) for p, a, at in rows}

    def supporter_days(
        self,
        keys: Sequence[tuple[str, str]],
        exposure: Sequence[float] | np.ndarray[Any, Any],
        supporter: Sequence[bool] | np.ndarray[Any, Any],
    ) -> list[DayExposure]:
        """Per day, in order: the at-risk audience's exposures to supporters' own posts and
        their reposts and forwards by others (each node's ``exposure``), and how many
        supporters posted. ``keys``, ``exposure`` and ``supporter`` describe the nodes."""
        if not keys or not self.archive.has_rows("posts"):
            return []
        nodes = pa.table(
            {
                "platform": [p for p, _ in keys],
                "account_id": [a for _, a in keys],
                "exposure": np.asarray(exposure, dtype=np.float64),
                "supporter": np.asarray(supporter, dtype=bool),
            }
        )
        with self.archive.query() as db:
            db.register("nodes", nodes)
            exposures = dict(db.execute(_EXPOSURES_SQL).fetchall())
            active = dict(db.execute(_ACTIVE_SQL).fetchall())
        return [
            DayExposure(str(d), float(exposures.get(d) or 0), int(active.get(d) or 0))
            for d in sorted(d for d in set(exposures) | set(active) if d is not None)
        ]

    def signals_of(self, detector: str) -> list[MediaMatch]:
        """Every stored signal of ``detector``."""
        if not self.archive.has_rows("signals"):
            return []
        with self.archive.query() as conn:
            rows = conn.execute(
                "SELECT platform, account_id, label, evidence FROM signals WHERE detector = ?",
                [detector],
            ).fetchall()
        return [MediaMatch(p, a, str(label), evidence) for p, a, label, evidence in rows]

    def newest_posts(self, platform: str, account_id: str, limit: int) -> list[ArchivedPost]:
        """The account's ``limit`` newest posts (newest first), each with its media items."""
        if not self.archive.has_rows("posts"):
            return []
        columns = ", ".join(POST_COLUMNS)
        with self.archive.query() as conn:
            cursor = conn.execute(
                f"SELECT {columns} FROM posts WHERE platform = ? AND account_id = ? "
                "ORDER BY created_at DESC, post_id LIMIT ?",
                [platform, account_id, limit],
            )
            names = [d[0] for d in cursor.description]
            posts = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            media_ids = sorted({m for p in posts for m in p["media_ids"] or ()})
            media: dict[str, MediaFile] = {}
            if media_ids and self.archive.has_rows("media"):
                cursor = conn.execute(
                    "SELECT media_id, url, mime_type, sha256, local_path FROM media "
                    "WHERE platform = ? AND list_contains(?, media_id)",
                    [platform, media_ids],
                )
                for media_id, url, mime_type, sha, local in cursor.fetchall():
                    media[media_id] = MediaFile(url, mime_type, sha, local)
        return [
            ArchivedPost(
                post, tuple((m, media.get(m, MediaFile())) for m in post["media_ids"] or ())
            )
            for post in posts
        ]


__all__ = [
    "POST_COLUMNS",
    "ArchivedPost",
    "DayExposure",
    "MediaFile",
    "MediaMatch",
    "PostReads",
]
