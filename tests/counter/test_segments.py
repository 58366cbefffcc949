"""The at-risk audience and its segments on a hand-made window with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from iru.counter.segments import AudienceInputs, segment_audience, segment_exposure, trend_of

from .conftest import IDX


def test_the_audience_is_who_supporters_reach_minus_those_who_speak(
    window: AudienceInputs,
) -> None:
    audience = segment_audience(window, min_size=2)
    members = {window.keys[i][1] for i in np.flatnonzero(audience.audience)}
    assert members == {"A", "B", "C", "D"}  # not W (watcher), X (reached by B only), CS
    assert audience.excluded == {
        "watchers": 1,
        "counter_speech": 0,
        "producers": 0,
        "possible_supporters": 0,
    }


def test_segments_by_language_platform_and_community(window: AudienceInputs) -> None:
    audience = segment_audience(window, min_size=2)
    assert [(s.id, s.size) for s in audience.segments] == [
        ("en/f/c0", 3),
        ("ar/f/other", 1),  # community 1 has one member: pooled
    ]
    en = audience.segments[0]
    assert en.share == pytest.approx(0.75)
    assert en.routes == {"follow": 2, "repost": 1, "reply": 1}
    assert en.top_hubs == [(IDX["S1"], 2), (IDX["S2"], 1)]
    # Hashtags of the posts engaged with, counted once per member, case-folded.
    assert en.top_hashtags == [("Tag1", 2), ("Tag2", 1)]
    assert en.daily == [1, 1]  # A on day 0, B on day 1; follows are undated
    assert en.trend == 0.0
    ar = audience.segments[1]
    assert ar.routes == {"mention": 1} and ar.community == -1
    assert sorted(window.keys[i][1] for i in en.members) == ["A", "B", "C"]


def test_min_size_one_keeps_every_community(window: AudienceInputs) -> None:
    ids = [s.id for s in segment_audience(window, min_size=1).segments]
    assert ids == ["en/f/c0", "ar/f/c1"]


def test_segment_exposure_counts_members_per_account(window: AudienceInputs) -> None:
    audience = segment_audience(window, min_size=2)
    matrix = segment_exposure(audience, window.contacts, window.n).toarray()
    assert matrix[0, IDX["S1"]] == 2 and matrix[0, IDX["S2"]] == 1
    assert matrix[1, IDX["S2"]] == 1 and matrix[1].sum() == 1
    assert matrix[:, IDX["B"]].sum() == 0  # X follows B, but X is not audience


def test_trend_is_slope_over_mean() -> None:
    assert trend_of([1, 2, 3]) == pytest.approx(0.5)
    assert trend_of([3, 2, 1]) == pytest.approx(-0.5)
    assert trend_of([5]) == 0.0 and trend_of([0, 0]) == 0.0


def test_bad_shapes_are_refused(window: AudienceInputs) -> None:
    bad = AudienceInputs(
        window.keys, window.language[:2], window.community, window.voices, window.contacts, []
    )
    with pytest.raises(ValueError, match="language"):
        segment_audience(bad)
