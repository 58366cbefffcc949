"""Account text for the synthetic world: bios, display names, handles and their comeback variants.

Also holds what :mod:`iru.sim.content` shares with it: the cheap bit source (:class:`Bits`) that
turns one 64-bit draw into many small choices, and the per-language tables built once per
generator (:class:`PerLanguage`).
"""

from __future__ import annotations

import re
import string
import unicodedata

import numpy as np

from iru.sim import filler, framing
from iru.sim.vocabulary import (
    FORBIDDEN_FRAGMENTS,
    MarkerVocabulary,
    Outlet,
    PseudoWords,
    is_clean,
    render,
    script_of,
)

FILL = "\x00"  # where neutral filler goes in a text being assembled
HANDLE_RE = re.compile(r"^[a-z0-9_]{4,15}$")

_MUL = 6364136223846793005
_INC = 1442695040888963407
_M64 = 0xFFFFFFFFFFFFFFFF
_COMMA = {"ar": "،", "fa": "،"}
_LOOKALIKE = {
    "o": "0",
    "0": "o",
    "i": "1",
    "1": "i",
    "l": "1",
    "e": "3",
    "3": "e",
    "a": "4",
    "s": "5",
}
_SUFFIXES = ("_2", "_3", "_back", "_new", "_bk", "2", "_x", "_v2", "_real", "_again")
_PREFIXES = ("the", "real", "x", "its", "the_", "real_")
_OFFICIAL_TAILS = ("_official", "_info", "_gov", "police", "_alerts")
_PROJECT_TAILS = ("_facts", "watch", "_check", "_verify")


class Bits:
    """Small uniform choices from one 64-bit seed, then from an LCG's high bits (16 per choice)."""

    __slots__ = ("s", "x")

    def __init__(self, seed: int) -> None:
        self.s = seed
        self.x = seed | (1 << 64)

    def take(self, n: int) -> int:
        """A uniform integer in [0, n), for 1 <= n <= 65536."""
        x = self.x
        if x < 0x10000:
            s = (self.s * _MUL + _INC) & _M64
            self.s = s
            x = (s >> 16) | 0x1000000000000
        self.x = x >> 16
        return ((x & 0xFFFF) * n) >> 16

    def digits(self, count: int) -> str:
        """``count`` decimal digits, never containing "88" (a known hate-code number)."""
        out = "".join([str(self.take(10)) for _ in range(count)])
        return out.replace("88", "86")


class PerLanguage:
    """Everything the generator needs for one language, prepared once."""

    def __init__(self, lang: str, vocab: MarkerVocabulary, words: PseudoWords, seed: int) -> None:
        self.lang = lang
        self.script = script = script_of(lang)
        rng = np.random.default_rng([seed, 0xF111E5, *lang.encode()])
        base = filler.WORDS[lang]
        comma = _COMMA.get(lang, ",")
        stream: list[str] = []
        for _ in range(24):
            for i in rng.permutation(len(base)).tolist():
                stream.append(base[i] + (comma if rng.random() < 0.08 else ""))
        self.big = " ".join(stream) + " "
        starts = [0]
        for i, ch in enumerate(self.big):
            if ch == " " and i + 1 < len(self.big) - 300:
                starts.append(i + 1)
        self.starts = tuple(starts[:65536])
        self.chatter = tuple(t.replace("{f}", FILL) for t in filler.CHATTER[lang])
        self.neutral_tags = filler.NEUTRAL_TAGS[lang]
        self.shout = framing.SHOUT_OUT[lang]
        self.phrases = vocab.phrases[lang]
        own = tuple(t for t in vocab.campaign_hashtags if _script_of_text(t) == script)
        latin = tuple(t for t in vocab.campaign_hashtags if _script_of_text(t) == "latn")
        self.tags = (own + latin) if script != "latn" else latin
        hij = tuple(t for t in vocab.hijacked_hashtags if _script_of_text(t) == script)
        self.hijacked = hij or tuple(
            t for t in vocab.hijacked_hashtags if _script_of_text(t) == "latn"
        )
        self.first_names = filler.FIRST_NAMES[lang]
        self.last_names = filler.LAST_NAMES[lang]
        self.entities: dict[str, tuple[str, ...]] = {}
        bases: dict[str, tuple[str, ...]] = {}
        paths = {
            "newsroom": "news/",
            "institute": "papers/",
            "agency": "report/",
            "project": "check/",
        }
        for kind, pattern in framing.ENTITY.items():
            names, urls = [], []
            for _ in range(3):
                root = words.root(3, (script, "latn"))
                names.append(pattern[lang].format(r=_title(render(root, script))))
                host = render(root, "latn") + (".example" if kind != "institute" else ".test")
                urls.append(f"https://{'report.' if kind == 'agency' else ''}{host}/{paths[kind]}")
            self.entities[kind] = tuple(names)
            bases[kind] = tuple(urls)
        self.own_urls = {
            "journalist": bases["newsroom"],
            "researcher": bases["institute"],
            "official": bases["agency"],
            "counter_speech": bases["project"],
        }
        self.pseudonyms = tuple(_title(words.word(2 + i % 2, script)) for i in range(48))
        self.hard: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
            kind: tuple((t, _slots(t)) for t in per_lang[lang])
            for kind, per_lang in framing.HARD_NEGATIVE.items()
        }

    def fill(self, b: Bits, budget: int) -> str:
        """Neutral words, at most ``budget`` characters (a whole number of words)."""
        big = self.big
        a = self.starts[b.take(len(self.starts))]
        end = big.rfind(" ", a, a + budget + 1)
        return big[a:end].rstrip(",،") if end > a else ""


