"""The synthetic world's markers and texts: deterministic, safe, in the right script, fast.

Markers (outlet names, release tags, hashtags, domains, phrases) are generated from a seed;
propaganda stand-ins carry them, hard negatives quote them inside their own framing, and
bystanders never use them except an innocently hijacked trending tag.
"""

from __future__ import annotations

import itertools
import re
import time
import unicodedata

import numpy as np
import pytest

from iru.sim import filler, framing
from iru.sim.content import (
    HARD_NEGATIVE_KINDS,
    ROLES,
    ContentGenerator,
    GeneratedText,
    Release,
)
from iru.sim.vocabulary import FORBIDDEN_FRAGMENTS, MarkerVocabulary, generate_vocabulary

LANGS = ("ar", "en", "fr", "de", "ru", "tr", "fa")
RESERVED_TLDS = (".example", ".test", ".invalid")
HANDLE = re.compile(r"^[a-z0-9_]{4,15}$")
URL = re.compile(r"https://\S+")
# Real extremist organisations, outlets and slogans (English and Arabic transliteration):
# nothing hand-written or generated may contain one.
DENY = (
    "isis",
    "isil",
    "daesh",
    "islamic state",
    "jihad",
    "caliphate",
    "al-qaeda",
    "al qaeda",
    "alqaeda",
    "amaq",
    "dabiq",
    "rumiyah",
    "khilafah",
    "mujahid",
)


@pytest.fixture(scope="module")
def vocab() -> MarkerVocabulary:
    return generate_vocabulary(7)


@pytest.fixture(scope="module")
def gen(vocab: MarkerVocabulary) -> ContentGenerator:
    return ContentGenerator(vocab, 7)


@pytest.fixture(scope="module")
def releases(vocab: MarkerVocabulary, gen: ContentGenerator) -> list[Release]:
    return [gen.release(day, i, o) for day in range(3) for i, o in enumerate(vocab.outlets)]


def _is_release_tag(vocab: MarkerVocabulary, marker: str) -> bool:
    return any(re.fullmatch(re.escape(p) + r"-\d{3,}", marker) for p in vocab.release_tag_prefixes)


def _check_shape(vocab: MarkerVocabulary, out: GeneratedText, lang: str) -> None:
    assert out.lang == lang
    assert 40 <= len(out.text) <= 280, out.text
    assert "\x00" not in out.text
    for tag in out.hashtags:
        assert not tag.startswith("#")
        assert "#" + tag in out.text
    for url in out.urls:
        assert url in out.text
        host = url.removeprefix("https://").split("/", 1)[0]
        assert url.startswith("https://") and host.endswith(RESERVED_TLDS)
    all_markers = vocab.all_markers()
    for marker in out.markers:
        assert marker in out.text
        assert marker in all_markers or _is_release_tag(vocab, marker), marker


def _strip(vocab: MarkerVocabulary, out: GeneratedText) -> str:
    """The text less urls, hashtags, mentions and markers: only filler and framing remain."""
    text = URL.sub(" ", out.text)
    text = re.sub(r"[#@]\S+", " ", text)
    for marker in sorted(vocab.all_markers() | set(out.markers), key=len, reverse=True):
        text = text.replace(marker, " ")
    return text


def _in_script(lang: str, text: str) -> bool:
    want = {"latn": "LATIN", "cyrl": "CYRILLIC", "arab": "ARABIC", "pers": "ARABIC"}
    script = want[filler.SCRIPTS[lang]]
    letters = [ch for ch in text if ch.isalpha()]
    return all(unicodedata.name(ch, "").startswith(script) for ch in letters)


def test_vocabulary_has_every_kind_of_marker(vocab: MarkerVocabulary) -> None:
    assert 4 <= len(vocab.outlets) <= 8
    assert 10 <= len(vocab.campaign_hashtags) <= 30
    assert 5 <= len(vocab.hijacked_hashtags) <= 10
    assert 3 <= len(vocab.filesharing_domains) <= 6
    assert set(vocab.phrases) == set(LANGS)
    assert all(5 <= len(p) <= 15 for p in vocab.phrases.values())
    for outlet in vocab.outlets:
        assert set(LANGS) <= set(outlet.names)
        assert outlet.domain.endswith(RESERVED_TLDS)
        assert vocab.release_tag(outlet, 17) == f"{outlet.tag_prefix}-017"
    assert all(d.endswith(RESERVED_TLDS) for d in vocab.filesharing_domains)
    for tag in vocab.campaign_hashtags + vocab.hijacked_hashtags:
        assert tag and "#" not in tag and " " not in tag
    found = {
        "cyrl"
        if re.search("[\u0400-\u04ff]", t)
        else "arab"
        if re.search("[\u0600-\u06ff]", t)
        else "latn"
        for t in vocab.campaign_hashtags
    }
    assert found == {"latn", "cyrl", "arab"}
    for lang, phrases in vocab.phrases.items():
        assert all(_in_script(lang, p) for p in phrases)


