"""Hashed character n-grams of many texts at once, in numpy, equal to scikit-learn's.

The account classifier's character block is scikit-learn's
``HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), alternate_sign=False,
norm="l2", dtype=float32)``. scikit-learn builds every n-gram as a Python string and
hashes it in its own call, about a microsecond each and a thousand or more per
account. :class:`CharNgramHasher` gives the same matrix, entry for entry:

* each text is lower-cased, runs of white space collapsed and the text split into
  words exactly as scikit-learn does (``char_wb``: every word padded with a space on
  each side, its n-grams taken inside it; a word no longer than an n-gram counts once);
* the n-grams of all the texts are then cut from the UTF-8 bytes in lock step and
  hashed by MurmurHash3 (x86, 32 bits, seed 0, what ``sklearn.utils.murmurhash3_32``
  computes) four bytes at a time, in numpy;
* the column of an n-gram is ``abs(hash) % n_features`` (scikit-learn's rule, its
  special case for -2^31 included); counts are summed and each row scaled to unit
  length by scikit-learn's own ``normalize``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from iru.detect.minhash import utf8_lengths

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["CharNgramHasher", "char_wb_hashes", "murmurhash3_32"]

_WHITE_SPACES: Final = re.compile(r"\s\s+")  # scikit-learn's, for char_wb
_TEXTS_PER_BLOCK: Final = 1024  # texts hashed together (bounds the arrays of one step)
_C1: Final = np.uint32(0xCC9E2D51)
_C2: Final = np.uint32(0x1B873593)

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


def _rotl(x: U32, r: int) -> U32:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def _mix_block(h: U32, k: U32) -> U32:
    k = _rotl(k * _C1, 15) * _C2
    h = _rotl(h ^ k, 13)
    return h * np.uint32(5) + np.uint32(0xE6546B64)


def murmurhash3_32(data: npt.NDArray[np.uint8], starts: I64, lengths: I64) -> npt.NDArray[np.int32]:
    """MurmurHash3_x86_32 (seed 0) of each byte string ``data[start : start + length]``,
    as signed 32-bit integers. ``data`` must hold three zero bytes past its last string."""
    h = np.zeros(len(starts), dtype=np.uint32)
    blocks = lengths // 4
    d = data.astype(np.uint32)

    def word(at: I64) -> U32:
        found: U32 = d[at] | (d[at + 1] << np.uint32(8))
        found |= d[at + 2] << np.uint32(16)
        found |= d[at + 3] << np.uint32(24)
        return found

    for i in range(int(blocks.max(initial=0))):
        rows = np.nonzero(blocks > i)[0]
        h[rows] = _mix_block(h[rows], word(starts[rows] + 4 * i))
    tail = lengths & 3
    rows = np.nonzero(tail)[0]
    if len(rows):
        at = starts[rows] + 4 * blocks[rows]
        k = np.zeros(len(rows), dtype=np.uint32)
        for j in range(3):
            take = tail[rows] > j
            k |= np.where(take, d[at + j], np.uint32(0)) << np.uint32(8 * j)
        h[rows] ^= _rotl(k * _C1, 15) * _C2
    h ^= lengths.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h.view(np.int32)


def char_wb_hashes(
    texts: Sequence[str], ngram_range: tuple[int, int] = (3, 4)
) -> tuple[npt.NDArray[np.int32], I64]:
    """(hashes, texts): the MurmurHash3 of every ``char_wb`` n-gram of the texts (lower-cased,
    as scikit-learn's analyzer gives them) and the index of the text each comes from (the
    n-grams of a text are not contiguous: counting them needs no order)."""
    low, high = ngram_range
    padded: list[str] = []
    word_lengths: list[int] = []
    words_per_text = np.zeros(len(texts), dtype=np.int64)
    for n, text in enumerate(texts):
        words = _WHITE_SPACES.sub(" ", text.lower()).split()
        if words:
            padded.append(" " + "  ".join(words) + " ")
            word_lengths.extend(map(len, words))
            words_per_text[n] = len(words)
    if not word_lengths:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    lengths = np.asarray(word_lengths, dtype=np.int64) + 2  # padded word lengths (>= 3)
    word_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    word_text = np.repeat(np.arange(len(texts), dtype=np.int64), words_per_text)
    # Per n: the words still counted (a word no longer than a smaller n stopped there).
    starts_parts: list[I64] = []
    chars_parts: list[I64] = []
    texts_parts: list[I64] = []
    for n in range(low, high + 1):
        live = np.nonzero(lengths > n - 1)[0] if n > low else np.arange(len(lengths))
        grams = np.maximum(lengths[live] - n + 1, 1)
        first = np.repeat(np.cumsum(grams) - grams, grams)
        offset = np.arange(int(grams.sum()), dtype=np.int64) - first
        starts_parts.append(np.repeat(word_start[live], grams) + offset)
        chars_parts.append(np.repeat(np.minimum(lengths[live], n), grams))
        texts_parts.append(np.repeat(word_text[live], grams))
    gram_start = np.concatenate(starts_parts)
    gram_chars = np.concatenate(chars_parts)
    gram_text = np.concatenate(texts_parts)
    joined = "".join(padded)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    byte_at = np.concatenate(([0], np.cumsum(utf8_lengths(codes)))).astype(np.int64)
    data = np.frombuffer(joined.encode("utf-8", "surrogatepass") + b"\0\0\0", dtype=np.uint8)
    begin = byte_at[gram_start]
    return murmurhash3_32(data, begin, byte_at[gram_start + gram_chars] - begin), gram_text


class CharNgramHasher:
    """scikit-learn's ``HashingVectorizer(analyzer="char_wb", alternate_sign=False,
    norm="l2", dtype=float32)`` for ``ngram_range`` and ``n_features``, vectorised."""

    def __init__(self, n_features: int, ngram_range: tuple[int, int] = (3, 4)) -> None:
        self.n_features = n_features
        self.ngram_range = ngram_range

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        keys: list[I64] = []
        n = self.n_features
        for start in range(0, len(texts), _TEXTS_PER_BLOCK):
            hashes, rows = char_wb_hashes(texts[start : start + _TEXTS_PER_BLOCK], self.ngram_range)
            wide = hashes.astype(np.int64)
            column = np.abs(wide) % n
            column[wide == -(2**31)] = (2**31 - 1 - (n - 1)) % n
            keys.append((rows + start) * n + column)
        # One sort gives each row's columns in order with their counts: what scikit-learn's
        # hasher gets from summing the duplicates of its (unsorted) entries.
        found, counts = np.unique(
            np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64), return_counts=True
        )
        rows_of = found // n
        indptr = np.searchsorted(rows_of, np.arange(len(texts) + 1), side="left")
        matrix = sp.csr_matrix(
            (counts.astype(np.float32), (found % n).astype(np.int32), indptr.astype(np.int32)),
            shape=(len(texts), n),
            dtype=np.float32,
        )
        return normalize(matrix, norm="l2", copy=False)
