"""A hand-made window: two supporters, an audience of four, a watcher, a bystander."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from iru.counter.segments import ROUTES, AudienceInputs, Contacts
from iru.counter.voices import Voice

KEYS = [("f", k) for k in ("S1", "S2", "A", "B", "C", "D", "W", "X", "CS")]
IDX = {k: i for i, (_, k) in enumerate(KEYS)}
DAYS = [date(2025, 3, 1), date(2025, 3, 2)]


def route(name: str) -> int:
    return ROUTES.index(name)


@pytest.fixture
def window() -> AudienceInputs:
    """S1, S2 supporters; A, B, C (en, community 0) and D (ar, community 1) reached by them;
    W a watcher who quotes S1; X follows only B (not reached); CS a counter-speech account."""
    links = [
        ("A", "S1", "follow", -1, ()),
        ("A", "S1", "repost", 0, ("Tag1",)),
        ("B", "S2", "reply", 1, ("tag1", "Tag2")),
        ("C", "S1", "follow", -1, ()),
        ("D", "S2", "mention", 1, ()),
        ("W", "S1", "quote", 0, ("Tag1",)),
        ("X", "B", "follow", -1, ()),
    ]
    contacts = Contacts(
        account=np.array([IDX[a] for a, *_ in links]),
        other=np.array([IDX[o] for _, o, *_ in links]),
        route=np.array([route(r) for _, _, r, *_ in links]),
        day=np.array([d for *_, d, _ in links]),
        hashtags=[tags for *_, tags in links],
    )
    voices = np.full(len(KEYS), Voice.OTHER, dtype=np.int64)
    voices[[IDX["S1"], IDX["S2"]]] = Voice.SUPPORTER
    voices[IDX["W"]] = Voice.WATCHER
    voices[IDX["CS"]] = Voice.COUNTER_SPEECH
    return AudienceInputs(
        keys=KEYS,
        language=["en", "en", "en", "en", "en", "ar", "en", "en", "en"],
        community=np.array([0, 0, 0, 0, 0, 1, 0, 0, 0]),
        voices=voices,
        contacts=contacts,
        days=DAYS,
    )
