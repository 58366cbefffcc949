"""Platform moderation in a simulated world: referrals, removals, own suspensions, resurgence.

A referral is accepted or declined at the platform's rejection rate and, if
accepted, carried out after a log-normal latency. Platforms also suspend a small
share of supporters on their own every day (hyperactive accounts more often).
Suspended supporters come back under a new handle after a few days, with the same
or a near-duplicate profile picture, a similar bio and fewer followers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from iru.sim.config import PlatformModel, WorldConfig


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral the unit sent, and what the platform will do about it."""

    platform: str
    account_id: str
    sent_at: datetime
    accepted: bool
    act_at: datetime | None  # when the removal happens (None when declined)


@dataclass(frozen=True, slots=True)
class ModerationEvent:
    """Something a platform did to an account, for the ground truth and the experiments."""

    at: datetime
    platform: str
    account_id: str
    kind: str  # "suspended" (own initiative), "removed" (on referral), "declined", "returned"
    detail: str = ""


def decide_referral(
    model: PlatformModel, account_id: str, sent_at: datetime, rng: np.random.Generator
) -> Referral:
    """The platform's answer to one referral: declined, or removed after its latency."""
    if rng.random() < model.rejection_rate:
        return Referral(model.name, account_id, sent_at, False, None)
    hours = float(rng.lognormal(math.log(model.removal_median_hours), model.removal_sigma))
    return Referral(model.name, account_id, sent_at, True, sent_at + timedelta(hours=hours))


def own_suspensions(
    model: PlatformModel,
    candidates: list[tuple[int, bool]],
    day_start: datetime,
    rng: np.random.Generator,
) -> list[tuple[int, datetime]]:
    """Which of the (account index, hyperactive) candidates the platform suspends today, and when."""
    if not candidates:
        return []
    hazard = np.array(
        [
            model.daily_suspension * (model.hyperactive_suspension_factor if hyper else 1.0)
            for _, hyper in candidates
        ]
    )
    hits = np.nonzero(rng.random(len(candidates)) < hazard)[0]
    seconds = rng.uniform(0, 86400, hits.size)
    return [
        (candidates[i][0], day_start + timedelta(seconds=float(s)))
        for i, s in zip(hits, seconds, strict=True)
    ]


def return_delay_days(config: WorldConfig, role: str, rng: np.random.Generator) -> int | None:
    """Days until a suspended supporter comes back, or None when it does not."""
    if rng.random() >= config.return_probability.get(role, 0.0):
        return None
    return int(rng.integers(1, 5))
