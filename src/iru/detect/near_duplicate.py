"""Near-duplicate text: posts that copy a known propaganda text with small edits.

Texts are normalised (Unicode NFKC, case folded, diacritics and Arabic harakat and
tatweel dropped, Arabic and Persian letter variants folded, URLs and @mentions
removed, punctuation and symbols turned into spaces, whitespace collapsed) and cut
into overlapping character shingles, which work the same for Latin, Arabic and
Cyrillic script and need no word segmentation. Each text's MinHash (datasketch's
``affine32`` scheme over the shingles' CRC-32) is computed for a whole batch at once in
numpy (:mod:`iru.detect.minhash`, bit for bit what datasketch computes text by text);
the known texts' MinHashes are cut into LSH bands (datasketch ``MinHashLSH``'s banding),
a post's candidates are the known texts sharing a band with it, and every candidate's
Jaccard similarity is estimated from the two MinHashes. The best candidate at or above
``threshold`` gives the post's signal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Final, Self

import numpy as np
from datasketch import MinHash, MinHashLSH

from iru.detect.base import Batch, Signal, check_fitted
from iru.detect.minhash import BandIndex, minhash_matrix

if TYPE_CHECKING:
    from iru.detect.knowledge import DetectorExample, Knowledge

MINHASH_SEED: Final = 1
"""Seed of every MinHash here: known texts and posts must share their permutations."""

# Shingles hash with CRC-32 (of their UTF-8 bytes), which datasketch's affine32 scheme runs
# through the murmur3 finaliser before permuting (computed in numpy, see iru.detect.minhash).
_SCHEME: Final = "affine32"

# LSH bands are tuned to favour recall: a candidate is verified by its estimated Jaccard anyway.
_LSH_WEIGHTS: Final = (0.2, 0.8)

_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w+")
_FOLD: Final = {
    "\u0640": "",  # tatweel
    "\u0649": "\u064a",  # alef maksura -> yeh
    "\u06cc": "\u064a",  # Persian yeh -> Arabic yeh
    "\u0629": "\u0647",  # teh marbuta -> heh
    "\u06a9": "\u0643",  # Persian keheh -> kaf
    "\u0671": "\u0627",  # alef wasla -> alef
}


class _CharMap(dict[int, str]):
    """What each (decomposed) character becomes, worked out once per character for translate."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = _FOLD.get(ch)
        if folded is None:
            category = unicodedata.category(ch)
            # Combining marks (accents, harakat, hamza above/below) go; punctuation,
            # symbols, separators and controls become spaces.
            folded = "" if category == "Mn" else " " if category[0] in "PSZC" else ch
        self[code] = folded
        return folded


_CHARS = _CharMap()


def normalise_text(text: str) -> str:
    """The text as it is compared: see the module docstring."""
    text = unicodedata.normalize("NFKC", text)
    text = _MENTION.sub(" ", _URL.sub(" ", text)).casefold()
    text = unicodedata.normalize("NFKD", text).translate(_CHARS)
    return " ".join(unicodedata.normalize("NFC", text).split())


def shingles(text: str, size: int) -> set[str]:
    """Character ``size``-grams of a normalised text (the whole text when it is shorter)."""
    if len(text) <= size:
        return {text} if text else set()
    return {text[i : i + size] for i in range(len(text) - size + 1)}


@dataclass(frozen=True, slots=True)
class _Known:
    label: str
    text: str
    shingle_count: int


# Texts whose MinHashes are computed together (bounds the matrices of one call).
_TEXTS_PER_CALL: Final = 4_096


