"""Key terms of the propaganda that reaches the audience, per language, against the background.

**Terms** of a post: its hashtags, the hosts of its links (outlet and file-sharing
domains), release-series tags (``word-NNN`` becomes the series ``word-*``, also when it is
the last part of a link's path) and word n-grams (1 to ``max_ngram`` words, within
punctuation; links, hashtags, @handles and repost markers removed).

Only propaganda that reaches the audience counts: each supporter post weighs the number
of audience members in contact with its author (its *exposure*), times its sampling
weight. A term is *key* in a language when

* it occurs in at least ``min_posts`` posts there, and a phrase in at least two different
  texts (a post passed on a hundred times is one text: the chance word sequences of one
  popular post are not phrases, where its hashtags, links and release tags are markers);
* it is at least ``min_ratio`` times more frequent in that language's propaganda than in
  the background (own posts of non-supporters): in the language's own background and in
  that of every language with at least ``min_background`` posts, so that the everyday
  words of one language are not taken for markers when they travel in another's posts;
* a phrase of several words holds together: at least ``min_cohesion`` of the posts
  carrying its rarest word carry the phrase (an outlet's name or a slogan does; a chance
  sequence of everyday words, each of them in hundreds of posts, does not);
* it is not an n-gram that a longer listed n-gram covers (at least 80 % of its posts: so
  "outlet name" is listed, not "outlet" and "name" besides).

They are scored by TF-IDF: the exposure-weighted share of the language's propaganda
carrying the term, times ``ln((1 + B) / (1 + b)) + 1`` with ``B`` background posts and
``b`` those with the term (in the background that gave its highest rate). Pure: the
standard library and numpy.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["KINDS", "Posts", "Term", "key_terms", "post_terms"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_HOST = re.compile(r"https?://(?:www\.)?([^/\s?#:]+)([^\s?#]*)", re.IGNORECASE)
_TAG = re.compile(r"[#＃](\w+)")
_MENTION = re.compile(r"@\w+")
_REPOST = re.compile(r"(?:^|\s)(?:RT|MT|via)(?=\s*@)|^RT\b")
_BOUNDARY = re.compile(r"[.,;:!?¡¿|()\[\]{}«»\"“”„'’،؛؟…—–\n\r\t]+")
_WORD = re.compile(r"\w[\w\-]*\w|\w")
_SERIES = re.compile(r"^([^\W\d_][\w]*?)-(\d{2,})$")
KINDS = ("hashtag", "domain", "series", "phrase")


@dataclass(frozen=True, slots=True)
class Posts:
    """Posts of one side, with the account (index) that put each out."""

    text: Sequence[str]
    language: Sequence[str]
    hashtags: Sequence[Sequence[str]]
    urls: Sequence[Sequence[str]]
    day: IntArray  # index into the window's days (-1 outside)
    author: IntArray
    weight: FloatArray  # sampling weight: 1.0 when every post was read

    def __len__(self) -> int:
        return len(self.text)


@dataclass(frozen=True, slots=True)
class Term:
    """A key term of one language."""

    key: str  # normalised: "#tag", "domain:host", "series:stem", or the words
    text: str  # as first seen
    kind: str  # hashtag | domain | series | phrase
    language: str
    posts: float  # propaganda posts reaching the audience that carry it (sample-weighted)
    exposure: float  # the same, weighted by exposure
    background: int  # background posts carrying it (where it is most common)
    score: float  # TF-IDF against the background


def _series(token: str, out: dict[str, tuple[str, str]]) -> bool:
    found = _SERIES.match(token)
    if found:
        stem = found.group(1)
        out.setdefault("series:" + stem.casefold(), (f"{stem}-*", "series"))
    return found is not None


def post_terms(
    text: str, hashtags: Sequence[str] = (), urls: Sequence[str] = (), max_ngram: int = 3
) -> dict[str, tuple[str, str]]:
    """The terms of one post: normalised key -> (text as written, kind)."""
    out: dict[str, tuple[str, str]] = {}
    tags = list(hashtags) or _TAG.findall(text or "")
    for written in tags:
        tag = written.lstrip("#＃")
        if tag:
            out.setdefault("#" + tag.casefold(), ("#" + tag, "hashtag"))
    for url in [*urls, *_URL.findall(text or "")]:
        found = _HOST.match(url)
        if found:
            host = found.group(1).lower().rstrip(".")
            out.setdefault("domain:" + host, (host, "domain"))
            last = found.group(2).rstrip("/").rsplit("/", 1)[-1]
            _series(last, out)
    body = _REPOST.sub(" | ", text or "")
    body = _MENTION.sub(" | ", _TAG.sub(" | ", _URL.sub(" | ", body)))
    for chunk in _BOUNDARY.split(body):
        words: list[str] = []
        for token in _WORD.findall(chunk):
            if _series(token, out) or token.isdigit() or len(token) < 2:
                _ngrams(words, out, max_ngram)
                words = []
            else:
                words.append(token)
        _ngrams(words, out, max_ngram)
    return out


def _ngrams(words: list[str], out: dict[str, tuple[str, str]], max_ngram: int) -> None:
    for n in range(1, max_ngram + 1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            out.setdefault(" ".join(w.casefold() for w in gram), (" ".join(gram), "phrase"))


@dataclass(slots=True)
class _Tally:
    """Per-language counts while reading the posts."""

    posts: float = 0.0  # sample-weighted propaganda posts
    exposure: float = 0.0
    count: Counter[str] = field(default_factory=Counter)  # posts read
    texts: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    weighted: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    exposed: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


def _collapse(keys: list[str], count: Counter[str]) -> set[str]:
    """n-grams covered (>= 80 % of their posts) by a longer listed n-gram."""
    dropped: set[str] = set()
    phrases = [k for k in keys if not k.startswith(("#", "domain:", "series:"))]
    for longer in phrases:
        words = longer.split(" ")
        for n in range(1, len(words)):
            for i in range(len(words) - n + 1):
                shorter = " ".join(words[i : i + n])
                if shorter in count and count[longer] >= 0.8 * count[shorter]:
                    dropped.add(shorter)
    return dropped


def _cohesion(key: str, count: Counter[str]) -> float:
    """Posts carrying the n-gram over posts carrying its rarest word (1 for one word)."""
    words = key.split(" ")
    if len(words) < 2:
        return 1.0
    rarest = min(count.get(w, 0) for w in words)
    return count[key] / rarest if rarest else 0.0


@dataclass(slots=True)
class _Background:
    """Background posts per language and the terms they carry."""

    posts: Counter[str] = field(default_factory=Counter)
    count: dict[str, Counter[str]] = field(default_factory=dict)

    def rate(self, key: str, lang: str, min_background: int) -> tuple[float, str]:
        """The highest smoothed rate of ``key`` over ``lang`` and every language with at
        least ``min_background`` posts (the language it was found in, second)."""
        best, where = -1.0, lang
        for other, n in self.posts.items():
            if other != lang and n < min_background:
                continue
            rate = (self.count[other].get(key, 0) + 0.5) / (n + 1)
            if rate > best:
                best, where = rate, other
        if best < 0:  # the language has no background: everything pooled
            n = sum(self.posts.values())
            pooled = sum(c.get(key, 0) for c in self.count.values())
            return (pooled + 0.5) / (n + 1), ""
        return best, where

    def idf(self, key: str, where: str) -> tuple[float, int]:
        if where:
            n, b = self.posts[where], self.count[where].get(key, 0)
        else:
            n = sum(self.posts.values())
            b = sum(c.get(key, 0) for c in self.count.values())
        return math.log((1 + n) / (1 + b)) + 1.0, b


def key_terms(
    propaganda: Posts,
    background: Posts,
    post_weight: FloatArray,
    *,
    limit: int,
    min_posts: int = 3,
    min_ratio: float = 3.0,
    max_ngram: int = 3,
    min_background: int = 100,
    min_cohesion: float = 0.5,
) -> tuple[dict[str, list[Term]], list[dict[str, tuple[str, str]]]]:
    """Up to ``limit`` key terms per language (best first), and every propaganda post's
    terms (posts that reach nobody included, for the caller's indexing)."""
    shown: dict[str, tuple[str, str]] = {}
    tallies: dict[str, _Tally] = {}
    terms_of: list[dict[str, tuple[str, str]]] = []
    for p in range(len(propaganda)):
        found = post_terms(
            propaganda.text[p], propaganda.hashtags[p], propaganda.urls[p], max_ngram
        )
        terms_of.append(found)
        if post_weight[p] <= 0:
            continue
        lang = propaganda.language[p] or "und"
        tally = tallies.setdefault(lang, _Tally())
        s = float(propaganda.weight[p])
        e = float(post_weight[p])
        text_id = hash(_REPOST.sub("", _MENTION.sub("", propaganda.text[p] or "")).strip())
        tally.posts += s
        tally.exposure += e
        for key, value in found.items():
            shown.setdefault(key, value)
            tally.count[key] += 1
            tally.texts[key].add(text_id)
            tally.weighted[key] += s
            tally.exposed[key] += e
    bg = _Background()
    for b in range(len(background)):
        lang = background.language[b] or "und"
        found = post_terms(
            background.text[b], background.hashtags[b], background.urls[b], max_ngram
        )
        bg.posts[lang] += 1
        bg.count.setdefault(lang, Counter()).update(found.keys())
    result: dict[str, list[Term]] = {}
    for lang, tally in sorted(tallies.items()):
        candidates = []
        for key, cnt in tally.count.items():
            if cnt < min_posts or (shown[key][1] == "phrase" and len(tally.texts[key]) < 2):
                continue
            if shown[key][1] == "phrase" and _cohesion(key, tally.count) < min_cohesion:
                continue
            rate = tally.weighted[key] / max(tally.posts, 1e-9)
            base, where = bg.rate(key, lang, min_background)
            if rate < min_ratio * base:
                continue
            idf, seen = bg.idf(key, where)
            score = tally.exposed[key] / max(tally.exposure, 1e-9) * idf
            candidates.append((score, key, seen))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        dropped = _collapse([k for _, k, _ in candidates], tally.count)
        chosen = [c for c in candidates if c[1] not in dropped][:limit]
        result[lang] = [
            Term(
                key=k,
                text=shown[k][0],
                kind=shown[k][1],
                language=lang,
                posts=round(float(tally.weighted[k]), 2),
                exposure=round(float(tally.exposed[k]), 2),
                background=seen,
                score=round(s, 5),
            )
            for s, k, seen in chosen
        ]
    return result, terms_of
