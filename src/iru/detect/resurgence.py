"""Resurgence: link a new account to the suspended or silent account it replaces.

A suspended account often comes back under a new handle, with the same profile
picture, the same or a similar bio, part of its former audience, and friends who
announce the new handle ("follow our brother's new account @abu_x2"). Given the
profiles of accounts that went quiet (``gone``), of accounts that appeared
(``new``) and the mentions iru has seen, :class:`ResurgenceLinker` finds for each
new account its most likely predecessor, with the evidence and a confidence.

Pure logic, no I/O: the engine hashes avatars (:func:`avatar_hashes`) and builds the
profiles. Candidate pairs come from three blocks, never the cross product:

* fuzzy handles: rapidfuzz ``cdist`` over normalised handles (digits, affixes and
  look-alike letters folded), masked to time-eligible pairs, top ``handle_candidates``;
* avatars: faiss binary range search on PDQ and pHash (within the thresholds);
* mentions: authors in an old account's audience who name the new handle.

Each pair is scored on five features in [0, 1] (handle, avatar, bio, audience,
shout-outs) combined by a logistic function, see :data:`WEIGHTS`.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from rapidfuzz import fuzz, process

from iru.detect.known_media import _decode_image, _pack, pdq_of_image, phash_of_image

__all__ = [
    "BIAS",
    "HANDLE_FLOOR",
    "WEIGHTS",
    "Mention",
    "Profile",
    "ResurgenceLink",
    "ResurgenceLinker",
    "avatar_hashes",
    "confidence",
    "handle_similarity",
]

# Logistic model: confidence = 1 / (1 + exp(-(BIAS + sum(WEIGHTS[f] * x_f)))), where
# x_handle = max(0, (handle - HANDLE_FLOOR) / (1 - HANDLE_FLOOR)) and the others are the
# evidence values. Hand-set (no labelled returns to fit on) to these design points:
# * a handle alone stays below 0.6 even when identical (-0.5 -> 0.38): many handles are
#   alike, and unrelated handles already score 0.3-0.5, hence the floor;
# * handle 0.8 + the same picture gives 0.92 (2.5); same picture + three shout-outs 0.96
#   even with an unrelated handle: the picture is the strongest single sign, shout-outs
#   by the old audience are specific to one handle;
# * a picture alone stays at 0.43 (common flags and logos are shared), and needs one more
#   sign: a somewhat alike handle (>= 0.65), half the audience, or a copied bio;
# * a bio alone never links (0.03 when identical): bios are short and formulaic;
# * audience overlap is supporting evidence: followers of one account follow many.
WEIGHTS = {"handle": 5.0, "avatar": 5.2, "bio": 2.0, "audience": 2.5, "shout_outs": 3.5}
BIAS = -5.5
HANDLE_FLOOR = 0.55

_TOLERANCE_S = 3600.0  # clocks and "first seen" are loose: one hour of overlap is allowed
_SHOUT_WINDOW_S = 3 * 86400.0
_SHOUT_STRENGTH = (0.0, 0.6, 0.85, 1.0)  # by distinct authors, saturating at 3
_BLOCK_MIN_RATIO = 60  # fuzzy-handle block: below this normalised ratio is no candidate
_CDIST_CELLS = 20_000_000  # rows per cdist chunk: bounds the score matrix to ~20 MB

_LOOKALIKE = str.maketrans("01l3457", "oiieast")
_NON_ALNUM = re.compile(r"[^a-z0-9]")
_HEX = re.compile(r"[0-9a-fA-F]+")
# Tried longest first, with or without the underscore where a bare word is safe.
_SUFFIXES: tuple[str, ...] = ("_official", "official", "_again", "again", "_back", "back")
_SUFFIXES += ("_real", "_new", "_bk", "_v", "_x", "_")
_PREFIXES = ("official_", "official", "the_", "the", "real_", "real", "new_", "its_", "its")
_TRAILING = "0123456789_.-"


@dataclass(frozen=True, slots=True)
class Profile:
    """An account as the linker sees it."""

    platform: str
    account_id: str
    handle: str
    bio: str
    created_at: datetime | None  # profile creation time, if the platform gives it
    first_post_at: datetime | None  # first post iru has seen
    last_post_at: datetime | None  # last post iru has seen
    avatar_pdq: str | None = None  # 64 hex chars
    avatar_phash: str | None = None  # 16 hex chars (imagehash pHash)
    audience: frozenset[str] = (
        frozenset()
    )  # account_ids that follow, repost, reply to or mention it


@dataclass(frozen=True, slots=True)
class Mention:
    """A post by ``author_id`` that names ``handle`` (the shout-out announcing a new account looks like this)."""

    platform: str
    author_id: str
    handle: str  # the mentioned handle, without '@', as written
    post_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ResurgenceLink:
    """A new account and the gone account it most likely replaces."""

    platform: str
    account_id: str  # the new account
    predecessor_id: str  # the suspended/silent account it replaces
    confidence: float  # in [0, 1]
    evidence: dict[str, float]  # feature name -> strength in [0, 1]
    explanation: str  # one line an analyst reads
    first_post_at: datetime | None  # of the new account


def avatar_hashes(data: bytes) -> tuple[str | None, str | None]:
    """(PDQ hex, pHash hex) of an image file's bytes; (None, None) when it is not an image."""
    image = _decode_image(data)
    if image is None:
        return None, None
    return pdq_of_image(image)[0], phash_of_image(image)


