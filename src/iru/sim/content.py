"""Fast, deterministic text for the synthetic world: releases, propaganda stand-ins, hard negatives.

"Propaganda" here is placeholder text: generated markers (outlet names, release tags, hashtags,
links to invented domains, pseudo-word phrases) plus neutral filler in the post's language.
Hard negatives quote the same markers inside news, research, warning or debunking framing;
bystanders chat about the weather and, now and then, innocently use a hijacked trending tag.

Randomness: every method that takes ``rng`` draws exactly one 64-bit value from it
(``rng.bit_generator.random_raw()``) and expands it with a small LCG, so the same rng state and
the same call sequence always give the same text, and a call never consumes more of ``rng``
than that. ``release`` takes no rng: it is a pure function of (seed, day, index, outlet).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from iru.sim import filler
from iru.sim.profiles import FILL, Bits, PerLanguage, ProfileText
from iru.sim.vocabulary import MarkerVocabulary, Outlet

#: Roles ``bio``, ``display_name`` and ``handle`` accept.
ROLES = (
    "ringleader",
    "distributor",
    "bot",
    "supporter",
    "at_risk",
    "bystander",
    "journalist",
    "researcher",
    "official",
    "counter_speech",
)
#: Kinds ``hard_negative`` accepts.
HARD_NEGATIVE_KINDS = ("journalist", "researcher", "official", "counter_speech")

_MAX_LEN = 280
_MIN_LEN = 40
_ID_PAIRS = tuple(
    a + b
    for a in string.ascii_letters + string.digits
    for b in string.ascii_letters + string.digits
)


@dataclass(frozen=True)
class GeneratedText:
    """One generated post. ``markers`` are the marker strings it contains, each a substring of
    ``text``: entries of ``MarkerVocabulary.all_markers()`` or full release tags ("prefix-NNN")."""

    text: str
    lang: str
    hashtags: tuple[str, ...]
    urls: tuple[str, ...]
    markers: tuple[str, ...]


_new = object.__new__


def _made(
    text: str, lang: str, hashtags: tuple[str, ...], urls: tuple[str, ...], markers: tuple[str, ...]
) -> GeneratedText:
    """Build a GeneratedText without the frozen ``__init__``'s per-field ``object.__setattr__``
    (about twice as fast; the instance is the same, frozen and equal to one built normally)."""
    out: GeneratedText = _new(GeneratedText)
    d = out.__dict__
    d["text"] = text
    d["lang"] = lang
    d["hashtags"] = hashtags
    d["urls"] = urls
    d["markers"] = markers
    return out


@dataclass(frozen=True)
class Release:
    """One outlet release: its tag, the hashtags it is pushed with, and where it is hosted."""

    release_id: str
    outlet: Outlet
    tag: str
    hashtags: tuple[str, ...]
    urls: tuple[str, ...]
    day: int


class ContentGenerator(ProfileText):
    """Generates posts, bios, names and handles for one vocabulary. Create once, call often."""

    def __init__(self, vocabulary: MarkerVocabulary, seed: int) -> None:
        super().__init__(vocabulary, seed)

    # -- releases -----------------------------------------------------------------------------

    def release(self, day: int, index: int, outlet: Outlet) -> Release:
        """Release number ``index`` (0-based, per day) of ``outlet`` on ``day`` (>= 0).

        Pure function of (seed, day, index, outlet). The tag is ``prefix-NNN`` with
        NNN = day * 100 + index + 1, unique per outlet while ``index`` < 100."""
        vocab = self.vocabulary
        if day < 0 or index < 0:
            raise ValueError("day and index must be >= 0")
        pos = vocab.outlets.index(outlet)
        b = Bits(
            int(
                np.random.default_rng(
                    [self.seed & 0xFFFFFFFFFFFFFFFF, 0x7E1EA5E, day, index, pos]
                ).bit_generator.random_raw()
            )
        )
        tag = vocab.release_tag(outlet, day * 100 + index + 1)
        campaign = vocab.campaign_hashtags
        own = campaign[pos :: len(vocab.outlets)] or campaign
        tags = [own[b.take(len(own))]]
        for _ in range(b.take(3)):
            tags.append(campaign[b.take(len(campaign))])
        if b.take(10) < 3:
            tags.append(vocab.hijacked_hashtags[b.take(len(vocab.hijacked_hashtags))])
        urls = [f"https://{outlet.domain}/{tag}"]
        hosts = vocab.filesharing_domains
        first = b.take(len(hosts))
        for k in range(1 + b.take(3)):
            urls.append(f"https://{hosts[(first + k) % len(hosts)]}/{_file_id(b)}")
        return Release(
            release_id=f"{outlet.code.lower()}-d{day}-r{index}",
            outlet=outlet,
            tag=tag,
            hashtags=tuple(dict.fromkeys(tags)),
            urls=tuple(dict.fromkeys(urls)),
            day=day,
        )

    # -- posts --------------------------------------------------------------------------------

    def propaganda(
        self, rng: np.random.Generator, lang: str, release: Release | None
    ) -> GeneratedText:
        """A release announcement or re-share (with ``release``), else campaign chatter:
        phrases and hashtags. Always carries markers; filler is in ``lang``'s script."""
        st = self._state(lang)
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        phrase = st.phrases[take(len(st.phrases))]
        em = " " + filler.RELEASE_EMOJI[take(len(filler.RELEASE_EMOJI))] if take(4) == 0 else ""
        if release is not None:
            rtags = release.hashtags
            hts = [rtags[take(len(rtags))]]
            if take(2):
                hts.append(st.tags[take(len(st.tags))])
            hts = list(dict.fromkeys(hts))
            ht = " ".join(["#" + h for h in hts])
            outlet = release.outlet
            name = outlet.names.get(lang) or outlet.names["en"]
            tag = release.tag
            u_out = release.urls[0]
            u_file = (
                release.urls[1 + take(len(release.urls) - 1)] if len(release.urls) > 1 else u_out
            )
            fs = u_file[8 : u_file.index("/", 8)]
            layout = take(4)
            if layout == 0:
                text = f"{name} | {tag}{em}\n{phrase}\n{FILL}\n{u_out}\n{u_file}\n{ht}"
                urls: tuple[str, ...] = (u_out, u_file)
                markers = (name, tag, phrase, outlet.domain, fs, *hts)
            elif layout == 1:
                text = f"{tag} {FILL} {u_file} {ht}"
                urls, markers = (u_file,), (tag, fs, *hts)
            elif layout == 2:
                text = f"{phrase}{em}\n{name}: {tag}\n{u_out} {FILL} {ht}"
                urls, markers = (u_out,), (phrase, name, tag, outlet.domain, *hts)
            else:
                text = f"{ht} {tag} {u_file} {FILL}"
                urls, markers = (u_file,), (*hts, tag, fs)
        else:
            hts = [st.tags[take(len(st.tags))]]
            if take(2):
                hts.append(self._campaign[take(len(self._campaign))])
            hts = list(dict.fromkeys(hts))
            ht = " ".join(["#" + h for h in hts])
            layout = take(3)
            if layout == 0:
                text = f"{phrase} {FILL} {ht}"
                urls, markers = (), (phrase, *hts)
            elif layout == 1:
                text = f"{ht} {phrase}{em} {FILL}"
                urls, markers = (), (*hts, phrase)
            else:
                fs = self._hosts[take(len(self._hosts))]
                url = f"https://{fs}/{_file_id(b)}"
                text = f"{phrase}\n{FILL}\n{url} {ht}"
                urls, markers = (url,), (phrase, fs, *hts)
        return _made(
            _fit(text, st, b, 60 + take(220)), lang, tuple(hts), urls, tuple(dict.fromkeys(markers))
        )

    def hard_negative(
        self, rng: np.random.Generator, lang: str, kind: str, release: Release | None
    ) -> GeneratedText:
        """A journalist, researcher, official or counter-speech post quoting markers (of
        ``release`` when given) inside its own framing (see ``framing.FRAMING_CUES``)."""
        st = self._state(lang)
        try:
            templates = st.hard[kind]
        except KeyError:
            raise ValueError(f"unknown hard-negative kind {kind!r}") from None
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        template, slots = templates[take(len(templates))]
        vocab = self.vocabulary
        outlet = release.outlet if release is not None else self._outlets[take(len(self._outlets))]
        kw = {"f": FILL}
        markers: list[str] = []
        hashtags: tuple[str, ...] = ()
        urls: tuple[str, ...] = ()
        for slot in slots:
            if slot == "outlet":
                value = outlet.names.get(lang) or outlet.names["en"]
                kw[slot] = value
            elif slot == "tag":
                value = (
                    release.tag if release is not None else vocab.release_tag(outlet, 1 + take(400))
                )
                kw[slot] = value
            elif slot == "ht":
                if release is not None and take(2):
                    value = release.hashtags[take(len(release.hashtags))]
                else:
                    value = st.tags[take(len(st.tags))]
                kw[slot] = "#" + value
                hashtags = (value,)
            elif slot == "phrase":
                value = kw[slot] = st.phrases[take(len(st.phrases))]
            elif slot == "domain":
                if release is not None and take(2) and len(release.urls) > 1:
                    u = release.urls[1 + take(len(release.urls) - 1)]
                    value = u[8 : u.index("/", 8)]
                elif take(2):
                    value = outlet.domain
                else:
                    value = self._hosts[take(len(self._hosts))]
                kw[slot] = value
            else:  # "url": the author's own, non-marker link
                bases = st.own_urls[kind]
                url = f"{bases[take(len(bases))]}{_file_id(b).lower()}"
                kw[slot] = url
                urls = (url,)
                continue
            markers.append(value)
        text = _fit(template.format(**kw), st, b, 60 + take(200))
        return _made(text, lang, hashtags, urls, tuple(dict.fromkeys(markers)))

    def bystander(
        self, rng: np.random.Generator, lang: str, hijacked: bool = False
    ) -> GeneratedText:
        """Everyday chatter without markers; with ``hijacked`` it innocently uses one hijacked
        trending tag (its only marker)."""
        st = self._state(lang)
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        text = st.chatter[take(len(st.chatter))]
        tags: list[str] = []
        if take(3) == 0:
            tags.append(st.neutral_tags[take(len(st.neutral_tags))])
        markers: tuple[str, ...] = ()
        if hijacked:
            hij = st.hijacked[take(len(st.hijacked))]
            markers = (hij,)
            tags.insert(take(2) * len(tags), hij)
        if tags:
            text += " " + " ".join(["#" + t for t in tags])
        if take(4) == 0:
            text += " " + filler.EVERYDAY_EMOJI[take(len(filler.EVERYDAY_EMOJI))]
        return _made(_fit(text, st, b, 45 + take(180)), lang, tuple(tags), (), markers)

    def shout_out(self, rng: np.random.Generator, lang: str, new_handle: str) -> GeneratedText:
        """A supporter announcing a suspended friend's new account ``@new_handle``."""
        st = self._state(lang)
        b = Bits(rng.bit_generator.random_raw())
        take = b.take
        phrase = st.phrases[take(len(st.phrases))]
        template = st.shout[take(len(st.shout))]
        text = template.format(phrase=phrase, handle=new_handle, f=FILL)
        hashtags: tuple[str, ...] = ()
        markers: tuple[str, ...] = (phrase,)
        if take(2):
            ht = st.tags[take(len(st.tags))]
            text += " #" + ht
            hashtags, markers = (ht,), (phrase, ht)
        return _made(_fit(text, st, b, 50 + take(150)), lang, hashtags, (), markers)


def _file_id(b: Bits) -> str:
    """Eight base-62 characters, as file hosts use in their links."""
    take = b.take
    n = len(_ID_PAIRS)
    return _ID_PAIRS[take(n)] + _ID_PAIRS[take(n)] + _ID_PAIRS[take(n)] + _ID_PAIRS[take(n)]


def _fit(text: str, st: PerLanguage, b: Bits, target: int) -> str:
    """Replace the filler mark in ``text`` with neutral words so the text is about ``target``
    characters long (always within 40..280 when the rest allows it)."""
    at = text.find(FILL)
    if at < 0:
        at = len(text)
        text += " " + FILL
        at += 1
    rest = len(text) - 1
    # At least 20 characters of room when the rest is short: filler words are <= 17 chars.
    budget = max(min(target, _MAX_LEN) - rest, _MIN_LEN + 20 - rest)
    words = st.fill(b, budget) if budget > 0 else ""
    if not words:
        return (text[:at].rstrip() + " " + text[at + 1 :].lstrip()).strip()
    return text[:at] + words + text[at + 1 :]
