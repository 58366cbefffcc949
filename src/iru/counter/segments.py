"""The at-risk audience: who the propaganda reaches outside the network, in segments.

**Definition.** An account belongs to the at-risk audience of a window when

1. it is not a supporter (neither labelled nor assessed one), and
2. the propaganda reached it: it follows a supporter, or reposted, forwarded, quoted or
   replied to a supporter's post, or a supporter mentioned it (a *contact*), and
3. it does not itself speak about the propaganda: it is neither a *watcher* (news,
   research, officials, counter-speech: marker-carrying posts, no amplification) nor a
   *producer* (marker-carrying posts and amplification, an undetected supporter), and
4. it is not a *possible supporter* (close to the model's threshold, or silent with the
   ties of a supporter) — see :mod:`iru.counter.voices`.

**Segments** group the audience by (language, platform, community of the interaction
graph); communities smaller than ``min_size`` members within a (language, platform) are
pooled as ``…/other``. For each segment: its size and share of the audience, how it is
reached (members per route), its top hubs (the supporters most of its members have
contact with) and top hashtags (of the supporter posts its members engaged with, counted
once per member), members with a dated contact per day, and the trend of that series
(least-squares slope over the mean, per day).

Pure: numpy and scipy; the engine builds the arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from iru.counter.voices import Voice

__all__ = [
    "ROUTES",
    "Audience",
    "AudienceInputs",
    "Contacts",
    "Segment",
    "audience_mask",
    "segment_audience",
    "segment_exposure",
    "trend_of",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: How a contact reached an account (index = the code in ``Contacts.route``).
ROUTES = ("follow", "repost", "forward", "quote", "reply", "mention")
OTHER_COMMUNITY = -1


@dataclass(frozen=True, slots=True)
class Contacts:
    """Links from non-supporters to any account: follows, engagements, mentions received.

    ``account`` is the one reached (the follower, the reposter, the one mentioned);
    ``other`` the account it was reached by. ``day`` indexes the window's days, -1 when
    undated (a follow is a standing link). ``hashtags`` are those of the post engaged with.
    """

    account: IntArray
    other: IntArray
    route: IntArray
    day: IntArray
    hashtags: Sequence[Sequence[str]] = ()

    @property
    def m(self) -> int:
        return int(np.shape(self.account)[0])


@dataclass(frozen=True, slots=True)
class AudienceInputs:
    """Accounts ``0..n-1`` and their contacts over a window of ``days``."""

    keys: Sequence[tuple[str, str]]
    language: Sequence[str]
    community: IntArray
    voices: IntArray  # Voice codes (see iru.counter.voices.classify_voices)
    contacts: Contacts
    days: Sequence[date]

    @property
    def n(self) -> int:
        return len(self.keys)

    @property
    def supporter(self) -> BoolArray:
        return np.asarray(self.voices == Voice.SUPPORTER)


@dataclass(frozen=True, slots=True)
class Segment:
    """One group of the at-risk audience."""

    id: str  # language/platform/c<community> or language/platform/other
    language: str
    platform: str
    community: int  # -1 for the pooled small communities
    size: int
    share: float  # of the whole audience
    routes: dict[str, int]  # route -> members reached that way
    top_hubs: list[tuple[int, int]]  # (supporter index, members in contact)
    top_hashtags: list[tuple[str, int]]  # (hashtag, members who engaged with it)
    daily: list[int]  # members with a dated contact, per day of the window
    trend: float  # relative change per day
    members: IntArray = field(repr=False)


@dataclass(frozen=True, slots=True)
class Audience:
    """The at-risk audience of a window, in segments (largest first)."""

    segments: list[Segment]
    audience: BoolArray  # per account
    days: list[date]
    excluded: dict[str, int]  # reached but not audience: supporters never count; these do


def audience_mask(inputs: AudienceInputs) -> BoolArray:
    """Accounts reached by a supporter that are neither supporters, watchers nor producers."""
    n = inputs.n
    c = inputs.contacts
    supporter = inputs.supporter
    reached = np.zeros(n, dtype=bool)
    if c.m:
        by_supporter = supporter[c.other] & ~supporter[c.account]
        reached[c.account[by_supporter]] = True
    return np.asarray(reached & (inputs.voices == Voice.OTHER))


def trend_of(daily: Sequence[float] | npt.NDArray[np.number]) -> float:
    """Least-squares slope of ``daily`` divided by its mean (0 for fewer than 2 days)."""
    y = np.asarray(daily, dtype=np.float64)
    if y.size < 2 or y.mean() <= 0:
        return 0.0
    x = np.arange(y.size, dtype=np.float64)
    slope = float(np.polyfit(x, y, 1)[0])
    return round(slope / float(y.mean()), 4)


def _segment_keys(inputs: AudienceInputs, members: IntArray, min_size: int) -> list[str]:
    """Segment id of every audience member (small communities pooled per language/platform)."""
    raw = [
        (inputs.language[i] or "und", inputs.keys[i][0], int(inputs.community[i])) for i in members
    ]
    sizes = Counter(raw)
    out = []
    for lang, platform, community in raw:
        if sizes[(lang, platform, community)] >= min_size and community >= 0:
            out.append(f"{lang}/{platform}/c{community}")
        else:
            out.append(f"{lang}/{platform}/other")
    return out


def segment_audience(inputs: AudienceInputs, *, min_size: int = 5, top: int = 5) -> Audience:
    """The at-risk audience and its segments, largest first (ties by id)."""
    n = inputs.n
    if np.shape(inputs.voices) != (n,) or np.shape(inputs.community) != (n,):
        raise ValueError(f"voices and community must have shape ({n},)")
    if len(inputs.language) != n:
        raise ValueError(f"language must have {n} entries")
    mask = audience_mask(inputs)
    members = np.flatnonzero(mask)
    ids = _segment_keys(inputs, members, max(1, min_size))
    seg_of = np.full(n, -1, dtype=np.int64)
    names = sorted(set(ids))
    position = {name: k for k, name in enumerate(names)}
    seg_of[members] = [position[s] for s in ids]
    c = inputs.contacts
    supporter = inputs.supporter
    ndays = len(inputs.days)
    total = max(1, int(members.size))
    in_seg = seg_of[c.account] if c.m else np.zeros(0, dtype=np.int64)
    from_supporter = supporter[c.other] if c.m else np.zeros(0, dtype=bool)
    segments: list[Segment] = []
    for k, name in enumerate(names):
        lang, platform, tail = name.split("/", 2)
        who = np.flatnonzero(seg_of == k)
        rows = np.flatnonzero((in_seg == k) & from_supporter)
        routes = {
            ROUTES[r]: int(np.unique(c.account[rows[c.route[rows] == r]]).size)
            for r in range(len(ROUTES))
            if np.any(c.route[rows] == r)
        }
        pairs = np.unique(np.stack([c.other[rows], c.account[rows]]), axis=1)
        hubs = Counter(pairs[0].tolist())
        top_hubs = sorted(hubs.items(), key=lambda h: (-h[1], h[0]))[:top]
        seen: dict[str, str] = {}
        met: Counter[str] = Counter()
        if c.hashtags:
            tagged: set[tuple[int, str]] = set()
            for j in rows.tolist():
                for tag in c.hashtags[j]:
                    key = tag.casefold()
                    seen.setdefault(key, tag)
                    tagged.add((int(c.account[j]), key))
            met.update(key for _, key in tagged)
        top_tags = [
            (seen[key], count) for key, count in sorted(met.items(), key=lambda t: (-t[1], t[0]))
        ][:top]
        dated = rows[(c.day[rows] >= 0) & (c.day[rows] < ndays)]
        daily = np.zeros(ndays, dtype=np.int64)
        if dated.size:
            unique_days = np.unique(np.stack([c.day[dated], c.account[dated]]), axis=1)
            daily = np.bincount(unique_days[0], minlength=ndays)[:ndays]
        segments.append(
            Segment(
                id=name,
                language=lang,
                platform=platform,
                community=OTHER_COMMUNITY if tail == "other" else int(tail[1:]),
                size=int(who.size),
                share=round(who.size / total, 4),
                routes=routes,
                top_hubs=[(int(h), int(m)) for h, m in top_hubs],
                top_hashtags=top_tags,
                daily=[int(d) for d in daily],
                trend=trend_of(daily),
                members=who,
            )
        )
    segments.sort(key=lambda s: (-s.size, s.id))
    voices = inputs.voices
    reached_any = np.zeros(n, dtype=bool)
    if c.m:
        reached_any[c.account[from_supporter & ~supporter[c.account]]] = True
    excluded = {
        "watchers": int(np.sum(reached_any & (voices == Voice.WATCHER))),
        "counter_speech": int(np.sum(reached_any & (voices == Voice.COUNTER_SPEECH))),
        "producers": int(np.sum(reached_any & (voices == Voice.PRODUCER))),
        "possible_supporters": int(np.sum(reached_any & (voices == Voice.POSSIBLE))),
    }
    return Audience(segments, mask, list(inputs.days), excluded)


def segment_exposure(audience: Audience, contacts: Contacts, n: int) -> sp.csr_matrix:
    """``M[s, a]``: members of segment ``s`` with any contact to account ``a`` (S x n)."""
    seg_of = np.full(n, -1, dtype=np.int64)
    for k, segment in enumerate(audience.segments):
        seg_of[segment.members] = k
    if not contacts.m:
        return sp.csr_matrix((len(audience.segments), n))
    s = seg_of[contacts.account]
    keep = s >= 0
    pairs = np.unique(np.stack([s[keep], contacts.other[keep], contacts.account[keep]]), axis=1)
    ones = np.ones(pairs.shape[1])
    matrix = sp.csr_matrix((ones, (pairs[0], pairs[1])), shape=(len(audience.segments), n))
    matrix.sum_duplicates()
    return matrix