def _light(handle: str) -> str:
    """Lower case, look-alike digits folded to letters, only [a-z0-9]."""
    return _NON_ALNUM.sub("", handle.strip().lstrip("@").lower().translate(_LOOKALIKE))


def _core(handle: str) -> str:
    """The handle without added digits, return suffixes ("_2", "_back") or prefixes ("the")."""
    h = handle.strip().lstrip("@").lower()
    changed = True
    while changed:
        changed = False
        stripped = h.rstrip(_TRAILING)
        if stripped != h and len(stripped) >= 3:
            h, changed = stripped, True
        for suffix in _SUFFIXES:
            if h.endswith(suffix) and len(h) - len(suffix) >= 3:
                h, changed = h[: -len(suffix)], True
                break
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if h.startswith(prefix) and len(h) - len(prefix) >= 3:
                h, changed = h[len(prefix) :], True
                break
    return _light(h)


def handle_similarity(old: str, new: str) -> float:
    """In [0,1]; robust to digits added/dropped, look-alike letters (0/o, 1/l/i, 3/e, 4/a, 5/s, 7/t), swapped letters, suffixes like _2, _back, _new, _official, _real and prefixes like the/real/new.

    The larger of the normalised Indel ratio of the whole handles (look-alikes folded)
    and, slightly discounted, that of their cores (affixes and trailing digits removed):
    equal cores give 0.95, or 0.85 when the shorter core has under five letters.
    """
    a, b = _light(old), _light(new)
    if not a or not b:
        return 0.0
    whole = fuzz.ratio(a, b) / 100.0
    ca, cb = _core(old), _core(new)
    if not ca or not cb:
        return whole
    discount = 0.95 if min(len(ca), len(cb)) >= 5 else 0.85
    return max(whole, discount * fuzz.ratio(ca, cb) / 100.0)


def _trigrams(text: str) -> set[str]:
    t = " ".join(text.lower().split())
    return {t[i : i + 3] for i in range(len(t) - 2)} if len(t) >= 3 else ({t} if t else set())


def _bio_similarity(a: str, b: str) -> float:
    """Jaccard similarity of character 3-grams; 0 when either bio is empty."""
    ga, gb = _trigrams(a), _trigrams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


def _overlap(a: frozenset[str], b: frozenset[str]) -> tuple[float, int]:
    """Overlap coefficient |A∩B| / min(|A|, |B|) and |A∩B|; 0 when either is empty."""
    if not a or not b:
        return 0.0, 0
    shared = len(a & b)
    return shared / min(len(a), len(b)), shared


def _hex(value: str | None, digits: int) -> str | None:
    """``value`` in lower case if it is exactly ``digits`` hex digits, else None."""
    if value is None or len(value) != digits or not _HEX.fullmatch(value):
        return None
    return value.lower()


def _hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def confidence(evidence: dict[str, float]) -> float:
    """The logistic combination of evidence values (missing features count 0), see WEIGHTS."""
    x = dict(evidence)
    x["handle"] = max(0.0, (x.get("handle", 0.0) - HANDLE_FLOOR) / (1.0 - HANDLE_FLOOR))
    z = BIAS + sum(w * x.get(name, 0.0) for name, w in WEIGHTS.items())
    return 1.0 / (1.0 + math.exp(-z))


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else math.nan


def _appearance(p: Profile) -> datetime | None:
    known = [t for t in (p.created_at, p.first_post_at) if t is not None]
    return min(known) if known else None


def _days(seconds: float) -> str:
    days = seconds / 86400.0
    return f"{seconds / 3600.0:.0f} h" if days < 1 else f"{days:.1f} days"


_Group = tuple[list[Profile], list[Profile], list[Mention]]  # gone, new, mentions of a platform


