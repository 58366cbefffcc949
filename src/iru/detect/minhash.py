"""MinHash of many texts at once, in numpy, bit for bit what datasketch computes one by one.

:class:`iru.detect.near_duplicate.NearDuplicateTextDetector` compares posts with known
texts by the MinHash of their character shingles. datasketch hashes one shingle per
Python call (``zlib.crc32`` of its UTF-8 bytes), then permutes the hashes of one text
at a time. Here a whole batch of texts goes through numpy together:

* every text's code points are turned into their UTF-8 bytes, and the CRC-32 of each
  window of ``size`` characters (the whole text when it is shorter) is computed for
  every window of every text in lock step, one byte position at a time, by the usual
  table-driven CRC (the same value ``zlib.crc32`` gives);
* the hashes go through datasketch's ``affine32`` scheme (the MurmurHash3 finaliser,
  then ``a * h + b`` modulo 2^32 per permutation) and are reduced per text by a minimum,
  a block of windows at a time so memory stays bounded.

A window that occurs twice in a text hashes twice, which leaves the minimum — and so
the MinHash of the text's shingle *set* — unchanged.

:class:`BandIndex` is the LSH step: the MinHash cut into bands (datasketch's
``MinHashLSH`` banding, its ``b`` and ``r``), each band of the known texts kept sorted
by a 64-bit key of its values, every query band looked up by binary search and each
hit checked value by value — the candidates datasketch's index returns for the same
MinHash, for a whole batch at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "EMPTY",
    "BandIndex",
    "crc32_table",
    "minhash_matrix",
    "utf8_lengths",
    "window_hashes",
]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

EMPTY: Final = np.uint32(0xFFFFFFFF)
"""The value of every permutation of a text with no shingle (datasketch's initial value)."""

_WINDOWS_PER_BLOCK: Final = 1 << 13  # windows permuted at once: a block stays in cache
_POLY: Final = 0xEDB88320  # CRC-32 (IEEE 802.3, reflected), as zlib
_FMIX: Final = (np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35))
_MIX64: Final = np.uint64(0x9E3779B97F4A7C15)


def crc32_table() -> U32:
    """The 256-entry table of the reflected CRC-32 polynomial."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1).astype(np.uint32)
    return table


_TABLE: Final = crc32_table()


def utf8_lengths(codes: U32) -> npt.NDArray[np.uint8]:
    """How many bytes each code point takes in UTF-8 (surrogates: 3, as "surrogatepass")."""
    c = codes.astype(np.uint32)
    return np.select([c < 0x80, c < 0x800, c < 0x10000], [1, 2, 3], default=4).astype(np.uint8)


def _utf8(codes: U32) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """(bytes, length): each code point's UTF-8 bytes (n x 4, left-aligned) and their count."""
    c = codes.astype(np.uint32)
    length = utf8_lengths(c)
    out = np.zeros((len(c), 4), dtype=np.uint8)
    cont = np.uint32(0x3F)
    one, two, three = length == 1, length == 2, length == 3
    four = length == 4
    out[one, 0] = c[one]
    out[two, 0] = 0xC0 | (c[two] >> 6)
    out[two, 1] = 0x80 | (c[two] & cont)
    out[three, 0] = 0xE0 | (c[three] >> 12)
    out[three, 1] = 0x80 | ((c[three] >> 6) & cont)
    out[three, 2] = 0x80 | (c[three] & cont)
    out[four, 0] = 0xF0 | (c[four] >> 18)
    out[four, 1] = 0x80 | ((c[four] >> 12) & cont)
    out[four, 2] = 0x80 | ((c[four] >> 6) & cont)
    out[four, 3] = 0x80 | (c[four] & cont)
    return out, length


