"""The counter-messaging read model: the rows ``iru counter`` prints and the counter page shows.

:class:`CounterRows` turns one :class:`~iru.engine.readers.counter.CounterAnalysis` into
plain rows — segments, the audience's accounts, narratives, key terms, share of voice per
segment and per day — once, for both the CLI (:mod:`iru.cli.counter`) and the workbench
(:mod:`iru.web.counter_page`), which only lay them out (a table, CSV, JSON, a page). Each
method computes only the parts of the analysis it needs: listing segments reads no
narrative.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property
from typing import Any

from iru.counter.narratives import Term
from iru.counter.segments import ROUTES
from iru.engine.readers.counter import CounterAnalysis

__all__ = [
    "CounterRows",
    "DailyShareRow",
    "Hub",
    "MemberRow",
    "NarrativeRow",
    "SegmentRow",
    "ShareRow",
    "TermRow",
    "plain",
]


@dataclass(frozen=True, slots=True)
class Hub:
    """A supporter that reaches a segment, and how many of its members it is in contact with."""

    platform: str
    account_id: str
    name: str  # @handle, or the id when iru knows no handle
    members: int


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """One segment of the at-risk audience (aggregates only)."""

    id: str
    language: str
    platform: str
    community: int  # -1: the pooled small communities
    size: int
    share: float
    trend: float
    routes: list[tuple[str, int]]  # route -> members reached that way
    hubs: list[Hub]  # the top hubs, most members first
    hashtags: list[tuple[str, int]]  # (hashtag without '#', members who engaged with it)
    daily: list[int]

    @property
    def community_name(self) -> str:
        return "other" if self.community < 0 else f"c{self.community}"


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One account of the audience: only analysts and supervisors may see these."""

    segment: str
    platform: str
    account_id: str
    handle: str
    language: str
    community: int
    routes: list[tuple[str, int]]  # route -> contacts with supporters that way, by route
    hubs: list[tuple[str, int]]  # (supporter's name, contacts), the three it meets most
    contacts: int


@dataclass(frozen=True, slots=True)
class NarrativeRow:
    """One narrative; ``exposure`` is the whole audience's, or one segment's when asked."""

    id: int
    label: str
    anchors: list[str]
    languages: list[str]
    terms: list[tuple[str, list[str]]]  # language -> its terms, in the narrative's order
    posts: float
    exposure: float
    trend: float
    daily: list[float]
    segments: list[tuple[str, float]]  # the three segments it reaches most


@dataclass(frozen=True, slots=True)
class TermRow:
    """One key term of a language's list (or of what reaches one segment)."""

    language: str
    rank: int
    term: str
    kind: str
    narrative: int | None
    posts: float
    exposure: float
    background: float
    score: float


@dataclass(frozen=True, slots=True)
class ShareRow:
    """Counter-speech's share of voice in one segment (``all``: the whole audience)."""

    segment: str
    language: str
    platform: str
    size: int
    propaganda: float  # exposures over the window
    counter: float
    share: float | None
    daily_share: list[float | None]
    takedowns: int
    first_takedown: date | None
    share_before: float | None
    share_after: float | None
    propaganda_before: float | None
    propaganda_after: float | None


@dataclass(frozen=True, slots=True)
class DailyShareRow:
    """One segment's exposures and share of voice on one day."""

    segment: str
    day: date
    propaganda: float
    counter: float
    share: float | None


