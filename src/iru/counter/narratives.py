"""What the audience is told: key terms per language, clustered into narratives across languages.

**Terms** of a post: its hashtags, the hosts of its links (outlet and file-sharing
domains), release-series tags (``word-NNN`` becomes the series ``word-*``) and word
n-grams (1 to ``max_ngram`` words, within punctuation; links, hashtags, @handles and the
``RT @x:`` prefix removed). Only propaganda that reaches the audience counts: each
supporter post weighs the number of audience members in contact with its author
(its *exposure*), times its sampling weight.

**Key terms** of a language are scored by TF-IDF against non-propaganda text: the
exposure-weighted share of the language's propaganda carrying the term, times
``ln((1 + B) / (1 + b)) + 1`` where ``B`` is the number of background posts (own posts of
non-supporters) in that language and ``b`` those with the term. A term must occur in at
least ``min_posts`` propaganda posts and be at least ``min_ratio`` times more frequent
there than in the background (everyday words are not); an n-gram is dropped when a longer
one holding it covers at least 80 % of its posts (so "outlet name" is listed, not "outlet"
and "name" besides).

**Narratives** cluster the key terms of every language together (average-linkage
agglomerative clustering, scikit-learn) on a similarity that mixes two views:

* second-order co-occurrence: the cosine of the terms' positive-PMI co-occurrence
  profiles over the propaganda posts. A campaign's outlet name in Arabic and in French
  never share a post, but both share posts with the campaign's release series, domain
  and hashtags, so their profiles agree;
* the multilingual sentence embeddings (USE v3) of the terms themselves, with weight
  ``embedding_weight``: translated slogans land close together even when they never
  share a hashtag.

Each narrative has its terms per language, its volume (posts and exposures) per day, and
its exposures per audience segment. Pure: numpy, scipy, scikit-learn.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from iru.counter.segments import trend_of

__all__ = [
    "Narrative",
    "NarrativeReport",
    "NarrativeSettings",
    "Posts",
    "Term",
    "find_narratives",
    "post_terms",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Embedder = Callable[[list[str]], npt.NDArray[np.floating]]

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_HOST = re.compile(r"https?://(?:www\.)?([^/\s?#:]+)", re.IGNORECASE)
_TAG = re.compile(r"[#＃](\w+)")
_MENTION = re.compile(r"@\w+")
_RT = re.compile(r"^RT @\w+:\s*")
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
class NarrativeSettings:
    """Knobs of term selection and clustering (see the module docstring)."""

    per_language: int = 30
    min_posts: int = 3
    min_ratio: float = 3.0
    max_ngram: int = 3
    embedding_weight: float = 0.25
    similarity: float = 0.4  # clusters join while their average similarity is at least this


@dataclass(frozen=True, slots=True)
class Term:
    """A key term of one language."""

    key: str  # normalised: "#tag", "domain:host", "series:stem", or the words
    text: str  # as first seen
    kind: str  # hashtag | domain | series | phrase
    language: str
    posts: float  # propaganda posts reaching the audience that carry it (sample-weighted)
    exposure: float  # the same, weighted by exposure
    background: int  # background posts of the language that carry it
    score: float  # TF-IDF against the background


@dataclass(frozen=True, slots=True)
class Narrative:
    """Terms that travel together, across languages."""

    id: int
    label: str
    terms: list[Term]
    languages: list[str]
    posts: float
    exposure: float
    daily: list[float]  # exposures per day
    trend: float
    segments: dict[str, float]  # segment id -> exposures


@dataclass(frozen=True, slots=True)
class NarrativeReport:
    terms: dict[str, list[Term]]  # language -> key terms, best first
    narratives: list[Narrative]  # largest exposure first
    days: list[date]


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
    body = _RT.sub("", text or "")
    body = _MENTION.sub(" | ", _TAG.sub(" | ", _URL.sub(" | ", body)))
    for chunk in _BOUNDARY.split(body):
        words: list[str] = []
        for token in _WORD.findall(chunk):
            series = _SERIES.match(token)
            if series:
                stem = series.group(1)
                out.setdefault("series:" + stem.casefold(), (f"{stem}-*", "series"))
                _ngrams(words, out, max_ngram)
                words = []
            elif token.isdigit() or len(token) < 2:
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


def _key_terms(
    propaganda: Posts,
    background: Posts,
    post_weight: FloatArray,
    settings: NarrativeSettings,
) -> tuple[dict[str, list[Term]], list[dict[str, tuple[str, str]]]]:
    shown: dict[str, tuple[str, str]] = {}
    tallies: dict[str, _Tally] = {}
    terms_of: list[dict[str, tuple[str, str]]] = []
    for p in range(len(propaganda)):
        found = post_terms(
            propaganda.text[p], propaganda.hashtags[p], propaganda.urls[p], settings.max_ngram
        )
        terms_of.append(found)
        if post_weight[p] <= 0:
            continue
        lang = propaganda.language[p] or "und"
        tally = tallies.setdefault(lang, _Tally())
        s = float(propaganda.weight[p])
        e = float(post_weight[p])
        tally.posts += s
        tally.exposure += e
        for key, value in found.items():
            shown.setdefault(key, value)
            tally.count[key] += 1
            tally.weighted[key] += s
            tally.exposed[key] += e
    bg_count: dict[str, Counter[str]] = {}
    bg_posts: Counter[str] = Counter()
    bg_all: Counter[str] = Counter()
    for b in range(len(background)):
        lang = background.language[b] or "und"
        found = post_terms(
            background.text[b], background.hashtags[b], background.urls[b], settings.max_ngram
        )
        bg_posts[lang] += 1
        bg_count.setdefault(lang, Counter()).update(found.keys())
        bg_all.update(found.keys())
    total_bg = sum(bg_posts.values())
    result: dict[str, list[Term]] = {}
    for lang, tally in sorted(tallies.items()):
        if bg_posts[lang]:
            counts, n_bg = bg_count[lang], bg_posts[lang]
        else:
            counts, n_bg = bg_all, total_bg
        candidates = []
        for key, cnt in tally.count.items():
            if cnt < settings.min_posts:
                continue
            rate = tally.weighted[key] / max(tally.posts, 1e-9)
            base = (counts.get(key, 0) + 0.5) / (n_bg + 1)
            if rate < settings.min_ratio * base:
                continue
            idf = math.log((1 + n_bg) / (1 + counts.get(key, 0))) + 1.0
            score = tally.exposed[key] / max(tally.exposure, 1e-9) * idf
            candidates.append((score, key))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        keys = [k for _, k in candidates]
        dropped = _collapse(keys, tally.count)
        chosen = [(s, k) for s, k in candidates if k not in dropped][: settings.per_language]
        result[lang] = [
            Term(
                key=k,
                text=shown[k][0],
                kind=shown[k][1],
                language=lang,
                posts=round(float(tally.weighted[k]), 2),
                exposure=round(float(tally.exposed[k]), 2),
                background=int(counts.get(k, 0)),
                score=round(s, 5),
            )
            for s, k in chosen
        ]
    return result, terms_of


def _similarity(
    keys: list[str],
    texts: list[str],
    incidence: sp.csr_matrix,
    *,
    weight: FloatArray,
    embed: Embedder | None,
    embedding_weight: float,
) -> FloatArray:
    """Term x term similarity: PPMI profile cosine, mixed with embedding cosine."""
    k = len(keys)
    cooc = (incidence.T @ sp.diags(weight) @ incidence).toarray()
    df = np.diag(cooc).copy()
    total = float(weight.sum()) or 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(cooc * total / np.outer(df, df))
    # Each term's positive-PMI profile over all terms, itself included (so that two terms
    # seen only together are alike; a term's self-PMI, ln(N / df), also keeps a rare term
    # from joining a cluster on a single shared partner).
    ppmi = np.where(np.isfinite(pmi) & (pmi > 0), pmi, 0.0)
    norms = np.linalg.norm(ppmi, axis=1, keepdims=True)
    profile = ppmi / np.where(norms > 0, norms, 1.0)
    sim = profile @ profile.T
    if embed is not None and embedding_weight > 0 and k:
        vectors = np.asarray(embed(texts), dtype=np.float64)
        vnorm = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(vnorm > 0, vnorm, 1.0)
        emb = np.clip(vectors @ vectors.T, 0.0, 1.0)
        sim = (1 - embedding_weight) * sim + embedding_weight * emb
    np.fill_diagonal(sim, 1.0)
    return np.asarray(np.clip(sim, 0.0, 1.0))


def _clusters(sim: FloatArray, threshold: float) -> IntArray:
    k = sim.shape[0]
    if k < 2:
        return np.zeros(k, dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - threshold,
    )
    return np.asarray(model.fit_predict(1.0 - sim), dtype=np.int64)


def _term_text(term: Term) -> str:
    if term.kind == "series":
        return term.text.removesuffix("-*")
    return term.text.lstrip("#")


def find_narratives(
    propaganda: Posts,
    background: Posts,
    exposure: sp.csr_matrix,
    *,
    segment_ids: Sequence[str],
    days: Sequence[date],
    embed: Embedder | None = None,
    settings: NarrativeSettings | None = None,
) -> NarrativeReport:
    """Key terms per language and the narratives they form; ``exposure`` is S x n accounts."""
    settings = settings or NarrativeSettings()
    reach = np.asarray(exposure.sum(axis=0)).ravel() if exposure.shape[0] else None
    authors = np.asarray(propaganda.author, dtype=np.int64)
    if reach is None or reach.size == 0:
        reach_of_post = np.zeros(len(propaganda))
    else:
        reach_of_post = reach[authors] if authors.size else np.zeros(0)
    weights = np.asarray(propaganda.weight, dtype=np.float64)
    post_weight = reach_of_post * weights
    per_language, terms_of = _key_terms(propaganda, background, post_weight, settings)
    first: dict[str, Term] = {}
    for terms in per_language.values():
        for term in terms:
            if term.key not in first or term.exposure > first[term.key].exposure:
                first[term.key] = term
    keys = sorted(first)
    column = {key: j for j, key in enumerate(keys)}
    rows, cols = [], []
    for p, found in enumerate(terms_of):
        if post_weight[p] <= 0:
            continue
        for key in found:
            j = column.get(key)
            if j is not None:
                rows.append(p)
                cols.append(j)
    incidence = sp.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(propaganda), len(keys))
    )
    incidence.data[:] = 1.0
    live = (post_weight > 0).astype(np.float64) * weights
    sim = _similarity(
        keys,
        [_term_text(first[k]) for k in keys],
        incidence,
        weight=live,
        embed=embed,
        embedding_weight=settings.embedding_weight,
    )
    labels = _clusters(sim, settings.similarity)
    ndays = len(days)
    day = np.asarray(propaganda.day, dtype=np.int64)
    narratives: list[Narrative] = []
    every = [t for lang in sorted(per_language) for t in per_language[lang]]
    for cluster in np.unique(labels).tolist():
        members = [keys[j] for j in np.flatnonzero(labels == cluster)]
        wanted = set(members)
        terms = [t for t in every if t.key in wanted]
        terms.sort(key=lambda t: (-t.exposure, t.language, t.key))
        hit = np.asarray(incidence[:, [column[m] for m in members]].sum(axis=1)).ravel() > 0
        hit &= post_weight > 0
        daily = np.zeros(ndays)
        ok = hit & (day >= 0) & (day < ndays)
        np.add.at(daily, day[ok], post_weight[ok])
        per_segment = (
            exposure[:, authors[hit]] @ weights[hit]
            if exposure.shape[0] and hit.any()
            else np.zeros(exposure.shape[0])
        )
        label_terms: list[str] = []
        for t in terms:
            if t.text not in label_terms:
                label_terms.append(t.text)
            if len(label_terms) == 3:
                break
        narratives.append(
            Narrative(
                id=0,
                label=" · ".join(label_terms),
                terms=terms,
                languages=sorted({t.language for t in terms}),
                posts=round(float(weights[hit].sum()), 2),
                exposure=round(float(post_weight[hit].sum()), 2),
                daily=[round(float(d), 2) for d in daily],
                trend=trend_of(daily),
                segments={
                    segment_ids[s]: round(float(v), 2)
                    for s, v in enumerate(np.asarray(per_segment).ravel())
                    if v > 0
                },
            )
        )
    narratives.sort(key=lambda n: (-n.exposure, n.label))
    numbered = [replace(n, id=i + 1) for i, n in enumerate(narratives)]
    return NarrativeReport(per_language, numbered, list(days))
