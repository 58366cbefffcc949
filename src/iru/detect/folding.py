"""How analysts' rules and posts are folded and cut into words, alike.

:func:`fold` normalises text (NFKC, case folding, Arabic and Persian spellings unified,
diacritics and joiners removed); :func:`words` cuts folded text into UTF-8 words at C
speed, a hashtag being one word with its '#'; :func:`hosts` finds what looks like a
domain name. The indicator detector (:mod:`iru.detect.indicators`) matches on these.
"""

from __future__ import annotations

import re
import unicodedata

# -- folding --------------------------------------------------------------------------

# Removed: stray combining marks (as the dot casefold leaves on Turkish İ); Arabic harakat,
# superscript alef, honorifics, Quranic signs; tatweel; letter mark, soft hyphen, ZWSP/ZWNJ/ZWJ,
# LRM/RLM. Mapped: alef forms, alef maksura, Farsi yeh, keheh, Turkish dotless i, sharp s.
_REMOVED = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640\u061c\u00ad\u200b-\u200f"
_MAPPED = (
    *(("\u0622", "ا"), ("\u0623", "ا"), ("\u0625", "ا"), ("\u0671", "ا")),
    *(("\u0649", "ي"), ("\u06cc", "ي"), ("\u06a9", "ك"), ("\u0131", "i"), ("\u00df", "ss")),
)
_DIGITS = str.maketrans(
    {0x0660 + d: str(d) for d in range(10)} | {0x06F0 + d: str(d) for d in range(10)}
)
_FOLDABLE = re.compile(f"[{_REMOVED}{''.join(c for c, _ in _MAPPED)}\u0660-\u0669\u06f0-\u06f9]")
_REMOVE = re.compile(f"[{_REMOVED}]+")
_ARABIC_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
# Words are runs of letters, digits and '_' (Indic vowel signs count as letters, for hashtags).
# Between words: ASCII separators (mapped on bytes, which is fast) and these non-ASCII
# punctuation marks and symbols, listed as plain ranges because a positive class is twice as
# fast to scan as "not a word character" (what NFKC turns into ASCII needs no listing).
_W = "\\w\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
_NON_ASCII_SEPARATOR = re.compile(
    "[\u0080-\u00bf\u00d7\u00f7\u037e\u0387\u055a-\u055f\u0589\u058a\u05be\u05c0\u05c3"
    "\u05c6\u05f3\u05f4\u0600-\u060f\u061b-\u061f\u066a-\u066d\u06d4\u06dd\u06de\u06e9"
    "\u06fd\u06fe\u0964\u0965\u0970\u0e4f\u0e5a\u0e5b\u2000-\u2bff\u2e00-\u2e7f"
    "\u3000-\u303f\ufd3e\ufd3f\ufe00-\ufe6f\ufeff\uff00-\uff0f\U0001f000-\U0001faff"
    "\U000e0000-\U000e007f]+"
)
_SEPARATORS = bytes(c for c in range(128) if not (chr(c).isalnum() or chr(c) in "_#"))
_ASCII_SEPARATOR = bytes.maketrans(_SEPARATORS, b" " * len(_SEPARATORS))
_NOT_HOST = bytes(c for c in _SEPARATORS if chr(c) not in ".-") + b"#"
_HOST_SEPARATOR = bytes.maketrans(_NOT_HOST, b" " * len(_NOT_HOST))
HASHTAG = re.compile(f"[#＃]([{_W}]+)")
DOMAIN = re.compile(r"(?:[\w-]+\.)+[\w-]+")


def fold(text: str) -> str:
    """Text as rules see it: NFKC, case-folded, Arabic diacritics, tatweel and zero-width
    joiners removed, alef/yeh/kaf variants unified (Arabic and Persian spellings meet),
    Turkish dotless i as i, ß as ss, Arabic-Indic digits as ASCII digits."""
    if text.isascii():
        return text.lower()
    return fold_letters(unicodedata.normalize("NFKC", text).casefold())


def fold_letters(text: str) -> str:
    """The removals and replacements of :func:`fold` (the ASCII part of a regex is untouched)."""
    if _FOLDABLE.search(text):
        text = _REMOVE.sub("", text)
        for char, replacement in _MAPPED:
            if char in text:
                text = text.replace(char, replacement)
        if _ARABIC_DIGIT.search(text):
            text = text.translate(_DIGITS)
    return text


def separate(folded: str) -> bytes:
    """Folded text in UTF-8 with its non-ASCII separators (punctuation, symbols) as spaces."""
    if not folded.isascii() and _NON_ASCII_SEPARATOR.search(folded):
        folded = _NON_ASCII_SEPARATOR.sub(" ", folded)
    return folded.encode()


def words(text: str | bytes) -> list[bytes]:
    """The words of folded (or folded and separated) text, in UTF-8; a hashtag is one word with
    its '#'."""
    separated = text if isinstance(text, bytes) else separate(text)
    return separated.translate(_ASCII_SEPARATOR).replace(b"#", b" #").split()


def find_hosts(separated: bytes) -> set[bytes]:
    """Whatever looks like a domain name (dotted words) in separated text."""
    return {
        word.strip(b".-") for word in separated.translate(_HOST_SEPARATOR).split() if b"." in word
    }