class CounterRows:
    """The rows of one analysis, each kind built on first use."""

    def __init__(self, analysis: CounterAnalysis) -> None:
        self.analysis = analysis

    # -- the window and its totals ---------------------------------------------------------

    @property
    def window(self) -> tuple[date, date] | None:
        """First and last day of the window; None when no post is stored."""
        days = self.analysis.data.days
        return (days[0], days[-1]) if days else None

    @property
    def audience_size(self) -> int:
        return int(self.analysis.audience.audience.sum())

    @property
    def segment_count(self) -> int:
        return len(self.analysis.audience.segments)

    @property
    def excluded(self) -> dict[str, int]:
        """Reached but not counted in the audience, by why."""
        return self.analysis.audience.excluded

    @property
    def counter_accounts(self) -> int:
        return len(self.analysis.counter_speech)

    @property
    def counter_labelled(self) -> int:
        return self.analysis.counter_labelled

    @property
    def margin(self) -> float:
        return self.analysis.margin

    @property
    def narrative_languages(self) -> int:
        return len(self.analysis.narratives.terms)

    def _hub(self, index: int, members: int) -> Hub:
        platform, account_id = self.analysis.data.keys[index]
        return Hub(platform, account_id, self.analysis.name(index), members)

    # -- segments and their accounts -------------------------------------------------------

    @cached_property
    def _segments(self) -> list[SegmentRow]:
        return [
            SegmentRow(
                id=s.id,
                language=s.language,
                platform=s.platform,
                community=s.community,
                size=s.size,
                share=s.share,
                trend=s.trend,
                routes=list(s.routes.items()),
                hubs=[self._hub(h, m) for h, m in s.top_hubs],
                hashtags=list(s.top_hashtags),
                daily=s.daily,
            )
            for s in self.analysis.audience.segments
        ]

    def segments(self) -> list[SegmentRow]:
        """Every segment, largest first."""
        return self._segments

    def segment(self, segment_id: str) -> SegmentRow | None:
        return next((s for s in self._segments if s.id == segment_id), None)

    def members(self) -> list[MemberRow]:
        """One row per audience account, segment by segment."""
        analysis = self.analysis
        data = analysis.data
        c = data.contacts
        supporter = data.facts.supporter
        by_account: dict[int, list[int]] = {}
        for j in range(c.m):
            if supporter[c.other[j]]:
                by_account.setdefault(int(c.account[j]), []).append(j)
        rows = []
        for s in analysis.audience.segments:
            for i in s.members.tolist():
                links = by_account.get(i, [])
                routes: dict[str, int] = {}
                hubs: dict[int, int] = {}
                for j in links:
                    routes[ROUTES[c.route[j]]] = routes.get(ROUTES[c.route[j]], 0) + 1
                    hubs[int(c.other[j])] = hubs.get(int(c.other[j]), 0) + 1
                best = sorted(hubs.items(), key=lambda h: (-h[1], h[0]))[:3]
                platform, account_id = data.keys[i]
                rows.append(
                    MemberRow(
                        segment=s.id,
                        platform=platform,
                        account_id=account_id,
                        handle=data.handles.get(data.keys[i], ""),
                        language=data.language[i],
                        community=int(data.community[i]),
                        routes=sorted(routes.items()),
                        hubs=[(analysis.name(h), n) for h, n in best],
                        contacts=len(links),
                    )
                )
        return rows

    # -- narratives and terms --------------------------------------------------------------

    def narratives(self, segment_id: str | None = None) -> list[NarrativeRow]:
        """Every narrative, largest exposure first; with ``segment_id``, only those that
        reach it, by that segment's exposures."""
        narratives = self.analysis.narratives.narratives
        if segment_id is not None:
            narratives = sorted(
                (n for n in narratives if segment_id in n.segments),
                key=lambda n: (-n.segments[segment_id], n.id),
            )
        rows = []
        for n in narratives:
            per_language: dict[str, list[str]] = {}
            for t in n.terms:
                per_language.setdefault(t.language, []).append(t.text)
            rows.append(
                NarrativeRow(
                    id=n.id,
                    label=n.label,
                    anchors=n.anchors,
                    languages=n.languages,
                    terms=list(per_language.items()),
                    posts=n.posts,
                    exposure=n.segments[segment_id] if segment_id is not None else n.exposure,
                    trend=n.trend,
                    daily=n.daily,
                    segments=sorted(n.segments.items(), key=lambda s: (-s[1], s[0]))[:3],
                )
            )
        return rows

    def _towards(self, segment: SegmentRow) -> Iterator[tuple[Term, float]]:
        """The terms of the posts that reach ``segment``, most exposures first (in its
        language where the term has one)."""
        report = self.analysis.narratives
        for key, exposure in report.towards.get(segment.id, []):
            term = report.term(key, segment.language)
            if term is not None:
                yield term, exposure

    def terms(self, top: int, segment: SegmentRow | None = None) -> list[TermRow]:
        """The ``top`` key terms of every language, or of the posts that reach ``segment``."""
        report = self.analysis.narratives
        listed: list[tuple[str, int, Term, float]]
        if segment is None:
            listed = [
                (lang, rank, t, t.exposure)
                for lang, terms in sorted(report.terms.items())
                for rank, t in enumerate(terms[:top], start=1)
            ]
        else:
            listed = []
            for term, exposure in self._towards(segment):
                if len(listed) < top:
                    listed.append((term.language, len(listed) + 1, term, exposure))
        return [
            TermRow(
                language=lang,
                rank=rank,
                term=t.text,
                kind=t.kind,
                narrative=report.narrative_of(t.key),
                posts=t.posts,
                exposure=exposure,
                background=t.background,
                score=t.score,
            )
            for lang, rank, t, exposure in listed
        ]

    def told(self, segment: SegmentRow, most: int) -> list[str]:
        """The ``most`` distinct terms the segment meets most."""
        texts: list[str] = []
        for term, _ in self._towards(segment):
            if term.text not in texts:
                texts.append(term.text)
            if len(texts) == most:
                break
        return texts

    # -- share of voice --------------------------------------------------------------------

    @property
    def takedowns(self) -> int:
        """Takedowns of hubs in contact with the audience."""
        return self.analysis.share.overall.takedowns

    def share(self) -> list[ShareRow]:
        """The whole audience (``all``) first, then every segment."""
        report = self.analysis.share
        return [
            ShareRow(
                segment=s.segment,
                language=s.language,
                platform=s.platform,
                size=s.size,
                propaganda=round(sum(s.propaganda), 2),
                counter=round(sum(s.counter), 2),
                share=s.share,
                daily_share=s.daily_share,
                takedowns=s.takedowns,
                first_takedown=s.first_takedown,
                share_before=s.share_before,
                share_after=s.share_after,
                propaganda_before=s.propaganda_before,
                propaganda_after=s.propaganda_after,
            )
            for s in [report.overall, *report.segments]
        ]

    def daily(self, *, overall_only: bool = False) -> list[DailyShareRow]:
        """One row per segment (the whole audience first) and day."""
        report = self.analysis.share
        series = [report.overall] if overall_only else [report.overall, *report.segments]
        return [
            DailyShareRow(s.segment, day, s.propaganda[k], s.counter[k], s.daily_share[k])
            for s in series
            for k, day in enumerate(report.days)
        ]


def plain(row: Any) -> dict[str, Any]:
    """A row's fields by name, in order (values shared, not copied)."""
    return {f.name: getattr(row, f.name) for f in fields(row)}
