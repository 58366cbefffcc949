"""The triage queue: which account an analyst should look at next.

Priority = impact × confidence × urgency, where

* **impact** is the account's share of the window's at-risk reach (from the reach
  model), floored so that an account with no measured reach still sorts by the rest;
* **confidence** is the detection probability;
* **urgency** grows with how recently the account posted propaganda and is highest
  for an account that replaces one already removed (a resurgence).

Resurgent accounts of already-removed targets come first whatever their score: a
removed ringleader back under a new handle undoes the unit's work by the hour.
Accounts already decided (referred, dismissed, on hold) leave the queue until
something new happens to them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

IMPACT_FLOOR = 1e-4
HALF_LIFE_HOURS = 24.0  # urgency halves for every day since the last propaganda post
RESURGENCE_URGENCY = 2.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """What triage knows of one account."""

    platform: str
    account_id: str
    handle: str
    confidence: float  # detection probability
    impact: float  # share of the window's at-risk reach its removal cuts, 0..1
    last_post_at: datetime | None
    language: str = "und"
    unit: str = ""  # the unit whose case it is ("" when no case yet)
    predecessor_removed: bool = False  # replaces an account already removed
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueItem:
    candidate: Candidate
    priority: float
    urgency: float
    why: list[str] = field(default_factory=list)


def urgency(candidate: Candidate, now: datetime) -> float:
    """1 for a post this hour, halving each day; doubled for a resurgence."""
    if candidate.last_post_at is None:
        base = 0.1
    else:
        hours = max(0.0, (now - candidate.last_post_at).total_seconds() / 3600)
        base = math.pow(0.5, hours / HALF_LIFE_HOURS)
    return base * (RESURGENCE_URGENCY if candidate.predecessor_removed else 1.0)


def build_queue(
    candidates: Iterable[Candidate],
    now: datetime,
    *,
    min_confidence: float = 0.5,
    platforms: Sequence[str] = (),
    languages: Sequence[str] = (),
    units: Sequence[str] = (),
) -> list[QueueItem]:
    """The queue, highest priority first; filters keep only the given platforms/languages/units."""
    items = []
    for c in candidates:
        if c.confidence < min_confidence:
            continue
        if (platforms and c.platform not in platforms) or (
            languages and c.language not in languages
        ):
            continue
        if units and c.unit not in units:
            continue
        u = urgency(c, now)
        priority = max(c.impact, IMPACT_FLOOR) * c.confidence * u
        why = [
            f"impact {c.impact:.1%} of at-risk reach",
            f"confidence {c.confidence:.2f}",
            f"urgency {u:.2f}",
        ]
        if c.predecessor_removed:
            why.insert(0, "resurgence of a removed account")
        items.append(QueueItem(c, priority, u, why))
    items.sort(
        key=lambda i: (
            not i.candidate.predecessor_removed,
            -i.priority,
            i.candidate.platform,
            i.candidate.account_id,
        )
    )
    return items


__all__ = ["Candidate", "QueueItem", "build_queue", "urgency"]