def _slots(template: str) -> tuple[str, ...]:
    return tuple(
        name for _, name, _, _ in string.Formatter().parse(template) if name and name != "f"
    )


def _script_of_text(text: str) -> str:
    for ch in text:
        if "\u0600" <= ch <= "\u06ff":
            return "pers" if any(c in text for c in "پچژگکی") else "arab"
        if "\u0400" <= ch <= "\u04ff":
            return "cyrl"
    return "latn"


def _title(word: str) -> str:
    return word[:1].upper() + word[1:]


def _ascii(name: str) -> str:
    name = name.replace("ı", "i").replace("ß", "ss").lower()
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch in string.ascii_lowercase)


class ProfileText:
    """Bios, display names and handles; the base of ``ContentGenerator``."""

    def __init__(self, vocabulary: MarkerVocabulary, seed: int) -> None:
        self.vocabulary = vocabulary
        self.seed = seed
        self._outlets: tuple[Outlet, ...] = vocabulary.outlets
        self._hosts = vocabulary.filesharing_domains
        self._campaign = vocabulary.campaign_hashtags
        taken = [m.lower() for m in vocabulary.all_markers()]

        def accept(form: str) -> bool:
            return is_clean(form) and not any(form in m or m in form for m in taken)

        words = PseudoWords([0x1A0_7E47, seed & _M64, vocabulary.seed & _M64], accept)
        self._langs = {
            lang: PerLanguage(lang, vocabulary, words, seed & _M64)
            for lang in vocabulary.languages
            if lang in filler.SCRIPTS
        }
        self._pieces = tuple(words.word(2) for _ in range(256))
        latin = [n for lang in ("en", "fr", "de", "tr") for n in filler.FIRST_NAMES[lang]]
        self._ascii_first = tuple(dict.fromkeys(a for a in map(_ascii, latin) if len(a) >= 2))
        latin = [n for lang in ("en", "fr", "de", "tr") for n in filler.LAST_NAMES[lang]]
        self._ascii_last = tuple(dict.fromkeys(a for a in map(_ascii, latin) if len(a) >= 2))

    def _state(self, lang: str) -> PerLanguage:
        try:
            return self._langs[lang]
        except KeyError:
            raise ValueError(f"language {lang!r} is not in this generator") from None

    def bio(self, rng: np.random.Generator, lang: str, role: str) -> str:
        """A profile bio for ``role``: supporters' carry one subtle marker, hard negatives say
        what they are ("reporter", "researcher of online extremism", "official account of")."""
        st = self._state(lang)
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        f = st.fill(b, 25 + take(50)) or st.big[: st.big.find(" ")]
        em = filler.RELEASE_EMOJI[take(len(filler.RELEASE_EMOJI))]
        phrase = st.phrases[take(len(st.phrases))]
        ht = "#" + st.tags[take(len(st.tags))]
        if role == "ringleader":
            outlet = self._outlets[take(len(self._outlets))]
            name = outlet.names.get(lang) or outlet.names["en"]
            return f"{phrase} {em} {ht}" if take(2) else f"{name} {em} {f}"
        if role == "distributor":
            host = self._hosts[take(len(self._hosts))]
            return f"{ht} {em} {f}" if take(2) else f"{phrase} · {host}"
        if role == "bot":
            return f"{f} {ht}" if take(2) else f"{f} {em} {b.digits(3)}"
        if role == "supporter":
            return f"{f} {em} {ht}" if take(2) else f"{f} · {phrase}"
        if role in ("at_risk", "bystander"):
            everyday = filler.EVERYDAY_EMOJI[take(len(filler.EVERYDAY_EMOJI))]
            if role == "at_risk" and take(3) == 0:
                return f"{f} #{st.hijacked[take(len(st.hijacked))]}"
            return f"{f} {everyday}" if take(2) else f
        if role in framing.BIO:
            kw = {kind: names[take(len(names))] for kind, names in st.entities.items()}
            return framing.BIO[role][lang].format(f=f, **kw)
        raise ValueError(f"unknown role {role!r}")

    def display_name(self, rng: np.random.Generator, lang: str, role: str) -> str:
        """A display name in ``lang``'s script fitting ``role``."""
        st = self._state(lang)
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        if role in ("bystander", "at_risk", "journalist", "researcher"):
            first = st.first_names[take(len(st.first_names))]
            return f"{first} {st.last_names[take(len(st.last_names))]}"
        if role == "official":
            return st.entities["agency"][take(3)]
        if role == "counter_speech":
            return st.entities["project"][take(3)]
        name = st.pseudonyms[take(len(st.pseudonyms))]
        if role == "bot":
            return name + b.digits(2 + take(3))
        if role in ("ringleader", "distributor", "supporter"):
            if take(3) == 0:
                return name
            emoji = filler.RELEASE_EMOJI if role != "supporter" else filler.EVERYDAY_EMOJI
            return f"{name} {emoji[take(len(emoji))]}"
        raise ValueError(f"unknown role {role!r}")

    def handle(self, rng: np.random.Generator, role: str) -> str:
        """An ASCII handle, [a-z0-9_]{4,15}, fitting ``role`` (unique-ish, not guaranteed)."""
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        pieces = self._pieces
        piece = pieces[take(len(pieces))]
        if role == "bot":
            h = piece + b.digits(4 + take(3))
        elif role in ("ringleader", "distributor", "supporter"):
            style = take(3)
            if style == 0:
                h = f"{piece}_{pieces[take(len(pieces))]}"
            elif style == 1:
                h = piece + b.digits(1 + take(3))
            else:
                h = piece + pieces[take(len(pieces))][:3]
        elif role in ("bystander", "at_risk", "journalist", "researcher"):
            first = self._ascii_first[take(len(self._ascii_first))]
            last = self._ascii_last[take(len(self._ascii_last))]
            style = take(4)
            if style == 0:
                h = f"{first}_{last}"
            elif style == 1:
                h = first + last[:1] + b.digits(2)
            elif style == 2:
                h = first[:1] + last + b.digits(take(3))
            else:
                h = first + b.digits(2 + take(3))
        elif role == "official":
            h = piece + _OFFICIAL_TAILS[take(len(_OFFICIAL_TAILS))]
        elif role == "counter_speech":
            h = piece + _PROJECT_TAILS[take(len(_PROJECT_TAILS))]
        else:
            raise ValueError(f"unknown role {role!r}")
        return _clamp(h, b)

    def handle_variant(self, rng: np.random.Generator, handle: str) -> str:
        """How a suspended ``handle`` comes back: digits added or dropped, a look-alike letter,
        a suffix such as "_2" or "_back", or a prefix. ASCII, <= 15 chars, never ``handle``."""
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        for _ in range(16):
            op = take(5)
            h = handle
            if op == 0:
                d = b.digits(1 + take(2))
                h = handle[: 15 - len(d)] + d
            elif op == 1:
                stripped = handle.rstrip(string.digits)
                h = stripped if stripped != handle else handle[:13] + "_" + b.digits(1)
            elif op == 2:
                spots = [i for i, ch in enumerate(handle) if ch in _LOOKALIKE]
                if spots:
                    i = spots[take(len(spots))]
                    h = handle[:i] + _LOOKALIKE[handle[i]] + handle[i + 1 :]
                elif len(handle) > 1:
                    i = take(len(handle) - 1)
                    h = handle[:i] + handle[i + 1] + handle[i] + handle[i + 2 :]
            elif op == 3:
                s = _SUFFIXES[take(len(_SUFFIXES))]
                h = handle[: 15 - len(s)] + s
            else:
                h = (_PREFIXES[take(len(_PREFIXES))] + handle)[:15]
            h = _clamp(h, b)
            if h != handle:
                return h
        return _clamp(handle[:12] + "_" + b.digits(2), b)


def _clamp(h: str, b: Bits) -> str:
    """Force a handle into [a-z0-9_]{4,15}."""
    h = "".join(ch for ch in h.lower() if ch in _HANDLE_CHARS)[:15].strip("_")
    if len(h) < 4:
        h = (h + "_" + b.digits(4))[:15]
    for fragment in FORBIDDEN_FRAGMENTS:
        if fragment in h:  # pseudo-word joins can spell one by accident: break it up
            h = h.replace(fragment, fragment[0] + "x" + fragment[2:])
    return h


_HANDLE_CHARS = frozenset(string.ascii_lowercase + string.digits + "_")