class ResurgenceLinker:
    """Links each new account to the gone account it most likely replaces.

    ``min_confidence``: links below it are dropped; ``handle_candidates``: how many
    fuzzy-handle neighbours each new account is scored against; ``max_gap_days``: the
    longest silence between the old account's last post and the new one's first
    appearance; ``pdq_threshold`` / ``phash_threshold``: Hamming distances up to which
    two profile pictures count as the same.
    """

    def __init__(
        self,
        min_confidence: float = 0.6,
        handle_candidates: int = 10,
        max_gap_days: float = 30.0,
        pdq_threshold: int = 31,
        phash_threshold: int = 10,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], not {min_confidence}")
        if handle_candidates < 0 or max_gap_days < 0:
            raise ValueError("handle_candidates and max_gap_days must not be negative")
        if not (0 <= pdq_threshold < 256 and 0 <= phash_threshold < 64):
            raise ValueError("pdq_threshold must be in 0..255 and phash_threshold in 0..63")
        self.min_confidence = min_confidence
        self.handle_candidates = handle_candidates
        self.max_gap_days = max_gap_days
        self.pdq_threshold = pdq_threshold
        self.phash_threshold = phash_threshold

    def link(
        self, gone: Sequence[Profile], new: Sequence[Profile], mentions: Sequence[Mention] = ()
    ) -> list[ResurgenceLink]:
        """Best predecessor (if any reaches min_confidence) for each new account, ordered by (platform, account_id)."""
        by_platform: dict[str, _Group] = defaultdict(lambda: ([], [], []))
        for p in gone:
            by_platform[p.platform][0].append(p)
        for p in new:
            by_platform[p.platform][1].append(p)
        for m in mentions:
            by_platform[m.platform][2].append(m)
        links: list[ResurgenceLink] = []
        for group in by_platform.values():
            if group[0] and group[1]:
                links.extend(_Run(self, group).links())
        return sorted(links, key=lambda k: (k.platform, k.account_id))