class NearDuplicateTextDetector:
    """Posts whose text is a near copy of a known text, by MinHash LSH over character shingles.

    ``known_texts`` are (label, text) pairs; ``threshold`` is the least estimated
    Jaccard similarity of shingle sets that fires; ``num_perm`` the MinHash size;
    ``shingle`` the shingle length in characters.
    """

    name: ClassVar[str] = "near-duplicate-text"

    def __init__(
        self,
        known_texts: Sequence[tuple[str, str]] | None = None,
        threshold: float = 0.6,
        num_perm: int = 128,
        shingle: int = 4,
    ) -> None:
        self.known_texts = known_texts
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Sequence[Self]:
        """The workspace's known texts, when it has any."""
        return (cls(list(knowledge.known_texts)),) if knowledge.known_texts else ()

    @classmethod
    def examples(cls) -> Sequence[DetectorExample]:
        """A known text reposted with small edits fires; an unrelated text does not."""
        from iru.detect.examples import near_duplicate_text_examples

        return near_duplicate_text_examples()

    def fit(self, batch: Batch) -> Self:
        """Build the LSH index of the known texts; the batch is not used."""
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if self.num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, not {self.num_perm}")
        if self.shingle < 1:
            raise ValueError(f"shingle must be at least 1, not {self.shingle}")
        pairs = list(self.known_texts or ())
        known: list[_Known] = []
        normalised: list[str] = []
        for n, (label, text) in enumerate(pairs):
            if not label or not label.strip():
                raise ValueError(f"known text {n} has an empty label")
            normalised.append(normalise_text(text))
            grams = shingles(normalised[-1], self.shingle)
            if not grams:
                raise ValueError(f"known text {n} ({label}) is empty once normalised")
            known.append(_Known(label, text, len(grams)))
        self.permutations_ = MinHash(
            num_perm=self.num_perm, seed=MINHASH_SEED, scheme=_SCHEME
        ).permutations
        # datasketch's banding for this threshold, size and weights; its index is not needed.
        bands = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm, weights=_LSH_WEIGHTS)
        self.index_ = BandIndex(self._minhashes(normalised), bands.hashranges)
        self.known_ = tuple(known)
        return self

    def _minhashes(self, normalised: Sequence[str]) -> np.ndarray:
        return minhash_matrix(normalised, self.shingle, self.permutations_)

    def best_matches(self, texts: Sequence[str]) -> list[tuple[int, float, int] | None]:
        """Per text, (known text index, estimated Jaccard, LSH candidates) of its best match
        (the first known text of the highest Jaccard at or above the threshold), or None."""
        check_fitted(self, "known_")
        found: list[tuple[int, float, int] | None] = [None] * len(texts)
        if not self.known_:
            return found
        for start in range(0, len(texts), _TEXTS_PER_CALL):
            part = [normalise_text(t) for t in texts[start : start + _TEXTS_PER_CALL]]
            values = self._minhashes(part)
            query, known = self.index_.pairs(values)
            if not len(query):
                continue
            same = np.count_nonzero(values[query] == self.index_.values[known], axis=1)
            jaccard = same.astype(np.float64) / np.float64(self.num_perm)
            candidates = np.bincount(query, minlength=len(part))
            # Per text: the highest Jaccard, the lowest known index among equals (pairs are
            # sorted by text, then known index, so the first of a text's maxima wins).
            keep = np.nonzero(jaccard >= self.threshold)[0]
            order = keep[np.lexsort((known[keep], -jaccard[keep], query[keep]))]
            firsts = (
                order[np.r_[True, query[order][1:] != query[order][:-1]]] if len(order) else order
            )
            for i in firsts:
                row = int(query[i])
                found[start + row] = (int(known[i]), float(jaccard[i]), int(candidates[row]))
        return found

    def best_match(self, text: str) -> tuple[int, float, int] | None:
        """(known text index, estimated Jaccard, LSH candidates) of the best match, or None."""
        return self.best_matches([text])[0]

    def score(self, batch: Batch) -> list[Signal]:
        """One signal per post that nearly copies a known text, in batch order."""
        check_fitted(self, "known_")
        if not self.known_:
            return []
        # Copies within a batch hash once; the distinct texts go through numpy together.
        distinct = list(dict.fromkeys(p.text for p in batch.posts if p.text))
        seen = dict(zip(distinct, self.best_matches(distinct), strict=True))
        signals = []
        for post in batch.posts:
            if not post.text:
                continue
            match = seen[post.text]
            if match is None:
                continue
            index, jaccard, candidates = match
            known = self.known_[index]
            excerpt = " ".join(known.text.split())
            signals.append(
                Signal(
                    detector=self.name,
                    subject="post",
                    platform=post.platform,
                    subject_id=post.post_id,
                    score=round(jaccard, 6),
                    label=known.label,
                    explanation=(
                        f"Near-duplicate of known text {known.label}: estimated Jaccard "
                        f"{jaccard:.2f} over {self.shingle}-character shingles "
                        f"(threshold {self.threshold:g})"
                    ),
                    evidence={
                        "jaccard": f"{jaccard:.4f}",
                        "threshold": f"{self.threshold:g}",
                        "known_index": str(index),
                        "known_excerpt": excerpt[:80] + ("…" if len(excerpt) > 80 else ""),
                        "shingle": str(self.shingle),
                        "num_perm": str(self.num_perm),
                        "lsh_candidates": str(candidates),
                    },
                )
            )
        return signals
