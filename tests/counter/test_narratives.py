"""Key terms against the background, and one campaign across languages as one narrative."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp

from iru.counter.narratives import (
    NarrativeReport,
    NarrativeSettings,
    Posts,
    Term,
    find_narratives,
    post_terms,
)

DAYS = [date(2025, 3, 1), date(2025, 3, 2)]
EVERYDAY = ("rain today", "market prices", "bus delay", "football match", "tea and cake")


def test_post_terms_reads_tags_links_series_and_phrases() -> None:
    found = post_terms(
        "RT @someone: Alpha Media | alpha-017, rain https://www.alpha.example/a #Tag",
        urls=["https://files.test/x"],
    )
    assert found["#tag"] == ("#Tag", "hashtag")
    assert found["domain:alpha.example"] == ("alpha.example", "domain")
    assert found["domain:files.test"][1] == "domain"
    assert found["series:alpha"] == ("alpha-*", "series")
    # A release tag that is only the last part of a link's path is its series too.
    linked = post_terms("new https://gamma.example/watch/gamma-204/")
    assert linked["series:gamma"] == ("gamma-*", "series") and "domain:gamma.example" in linked
    assert "rt" not in post_terms("look RT @x: via @y MT @z fine")
    assert found["alpha media"] == ("Alpha Media", "phrase")
    assert "rain" in found and "media" in found
    # No n-gram crosses punctuation, links, handles or the repost prefix.
    assert "media alpha" not in found and "someone" not in found and "rt" not in found
    assert not any("https" in key or "017" in key for key in found)


def _posts(rows: list[tuple[str, str, int]]) -> Posts:
    return Posts(
        text=[t for t, _, _ in rows],
        language=[lang for _, lang, _ in rows],
        hashtags=[() for _ in rows],
        urls=[() for _ in rows],
        day=np.array([i % 2 for i in range(len(rows))], dtype=np.int64),
        author=np.array([a for *_, a in rows], dtype=np.int64),
        weight=np.ones(len(rows)),
    )


def _world() -> tuple[Posts, Posts]:
    rows = []
    for i in range(6):
        chat = EVERYDAY[i % len(EVERYDAY)]
        rows.append(
            (f"Alpha Voice alpha-{i:03d} {chat} https://alpha.example/{i} #AlphaCall", "en", 0)
        )
        rows.append(
            (f"صوت ألفا alpha-{i + 10:03d} {chat} https://alpha.example/r{i} #AlphaCall", "ar", 1)
        )
        rows.append((f"Beta Voice beta-{i:03d} {chat} https://beta.example/{i} #BetaCall", "en", 2))
        rows.append(
            (f"صوت بيتا beta-{i + 10:03d} {chat} https://beta.example/r{i} #BetaCall", "ar", 3)
        )
    background = [
        (f"{EVERYDAY[i % 5]} {EVERYDAY[(i + 2) % 5]}", lang, 4)
        for i in range(20)
        for lang in ("en", "ar")
    ]
    return _posts(rows), _posts(background)


def _report(
    rows: list[tuple[str, str, int]], background: list[tuple[str, str, int]], **settings: Any
) -> NarrativeReport:
    """Narratives of ``rows`` against ``background``; every author reaches one member."""
    accounts = 1 + max(a for *_, a in [*rows, *background])
    return find_narratives(
        _posts(rows),
        _posts(background),
        sp.csr_matrix(np.ones((1, accounts))),
        segment_ids=["s"],
        days=DAYS,
        settings=NarrativeSettings(**settings),
    )


def test_key_terms_and_narratives_across_languages() -> None:
    propaganda, background = _world()
    exposure = sp.csr_matrix(np.array([[2.0, 1.0, 1.0, 1.0, 0.0]]))  # one segment, 5 accounts
    report = find_narratives(
        propaganda,
        background,
        exposure,
        segment_ids=["en/x/c0"],
        days=DAYS,
        settings=NarrativeSettings(min_posts=3, similarity=0.3),
    )
    en = {t.key: t for t in report.terms["en"]}
    ar = {t.key for t in report.terms["ar"]}
    assert {"#alphacall", "domain:alpha.example", "series:alpha", "alpha voice"} <= set(en)
    assert {"domain:beta.example", "series:beta", "صوت ألفا", "صوت بيتا"} <= ar
    # Everyday words are as common in the background: never key terms.
    assert not any(word in en for word in ("rain", "market", "football match"))
    # "voice" alone is covered by "alpha voice" / "beta voice" only partly: it may stay,
    # but "alpha" alone is fully covered by "alpha voice" and is dropped.
    assert "alpha" not in en
    # Author 0 reaches 2 audience members: its terms weigh double.
    assert en["#alphacall"].exposure == 12.0 and en["#alphacall"].posts == 6.0
    narrative_of = {(t.language, t.key): n.id for n in report.narratives for t in n.terms}
    alpha = {
        narrative_of[k]
        for k in [
            ("en", "alpha voice"),
            ("ar", "صوت ألفا"),
            ("en", "series:alpha"),
            ("ar", "series:alpha"),
        ]
    }
    beta = {
        narrative_of[k]
        for k in [("en", "beta voice"), ("ar", "صوت بيتا"), ("en", "domain:beta.example")]
    }
    assert len(alpha) == 1 and len(beta) == 1 and alpha != beta
    first = report.narratives[0]
    assert first.languages == ["ar", "en"] and first.id == 1
    assert first.segments == {"en/x/c0": first.exposure}  # one segment holds every exposure
    assert len(first.daily) == 2 and sum(first.daily) == first.exposure
    # What the segment meets: every post carrying the term, weighed by its exposures
    # (author 0 reaches 2 members, author 1 one): 6 x 2 + 6 x 1.
    towards = report.towards["en/x/c0"]
    assert dict(towards)["#alphacall"] == 18.0
    assert [e for _, e in towards] == sorted((e for _, e in towards), reverse=True)
    assert report.term("#alphacall", "ar") is not None
    assert report.term("#alphacall", "ar").language == "ar"  # type: ignore[union-attr]
    assert report.narrative_of("series:alpha") == narrative_of[("en", "series:alpha")]
    assert report.term("nothing") is None and report.narrative_of("nothing") is None


def test_embeddings_pull_translations_together() -> None:
    """Two slogans that never share a post, with the same meaning: joined by the embedder."""
    tails = ("friends", "neighbours", "everyone", "team")
    rows = [(f"Stand up now tonight, {w}", "en", 0) for w in tails] + [
        (f"Levez-vous maintenant ce soir, {w}", "fr", 1) for w in tails
    ]
    propaganda = _posts(rows)
    background = _posts([("rain today", "en", 2), ("pluie aujourd'hui", "fr", 2)])
    exposure = sp.csr_matrix(np.ones((1, 3)))

    def meaning(texts: list[str]) -> np.ndarray:
        return np.array(
            [[1.0, 0.0] if ("Stand" in t or "Levez" in t) else [0.0, 1.0] for t in texts]
        )

    plain = find_narratives(propaganda, background, exposure, segment_ids=["s"], days=DAYS)
    joined = find_narratives(
        propaganda,
        background,
        exposure,
        segment_ids=["s"],
        days=DAYS,
        embed=meaning,
        settings=NarrativeSettings(embedding_weight=0.6),
    )
    slogans = {"stand up now", "levez-vous maintenant ce"}

    def homes(report: object) -> set[int]:
        return {n.id for n in report.narratives for t in n.terms if t.key in slogans}  # type: ignore[attr-defined]

    assert len(homes(plain)) == 2 and len(homes(joined)) == 1


def test_a_phrase_needs_two_texts_and_everyday_words_of_any_language_are_not_terms() -> None:
    """A post passed on many times is one text: its chance word sequence is no phrase, its
    hashtag still is a marker. Arabic everyday words inside English-labelled posts are as
    common in the Arabic background: not terms."""
    viral = [("Quiet harbour lights tonight #Gamma", "en", 0)] * 5
    mixed = [(f"Zeta Voice zeta-{i:03d} خبز قهوة", "en", 1) for i in range(5)]
    background = [
        ("rain today market", "en", 2) if i % 2 else ("خبز قهوة مطر", "ar", 2) for i in range(240)
    ]
    report = _report(viral + mixed, background)
    en = {t.key for t in report.terms["en"]}
    assert "#gamma" in en and "zeta voice" in en and "series:zeta" in en
    assert not any(k.startswith(("quiet", "harbour")) for k in en)
    assert "خبز" not in en and "قهوة" not in en


def test_outlets_are_anchored_on_their_release_series_and_every_narrative_is_listed() -> None:
    """Names in two languages that never share a post join their outlet's series; a file
    host shared by both outlets does not; a small outlet still makes each keyword list."""
    rows = []
    for i in range(12):
        host = f"https://files.test/{i}" if i % 4 == 0 else ""
        rows.append((f"Alpha Voice alpha-{i:03d} {host} https://alpha.example/{i}", "en", 0))
        rows.append((f"صوت ألفا alpha-{i + 50:03d} {host}", "ar", 1))
        if i < 3:
            rows.append((f"Delta Voice delta-{i:03d} https://files.test/d{i} #Delta", "en", 2))
            rows.append((f"صوت دلتا delta-{i + 9:03d} https://files.test/e{i} #Delta", "ar", 2))
        rows.append((f"market prices {i} #Slogan{i % 2}", "en", 3))
    background = [("rain today", lang, 4) for lang in ("en", "ar") for _ in range(100)]
    report = _report(rows, background, per_language=4)
    home = {t.key: n for n in report.narratives for t in n.terms}
    alpha = home["series:alpha"]
    assert alpha.anchors == ["alpha-*"]
    assert {"alpha voice", "صوت ألفا", "domain:alpha.example"} <= {t.key for t in alpha.terms}
    delta = home["series:delta"]
    assert {"delta voice", "صوت دلتا", "#delta"} <= {t.key for t in delta.terms}
    assert home["domain:files.test"] not in (alpha, delta)
    assert not home["domain:files.test"].anchors
    # Four terms per language: the small outlet's best term is among them.
    for lang in ("en", "ar"):
        listed = report.terms[lang]
        assert len(listed) == 4
        assert any(home[t.key] is delta for t in listed)
        assert any(home[t.key] is alpha for t in listed)


def test_a_phrase_must_hold_together() -> None:
    """A slogan is listed; chance runs of words each found in many posts are not."""
    words = ("tram", "cheese", "rain", "market", "bakery", "cousin", "match", "ticket")
    rng = np.random.default_rng(5)
    rows = [
        (" ".join(rng.permutation(words)[:5]) + (", Kavo dren malu" if i % 6 == 0 else ""), "en", 0)
        for i in range(60)
    ]
    background = [("sunny today at the office", "en", 1)] * 120
    listed = _report(rows, background, per_language=200, candidates=200).terms["en"]
    loose = _report(rows, background, per_language=200, candidates=200, min_cohesion=0.0)

    def chance(terms: list[Term]) -> list[str]:
        return [t.key for t in terms if len(t.key.split()) > 1 and set(t.key.split()) <= set(words)]

    assert "kavo dren malu" in {t.key for t in listed}
    assert not chance(listed) and chance(loose.terms["en"])
