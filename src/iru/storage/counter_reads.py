"""What the counter-messaging analysis reads: profiles and takedowns (SQL), a window (archive).

Typed reads for :class:`iru.engine.readers.counter.CounterAnalysis`, which assembles
them into the counter core's inputs. :class:`CounterSources` reads the SQL store
(handles and profile languages, takedowns, and the stamps the analysis's data version is
made of); :class:`CounterArchiveReads` reads a window of the archive over node indices
the caller gives (:class:`WindowNodes`: every account of the window, numbered, and which
are supporters), answering numpy arrays and lists. The queries are
:mod:`iru.storage.counter_sql`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from sqlalchemy import func, select

from iru.storage.archive import Archive
from iru.storage.counter_sql import (
    AMPLIFIED_SQL,
    CANDIDATE_TEXTS_SQL,
    CONTACTS_SQL,
    COUNT_SQL,
    EDGES_SQL,
    FOLLOWS_SQL,
    ITEMS_SQL,
    NODES_SQL,
    OLDEST_SQL,
    OWN_ONLY,
    OWN_SQL,
    POST_LANG_SQL,
    TEXTS_SQL,
)
from iru.storage.database import Database
from iru.storage.schema import accounts, assessments, labels, referral_events, referrals

__all__ = [
    "ContactRows",
    "CounterArchiveReads",
    "CounterSources",
    "EdgeRows",
    "InputStamps",
    "ItemRows",
    "PostSample",
    "ProfileFacts",
    "WindowCounts",
    "WindowNodes",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    """An account's stored handle ("" when none) and profile language (as stored)."""

    handle: str
    language: str | None


@dataclass(frozen=True, slots=True)
class InputStamps:
    """Counts and newest stamps of what the analysis reads from the SQL store."""

    assessments: int
    assessed_at: Any
    labels: int
    labelled_at: Any
    removed_events: int
    last_removed_event: Any
    profiles: int
    observed_at: Any
    removed_profiles: int


class CounterSources:
    """The analysis's reads of the SQL store."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def profiles(self) -> dict[Key, ProfileFacts]:
        """Handle and profile language of every stored account."""
        query = select(
            accounts.c.platform, accounts.c.account_id, accounts.c.handle, accounts.c.language
        )
        with self.database.engine.connect() as conn:
            return {
                (str(p), str(a)): ProfileFacts(str(h or ""), lang)
                for p, a, h, lang in conn.execute(query)
            }

    def removal_times(self) -> dict[Key, datetime]:
        """When a platform first answered ``removed`` to a referral of each account."""
        query = (
            select(referrals.c.platform, referrals.c.account_id, func.min(referral_events.c.at))
            .join(referral_events, referral_events.c.referral_id == referrals.c.referral_id)
            .where(referral_events.c.status == "removed")
            .group_by(referrals.c.platform, referrals.c.account_id)
        )
        with self.database.engine.connect() as conn:
            return {(str(p), str(a)): at for p, a, at in conn.execute(query)}

    def removed_accounts(self) -> set[Key]:
        """Accounts whose stored status is ``removed``."""
        query = select(accounts.c.platform, accounts.c.account_id).where(
            accounts.c.status == "removed"
        )
        with self.database.engine.connect() as conn:
            return {(str(p), str(a)) for p, a in conn.execute(query)}

    def input_stamps(self) -> InputStamps:
        """Counts and newest stamps of assessments, labels, takedowns and profiles."""
        with self.database.engine.connect() as conn:
            assessed = conn.execute(
                select(func.count(), func.max(assessments.c.assessed_at)).select_from(assessments)
            ).one()
            labelled = conn.execute(
                select(func.count(), func.max(labels.c.labelled_at)).select_from(labels)
            ).one()
            removed_events = conn.execute(
                select(func.count(), func.max(referral_events.c.event_id)).where(
                    referral_events.c.status == "removed"
                )
            ).one()
            profiles = conn.execute(
                select(
                    func.count(),
                    func.max(accounts.c.observed_at),
                    func.count().filter(accounts.c.status == "removed"),
                ).select_from(accounts)
            ).one()
        return InputStamps(*assessed, *labelled, *removed_events, *profiles)


@dataclass(frozen=True, slots=True)
class WindowNodes:
    """The window's accounts as node indices (position in ``keys``), from ``since``;
    ``start``: the window's first day (day numbers count from it)."""

    keys: Sequence[Key]
    supporter: npt.NDArray[np.bool_]
    since: datetime
    start: date | None = None

    def table(self) -> pa.Table:
        return pa.table(
            {
                "platform": [p for p, _ in self.keys],
                "account_id": [a for _, a in self.keys],
                "idx": np.arange(len(self.keys), dtype=np.int64),
                "supporter": self.supporter,
            }
        )

    @property
    def first(self) -> int:
        """The first day as days since 1970-01-01."""
        return (self.start - date(1970, 1, 1)).days if self.start is not None else 0


