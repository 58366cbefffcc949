"""Reads one workspace into the counter-messaging core's inputs and runs the core on them.

:class:`CounterAnalysis` reads a window (``graph_window_days`` before the newest post),
sorts the accounts (:mod:`iru.counter.voices`), finds the at-risk audience and its segments,
the narratives and the share of voice, each computed once, when first asked for. Who is a
supporter is the reach model's answer (assessments, analysts' labels winning); communities
are Leiden's on the window's interaction graph; takedowns are the referrals a platform
answered ``removed`` (the time of that event). Propaganda and background texts for the
narratives are a deterministic sample of at most ``sample`` posts each (every post weighs
total / sampled). The reads are :mod:`iru.storage.counter_reads`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from iru.counter.narratives import NarrativeReport, NarrativeSettings, Posts, find_narratives
from iru.counter.segments import ROUTES, Audience, AudienceInputs, Contacts, segment_audience
from iru.counter.segments import segment_exposure as exposure_matrix
from iru.counter.share import Items, ShareReport, Takedown, share_of_voice
from iru.counter.voices import (
    AccountFacts,
    Embedder,
    Voice,
    VoiceRules,
    classify_voices,
    framing_candidates,
    learnt_margin,
)
from iru.counter.voices import counter_framing as framing
from iru.engine.readers.network import ReachReader
from iru.network.communities import communities
from iru.network.reach import ReachInputs
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.counter_reads import (
    CounterArchiveReads,
    CounterSources,
    EdgeRows,
    WindowCounts,
    WindowNodes,
)
from iru.storage.database import Database
from iru.storage.models import current_labels

__all__ = ["CounterAnalysis", "CounterData", "default_embedder"]


def default_embedder() -> Embedder:
    """The multilingual sentence encoder detection uses (USE v3, numpy only)."""
    from iru.detect.features import sentence_embedder

    return sentence_embedder(threads=2)


def _language(value: Any) -> str:
    text = str(value or "").strip().lower().replace("_", "-")
    return text.split("-", 1)[0] if text and text not in ("und", "none") else ""


@dataclass(slots=True)
class CounterData:
    """The window as the core needs it."""

    keys: list[tuple[str, str]]
    handles: dict[tuple[str, str], str]
    language: list[str]
    facts: AccountFacts
    community: np.ndarray
    contacts: Contacts
    days: list[date]
    since: datetime | None
    until: datetime | None
    takedowns: list[Takedown]
    removed_without_time: int


class CounterAnalysis:
    """Audience, narratives and share of voice of one workspace, computed on first use."""

    def __init__(
        self,
        database: Database,
        archive: Archive,
        *,
        window_days: float = 30.0,
        embedder: Callable[[], Embedder] | None = default_embedder,
        min_size: int = 5,
        top: int = 5,
        seed: int = 0,
        sample: int = 50_000,
        rules: VoiceRules | None = None,
        narrative_settings: NarrativeSettings | None = None,
        supporters: set[tuple[str, str]] | None = None,
    ) -> None:
        self.database = database
        self.archive = archive
        self.window_days = window_days
        self.embedder_factory = embedder
        self.min_size = min_size
        self.top = top
        self.seed = seed
        self.sample = sample
        self.rules = rules or VoiceRules()
        self.narrative_settings = narrative_settings or NarrativeSettings()
        self.supporters = supporters  # None: the reach model's (assessments, labels winning)

    # -- reading ---------------------------------------------------------------------------

    @cached_property
    def embed(self) -> Embedder | None:
        return self.embedder_factory() if self.embedder_factory is not None else None

    @cached_property
    def data(self) -> CounterData:
        supporters = self.supporters
        if supporters is None:
            supporters = ReachReader(self.database, self.archive, self.window_days).supporters()
        until = self.archive.newest("posts")
        since = until - timedelta(days=self.window_days) if until is not None else None
        sources = CounterSources(self.database)
        profiles = {k: (v.handle, _language(v.language)) for k, v in sources.profiles().items()}
        removed = sources.removal_times()
        status_removed = sources.removed_accounts()
        views = DetectionStore(self.database).by_account()
        assessed = {k: _language(v.get("language")) for k, v in views.items()}
        labelled = current_labels(self.database)
        reads = CounterArchiveReads(self.archive)
        found: set[tuple[str, str]] = set(profiles) | supporters
        if since is not None:
            found |= reads.window_accounts(since)
        keys = sorted(found)
        n = len(keys)
        index = {k: i for i, k in enumerate(keys)}
        supporter = np.zeros(n, dtype=bool)
        supporter[[index[k] for k in supporters if k in index]] = True
        own = np.zeros(n, dtype=np.int64)
        marked = np.zeros(n, dtype=np.int64)
        amplified = np.zeros(n, dtype=np.int64)
        engaged = np.zeros(n, dtype=np.int64)
        follows = np.zeros(n, dtype=np.int64)
        score = np.full(n, np.nan)
        for k, view in views.items():
            if k in index and view.get("score") is not None:
                score[index[k]] = float(view["score"])
        post_lang = [""] * n
        community = np.zeros(n, dtype=np.int64)
        days: list[date] = []
        none = np.zeros(0, dtype=np.int64)
        contacts = Contacts(none, none, none, none, [])
        if since is not None and until is not None:
            got: WindowCounts = reads.window_counts(keys, supporter, since)
            days = [
                got.start + timedelta(days=d) for d in range((until.date() - got.start).days + 1)
            ]
            own[got.own_idx], marked[got.own_idx] = got.own_posts, got.own_marked
            for idx, lang in zip(got.own_idx.tolist(), got.own_language, strict=True):
                post_lang[idx] = _language(lang)
            amplified[got.amplified_idx], engaged[got.amplified_idx] = got.amplified, got.engaged
            follows[got.follows_idx] = got.follows
            if got.contacts is not None:
                route = {name: k for k, name in enumerate(ROUTES)}
                contacts = Contacts(
                    account=got.contacts.account,
                    other=got.contacts.other,
                    route=np.array([route[k] for k in got.contacts.kind], dtype=np.int64),
                    day=got.contacts.day,
                    hashtags=got.contacts.hashtags,
                )
            if got.edges is not None:
                community = self._communities(keys, supporter, got.edges)
        language = [
            assessed.get(k) or post_lang[i] or profiles.get(k, ("", ""))[1] or "und"
            for i, k in enumerate(keys)
        ]
        takedowns = [
            Takedown(index[k], (at.date() - days[0]).days if days else 0)
            for k, at in sorted(removed.items())
            if k in index
        ]
        return CounterData(
            keys=keys,
            handles={k: v[0] for k, v in profiles.items() if v[0]},
            language=language,
            facts=AccountFacts(
                supporter,
                own,
                marked,
                amplified,
                engaged,
                score=score,
                label=[labelled.get(k, "") for k in keys],
                supporter_follows=follows,
            ),
            community=community,
            contacts=contacts,
            days=days,
            since=since,
            until=until,
            takedowns=takedowns,
            removed_without_time=len(status_removed - set(removed)),
        )

    def _communities(
        self, keys: list[tuple[str, str]], supporter: np.ndarray, edges: EdgeRows
    ) -> np.ndarray:
        n = len(keys)
        zeros = np.zeros(n)
        inputs = ReachInputs(
            keys=keys,
            exposure=zeros,
            posts=np.zeros(n, dtype=np.int64),
            reposts=np.zeros(n, dtype=np.int64),
            own_total=zeros,
            pair=sp.csr_matrix((n, n)),
            edges=np.column_stack([edges.src, edges.dst]).astype(np.int64).reshape(-1, 2),
            weights=edges.n,
            supporter=supporter,
        )
        return communities(inputs, seed=self.seed)

    def _nodes(self) -> WindowNodes:
        """The window's accounts as the archive reads number them (``since`` is set)."""
        d = self.data
        assert d.since is not None
        return WindowNodes(d.keys, d.facts.supporter, d.since, d.days[0] if d.days else None)

    # -- the core, step by step ------------------------------------------------------------

    @cached_property
    def voices(self) -> np.ndarray:
        """Voice codes before the framing test (counter-speech is still WATCHER or OTHER)."""
        return classify_voices(self.data.facts, self.rules)

    def _texts(self, members: np.ndarray, per: int) -> dict[int, list[str]]:
        """The newest own posts of ``members`` (marker-carrying ones first), per account."""
        rows = CounterArchiveReads(self.archive).candidate_texts(self._nodes(), members, per)
        texts: dict[int, list[str]] = {}
        for idx, text in rows:
            texts.setdefault(idx, []).append(str(text or ""))
        return texts

    @cached_property
    def _teachers(self) -> np.ndarray:
        """Accounts labelled counter-speech, and labelled not_supporter watchers: what the
        framing threshold is learnt from."""
        facts = self.data.facts
        taught = facts.labelled("counter_speech") | (
            facts.labelled("not_supporter") & (self.voices == Voice.WATCHER)
        )
        return np.flatnonzero(taught).astype(np.int64)

    @cached_property
    def _candidates(self) -> np.ndarray:
        """Accounts whose posts the framing test reads (see :func:`framing_candidates`)."""
        return framing_candidates(self.data.facts, self.voices, self.rules)

    @cached_property
    def _framing_margins(self) -> dict[int, float]:
        """Framing margin of every framing candidate and teacher, in one embedding pass."""
        members = np.union1d(self._candidates, self._teachers).astype(np.int64)
        if not members.size or self.embed is None or self.data.since is None:
            return {}
        texts = self._texts(members, self.rules.posts_per_account)
        ordered = sorted(texts)
        got = framing(ordered, [texts[i] for i in ordered], self.embed, self.rules)
        return {
            int(a): float(m)
            for a, m in zip(got.accounts.tolist(), got.margin.tolist(), strict=True)
        }

    @cached_property
    def margin(self) -> float:
        """The framing threshold: learnt from the teachers' margins when there are enough of
        them (see :func:`iru.counter.voices.learnt_margin`), else the rules' default."""
        margins = self._framing_margins
        is_counter = self.data.facts.labelled("counter_speech")
        taught = [int(i) for i in self._teachers if int(i) in margins]
        return learnt_margin(
            [margins[i] for i in taught if is_counter[i]],
            [margins[i] for i in taught if not is_counter[i]],
            self.rules,
        )

    @cached_property
    def counter_speech(self) -> np.ndarray:
        """Accounts labelled counter-speech, and the framing candidates whose posts read as
        counter-messages (margin at least :attr:`margin`; the model's supporters need
        ``supporter_margin`` too)."""
        labelled = np.flatnonzero(self.voices == Voice.COUNTER_SPEECH).astype(np.int64)
        margins = self._framing_margins
        found = [
            int(a)
            for a in self._candidates.tolist()
            if int(a) in margins
            and margins[int(a)] >= self.margin
            and (
                self.voices[a] != Voice.SUPPORTER
                or margins[int(a)] >= max(self.margin, self.rules.supporter_margin)
            )
        ]
        return np.union1d(labelled, np.asarray(found, dtype=np.int64)).astype(np.int64)

    @property
    def counter_labelled(self) -> int:
        """Accounts analysts labelled counter-speech, in the window."""
        return int(self.data.facts.labelled("counter_speech").sum())

    @cached_property
    def final_voices(self) -> np.ndarray:
        """Voice codes with counter-speech marked (what the audience and share use)."""
        voices = self.voices.copy()
        voices[self.counter_speech] = Voice.COUNTER_SPEECH
        return voices

    @cached_property
    def inputs(self) -> AudienceInputs:
        d = self.data
        return AudienceInputs(
            d.keys, d.language, d.community, self.final_voices, d.contacts, d.days
        )

    @cached_property
    def audience(self) -> Audience:
        return segment_audience(self.inputs, min_size=self.min_size, top=self.top)

    @cached_property
    def exposure(self) -> sp.csr_matrix:
        return exposure_matrix(self.audience, self.data.contacts, len(self.data.keys))

    def posts(self, side: np.ndarray, own_only: bool) -> Posts:
        d = self.data
        empty = Posts(
            [], [], [], [], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        )
        if d.since is None or not side.size:
            return empty
        reads, nodes = CounterArchiveReads(self.archive), self._nodes()
        total = reads.post_count(nodes, side, own_only)
        rows = reads.post_sample(nodes, side, own_only, self.sample)
        scale = total / max(1, len(rows.author))
        return Posts(
            text=rows.text,
            language=[
                _language(lang) or d.language[a]
                for lang, a in zip(rows.language, rows.author.tolist(), strict=True)
            ],
            hashtags=rows.hashtags,
            urls=rows.urls,
            day=rows.day,
            author=rows.author,
            weight=np.full(len(rows.author), scale),
        )

    @cached_property
    def narratives(self) -> NarrativeReport:
        reach = np.asarray(self.exposure.sum(axis=0)).ravel()
        reaching = np.flatnonzero((reach > 0) & (self.final_voices == Voice.SUPPORTER))
        background = np.flatnonzero(self.final_voices == Voice.OTHER)
        return find_narratives(
            self.posts(reaching, own_only=False),
            self.posts(background, own_only=True),
            self.exposure,
            segment_ids=[s.id for s in self.audience.segments],
            days=self.data.days,
            embed=self.embed,
            settings=self.narrative_settings,
        )

    def items(self, side: np.ndarray) -> Items:
        d = self.data
        if d.since is None or not side.size:
            z = np.zeros(0, dtype=np.int64)
            return Items(z, z, z, [], [])
        rows = CounterArchiveReads(self.archive).items(self._nodes(), side)
        return Items(
            author=rows.author,
            day=rows.day,
            target=rows.target,
            language=[
                _language(lang) or d.language[a]
                for lang, a in zip(rows.language, rows.author.tolist(), strict=True)
            ],
            hashtags=rows.hashtags,
        )

    @cached_property
    def share(self) -> ShareReport:
        supporters = np.flatnonzero(self.final_voices == Voice.SUPPORTER)
        return share_of_voice(
            self.inputs,
            self.audience,
            self.items(supporters),
            self.items(self.counter_speech),
            self.data.takedowns,
        )

    # -- for people ------------------------------------------------------------------------

    def name(self, index: int) -> str:
        """``@handle`` of account ``index``, or its id when iru knows no handle."""
        key = self.data.keys[index]
        handle = self.data.handles.get(key)
        return f"@{handle}" if handle else key[1]
