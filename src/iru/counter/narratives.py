"""What the audience is told: narratives across languages, and each language's keyword list.

The key terms of every language (:mod:`iru.counter.terms`) are grouped into **narratives**
in two steps:

1. **Anchors.** A release series (``word-*``) is a language-independent identifier: the
   same outlet numbers its releases the same way in every language. Series whose posts
   overlap (cosine of their post sets at least ``anchor_similarity``) form one anchor,
   and every other term joins the anchor that at least ``anchor_share`` of its posts carry
   (an outlet's domain, its name in each language, its own hashtags). A campaign's name in
   Arabic and in French never share a post, but both sit in posts of its series.
2. **The rest** (shared hashtags, slogans, file hosts) is clustered by average-linkage
   agglomerative clustering (scikit-learn) on a similarity that mixes two views:

   * second-order co-occurrence: the cosine of the terms' positive-PMI co-occurrence
     profiles over the propaganda posts;
   * the multilingual sentence embeddings (USE v3) of the terms themselves, with weight
     ``embedding_weight``: translated slogans land close together even when they never
     share a hashtag.

Each narrative has its terms per language, its volume (posts and exposures) per day, and
its exposures per audience segment. A language's **keyword list** takes every narrative's
best terms in that language in turn (the narratives' best first), so that a campaign with
little volume in a language still gets its identifiers listed there. Pure: numpy, scipy,
scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from iru.counter.segments import trend_of
from iru.counter.terms import KINDS, Posts, Term, key_terms, post_terms

__all__ = [
    "KINDS",
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


@dataclass(frozen=True, slots=True)
class NarrativeSettings:
    """Knobs of term selection and clustering (see the module docstrings)."""

    per_language: int = 40  # keyword list length per language
    candidates: int = 150  # key terms per language that are clustered
    min_posts: int = 3
    min_ratio: float = 3.0
    max_ngram: int = 3
    min_background: int = 100
    min_cohesion: float = 0.5
    anchor_similarity: float = 0.5
    anchor_share: float = 0.6
    embedding_weight: float = 0.25
    similarity: float = 0.4  # clusters join while their average similarity is at least this


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
    anchors: list[str]  # the release series it is anchored on (none: clustered)


@dataclass(frozen=True, slots=True)
class NarrativeReport:
    terms: dict[str, list[Term]]  # language -> keyword list, every narrative in turn
    narratives: list[Narrative]  # largest exposure first
    days: list[date]
    # segment id -> (term key, exposures of that segment to posts carrying it), best first
    towards: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def term(self, key: str, language: str = "") -> Term | None:
        """The key term ``key`` as listed for ``language``, else where it reaches most."""
        found = [t for n in self.narratives for t in n.terms if t.key == key]
        mine = [t for t in found if t.language == language]
        ranked = mine or sorted(found, key=lambda t: (-t.exposure, t.language))
        return ranked[0] if ranked else None

    def narrative_of(self, key: str) -> int | None:
        return next((n.id for n in self.narratives for t in n.terms if t.key == key), None)


def _similarity(
    texts: list[str],
    incidence: sp.csr_matrix,
    *,
    weight: FloatArray,
    embed: Embedder | None,
    embedding_weight: float,
) -> FloatArray:
    """Term x term similarity: PPMI profile cosine, mixed with embedding cosine."""
    k = incidence.shape[1]
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


def _anchored(
    keys: list[str], incidence: sp.csr_matrix, weight: FloatArray, settings: NarrativeSettings
) -> IntArray:
    """Anchor group of every key (-1: none). Series are grouped by the overlap of their
    posts; every other key joins the group that ``anchor_share`` of its posts carry."""
    group = np.full(len(keys), -1, dtype=np.int64)
    series = np.array([j for j, k in enumerate(keys) if k.startswith("series:")], dtype=np.int64)
    if not series.size:
        return group
    weighted = sp.diags(weight) @ incidence
    cooc = (incidence[:, series].T @ weighted[:, series]).toarray()
    df = np.sqrt(np.clip(np.diag(cooc), 1e-12, None))
    cosine = np.clip(cooc / np.outer(df, df), 0.0, 1.0)
    np.fill_diagonal(cosine, 1.0)
    labels = _clusters(cosine, settings.anchor_similarity)
    group[series] = labels
    # Posts x groups: does the post carry any series of the group?
    member = sp.csr_matrix(
        (np.ones(series.size), (np.arange(series.size), labels)),
        shape=(series.size, int(labels.max()) + 1),
    )
    carries = ((incidence[:, series] @ member) > 0).astype(np.float64)
    share = np.asarray((weighted.T @ carries).todense())  # keys x groups: weight together
    total = np.asarray(weighted.sum(axis=0)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = share / total[:, None]
    best = share.argmax(axis=1)
    strong = np.take_along_axis(share, best[:, None], axis=1).ravel() >= settings.anchor_share
    rest = group < 0
    group[rest & strong] = best[rest & strong]
    return group


def _term_text(term: Term) -> str:
    if term.kind == "series":
        return term.text.removesuffix("-*")
    return term.text.lstrip("#")


def _keyword_list(terms: list[Term], narrative_of: dict[str, int], limit: int) -> list[Term]:
    """Every narrative's best term in turn (narratives with the best first term first)."""
    queues: dict[int, list[Term]] = {}
    for term in terms:  # best first
        queues.setdefault(narrative_of.get(term.key, -1), []).append(term)
    order = list(queues.values())
    out: list[Term] = []
    depth = 0
    while len(out) < limit and any(depth < len(q) for q in order):
        out.extend(q[depth] for q in order if depth < len(q))
        depth += 1
    return out[:limit]


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
    per_language, terms_of = key_terms(
        propaganda,
        background,
        post_weight,
        limit=max(settings.candidates, settings.per_language),
        min_posts=settings.min_posts,
        min_ratio=settings.min_ratio,
        max_ngram=settings.max_ngram,
        min_background=settings.min_background,
        min_cohesion=settings.min_cohesion,
    )
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
    labels = _anchored(keys, incidence, live, settings)
    rest = np.flatnonzero(labels < 0)
    if rest.size:
        sim = _similarity(
            [_term_text(first[keys[j]]) for j in rest],
            incidence[:, rest],
            weight=live,
            embed=embed,
            embedding_weight=settings.embedding_weight,
        )
        offset = int(labels.max()) + 1
        labels[rest] = _clusters(sim, settings.similarity) + offset
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
                anchors=sorted(first[m].text for m in members if m.startswith("series:")),
            )
        )
    narratives.sort(key=lambda n: (-n.exposure, n.label))
    numbered = [replace(n, id=i + 1) for i, n in enumerate(narratives)]
    narrative_of = {t.key: n.id for n in numbered for t in n.terms}
    listed = {
        lang: _keyword_list(terms, narrative_of, settings.per_language)
        for lang, terms in per_language.items()
    }
    towards = _towards(exposure, authors, weights * (post_weight > 0), incidence, keys)
    return NarrativeReport(
        listed,
        numbered,
        list(days),
        {sid: towards[s][: settings.per_language] for s, sid in enumerate(segment_ids)},
    )


def _towards(
    exposure: sp.csr_matrix,
    authors: IntArray,
    weight: FloatArray,
    incidence: sp.csr_matrix,
    keys: list[str],
) -> list[list[tuple[str, float]]]:
    """Per segment: the terms of the posts that reach it, by the segment's exposures."""
    segments = exposure.shape[0]
    if not segments or not keys or not authors.size:
        return [[] for _ in range(segments)]
    reach = sp.csr_matrix(exposure[:, authors]) @ sp.diags(weight)  # S x posts
    per_key = np.asarray((reach @ incidence).todense())  # S x keys
    out = []
    for row in per_key:
        order = np.lexsort((np.arange(row.size), -row))
        out.append([(keys[j], round(float(row[j]), 2)) for j in order if row[j] > 0])
    return out