def test_vocabulary_is_deterministic() -> None:
    a, b = generate_vocabulary(5), generate_vocabulary(5)
    assert a == b
    assert [o.names for o in a.outlets] == [o.names for o in b.outlets]
    assert a.all_markers() == b.all_markers()


def test_vocabularies_of_different_seeds_share_no_marker() -> None:
    markers = {seed: generate_vocabulary(seed).all_markers() for seed in range(1, 11)}
    for s, t in itertools.combinations(markers, 2):
        assert markers[s].isdisjoint(markers[t]), (s, t, markers[s] & markers[t])


def _sample(gen: ContentGenerator, releases: list[Release], seed: int) -> list[object]:
    rng = np.random.default_rng(seed)
    out: list[object] = []
    for i, lang in enumerate(LANGS * 4):
        rel = releases[i % len(releases)]
        out.append(gen.propaganda(rng, lang, rel if i % 2 else None))
        out.append(gen.hard_negative(rng, lang, HARD_NEGATIVE_KINDS[i % 4], rel if i % 3 else None))
        out.append(gen.bystander(rng, lang, hijacked=i % 5 == 0))
        out.append(gen.shout_out(rng, lang, "new_acct_2"))
        role = ROLES[i % len(ROLES)]
        out.append(gen.bio(rng, lang, role))
        out.append(gen.display_name(rng, lang, role))
        out.append(gen.handle_variant(rng, gen.handle(rng, role)))
    return out


def test_same_seed_and_calls_give_the_same_output(vocab: MarkerVocabulary) -> None:
    one = ContentGenerator(generate_vocabulary(7), 7)
    two = ContentGenerator(generate_vocabulary(7), 7)
    rel_one = [one.release(d, 0, o) for d in range(2) for o in one.vocabulary.outlets]
    rel_two = [two.release(d, 0, o) for d in range(2) for o in two.vocabulary.outlets]
    assert rel_one == rel_two
    assert _sample(one, rel_one, 3) == _sample(two, rel_two, 3)
    assert _sample(one, rel_one, 3) != _sample(one, rel_one, 4)
    # Each call draws exactly one value from the caller's rng.
    rng, ref = np.random.default_rng(9), np.random.default_rng(9)
    one.propaganda(rng, "en", None)
    one.bio(rng, "ar", "supporter")
    ref.bit_generator.random_raw(2)
    assert rng.random() == ref.random()


def test_release_links_to_outlet_and_file_hosts(
    vocab: MarkerVocabulary, gen: ContentGenerator
) -> None:
    outlet = vocab.outlets[1]
    rel = gen.release(4, 2, outlet)
    assert rel == gen.release(4, 2, outlet)
    assert rel.day == 4 and rel.outlet == outlet
    assert rel.tag.startswith(outlet.tag_prefix + "-")
    assert rel.tag != gen.release(5, 2, outlet).tag != gen.release(4, 3, outlet).tag
    assert rel.urls[0].startswith(f"https://{outlet.domain}/")
    assert len(rel.urls) >= 2
    hosts = {u.removeprefix("https://").split("/")[0] for u in rel.urls[1:]}
    assert hosts <= set(vocab.filesharing_domains)
    assert rel.hashtags and set(rel.hashtags) <= set(
        vocab.campaign_hashtags + vocab.hijacked_hashtags
    )


def test_filler_is_in_each_language_script(
    vocab: MarkerVocabulary, gen: ContentGenerator, releases: list[Release]
) -> None:
    rng = np.random.default_rng(11)
    for lang in LANGS:
        assert len(filler.WORDS[lang]) >= 60
        assert all(_in_script(lang, w) for w in filler.WORDS[lang])
        for i in range(60):
            rel = releases[i % len(releases)] if i % 2 else None
            kind = HARD_NEGATIVE_KINDS[i % 4]
            for out in (
                gen.bystander(rng, lang),
                gen.propaganda(rng, lang, rel),
                gen.hard_negative(rng, lang, kind, rel),
                gen.shout_out(rng, lang, "friend_back"),
            ):
                assert _in_script(lang, _strip(vocab, out)), (lang, out.text)
            chatter = _strip(vocab, gen.bystander(rng, lang))
            assert sum(ch.isalpha() for ch in chatter) >= 10
    persian = "".join(gen.bystander(rng, "fa").text for _ in range(50))
    assert set("پچژگکی") & set(persian)


def test_propaganda_carries_markers(
    vocab: MarkerVocabulary, gen: ContentGenerator, releases: list[Release]
) -> None:
    rng = np.random.default_rng(12)
    for lang in LANGS:
        for i in range(150):
            rel = releases[i % len(releases)] if i % 3 else None
            out = gen.propaganda(rng, lang, rel)
            _check_shape(vocab, out, lang)
            assert out.markers, out.text
            if rel is not None:
                assert any(m == rel.tag or m in rel.hashtags for m in out.markers)


