"""Share of voice by the three routes, and before/after a takedown, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from iru.counter.segments import AudienceInputs, segment_audience
from iru.counter.share import Items, Takedown, share_of_voice

from .conftest import DAYS, IDX


def items(rows: list[tuple[str, int, str | None, str, tuple[str, ...]]]) -> Items:
    return Items(
        author=np.array([IDX[a] for a, *_ in rows], dtype=np.int64),
        day=np.array([d for _, d, *_ in rows], dtype=np.int64),
        target=np.array([IDX[t] if t else -1 for _, _, t, *_ in rows], dtype=np.int64),
        language=[lang for *_, lang, _ in rows],
        hashtags=[tags for *_, tags in rows],
    )


def test_share_of_voice_by_hand(window: AudienceInputs) -> None:
    audience = segment_audience(window, min_size=2)
    propaganda = items(
        [
            ("S1", 0, None, "en", ()),  # en: A and C follow S1 -> 2
            ("S2", 1, None, "en", ("tag1",)),  # en: author 1 (B), hashtag tag1 2 -> 2; ar: D -> 1
        ]
    )
    counter = items(
        [
            ("CS", 0, "S1", "en", ()),  # a reply in S1's thread: 2 en members
            ("CS", 1, None, "en", ("#TAG2",)),  # on Tag2, which B met: 1
            ("CS", 1, None, "ar", ("tag1",)),  # en members met tag1, but this is Arabic
        ]
    )
    report = share_of_voice(
        window, audience, propaganda, counter, [Takedown(IDX["S2"], 1), Takedown(99, 0)]
    )
    en, ar = report.segments
    assert en.propaganda == [2.0, 2.0] and en.counter == [2.0, 1.0]
    assert en.share == pytest.approx(3 / 7, abs=1e-4)
    assert en.daily_share == [0.5, pytest.approx(1 / 3, abs=1e-4)]
    # S2 is in contact with the segment: its removal on day 1 splits the window.
    assert en.takedowns == 1 and en.first_takedown == DAYS[1]
    assert en.share_before == 0.5 and en.share_after == pytest.approx(1 / 3, abs=1e-4)
    assert en.propaganda_before == 2.0 and en.propaganda_after == 2.0
    assert ar.propaganda == [0.0, 1.0] and ar.counter == [0.0, 0.0] and ar.share == 0.0
    overall = report.overall
    assert overall.segment == "all" and overall.size == 4
    assert overall.propaganda == [2.0, 3.0] and overall.counter == [2.0, 1.0]
    assert overall.share == pytest.approx(3 / 8)


def test_no_posts_no_share(window: AudienceInputs) -> None:
    audience = segment_audience(window, min_size=2)
    empty = items([])
    report = share_of_voice(window, audience, empty, empty)
    assert report.overall.share is None and report.overall.daily_share == [None, None]
    assert report.overall.share_before is None and report.overall.takedowns == 0