@dataclass(frozen=True, slots=True)
class ContactRows:
    """Links from non-supporters: (account, other, kind, day, hashtags of the post),
    day -1 for follows; mentions received count as the mentioned account's."""

    account: IntArray
    other: IntArray
    kind: list[str]
    day: IntArray
    hashtags: list[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class EdgeRows:
    """Interactions ``src`` -> ``dst`` of the window (follows whenever made), ``n`` each."""

    src: IntArray
    dst: IntArray
    n: FloatArray


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Per-account counts of a window, over node indices; ``contacts`` and ``edges`` are
    None when the archive holds no interactions."""

    start: date
    own_idx: IntArray  # accounts with own posts in the window
    own_posts: IntArray
    own_marked: IntArray  # of them, posts a content detector fired on
    own_language: list[str | None]  # the most frequent language of its posts
    amplified_idx: IntArray
    amplified: IntArray  # reposts and forwards of supporters
    engaged: IntArray  # quotes of and replies to supporters
    follows_idx: IntArray
    follows: IntArray  # distinct supporters followed
    contacts: ContactRows | None
    edges: EdgeRows | None


@dataclass(frozen=True, slots=True)
class PostSample:
    """Posts of a window: author (node index), day, text, language, hashtags, urls."""

    author: IntArray
    day: IntArray
    text: list[str]
    language: list[str | None]
    hashtags: list[tuple[str, ...]]
    urls: list[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ItemRows:
    """Posts of a window as share of voice counts them: author, day, the account it
    answers or passes on (-1: none), language and hashtags."""

    author: IntArray
    day: IntArray
    target: IntArray
    language: list[str | None]
    hashtags: list[tuple[str, ...]]


def _ints(values: Any) -> IntArray:
    return np.asarray(values, dtype=np.int64)


def _tuples(values: list[Any]) -> list[tuple[str, ...]]:
    return [tuple(v or ()) for v in values]


class CounterArchiveReads:
    """The analysis's reads of the archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def window_accounts(self, since: datetime) -> set[Key]:
        """Authors of posts since ``since``, both ends of interactions since then, and of
        every follow."""
        with self.archive.query() as db:
            return {
                (str(p), str(a))
                for p, a in db.execute(NODES_SQL, {"since": since}).fetchall()
                if a is not None
            }

    def window_counts(
        self, keys: Sequence[Key], supporter: npt.NDArray[np.bool_], since: datetime
    ) -> WindowCounts:
        """The window's counts, contacts and interaction edges (see :class:`WindowCounts`);
        its first day is that of its oldest post (``since``'s when it has none)."""
        nodes = WindowNodes(keys, supporter, since)
        params = {"since": since}
        with self.archive.query() as db:
            db.register("nodes", nodes.table())
            db.execute(POST_LANG_SQL)
            oldest = db.execute(OLDEST_SQL, params).fetchone()
            start = (oldest[0] if oldest and oldest[0] else since).date()
            first = WindowNodes(keys, supporter, since, start).first
            own = db.execute(OWN_SQL, params).fetchall()
            amplified: list[Any] = []
            follows: list[Any] = []
            contacts = edges = None
            if self.archive.has_rows("interactions"):
                amplified = db.execute(AMPLIFIED_SQL, params).fetchall()
                follows = db.execute(FOLLOWS_SQL).fetchall()
                rows: pa.Table = db.sql(
                    CONTACTS_SQL, params=params | {"first": first}
                ).to_arrow_table()
                contacts = ContactRows(
                    account=_ints(rows.column("account").to_numpy()),
                    other=_ints(rows.column("other").to_numpy()),
                    kind=[str(k) for k in rows.column("kind").to_pylist()],
                    day=_ints(rows.column("day").to_numpy()),
                    hashtags=_tuples(rows.column("hashtags").to_pylist()),
                )
                got = db.execute(EDGES_SQL, params).fetchnumpy()
                edges = EdgeRows(
                    _ints(got["src"]), _ints(got["dst"]), np.asarray(got["n"], dtype=np.float64)
                )
        return WindowCounts(
            start=start,
            own_idx=_ints([r[0] for r in own]),
            own_posts=_ints([r[1] for r in own]),
            own_marked=_ints([r[2] for r in own]),
            own_language=[r[3] for r in own],
            amplified_idx=_ints([r[0] for r in amplified]),
            amplified=_ints([r[1] for r in amplified]),
            engaged=_ints([r[2] for r in amplified]),
            follows_idx=_ints([r[0] for r in follows]),
            follows=_ints([r[1] for r in follows]),
            contacts=contacts,
            edges=edges,
        )

    def _query(
        self, nodes: WindowNodes, sides: dict[str, npt.ArrayLike], sql: str, params: dict[str, Any]
    ) -> pa.Table:
        with self.archive.query() as db:
            db.register("nodes", nodes.table())
            db.execute(POST_LANG_SQL)
            for name, members in sides.items():
                db.register(name, pa.table({"idx": np.asarray(members, dtype=np.int64)}))
            values = {"since": nodes.since, **params}
            if "$first" in sql:
                values["first"] = nodes.first
            got: pa.Table = db.sql(sql, params=values).to_arrow_table()
            return got

    def candidate_texts(
        self, nodes: WindowNodes, members: npt.ArrayLike, per: int
    ) -> list[tuple[int, str | None]]:
        """(account, text) of the newest ``per`` own posts of each of ``members``, those a
        content detector fired on first; by account, then in that order."""
        rows = self._query(nodes, {"candidates": members}, CANDIDATE_TEXTS_SQL, {"per": per})
        return [
            (int(idx), text)
            for idx, text in zip(
                rows.column("idx").to_pylist(), rows.column("text").to_pylist(), strict=True
            )
        ]

    def post_count(self, nodes: WindowNodes, side: npt.ArrayLike, own_only: bool) -> int:
        """Posts (own only: no reposts or forwards) of the accounts ``side`` in the window."""
        sql = COUNT_SQL.format(side="side", own=OWN_ONLY if own_only else "")
        return int(self._query(nodes, {"side": side}, sql, {}).column(0)[0].as_py())

    def post_sample(
        self, nodes: WindowNodes, side: npt.ArrayLike, own_only: bool, limit: int
    ) -> PostSample:
        """A deterministic sample of at most ``limit`` of those posts (by a hash of their id)."""
        sql = TEXTS_SQL.format(side="side", own=OWN_ONLY if own_only else "")
        rows = self._query(nodes, {"side": side}, sql, {"limit": limit})
        return PostSample(
            author=_ints(rows.column("author").to_numpy()),
            day=_ints(rows.column("day").to_numpy()),
            text=[str(t or "") for t in rows.column("text").to_pylist()],
            language=rows.column("lang").to_pylist(),
            hashtags=_tuples(rows.column("hashtags").to_pylist()),
            urls=_tuples(rows.column("urls").to_pylist()),
        )

    def items(self, nodes: WindowNodes, side: npt.ArrayLike) -> ItemRows:
        """Every post of the accounts ``side`` in the window, as share of voice counts it."""
        rows = self._query(nodes, {"side": side}, ITEMS_SQL.format(side="side"), {})
        return ItemRows(
            author=_ints(rows.column("author").to_numpy()),
            day=_ints(rows.column("day").to_numpy()),
            target=_ints(rows.column("target").to_numpy()),
            language=rows.column("lang").to_pylist(),
            hashtags=_tuples(rows.column("hashtags").to_pylist()),
        )