def test_hard_negatives_quote_markers_inside_their_framing(
    vocab: MarkerVocabulary, gen: ContentGenerator, releases: list[Release]
) -> None:
    rng = np.random.default_rng(13)
    for lang in LANGS:
        for kind in HARD_NEGATIVE_KINDS:
            cues = framing.FRAMING_CUES[kind][lang]
            for i in range(40):
                rel = releases[i % len(releases)] if i % 2 else None
                out = gen.hard_negative(rng, lang, kind, rel)
                _check_shape(vocab, out, lang)
                assert out.markers, out.text
                assert any(c in out.text.lower() for c in cues), (kind, out.text)
    with pytest.raises(ValueError, match="kind"):
        gen.hard_negative(rng, "en", "ringleader", None)


def test_bystanders_use_no_marker_unless_a_hijacked_tag(
    vocab: MarkerVocabulary, gen: ContentGenerator
) -> None:
    rng = np.random.default_rng(14)
    markers = [m.lower() for m in vocab.all_markers()]
    for lang in LANGS:
        for _ in range(200):
            out = gen.bystander(rng, lang)
            _check_shape(vocab, out, lang)
            assert out.markers == ()
            assert not [m for m in markers if m in out.text.lower()], out.text
            out = gen.bystander(rng, lang, hijacked=True)
            _check_shape(vocab, out, lang)
            (tag,) = out.markers
            assert tag in vocab.hijacked_hashtags and tag in out.hashtags
            assert [m for m in markers if m in out.text.lower()] == [tag.lower()], out.text


def test_shout_out_names_the_new_account(vocab: MarkerVocabulary, gen: ContentGenerator) -> None:
    rng = np.random.default_rng(15)
    for lang in LANGS:
        for _ in range(30):
            out = gen.shout_out(rng, lang, "kelvo_back")
            _check_shape(vocab, out, lang)
            assert "@kelvo_back" in out.text
            assert out.markers[0] in vocab.phrases[lang]


def test_handles_are_valid_and_variants_differ(gen: ContentGenerator) -> None:
    rng = np.random.default_rng(16)
    for role in ROLES:
        handles = [gen.handle(rng, role) for _ in range(300)]
        assert all(HANDLE.match(h) for h in handles), role
        assert len(set(handles)) >= 200, role
        for h in handles:
            variant = gen.handle_variant(rng, h)
            assert HANDLE.match(variant) and variant != h, (h, variant)
    for odd in ("abcd", "1234", "a" * 15, "x_1_", "back_2"):
        variant = gen.handle_variant(rng, odd)
        assert HANDLE.match(variant) and variant != odd
    with pytest.raises(ValueError, match="role"):
        gen.handle(rng, "nobody")


def test_bios_and_names_fit_the_role(vocab: MarkerVocabulary, gen: ContentGenerator) -> None:
    rng = np.random.default_rng(17)
    markers = vocab.all_markers()
    for lang in LANGS:
        for role in ROLES:
            for _ in range(10):
                bio = gen.bio(rng, lang, role)
                name = gen.display_name(rng, lang, role)
                assert bio and name and len(bio) <= 200 and len(name) <= 60
                marked = any(m in bio for m in markers)
                if role in ("ringleader", "distributor", "supporter"):
                    assert marked, bio
                if role in ("bystander", *HARD_NEGATIVE_KINDS):
                    assert not marked, bio
    en = {role: gen.bio(rng, "en", role) for role in HARD_NEGATIVE_KINDS}
    assert en["journalist"].startswith("Reporter")
    assert "Researcher of online extremism" in en["researcher"]
    assert en["official"].startswith("Official account of")
    assert "propaganda" in en["counter_speech"]


def test_nothing_names_a_real_extremist_group_or_slogan(
    gen: ContentGenerator, releases: list[Release]
) -> None:
    def hits(text: str) -> list[str]:
        low = text.lower()
        return [d for d in DENY if d in low]

    # The generator's own filter covers every term of this list.
    assert all(any(f in d for f in FORBIDDEN_FRAGMENTS) for d in DENY)
    handwritten = filler.handwritten_texts() + framing.handwritten_texts()
    assert [t for t in handwritten if hits(t)] == []
    for seed in range(1, 11):
        assert [m for m in generate_vocabulary(seed).all_markers() if hits(m)] == []
    for item in _sample(gen, releases, 21) + _sample(gen, releases, 22):
        text = item.text if isinstance(item, GeneratedText) else str(item)
        assert hits(text) == [], text


def test_throughput(gen: ContentGenerator, releases: list[Release]) -> None:
    rng = np.random.default_rng(18)
    n = 20_000
    start = time.process_time()
    for i in range(n):
        lang = LANGS[i % 7]
        rel = releases[i % len(releases)] if i & 8 else None
        m = i % 8
        if m < 2:
            gen.propaganda(rng, lang, rel)
        elif m < 4:
            gen.hard_negative(rng, lang, HARD_NEGATIVE_KINDS[i % 4], rel)
        elif m < 7:
            gen.bystander(rng, lang, hijacked=i % 32 == 2)
        else:
            gen.shout_out(rng, lang, "abcd_12")
    rate = n / (time.process_time() - start)  # CPU time of this one core
    print(f"content generation: {rate:,.0f} texts/s")
    assert rate > 5_000
