"""Rules-only assessment: the same whatever order the signals come in, and language signals
tallied per label give what one row per post gives."""

from __future__ import annotations

import random

from iru.detect.assess import AccountSignal, LanguageTally, assess_accounts

DETECTORS = ("indicators", "known-urls", "known-media", "near-duplicate-text")


def _signals(seed: int) -> list[AccountSignal]:
    rng = random.Random(seed)
    rows = []
    for n in range(400):
        account = f"a{n % 37}"
        if rng.random() < 0.6:
            label = rng.choice(["en", "fr", "ar", "und"])
            rows.append(AccountSignal("x", account, "language", label, rng.random(), label))
        else:
            detector = rng.choice(DETECTORS)
            score = rng.choice([0.5, 0.8, 1.0])  # equal scores: ties between explanations
            label = f"L{rng.randrange(3)}"
            rows.append(
                AccountSignal("x", account, detector, label, score, f"{detector} {label} #{n}")
            )
    return rows


def test_ties_and_order_do_not_change_an_assessment() -> None:
    rows = _signals(1)
    expected = assess_accounts(rows)
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert assess_accounts(shuffled) == expected


def test_tallied_language_signals_assess_the_same() -> None:
    rows = _signals(2)
    tallies: dict[tuple[str, str, str], list[float]] = {}
    for s in rows:
        if s.detector == "language":
            tallies.setdefault((s.platform, s.account_id, s.label), []).append(s.score)
    languages = [
        LanguageTally(p, a, label, len(scores), sum(scores))
        for (p, a, label), scores in tallies.items()
    ]
    evidence = [s for s in rows if s.detector != "language"]
    assert assess_accounts(evidence, languages=languages) == assess_accounts(rows)
    # An account with language signals only is still assessed (its count and language).
    only = [LanguageTally("x", "quiet", "de", 3, 2.7)]
    [view] = assess_accounts([], languages=only)
    assert (view.account_id, view.signals, view.language, view.score) == ("quiet", 3, "de", 0.0)
