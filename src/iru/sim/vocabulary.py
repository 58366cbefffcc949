"""The markers of the synthetic world, generated from a seed: outlets, tags, hashtags, domains.

Analysts spot propaganda by its markers: a media outlet's name and logo, its release tags, the
hashtag campaigns (including neutral trending tags that supporters hijack), links to the outlet's
site and to file-sharing hosts, and formulaic phrasing. Here every marker is a pseudo-word
assembled from syllables, rendered in Latin, Cyrillic, Arabic or Persian script, so the world
never names a real group, outlet or slogan. Domains use reserved TLDs (.example, .test,
.invalid). Each seed gives its own vocabulary; pseudo-words are drawn from a space of about 10^8
roots per marker, so two seeds share no marker string in practice (checked for seeds 1..10 in
the tests). A pseudo-word is rejected when it occurs in the hand-written filler, overlaps another
marker, or contains a fragment of a real extremist name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from iru.sim import filler, framing

_M64 = 0xFFFFFFFFFFFFFFFF

# Abstract phonemes and how each script writes them.
_ONSETS = ("b", "d", "f", "g", "h", "k", "l", "m", "n", "r", "s", "t", "v", "z", "sh", "kh", "q", "y", "j", "p")  # fmt: skip
_VOWELS = ("a", "e", "i", "o", "u")
_CODAS = ("", "", "", "", "n", "r", "l", "m", "s", "k", "t")
_RENDER: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "latn": (_ONSETS, _VOWELS, _CODAS),
    "cyrl": (
        ("б", "д", "ф", "г", "х", "к", "л", "м", "н", "р", "с", "т", "в", "з", "ш", "х", "к", "й", "дж", "п"),
        ("а", "е", "и", "о", "у"),
        ("", "", "", "", "н", "р", "ль", "м", "с", "к", "т"),
    ),
    "arab": (
        ("ب", "د", "ف", "غ", "ه", "ك", "ل", "م", "ن", "ر", "س", "ت", "ف", "ز", "ش", "خ", "ق", "ي", "ج", "ب"),
        ("ا", "ي", "ي", "و", "و"),
        ("", "", "", "", "ن", "ر", "ل", "م", "س", "ك", "ت"),
    ),
    "pers": (
        ("ب", "د", "ف", "گ", "ه", "ک", "ل", "م", "ن", "ر", "س", "ت", "و", "ز", "ش", "خ", "ق", "ی", "ج", "پ"),
        ("ا", "ی", "ی", "و", "و"),
        ("", "", "", "", "ن", "ر", "ل", "م", "س", "ک", "ت"),
    ),
}  # fmt: skip

#: Fragments of real extremist names, slogans and terms (lower case, several scripts). No
#: generated marker may contain one; the tests also scan the hand-written lists for them.
FORBIDDEN_FRAGMENTS: tuple[str, ...] = (
    "isis", "isil", "daesh", "daish", "jihad", "djihad", "dschihad", "cihad", "caliph", "khilaf",
    "kalifat", "hilafet", "qaeda", "qaida", "amaq", "dabiq", "rumiyah", "mujahid", "mujahed",
    "shahid", "shaheed", "kafir", "kuffar", "taghut", "baqiya", "wilayat", "ummah", "allah",
    "akbar", "islam", "sharia", "tawhid", "hijra", "bayah", "nasheed", "nashid", "crusad",
    "nazi", "hitler", "heil", "reich", "aryan", "1488", "hamas", "hezb", "hizb", "taliban",
    "shabaab", "boko", "furqan", "ajnad", "nashir",
    "داعش", "جهاد", "خلاف", "مجاهد", "شهيد", "كفار", "طاغوت", "عماق", "دابق", "باقية", "ولاية",
    "الله", "شهید", "خلافت", "игил", "джихад", "халиф", "моджахед", "шахид", "рейх",
)  # fmt: skip

#: Reserved top-level domains only: nothing generated here can resolve on the Internet.
_OUTLET_TLDS = (".example", ".example", ".test")
_FILE_SUFFIXES = ("files", "share", "drop", "up", "box", "cloud")
_FILE_TLDS = (".test", ".invalid", ".example")


@dataclass(frozen=True)
class Outlet:
    """An invented media outlet: its code, its name in each language, logo style and domain."""

    code: str
    names: Mapping[str, str] = field(compare=False, hash=False)
    logo_style: int
    domain: str
    tag_prefix: str

    def name(self, lang: str) -> str:
        """The outlet's name as written in ``lang`` (falls back to the Latin-script name)."""
        return self.names.get(lang) or self.names["en"]


