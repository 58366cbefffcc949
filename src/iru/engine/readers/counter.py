"""Reads one workspace into the counter-messaging core's inputs (DuckDB over the archive).

:class:`CounterAnalysis` reads a window (``graph_window_days`` before the newest post),
sorts the accounts (:mod:`iru.counter.voices`), finds the at-risk audience and its segments,
the narratives and the share of voice, each computed once, when first asked for. Who is a
supporter is the reach model's answer (assessments, analysts' labels winning); communities
are Leiden's on the window's interaction graph; takedowns are the referrals a platform
answered ``removed`` (the time of that event). Propaganda and background texts for the
narratives are a deterministic sample of at most ``sample`` posts each (every post weighs
total / sampled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sqlalchemy import func, select

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
from iru.engine.readers.counter_sql import (
    AMPLIFIED_SQL,
    CANDIDATE_TEXTS_SQL,
    CONTACTS_SQL,
    EDGES_SQL,
    FOLLOWS_SQL,
    ITEMS_SQL,
    NODES_SQL,
    OWN_ONLY,
    OWN_SQL,
    POST_LANG_SQL,
    TEXTS_SQL,
)
from iru.engine.readers.network import ReachReader
from iru.network.communities import communities
from iru.network.reach import ReachInputs
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.database import Database
from iru.storage.models import current_labels
from iru.storage.schema import accounts, referral_events, referrals

__all__ = ["CounterAnalysis", "CounterData", "default_embedder"]


def default_embedder() -> Embedder:
    """The multilingual sentence encoder detection uses (USE v3, numpy only)."""
    from iru.detect.features import sentence_embedder

    return sentence_embedder(threads=2)


def _node_table(keys: list[tuple[str, str]], supporter: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "platform": [p for p, _ in keys],
            "account_id": [a for _, a in keys],
            "idx": np.arange(len(keys), dtype=np.int64),
            "supporter": supporter,
        }
    )


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
        with self.database.engine.connect() as conn:
            profiles = {
                (str(p), str(a)): (str(h or ""), _language(lang))
                for p, a, h, lang in conn.execute(
                    select(
                        accounts.c.platform,
                        accounts.c.account_id,
                        accounts.c.handle,
                        accounts.c.language,
                    )
                )
            }
            removed = {
                (str(p), str(a)): at
                for p, a, at in conn.execute(
                    select(
                        referrals.c.platform, referrals.c.account_id, func.min(referral_events.c.at)
                    )
                    .join(referral_events, referral_events.c.referral_id == referrals.c.referral_id)
                    .where(referral_events.c.status == "removed")
                    .group_by(referrals.c.platform, referrals.c.account_id)
                )
            }
            status_removed = {
                (str(p), str(a))
                for p, a in conn.execute(
                    select(accounts.c.platform, accounts.c.account_id).where(
                        accounts.c.status == "removed"
                    )
                )
            }
        views = DetectionStore(self.database).by_account()
        assessed = {k: _language(v.get("language")) for k, v in views.items()}
        labelled = current_labels(self.database)
        found: set[tuple[str, str]] = set(profiles) | supporters
        if since is not None:
            with self.archive.query() as db:
                found |= {
                    (str(p), str(a))
                    for p, a in db.execute(NODES_SQL, {"since": since}).fetchall()
                    if a is not None
                }
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
        first = 0
        if since is not None and until is not None:
            with self.archive.query() as db:
                db.register("nodes", _node_table(keys, supporter))
                db.execute(POST_LANG_SQL)
                oldest = db.execute(
                    "SELECT min(created_at) FROM posts WHERE created_at >= $since", {"since": since}
                ).fetchone()
                start = (oldest[0] if oldest and oldest[0] else since).date()
                days = [start + timedelta(days=d) for d in range((until.date() - start).days + 1)]
                first = (start - date(1970, 1, 1)).days
                params = {"since": since}
                got = db.execute(OWN_SQL, params).fetchall()
                for idx, n_own, n_marked, lang in got:
                    own[idx], marked[idx], post_lang[idx] = n_own, n_marked, _language(lang)
                if self.archive.has_rows("interactions"):
                    for idx, passed, answered in db.execute(AMPLIFIED_SQL, params).fetchall():
                        amplified[idx], engaged[idx] = passed, answered
                    for idx, count in db.execute(FOLLOWS_SQL).fetchall():
                        follows[idx] = count
                    rows: pa.Table = db.sql(
                        CONTACTS_SQL, params=params | {"first": first}
                    ).to_arrow_table()
                    route = {name: k for k, name in enumerate(ROUTES)}
                    contacts = Contacts(
                        account=rows.column("account").to_numpy().astype(np.int64),
                        other=rows.column("other").to_numpy().astype(np.int64),
                        route=np.array(
                            [route[k] for k in rows.column("kind").to_pylist()], dtype=np.int64
                        ),
                        day=rows.column("day").to_numpy().astype(np.int64),
                        hashtags=[tuple(h or ()) for h in rows.column("hashtags").to_pylist()],
                    )
                    edges = db.execute(EDGES_SQL, params).fetchnumpy()
                    community = self._communities(keys, supporter, edges)
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
        self, keys: list[tuple[str, str]], supporter: np.ndarray, edges: dict[str, Any]
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
            edges=np.column_stack([edges["src"], edges["dst"]]).astype(np.int64).reshape(-1, 2),
            weights=np.asarray(edges["n"], dtype=np.float64),
            supporter=supporter,
        )
        return communities(inputs, seed=self.seed)

    # -- the core, step by step ------------------------------------------------------------

    @cached_property
    def voices(self) -> np.ndarray:
        """Voice codes before the framing test (counter-speech is still WATCHER or OTHER)."""
        return classify_voices(self.data.facts, self.rules)

    def _texts(self, members: np.ndarray, per: int) -> dict[int, list[str]]:
        """The newest own posts of ``members`` (marker-carrying ones first), per account."""
        rows = self._query({"candidates": members}, CANDIDATE_TEXTS_SQL, {"per": per})
        texts: dict[int, list[str]] = {}
        for idx, text in zip(
            rows.column("idx").to_pylist(), rows.column("text").to_pylist(), strict=True
        ):
            texts.setdefault(int(idx), []).append(str(text or ""))
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

    def _query(self, sides: dict[str, np.ndarray], sql: str, params: dict[str, Any]) -> pa.Table:
        d = self.data
        with self.archive.query() as db:
            db.register("nodes", _node_table(d.keys, d.facts.supporter))
            db.execute(POST_LANG_SQL)
            for name, members in sides.items():
                db.register(name, pa.table({"idx": np.asarray(members, dtype=np.int64)}))
            values = {"since": d.since, **params}
            if "$first" in sql:
                values["first"] = (d.days[0] - date(1970, 1, 1)).days if d.days else 0
            got: pa.Table = db.sql(sql, params=values).to_arrow_table()
            return got

    def posts(self, side: np.ndarray, own_only: bool) -> Posts:
        d = self.data
        empty = Posts(
            [], [], [], [], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        )
        if d.since is None or not side.size:
            return empty
        sql = TEXTS_SQL.format(side="side", own=OWN_ONLY if own_only else "")
        count_sql = (
            "SELECT count(*) FROM posts p JOIN nodes n ON n.platform = p.platform "
            "AND n.account_id = p.account_id JOIN side w ON w.idx = n.idx "
            f"WHERE p.created_at >= $since {OWN_ONLY if own_only else ''}"
        )
        total = int(self._query({"side": side}, count_sql, {}).column(0)[0].as_py())
        rows = self._query({"side": side}, sql, {"limit": self.sample})
        author = rows.column("author").to_numpy().astype(np.int64)
        scale = total / max(1, rows.num_rows)
        return Posts(
            text=[str(t or "") for t in rows.column("text").to_pylist()],
            language=[
                _language(lang) or d.language[a]
                for lang, a in zip(rows.column("lang").to_pylist(), author.tolist(), strict=True)
            ],
            hashtags=[tuple(h or ()) for h in rows.column("hashtags").to_pylist()],
            urls=[tuple(u or ()) for u in rows.column("urls").to_pylist()],
            day=rows.column("day").to_numpy().astype(np.int64),
            author=author,
            weight=np.full(rows.num_rows, scale),
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
        rows = self._query({"side": side}, ITEMS_SQL.format(side="side"), {})
        author = rows.column("author").to_numpy().astype(np.int64)
        return Items(
            author=author,
            day=rows.column("day").to_numpy().astype(np.int64),
            target=rows.column("target").to_numpy().astype(np.int64),
            language=[
                _language(lang) or d.language[a]
                for lang, a in zip(rows.column("lang").to_pylist(), author.tolist(), strict=True)
            ],
            hashtags=[tuple(h or ()) for h in rows.column("hashtags").to_pylist()],
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
