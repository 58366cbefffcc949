"""Sorting the non-supporters: producers, watchers, and counter-speech by its framing."""

from __future__ import annotations

import numpy as np
import pytest

from iru.counter import may_list_accounts
from iru.counter.voices import (
    AccountFacts,
    Voice,
    VoiceRules,
    classify_voices,
    counter_framing,
    framing_candidates,
    learnt_margin,
    silent_supporter_odds,
)


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


def _assessed_world() -> AccountFacts:
    """Assessed accounts: supporters follow 6-8 supporters, the others 0-3. Then four
    silent, never-assessed accounts following 8, 7, 2 and 0 supporters, and two assessed
    non-supporters scoring near (0.4) and far (0.1) from the threshold."""
    follows = [6, 7, 8, 7, 6, 8, 0, 1, 2, 3, 1, 0, 2, 3, 8, 7, 2, 0, 1, 1]
    supporter = [True] * 6 + [False] * 8 + [False] * 6
    score = [0.9] * 6 + [0.05] * 8 + [np.nan] * 4 + [0.4, 0.1]
    own = [5] * 14 + [0] * 4 + [3, 3]
    return AccountFacts(
        supporter=np.array(supporter),
        own_posts=np.array(own),
        marker_posts=np.zeros(20, dtype=np.int64),
        amplified=np.zeros(20, dtype=np.int64),
        engaged=np.zeros(20, dtype=np.int64),
        score=np.array(score, dtype=np.float64),
        label=[""] * 20,
        supporter_follows=np.array(follows),
    )


def test_silent_accounts_with_a_supporters_ties_are_possible_supporters() -> None:
    facts = _assessed_world()
    odds = silent_supporter_odds(facts)
    assert odds[14] > odds[15] > 0.6 > odds[16] > odds[17]  # fitted on the assessed ones
    voices = classify_voices(facts)
    assert voices[14:18].tolist() == [Voice.POSSIBLE, Voice.POSSIBLE, Voice.OTHER, Voice.OTHER]
    # Near the model's threshold: set aside too; far from it: audience material.
    assert voices[18:].tolist() == [Voice.POSSIBLE, Voice.OTHER]
    assert classify_voices(facts, VoiceRules(possible_score=0.5))[18] == Voice.OTHER
    # An analyst's not_supporter label wins over a possible supporter; counter_speech too.
    labels = [""] * 20
    labels[14], labels[18] = "not_supporter", "counter_speech"
    relabelled = AccountFacts(**{**_fields(facts), "label": labels})
    assert classify_voices(relabelled)[[14, 18]].tolist() == [Voice.OTHER, Voice.COUNTER_SPEECH]


def _fields(facts: AccountFacts) -> dict[str, object]:
    return {name: getattr(facts, name) for name in AccountFacts.__slots__}


def test_no_assessments_no_possible_supporters() -> None:
    facts = _assessed_world()
    bare = AccountFacts(facts.supporter, facts.own_posts, facts.marker_posts, facts.amplified)
    assert Voice.POSSIBLE not in classify_voices(bare).tolist()
    assert np.isnan(silent_supporter_odds(bare)).all()


def test_framing_candidates_include_the_models_supporters_that_never_amplify() -> None:
    facts = AccountFacts(
        supporter=np.array([True, True, True, False, False, False]),
        own_posts=np.array([6, 6, 6, 6, 6, 6]),
        marker_posts=np.array([3, 3, 3, 1, 0, 0]),
        amplified=np.array([0, 2, 0, 0, 0, 1]),
        engaged=np.array([0, 0, 0, 0, 3, 3]),
        label=["", "", "supporter", "", "", ""],
    )
    voices = classify_voices(facts)
    # 0: the model's supporter, never amplifies; 1 amplifies; 2 is labelled (labels win);
    # 3 writes a marker post; 4 answers supporters; 5 answers but amplifies too.
    assert framing_candidates(facts, voices).tolist() == [0, 3, 4]


def test_the_framing_threshold_is_learnt_from_labelled_margins() -> None:
    rules = VoiceRules(counter_margin=0.05, min_labelled=2)
    # Labelled counter-speech under the default: the cut comes down to the lowest of them.
    assert learnt_margin([0.02, 0.03, 0.2], [-0.1, -0.05, 0.0], rules) == pytest.approx(0.02)
    # A labelled watcher over the default: the cut goes just above it.
    assert learnt_margin([0.12, 0.19], [-0.1, 0.07], rules) == pytest.approx(0.0701)
    # Labels that agree with the default leave it be.
    assert learnt_margin([0.12, 0.19], [-0.12, 0.049], rules) == pytest.approx(0.05)
    # Labels that overlap: the best balanced accuracy wins, nearest the default.
    assert learnt_margin([0.03, 0.1, 0.2], [-0.1, 0.04, 0.06], rules) == pytest.approx(0.0601)
    # Too few labels of one side: the rule's margin stands.
    assert learnt_margin([0.02], [-0.1, -0.05], rules) == 0.05
    # A learnt cut stays within the bounds.
    assert learnt_margin([0.5, 0.6], [0.4, 0.45], rules) == 0.2
    result = counter_framing(
        [1],
        [["report this dont share"]],
        fake_embed,
        counter_exemplars=("report",),
        reporting_exemplars=("news",),
        margin=2.0,
    )
    assert result.counter.tolist() == [False]  # the given margin, not the rules'


def test_account_lists_are_for_analysts_and_supervisors() -> None:
    assert may_list_accounts("analyst") and may_list_accounts("supervisor")
    assert not may_list_accounts("auditor") and not may_list_accounts("admin")
    assert not may_list_accounts("analyst", active=False)
