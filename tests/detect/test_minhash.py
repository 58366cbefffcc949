"""The vectorised MinHash and character n-gram hashing equal what they replace, bit for bit."""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from sklearn.feature_extraction.text import HashingVectorizer

from iru.detect.base import Batch
from iru.detect.minhash import EMPTY, BandIndex, minhash_matrix, window_hashes
from iru.detect.near_duplicate import (
    MINHASH_SEED,
    NearDuplicateTextDetector,
    normalise_text,
    shingles,
)
from iru.detect.ngrams import CharNgramHasher
from iru.domain import Post

# Latin with accents, Arabic, Cyrillic, CJK, emoji and a character outside the BMP,
# white space of every kind: every UTF-8 length and every split rule gets exercised.
ALPHABET = [
    *"abcdefgh ABCÉé ü中文 بتثج ыж😀\U00010348\n\t\u00a0\u2003.,#@-_",
    "  ",
    "word",
    "Straße",
    "İ",
]
WORDS = ["hello", "world", "الحرب", "новости", "foo", "#tag", "وقت", "день", "référé", "Ünï"]


def _texts(n: int, seed: int, longest: int = 120) -> list[str]:
    rng = random.Random(seed)
    edge = ["", " ", "a", "ab", "abc", "abcd", "abcde", "é", "😀😀😀😀😀", "x\ny", "İstanbul ΣΑΣ"]
    return edge + [
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest))) for _ in range(n)
    ]


def _datasketch(text: str, size: int, permutations: np.ndarray) -> np.ndarray:
    minhash = MinHash(
        num_perm=permutations.shape[1],
        seed=MINHASH_SEED,
        hashfunc=zlib.crc32,
        permutations=permutations,
        scheme="affine32",
    )
    minhash.update_batch([g.encode("utf-8") for g in shingles(text, size)])
    return np.asarray(minhash.hashvalues)


def test_window_hashes_are_zlib_crc32_of_each_shingle() -> None:
    hashes, counts = window_hashes(["abcdef", "", "ab", "é中😀x"], 4)
    assert counts.tolist() == [3, 0, 1, 1]
    expected = [zlib.crc32(s.encode()) for s in ["abcd", "bcde", "cdef", "ab", "é中😀x"]]
    assert hashes.tolist() == expected


@pytest.mark.parametrize("size", [1, 3, 4, 5])
def test_minhash_matrix_equals_datasketch(size: int) -> None:
    permutations = MinHash(num_perm=64, seed=MINHASH_SEED, scheme="affine32").permutations
    texts = _texts(400, seed=size)
    matrix = minhash_matrix(texts, size, permutations)
    for text, row in zip(texts, matrix, strict=True):
        assert np.array_equal(row, _datasketch(text, size, permutations)), text
    assert (matrix[0] == EMPTY).all()  # the empty text


def test_band_index_returns_datasketchs_candidates() -> None:
    rng = random.Random(7)
    permutations = MinHash(num_perm=128, seed=MINHASH_SEED, scheme="affine32").permutations
    known = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 20))) for _ in range(120)]
    known.append(known[5])  # a duplicate: both are candidates
    queries = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 20))) for _ in range(500)
    ] + known[:50]
    lsh = MinHashLSH(threshold=0.6, num_perm=128, weights=(0.2, 0.8))
    known_values = minhash_matrix(known, 4, permutations)
    for n, row in enumerate(known_values):
        lsh.insert(n, MinHash(seed=MINHASH_SEED, hashvalues=row, scheme="affine32"))
    index = BandIndex(known_values, lsh.hashranges)
    query_values = minhash_matrix(queries, 4, permutations)
    rows, found = index.pairs(query_values)
    ours: dict[int, set[int]] = {}
    for r, k in zip(rows.tolist(), found.tolist(), strict=True):
        ours.setdefault(r, set()).add(k)
    for n, row in enumerate(query_values):
        expected = set(lsh.query(MinHash(seed=MINHASH_SEED, hashvalues=row, scheme="affine32")))
        assert ours.get(n, set()) == expected, queries[n]
    assert ours  # the copies of known texts were found


def test_near_duplicate_detector_matches_the_per_text_reference() -> None:
    """best_matches over a batch equals datasketch's MinHash, LSH query and Jaccard, text by text."""
    rng = random.Random(11)
    known = [
        (f"L{i % 5}", " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25))))
        for i in range(80)
    ]
    known.append(("dup", known[3][1]))

    def edit(text: str) -> str:
        words = text.split()
        for _ in range(rng.randint(0, 3)):
            if words and rng.random() < 0.5:
                words.pop(rng.randrange(len(words)))
            else:
                words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
        return " ".join(words)

    texts = [edit(rng.choice(known)[1]) for _ in range(300)] + _texts(100, seed=3)
    detector = NearDuplicateTextDetector(known).fit(Batch())
    lsh = MinHashLSH(threshold=0.6, num_perm=128, weights=(0.2, 0.8))
    permutations = detector.permutations_
    reference = [_datasketch(normalise_text(t), 4, permutations) for _, t in known]
    for n, values in enumerate(reference):
        lsh.insert(n, MinHash(seed=MINHASH_SEED, hashvalues=values, scheme="affine32"))
    matches = detector.best_matches(texts)
    for text, match in zip(texts, matches, strict=True):
        normalised = normalise_text(text)
        expected = None
        if shingles(normalised, 4):
            values = _datasketch(normalised, 4, permutations)
            query = MinHash(seed=MINHASH_SEED, hashvalues=values, scheme="affine32")
            candidates = sorted(lsh.query(query))
            for k in candidates:
                other = MinHash(seed=MINHASH_SEED, hashvalues=reference[k], scheme="affine32")
                jaccard = float(query.jaccard(other))
                if jaccard >= 0.6 and (expected is None or jaccard > expected[1]):
                    expected = (k, jaccard, len(candidates))
        assert match == expected, text
    assert sum(m is not None for m in matches) > 200
    posts = [
        Post(
            platform="x",
            post_id=str(i),
            account_id="a",
            created_at=datetime(2025, 1, 1, tzinfo=UTC),
            text=t,
        )
        for i, t in enumerate(texts + texts[:10])  # repeats in a batch hash once, fire each
    ]
    signals = detector.score(Batch(posts=posts))
    assert len(signals) == sum(m is not None for m in matches + matches[:10])


@pytest.mark.parametrize("n_features", [2**10, 2**17])
def test_char_ngrams_equal_scikit_learns_hashing_vectorizer(n_features: int) -> None:
    texts = _texts(800, seed=n_features, longest=400)
    expected = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 4),
        n_features=n_features,
        alternate_sign=False,
        norm="l2",
        dtype=np.float32,
    ).transform(texts)
    found = CharNgramHasher(n_features).transform(texts)
    assert found.dtype == np.float32 and found.shape == expected.shape
    assert np.array_equal(found.indptr, expected.indptr)
    assert np.array_equal(found.indices, expected.indices)
    assert found.data.tobytes() == expected.data.tobytes()
