"""Share of voice: how much counter-speech reaches each audience segment, against propaganda.

A post reaches a segment through three routes, for both sides alike:

* **author**: members of the segment in contact with its author (they follow it, or
  engaged with it) — the post is in their timeline;
* **thread**: members in contact with the author of the post it replies to, quotes,
  reposts or forwards — the post sits in a thread they read;
* **hashtag**: members who engaged with supporter posts carrying one of its hashtags
  (the segment's top ``hashtags_per_segment``), when the post is in the segment's
  language (or of unknown language) — the post is where they look.

A post's *exposure* in a segment is the largest of the three (members are not counted
twice). Propaganda is every post of a supporter (originals and amplifications);
counter-speech every post of a counter-speech account (see :mod:`iru.counter.voices`).
Per segment and day: exposures of each side and the share of voice
``counter / (counter + propaganda)``.

**Takedowns**: the removals of accounts in contact with a segment's members (its hubs,
mostly). For each segment, mean exposures per day and the share before the day of the
first such takedown and from that day on (None when the window has no day on one side).
Pure: numpy and scipy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from iru.counter.segments import Audience, AudienceInputs, segment_exposure

__all__ = [
    "Items",
    "SegmentShare",
    "ShareReport",
    "Takedown",
    "hashtag_reach",
    "item_exposure",
    "share_of_voice",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
UNKNOWN_LANGUAGES = frozenset({"", "und", "zxx"})


@dataclass(frozen=True, slots=True)
class Items:
    """The posts of one side in the window."""

    author: IntArray
    day: IntArray  # index into the window's days
    target: IntArray  # author of the post replied to / quoted / reposted; -1 for none
    language: Sequence[str]
    hashtags: Sequence[Sequence[str]]

    def __len__(self) -> int:
        return int(np.shape(self.author)[0])


@dataclass(frozen=True, slots=True)
class Takedown:
    """An account removed on ``day`` (an index into the window's days, may lie outside)."""

    account: int
    day: int


@dataclass(frozen=True, slots=True)
class SegmentShare:
    """Propaganda and counter-speech exposures of one segment (or of all: ``segment="all"``)."""

    segment: str
    language: str
    platform: str
    size: int
    propaganda: list[float]  # exposures per day
    counter: list[float]
    share: float | None
    daily_share: list[float | None]
    takedowns: int  # removals of accounts in contact with the segment
    first_takedown: date | None
    propaganda_before: float | None  # mean exposures per day
    propaganda_after: float | None
    counter_before: float | None
    counter_after: float | None
    share_before: float | None
    share_after: float | None


@dataclass(frozen=True, slots=True)
class ShareReport:
    segments: list[SegmentShare]  # in the audience's segment order
    overall: SegmentShare
    days: list[date]


def hashtag_reach(
    inputs: AudienceInputs, audience: Audience, top: int = 10
) -> list[dict[str, int]]:
    """Per segment: its ``top`` hashtags (case-folded) -> members who engaged with supporter
    posts carrying them."""
    c = inputs.contacts
    seg_of = np.full(inputs.n, -1, dtype=np.int64)
    for k, segment in enumerate(audience.segments):
        seg_of[segment.members] = k
    met: list[set[tuple[int, str]]] = [set() for _ in audience.segments]
    if c.m and c.hashtags:
        supporter = inputs.supporter
        for j in np.flatnonzero((seg_of[c.account] >= 0) & supporter[c.other]).tolist():
            s = int(seg_of[c.account[j]])
            for tag in c.hashtags[j]:
                met[s].add((int(c.account[j]), tag.lstrip("#").casefold()))
    out: list[dict[str, int]] = []
    for pairs in met:
        counts = Counter(tag for _, tag in pairs)
        best = sorted(counts.items(), key=lambda t: (-t[1], t[0]))[:top]
        out.append(dict(best))
    return out


def _share(counter: float, propaganda: float) -> float | None:
    total = counter + propaganda
    return round(counter / total, 4) if total > 0 else None


def item_exposure(
    items: Items,
    exposure: sp.csr_matrix,
    tags: Sequence[dict[str, int]],
    languages: Sequence[str],
    ndays: int,
) -> FloatArray:
    """Exposures per (segment, day) of ``items`` (S x ndays), by the largest route."""
    segments = exposure.shape[0]
    totals = np.zeros((segments, ndays))
    count = len(items)
    if not segments or not count or not ndays:
        return totals
    codes = {lang: k for k, lang in enumerate(sorted(set(languages)))}
    seg_code = np.array([codes[lang] for lang in languages], dtype=np.int64)
    item_code = np.array([codes.get(lang or "", -1) for lang in items.language], dtype=np.int64)
    unknown = np.array([(lang or "") in UNKNOWN_LANGUAGES for lang in items.language])
    vocab = sorted({tag for per in tags for tag in per})
    column = {tag: j for j, tag in enumerate(vocab)}
    reach = np.zeros((segments, len(vocab)))
    for s, per in enumerate(tags):
        for tag, members in per.items():
            reach[s, column[tag]] = members
    csc = exposure.tocsc()
    author = np.asarray(items.author, dtype=np.int64)
    target = np.asarray(items.target, dtype=np.int64)
    day = np.asarray(items.day, dtype=np.int64)
    chunk = max(1000, 4_000_000 // max(segments, 1))
    for start in range(0, count, chunk):
        stop = min(count, start + chunk)
        weights = csc[:, author[start:stop]].toarray()
        threads = target[start:stop]
        has = np.flatnonzero(threads >= 0)
        if has.size:
            sub = csc[:, threads[has]].toarray()
            weights[:, has] = np.maximum(weights[:, has], sub)
        if vocab:
            match = (seg_code[:, None] == item_code[None, start:stop]) | unknown[None, start:stop]
            by_tag: dict[int, list[int]] = {}
            for j in range(start, stop):
                for tag in items.hashtags[j]:
                    k = column.get(tag.lstrip("#").casefold())
                    if k is not None:
                        by_tag.setdefault(k, []).append(j - start)
            for k, cols in by_tag.items():
                at = np.asarray(sorted(set(cols)), dtype=np.int64)
                route = reach[:, k][:, None] * match[:, at]
                weights[:, at] = np.maximum(weights[:, at], route)
        days = day[start:stop]
        ok = (days >= 0) & (days < ndays)
        if ok.any():
            picks = sp.csr_matrix(
                (np.ones(int(ok.sum())), (np.flatnonzero(ok), days[ok])),
                shape=(stop - start, ndays),
            )
            totals += np.asarray(weights @ picks)
    return totals


def _series(
    name: str,
    language: str,
    platform: str,
    size: int,
    *,
    propaganda: FloatArray,
    counter: FloatArray,
    removed: list[int],
    days: Sequence[date],
) -> SegmentShare:
    ndays = len(days)
    first = min(removed) if removed else None
    before = after = None
    if first is not None and 0 < first < ndays:
        before, after = slice(0, first), slice(first, ndays)

    def mean(values: FloatArray, part: slice | None) -> float | None:
        return None if part is None else round(float(values[part].mean()), 2)

    def share(part: slice | None) -> float | None:
        if part is None:
            return None
        return _share(float(counter[part].sum()), float(propaganda[part].sum()))

    return SegmentShare(
        segment=name,
        language=language,
        platform=platform,
        size=size,
        propaganda=[round(float(v), 2) for v in propaganda],
        counter=[round(float(v), 2) for v in counter],
        share=_share(float(counter.sum()), float(propaganda.sum())),
        daily_share=[_share(float(c), float(p)) for c, p in zip(counter, propaganda, strict=True)],
        takedowns=len(removed),
        first_takedown=days[first] if first is not None and 0 <= first < ndays else None,
        propaganda_before=mean(propaganda, before),
        propaganda_after=mean(propaganda, after),
        counter_before=mean(counter, before),
        counter_after=mean(counter, after),
        share_before=share(before),
        share_after=share(after),
    )


def share_of_voice(
    inputs: AudienceInputs,
    audience: Audience,
    propaganda: Items,
    counter: Items,
    takedowns: Sequence[Takedown] = (),
    *,
    hashtags_per_segment: int = 10,
) -> ShareReport:
    """Per segment and day, propaganda and counter-speech exposures and the share of voice."""
    days = audience.days
    n = inputs.n
    exposure = segment_exposure(audience, inputs.contacts, n)
    tags = hashtag_reach(inputs, audience, hashtags_per_segment)
    languages = [s.language for s in audience.segments]
    p = item_exposure(propaganda, exposure, tags, languages, len(days))
    c = item_exposure(counter, exposure, tags, languages, len(days))
    removed_per: list[list[int]] = [[] for _ in audience.segments]
    every: list[int] = []
    csc = exposure.tocsc()
    for takedown in takedowns:
        if not 0 <= takedown.account < n:
            continue
        touched = csc[:, takedown.account].nonzero()[0]
        for s in touched.tolist():
            removed_per[s].append(takedown.day)
        if touched.size:
            every.append(takedown.day)
    segments = [
        _series(
            s.id,
            s.language,
            s.platform,
            s.size,
            propaganda=p[k],
            counter=c[k],
            removed=removed_per[k],
            days=days,
        )
        for k, s in enumerate(audience.segments)
    ]
    overall = _series(
        "all",
        "",
        "",
        int(audience.audience.sum()),
        propaganda=p.sum(axis=0) if segments else np.zeros(len(days)),
        counter=c.sum(axis=0) if segments else np.zeros(len(days)),
        removed=every,
        days=days,
    )
    return ShareReport(segments, overall, list(days))
