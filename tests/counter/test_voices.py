"""Sorting the non-supporters: producers, watchers, and counter-speech by its framing."""

from __future__ import annotations

import numpy as np
import pytest

from iru.counter import may_list_accounts
from iru.counter.voices import AccountFacts, Voice, VoiceRules, classify_voices, counter_framing


def test_markers_without_amplification_make_a_watcher_with_it_a_producer() -> None:
    facts = AccountFacts(
        supporter=np.array([True, False, False, False, False, False]),
        own_posts=np.array([9, 5, 4, 4, 1, 0]),
        marker_posts=np.array([9, 0, 3, 3, 0, 0]),
        amplified=np.array([3, 1, 0, 2, 5, 0]),
    )
    voices = classify_voices(facts)
    assert voices.tolist() == [
        Voice.SUPPORTER,  # labels and assessments win
        Voice.OTHER,  # chats, reposted a supporter once: audience material
        Voice.WATCHER,  # writes about the markers, never amplifies
        Voice.PRODUCER,  # writes them and amplifies: an undetected supporter
        Voice.PRODUCER,  # mostly amplifies supporters
        Voice.OTHER,  # silent
    ]


def test_thresholds_are_settings() -> None:
    facts = AccountFacts(
        supporter=np.array([False]),
        own_posts=np.array([10]),
        marker_posts=np.array([3]),
        amplified=np.array([0]),
    )
    assert classify_voices(facts)[0] == Voice.OTHER  # 30 % < 35 %
    assert classify_voices(facts, VoiceRules(marker_share=0.3))[0] == Voice.WATCHER
    with pytest.raises(ValueError, match="own_posts"):
        classify_voices(
            AccountFacts(
                facts.supporter, np.zeros(2, dtype=np.int64), facts.marker_posts, facts.amplified
            )
        )


WORDS = ("report", "share", "dont", "breaking", "news", "desk")


def fake_embed(texts: list[str]) -> np.ndarray:
    """Counts of counter words and of news words: a two-dimensional 'meaning'."""
    out = []
    for text in texts:
        low = text.lower().split()
        counter = sum(w in low for w in WORDS[:3])
        news = sum(w in low for w in WORDS[3:])
        out.append([counter + 0.01, news + 0.01])
    return np.array(out)


def test_counter_framing_compares_posts_with_exemplars() -> None:
    result = counter_framing(
        [7, 8, 9],
        [
            ["please report it dont share", "report this"],
            ["breaking news from our desk", "news desk tonight"],
            [],
        ],
        fake_embed,
        counter_exemplars=("report dont share",),
        reporting_exemplars=("breaking news desk",),
    )
    assert result.accounts.tolist() == [7, 8]  # 9 had no text to judge
    assert result.counter.tolist() == [True, False]
    assert result.margin[0] > 0.5 > -0.5 > result.margin[1]


def test_account_lists_are_for_analysts_and_supervisors() -> None:
    assert may_list_accounts("analyst") and may_list_accounts("supervisor")
    assert not may_list_accounts("auditor") and not may_list_accounts("admin")
    assert not may_list_accounts("analyst", active=False)