class _Run:
    """One platform's linking: blocks, features, best predecessor per new account."""

    def __init__(self, cfg: ResurgenceLinker, group: _Group) -> None:
        self.cfg = cfg
        self.olds, self.news, self.mentions = group
        self.appear = np.array([_ts(_appearance(p)) for p in self.news])
        self.last = np.array([_ts(p.last_post_at) for p in self.olds])
        self.created = np.array([_ts(p.created_at) for p in self.olds])
        self.max_gap_s = cfg.max_gap_days * 86400.0

    def eligible(self, i: np.ndarray | int, j: np.ndarray | int) -> np.ndarray:
        """Whether old ``j`` went quiet before new ``i`` appeared, within the gap (vectorised)."""
        appear, last, created = self.appear[i], self.last[j], self.created[j]
        quiet = np.isnan(last) | (
            (last <= appear + _TOLERANCE_S) & (appear - last <= self.max_gap_s)
        )
        born = np.isnan(created) | (created <= appear + _TOLERANCE_S)
        return np.asarray(~np.isnan(appear) & quiet & born)

    def links(self) -> list[ResurgenceLink]:
        pairs: set[tuple[int, int]] = set()
        self._block_handles(pairs)
        self._block_avatars(pairs)
        shouts = self._block_mentions(pairs)
        best: dict[int, tuple[tuple[float, float, str], ResurgenceLink]] = {}
        for i, j in sorted(pairs):
            old, new = self.olds[j], self.news[i]
            if old.account_id == new.account_id or not self.eligible(i, j):
                continue
            link = self._score(old, new, i, j, len(shouts.get((i, j), ())))
            if link.confidence < self.cfg.min_confidence:
                continue
            last = self.last[j]
            key = (-link.confidence, -(last if not np.isnan(last) else -math.inf), old.account_id)
            if i not in best or key < best[i][0]:
                best[i] = (key, link)
        return [link for _, link in best.values()]

    def _block_handles(self, pairs: set[tuple[int, int]]) -> None:
        k = min(self.cfg.handle_candidates, len(self.olds))
        if k <= 0:
            return
        old_cores = [_core(p.handle) for p in self.olds]
        new_cores = [_core(p.handle) for p in self.news]
        rows = max(1, _CDIST_CELLS // len(old_cores))
        js = np.arange(len(old_cores))
        for start in range(0, len(new_cores), rows):
            stop = min(start + rows, len(new_cores))
            scores = process.cdist(
                new_cores[start:stop],
                old_cores,
                scorer=fuzz.ratio,
                dtype=np.uint8,
                workers=-1,
                score_cutoff=_BLOCK_MIN_RATIO,
            )
            scores[~self.eligible(np.arange(start, stop)[:, None], js[None, :])] = 0
            for r in range(stop - start):
                row = scores[r]
                hits = np.flatnonzero(row)
                if hits.size > k:  # best k, ties to the lower index: deterministic
                    order = np.lexsort((hits, -row[hits].astype(np.int16)))
                    hits = hits[order[:k]]
                pairs.update((start + r, int(j)) for j in hits)

    def _block_avatars(self, pairs: set[tuple[int, int]]) -> None:
        for attr, bits, threshold in (
            ("avatar_pdq", 256, self.cfg.pdq_threshold),
            ("avatar_phash", 64, self.cfg.phash_threshold),
        ):
            digits = bits // 4
            base = [
                (j, h) for j, p in enumerate(self.olds) if (h := _hex(getattr(p, attr), digits))
            ]
            query = [
                (i, h) for i, p in enumerate(self.news) if (h := _hex(getattr(p, attr), digits))
            ]
            if not base or not query:
                continue
            import faiss  # loaded when avatars are compared, not on import

            index = faiss.IndexBinaryFlat(bits)
            index.add(_pack([h for _, h in base], bits))
            limits, _, rows = index.range_search(_pack([h for _, h in query], bits), threshold + 1)
            for q, (i, _) in enumerate(query):
                for r in rows[int(limits[q]) : int(limits[q + 1])].tolist():
                    pairs.add((i, base[int(r)][0]))

    def _block_mentions(self, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], set[str]]:
        """Pairs (new, old) named by authors from the old account's audience, and the authors."""
        if not self.mentions:
            return {}
        by_handle: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.news):
            by_handle[p.handle.strip().lstrip("@").lower()].append(i)
        named: set[tuple[int, str]] = set()  # (new, author) within the shout-out window
        for m in self.mentions:
            when = m.created_at.timestamp()
            for i in by_handle.get(m.handle.strip().lstrip("@").lower(), ()):
                appear = self.appear[i]
                if m.author_id != self.news[i].account_id and (
                    appear - _TOLERANCE_S <= when <= appear + _SHOUT_WINDOW_S
                ):
                    named.add((i, m.author_id))
        # Index old audiences by these authors only: audiences may be large, authors are few.
        wanted = {author for _, author in named}
        audience_of: dict[str, list[int]] = defaultdict(list)
        for j, p in enumerate(self.olds):
            for member in p.audience & wanted:
                audience_of[member].append(j)
        authors: dict[tuple[int, int], set[str]] = defaultdict(set)
        for i, author in named:
            for j in audience_of.get(author, ()):
                authors[(i, j)].add(author)
        pairs.update(authors)
        return authors

    def _avatar(self, old: Profile, new: Profile) -> tuple[float, str]:
        """Avatar strength and how it reads: the stronger of PDQ and pHash."""
        best, words = 0.0, ""
        for name, attr, digits, threshold in (
            ("PDQ", "avatar_pdq", 64, self.cfg.pdq_threshold),
            ("pHash", "avatar_phash", 16, self.cfg.phash_threshold),
        ):
            a, b = _hex(getattr(old, attr), digits), _hex(getattr(new, attr), digits)
            if a is None or b is None:
                continue
            d = _hamming(a, b)
            strength = 1.0 if d <= threshold else max(0.0, 1.0 - (d - threshold) / (threshold + 1))
            if strength > best:
                kind = "same" if strength == 1.0 else "similar"
                best, words = strength, f"{kind} profile picture ({name} distance {d})"
        return best, words

    def _score(self, old: Profile, new: Profile, i: int, j: int, shouts: int) -> ResurgenceLink:
        handle = handle_similarity(old.handle, new.handle)
        avatar, avatar_words = self._avatar(old, new)
        bio = _bio_similarity(old.bio, new.bio)
        audience, shared = _overlap(old.audience, new.audience)
        evidence = {
            "handle": handle,
            "avatar": avatar,
            "bio": bio,
            "audience": audience,
            "shout_outs": _SHOUT_STRENGTH[min(shouts, 3)],
        }
        words = [f"handle {handle:.0%} alike"]
        if avatar_words:
            words.append(avatar_words)
        if shouts:
            words.append(f"{shouts} shout-out{'s' if shouts > 1 else ''} by its former audience")
        if audience:
            words.append(f"audience overlap {audience:.0%} ({shared} shared)")
        if bio:
            words.append("same bio" if bio == 1.0 else f"bio {bio:.0%} alike")
        quiet = ""
        if not np.isnan(self.last[j]):
            quiet = f" (quiet {_days(max(0.0, self.appear[i] - self.last[j]))} before it appeared)"
        return ResurgenceLink(
            platform=new.platform,
            account_id=new.account_id,
            predecessor_id=old.account_id,
            confidence=confidence(evidence),
            evidence=evidence,
            explanation=f"@{new.handle} likely replaces gone @{old.handle}{quiet}: "
            + ", ".join(words),
            first_post_at=new.first_post_at,
        )