@dataclass(frozen=True)
class MarkerVocabulary:
    """Every marker of one synthetic world. Not meant to be hashed (``phrases`` is a mapping)."""

    seed: int
    languages: tuple[str, ...]
    outlets: tuple[Outlet, ...]
    campaign_hashtags: tuple[str, ...]
    hijacked_hashtags: tuple[str, ...]
    filesharing_domains: tuple[str, ...]
    phrases: Mapping[str, tuple[str, ...]] = field(hash=False)

    def release_tag(self, outlet: Outlet, number: int) -> str:
        """The tag of an outlet's ``number``-th release, e.g. ``"tashumin-017"``."""
        return f"{outlet.tag_prefix}-{number:03d}"

    @property
    def release_tag_prefixes(self) -> tuple[str, ...]:
        """Every outlet's release-series prefix (the marker inside each release tag)."""
        return tuple(o.tag_prefix for o in self.outlets)

    def all_markers(self) -> frozenset[str]:
        """Every marker string: outlet names and domains, tag prefixes, hashtags (no '#'),
        file-sharing domains and phrases. A release tag contains its outlet's tag prefix."""
        out: set[str] = set()
        for o in self.outlets:
            out.update(o.names.values())
            out.add(o.domain)
            out.add(o.tag_prefix)
        out.update(self.campaign_hashtags)
        out.update(self.hijacked_hashtags)
        out.update(self.filesharing_domains)
        for phrases in self.phrases.values():
            out.update(phrases)
        return frozenset(out)


Root = tuple[tuple[int, int, int], ...]


class PseudoWords:
    """Draws pseudo-word roots (syllable index triples) and renders them in any script.

    Randomness comes only from the PCG64 raw stream of ``numpy.random.default_rng(entropy)``,
    which numpy keeps stable across releases, so the same entropy gives the same words.
    """

    def __init__(self, entropy: int | Sequence[int], accept: Callable[[str], bool]) -> None:
        self._bits = np.random.default_rng(entropy).bit_generator
        self._accept = accept
        self._seen: list[str] = []

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        return int(self._bits.random_raw()) % n

    def root(self, syllables: int, scripts: Sequence[str] = ("latn",)) -> Root:
        """A fresh root that passes the acceptance test in every one of ``scripts``."""
        for _ in range(10_000):
            raw = int(self._bits.random_raw())
            sylls = []
            for _ in range(syllables):
                raw, o = divmod(raw, len(_ONSETS))
                raw, v = divmod(raw, len(_VOWELS))
                raw, c = divmod(raw, len(_CODAS))
                sylls.append((o, v, c))
            root: Root = tuple(sylls)
            forms = [render(root, s).lower() for s in scripts]
            if all(self._fresh(f) for f in forms):
                self._seen.extend(forms)
                return root
        raise RuntimeError("could not draw a fresh pseudo-word")  # pragma: no cover

    def word(self, syllables: int, script: str = "latn") -> str:
        """A fresh pseudo-word in ``script``, lower case."""
        return render(self.root(syllables, (script,)), script)

    def _fresh(self, form: str) -> bool:
        if len(form) < 4 or not self._accept(form):
            return False
        return not any(form in s or s in form for s in self._seen)


def render(root: Root, script: str) -> str:
    """Write a root in ``script`` ("latn", "cyrl", "arab" or "pers")."""
    onsets, vowels, codas = _RENDER[script]
    return "".join(onsets[o] + vowels[v] + codas[c] for o, v, c in root)


def _title(word: str) -> str:
    return word[:1].upper() + word[1:]


def script_of(lang: str) -> str:
    """The writing system of ``lang``'s filler; ValueError for an unknown language."""
    try:
        return filler.SCRIPTS[lang]
    except KeyError:
        raise ValueError(f"unsupported language {lang!r}") from None


def _corpus() -> str:
    return "\n".join(filler.handwritten_texts() + framing.handwritten_texts()).lower()


_CORPUS = _corpus()


def is_clean(text: str) -> bool:
    """True when ``text`` contains no forbidden fragment and does not occur in hand-written text."""
    low = text.lower()
    return low not in _CORPUS and not any(f in low for f in FORBIDDEN_FRAGMENTS)


class _Markers:
    """Collects marker strings, rejecting any that overlaps (as a substring) one already taken."""

    def __init__(self) -> None:
        self.taken: list[str] = []

    def fits(self, candidate: str) -> bool:
        low = candidate.lower()
        if any(f in low for f in FORBIDDEN_FRAGMENTS):
            return False
        return not any(low in t or t in low for t in self.taken)

    def take(self, candidate: str) -> bool:
        return self.take_all((candidate,))

    def take_all(self, candidates: Sequence[str]) -> bool:
        """Take all of ``candidates`` (which may share roots among themselves) or none."""
        if not all(self.fits(c) for c in candidates):
            return False
        self.taken.extend(c.lower() for c in candidates)
        return True


