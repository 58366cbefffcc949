"""Reads what account assessment needs from the archive and the database, in bounded chunks.

Account documents (texts, posting behaviour, per-detector signal counts) come from the
archive's posts and signals joined with the profiles in the database; the interaction
graph of the last ``window_days`` comes from the archive's interactions, one row per
(kind, src, dst) with its count. The queries are
:class:`iru.storage.assessment_inputs.AssessmentInputStore`'s; this reader assembles
their rows into the detection core's inputs, ``CHUNK`` accounts at a time. Reads made
inside :meth:`AccountReader.session` share one connection to the archive.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import datetime
from typing import Any

from iru.detect.assess import AccountSignal, LanguageTally
from iru.detect.features import AccountDocument
from iru.detect.propagation import InteractionGraph
from iru.storage.archive import Archive
from iru.storage.assessment_inputs import (
    TEXTS_PER_ACCOUNT,
    AssessmentInputStore,
    PostSummary,
    StoredProfile,
)
from iru.storage.database import Database

CHUNK = 5_000


class AccountReader:
    """Account documents, activity spans and the interaction graph of one workspace."""

    def __init__(self, database: Database, archive: Archive, window_days: float = 30.0) -> None:
        self.database = database
        self.archive = archive
        self.window_days = window_days
        self.store = AssessmentInputStore(database, archive)

    def session(self) -> AbstractContextManager[None]:
        """Reads inside the ``with`` block share one archive connection (one assessment run)."""
        return self.store.session()

    def keys(self) -> list[tuple[str, str]]:
        """Every account iru knows: profiles in the database and authors in the archive."""
        return sorted(self.store.profile_keys() | self.store.author_keys())

    def profiles(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Stored profiles of ``keys`` (those iru has one for), as column -> value."""
        return {
            key: {f.name: getattr(profile, f.name) for f in fields(profile)}
            for key, profile in self.store.profiles(keys).items()
        }

    def documents(self, keys: Sequence[tuple[str, str]]) -> Iterator[list[AccountDocument]]:
        """Documents for ``keys`` in sorted order, ``CHUNK`` accounts at a time.

        One pass over the archive: it keeps the newest ``TEXTS_PER_ACCOUNT`` own and
        passed-on texts of each account and streams the summaries out in key order."""
        ordered = sorted(set(keys))
        if not ordered:
            return
        profiles = self.store.profiles(ordered)  # one read: small beside the texts
        if not self.archive.has_rows("posts"):
            for start in range(0, len(ordered), CHUNK):
                yield self._bare(ordered[start : start + CHUNK], profiles)
            return
        signals: dict[tuple[str, str], dict[tuple[str, str], tuple[int, float]]] = {}
        for row in self.store.signal_counts(ordered):
            where = "passed" if row.passed else "own"
            signals.setdefault((row.platform, row.account_id), {})[(row.detector, where)] = (
                row.n,
                row.best,
            )
        summaries = self.store.post_summaries(ordered, batch=CHUNK)
        pending: PostSummary | None = next(summaries, None)
        try:
            for start in range(0, len(ordered), CHUNK):
                part = ordered[start : start + CHUNK]
                docs = {d.key: d for d in self._bare(part, profiles)}
                while pending is not None and pending.key <= part[-1]:
                    doc = docs[pending.key]
                    doc.posts, doc.reposts, doc.quotes = (
                        pending.posts,
                        pending.reposts,
                        pending.quotes,
                    )
                    doc.replies, doc.with_links = pending.replies, pending.with_links
                    doc.own_texts = [t for t in pending.own_texts if t]
                    doc.passed_on = [t for t in pending.passed_texts if t]
                    pending = next(summaries, None)
                for key, doc in docs.items():
                    doc.signals = signals.pop(key, {})
                yield list(docs.values())
        finally:
            summaries.close()

    def _bare(
        self,
        keys: Sequence[tuple[str, str]],
        profiles: dict[tuple[str, str], StoredProfile],
    ) -> list[AccountDocument]:
        """Documents holding only the stored profile."""
        docs = []
        for key in keys:
            profile = profiles.get(key)
            docs.append(
                AccountDocument(
                    platform=key[0],
                    account_id=key[1],
                    handle=(profile.handle if profile else None) or "",
                    bio=(profile.description if profile else None) or "",
                    followers=int((profile.followers_count if profile else None) or 0),
                )
            )
        return docs

    def signal_rows(self, keys: Sequence[tuple[str, str]]) -> list[AccountSignal]:
        """The stored signals of ``keys``, reduced to what assessment needs."""
        return self.store.signals(keys)

    def signal_summary(
        self, keys: Sequence[tuple[str, str]]
    ) -> tuple[list[AccountSignal], list[LanguageTally]]:
        """The stored signals of ``keys`` but the language ones, and those tallied per label."""
        return self.store.signal_summary(keys)

    def activity(self) -> dict[tuple[str, str], tuple[datetime, datetime]]:
        """(first, last) post time of every author in the archive."""
        return self.store.activity()

    def newest_post_at(self) -> datetime | None:
        return self.archive.newest("posts")

    def graph(self, keys: Sequence[tuple[str, str]]) -> InteractionGraph:
        """The interaction graph of the ``window_days`` before the newest interaction."""
        return InteractionGraph.build(keys, self.store.interaction_counts(self.window_days))

    def mentions(self, since: datetime) -> list[tuple[str, str, str, str, datetime]]:
        """(platform, author, mentioned handle or id, post_id, time) of posts since ``since``."""
        return list(self.store.mentions(since))


__all__ = ["CHUNK", "TEXTS_PER_ACCOUNT", "AccountReader"]
