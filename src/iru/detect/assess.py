"""Account assessment from post and media signals: a score, a label and the reasons.

This first assessor combines *distinct* pieces of evidence per account by a noisy-or
(each fired rule, hash-list label or URL counts once, at its strongest), so a
hundred posts with the same hashtag are not a hundred times the evidence. Each
detector has a weight for how much its signals say about the account; language
says nothing. The result carries its top reasons, in words an analyst can check.

Known limitation, on purpose visible in the benchmarks: indicator hits alone do not
separate supporters from journalists and counter-speech accounts that quote the
same markers. The trained classifier and network propagation are the next stages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from iru.detect.language import main_language

# How much one signal of each detector says about its account.
DETECTOR_WEIGHTS: Mapping[str, float] = {
    "known-media": 0.9,
    "near-duplicate-text": 0.7,
    "known-urls": 0.6,
    "indicators": 0.5,
    "language": 0.0,
}
DEFAULT_THRESHOLD = 0.8


@dataclass(frozen=True, slots=True)
class AccountSignal:
    """One stored signal, reduced to what assessment needs."""

    platform: str
    account_id: str
    detector: str
    label: str
    score: float
    explanation: str


@dataclass(frozen=True, slots=True)
class LanguageTally:
    """An account's language signals of one label, counted and their confidences summed
    (what assessment needs of them, read in one row instead of one per post)."""

    platform: str
    account_id: str
    label: str
    signals: int
    confidence: float


@dataclass(slots=True)
class Assessment:
    """The current view of one account."""

    platform: str
    account_id: str
    score: float
    label: str
    reasons: list[str] = field(default_factory=list)
    signals: int = 0
    language: str = ""  # from the posts' language signals; "" when not known here


def assess_accounts(
    signals: Iterable[AccountSignal],
    threshold: float = DEFAULT_THRESHOLD,
    weights: Mapping[str, float] = DETECTOR_WEIGHTS,
    top_reasons: int = 3,
    languages: Iterable[LanguageTally] = (),
) -> list[Assessment]:
    """Assessments of every account that has signals, ordered by (platform, account).

    The language signals may come as ``signals`` or, tallied, as ``languages`` (not both)."""
    strongest: dict[tuple[str, str], dict[tuple[str, str], tuple[float, str]]] = {}
    counts: dict[tuple[str, str], int] = {}
    spoken_by: dict[tuple[str, str], dict[str, float]] = {}
    for tally in languages:
        key = (tally.platform, tally.account_id)
        counts[key] = counts.get(key, 0) + tally.signals
        if tally.label != "und":
            spoken = spoken_by.setdefault(key, {})
            spoken[tally.label] = spoken.get(tally.label, 0.0) + tally.confidence
    for s in signals:
        key = (s.platform, s.account_id)
        counts[key] = counts.get(key, 0) + 1
        if s.detector == "language" and s.label != "und":
            spoken = spoken_by.setdefault(key, {})
            spoken[s.label] = spoken.get(s.label, 0.0) + s.score
        weight = weights.get(s.detector, 0.5)
        if weight <= 0:
            continue
        evidence = strongest.setdefault(key, {})
        value = min(1.0, max(0.0, s.score)) * weight
        best = evidence.get((s.detector, s.label))
        # Ties go to the first explanation in text order: the signals come in no fixed order.
        if best is None or (value, best[1]) > (best[0], s.explanation):
            evidence[(s.detector, s.label)] = (value, s.explanation)
    results = []
    for key in sorted(counts):
        evidence = strongest.get(key, {})
        miss = 1.0
        for _, (value, _) in sorted(evidence.items()):  # a fixed order: the same float
            miss *= 1.0 - value
        score = round(1.0 - miss, 6)
        ranked = sorted(evidence.values(), key=lambda v: (-v[0], v[1]))
        results.append(
            Assessment(
                platform=key[0],
                account_id=key[1],
                score=score,
                label="supporter" if score >= threshold else "not_supporter",
                reasons=[text for _, text in ranked[:top_reasons]],
                signals=counts[key],
                language=main_language(spoken_by.get(key, {})),
            )
        )
    return results