def generate_vocabulary(
    seed: int, languages: Sequence[str] = ("ar", "en", "fr", "de", "ru", "tr", "fa")
) -> MarkerVocabulary:
    """The marker vocabulary of the world ``seed``, covering ``languages``."""
    langs = tuple(dict.fromkeys(languages))
    if not langs:
        raise ValueError("at least one language is needed")
    scripts = tuple(dict.fromkeys(script_of(lang) for lang in langs))
    words = PseudoWords([0x1A0_5EED, seed & _M64], is_clean)
    markers = _Markers()

    def take(make: Callable[..., str], *args: str) -> str:
        for _ in range(1000):
            candidate = make(words, *args)
            if markers.take(candidate):
                return candidate
        raise RuntimeError("could not draw a fresh marker")  # pragma: no cover

    outlets = [_outlet(words, markers, i, langs) for i in range(4 + words.below(5))]
    others = [s for s in scripts if s != "latn"] or ["latn"]
    campaign = [
        take(_hashtag, "latn" if i % 3 == 0 else others[(i - 1 - i // 3) % len(others)])
        for i in range(10 + words.below(21))
    ]
    hijacked = [
        take(_event_tag, others[i] if i < len(others) else ("latn", others[i % len(others)])[i % 2])
        for i in range(5 + words.below(6))
    ]
    filesharing = [take(_file_domain) for _ in range(3 + words.below(4))]
    phrases: dict[str, tuple[str, ...]] = {}
    for lang in langs:
        count = 5 + words.below(11)
        phrases[lang] = tuple(take(_phrase, script_of(lang)) for _ in range(count))

    return MarkerVocabulary(
        seed=seed,
        languages=langs,
        outlets=tuple(outlets),
        campaign_hashtags=tuple(campaign),
        hijacked_hashtags=tuple(hijacked),
        filesharing_domains=tuple(filesharing),
        phrases=phrases,
    )


def _outlet(words: PseudoWords, markers: _Markers, index: int, langs: Sequence[str]) -> Outlet:
    for _ in range(1000):
        root = words.root(3, ("latn", "cyrl", "arab", "pers"))
        latin = render(root, "latn")
        names = {lang: _outlet_name(render(root, script_of(lang)), lang) for lang in ("en", *langs)}
        tld = _OUTLET_TLDS[words.below(len(_OUTLET_TLDS))]
        domain = latin + ("", "media", "-news", "tv")[words.below(4)] + tld
        if markers.take_all((*dict.fromkeys(names.values()), domain)):
            break
    else:  # pragma: no cover
        raise RuntimeError("could not draw a fresh outlet")
    for _ in range(1000):
        prefix = words.word(3)
        if markers.take_all((prefix,)):
            break
    else:  # pragma: no cover
        raise RuntimeError("could not draw a fresh release prefix")
    return Outlet(
        code=f"O{index}{latin[:4].upper()}",
        names=names,
        logo_style=words.below(16),
        domain=domain,
        tag_prefix=prefix,
    )


def _file_domain(words: PseudoWords) -> str:
    suffix = _FILE_SUFFIXES[words.below(len(_FILE_SUFFIXES))]
    return words.word(3) + suffix + _FILE_TLDS[words.below(len(_FILE_TLDS))]


def _outlet_name(word: str, lang: str) -> str:
    descriptor = framing.OUTLET_DESCRIPTOR[lang]
    if script_of(lang) in ("arab", "pers"):
        return f"{descriptor} {word}"
    return f"{_title(word)} {descriptor}"


def _hashtag(words: PseudoWords, script: str) -> str:
    first = words.word(2 + words.below(2), script)
    if words.below(3) == 0:
        return _title(first) + str(1 + words.below(99))
    second = words.word(2, script)
    if script in ("arab", "pers"):
        return f"{first}_{second}"
    return _title(first) + _title(second)


def _event_tag(words: PseudoWords, script: str) -> str:
    if script == "latn":
        word = _title(words.word(3, script))
        event = framing.EVENT_WORDS[words.below(len(framing.EVENT_WORDS))]
        return word + event + ("", "2025", "26", "Live")[words.below(4)]
    events = framing.EVENT_WORDS_SCRIPT[script]
    event = events[words.below(len(events))]
    word = words.word(3, script)
    if script == "cyrl":
        return _title(word) + event
    return f"{event}_{word}"


def _phrase(words: PseudoWords, script: str) -> str:
    parts = [words.word(2 + words.below(2), script) for _ in range(2 + words.below(2))]
    text = " ".join(parts)
    return _title(text) if words.below(2) else text