def window_hashes(texts: Sequence[str], size: int) -> tuple[U32, I64]:
    """(hashes, counts): the CRC-32 of the UTF-8 bytes of every ``size``-character window of
    each text, text after text, and how many windows each text has (0 for an empty text,
    1 for one no longer than ``size``: the whole text)."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    counts = np.where(lengths > size, lengths - size + 1, np.minimum(lengths, 1))
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint32), counts
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    utf8, nbytes = _utf8(codes)
    text_start = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    first = np.repeat(np.cumsum(counts) - counts, counts)
    starts = np.repeat(text_start, counts) + (np.arange(total, dtype=np.int64) - first)
    chars = np.repeat(np.minimum(lengths, size), counts)
    state = np.full(total, 0xFFFFFFFF, dtype=np.uint32)
    last = len(codes) - 1
    for j in range(size):
        active = chars > j
        if not active.any():
            break
        where = np.minimum(starts + j, last)
        char_bytes, char_len = utf8[where], nbytes[where]
        for t in range(4):
            step = active & (char_len > t)
            if not step.any():
                break
            byte = char_bytes[:, t].astype(np.uint32)
            moved = _TABLE[(state ^ byte) & 0xFF] ^ (state >> 8)
            state = np.where(step, moved, state)
    return state ^ np.uint32(0xFFFFFFFF), counts


def _fmix32(hv: U32) -> U32:
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * _FMIX[0]
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * _FMIX[1]
    return hv ^ (hv >> np.uint32(16))


def minhash_matrix(texts: Sequence[str], size: int, permutations: npt.NDArray[np.uint32]) -> U32:
    """The MinHash (n x num_perm, datasketch's ``affine32`` scheme over ``zlib.crc32`` of the
    shingles) of each text; a text with no shingle has every value :data:`EMPTY`."""
    a = np.asarray(permutations[0], dtype=np.uint32)
    b = np.asarray(permutations[1], dtype=np.uint32)
    out = np.full((len(texts), len(a)), EMPTY, dtype=np.uint32)
    hashes, counts = window_hashes(texts, size)
    if not len(hashes):
        return out
    mixed = _fmix32(hashes)
    ends = np.cumsum(counts)
    rows = np.nonzero(counts)[0]
    row_ends = ends[rows]
    buffer = np.empty((len(a), max(_WINDOWS_PER_BLOCK, int(counts.max()))), dtype=np.uint32)
    begin = 0
    while begin < len(rows):
        # Whole texts per block: as many as fit in _WINDOWS_PER_BLOCK windows (at least one).
        first = int(row_ends[begin] - counts[rows[begin]])
        stop = int(np.searchsorted(row_ends, first + _WINDOWS_PER_BLOCK, side="right"))
        stop = max(stop, begin + 1)
        block = rows[begin:stop]
        lo, hi = first, int(row_ends[stop - 1])
        permuted = buffer[:, : hi - lo]  # num_perm x windows: each permutation's row contiguous
        np.multiply(a[:, None], mixed[None, lo:hi], out=permuted)
        permuted += b[:, None]
        offsets = (ends[block] - counts[block]) - lo
        out[block] = np.minimum.reduceat(permuted, offsets, axis=1).T
        begin = stop
    return out


def _band_keys(values: U32) -> U64:
    key = np.zeros(len(values), dtype=np.uint64)
    for column in values.T:
        key = (key ^ column.astype(np.uint64)) * _MIX64
        key ^= key >> np.uint64(29)
    return key


class BandIndex:
    """LSH candidates by exact band equality (datasketch ``MinHashLSH``'s, for a batch)."""

    def __init__(self, values: U32, ranges: Sequence[tuple[int, int]]) -> None:
        self.values = np.ascontiguousarray(values, dtype=np.uint32)
        self.ranges = [(int(s), int(e)) for s, e in ranges]
        self._bands: list[tuple[U64, I64]] = []
        for start, end in self.ranges:
            keys = _band_keys(self.values[:, start:end])
            order = np.argsort(keys, kind="stable").astype(np.int64)
            self._bands.append((keys[order], order))

    def __len__(self) -> int:
        return len(self.values)

    def pairs(self, queries: U32) -> tuple[I64, I64]:
        """(query row, known row) of every candidate pair, sorted, each once."""
        found: list[I64] = []
        n = len(self.values)
        for (start, end), (keys, order) in zip(self.ranges, self._bands, strict=True):
            band = queries[:, start:end]
            wanted = _band_keys(band)
            lo = np.searchsorted(keys, wanted, side="left")
            hi = np.searchsorted(keys, wanted, side="right")
            hits = hi - lo
            rows = np.nonzero(hits)[0]
            if not len(rows):
                continue
            per = hits[rows]
            query = np.repeat(rows, per)
            firsts = np.repeat(lo[rows], per)
            within = np.arange(len(query), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
            known = order[firsts + within]
            same = np.all(band[query] == self.values[known, start:end], axis=1)
            found.append(query[same] * n + known[same])
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        joined = np.unique(np.concatenate(found))
        return joined // n, joined % n
