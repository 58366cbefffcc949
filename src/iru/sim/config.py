"""The knobs of a simulated world, and the published figures they are calibrated to.

Every figure comes from the published studies (Berger & Morgan, "The ISIS Twitter
Census", 2015, and the suspension studies). ``WorldConfig`` at ``scale=1.0`` is the
census world; smaller scales keep every share and distribution and shrink counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Role(StrEnum):
    """Ground-truth role of a simulated account."""

    RINGLEADER = "ringleader"  # official media outlets and their prominent accounts
    DISTRIBUTOR = "distributor"  # hyperactive human distributors
    BOT = "bot"  # amplifier bots
    SUPPORTER = "supporter"  # rank and file
    AT_RISK = "at_risk"  # engages with propaganda now and then; not part of the network
    BYSTANDER = "bystander"  # the general population
    JOURNALIST = "journalist"
    RESEARCHER = "researcher"
    OFFICIAL = "official"
    COUNTER_SPEECH = "counter_speech"

    @property
    def is_supporter(self) -> bool:
        return self in SUPPORTER_ROLES

    @property
    def is_hard_negative(self) -> bool:
        return self in HARD_NEGATIVE_ROLES


SUPPORTER_ROLES = frozenset({Role.RINGLEADER, Role.DISTRIBUTOR, Role.BOT, Role.SUPPORTER})
HARD_NEGATIVE_ROLES = frozenset(
    {Role.JOURNALIST, Role.RESEARCHER, Role.OFFICIAL, Role.COUNTER_SPEECH}
)

# Account language of supporters (census): ~73 % Arabic, ~18 % English, ~6 % French, rest other.
SUPPORTER_LANGUAGES = {
    "ar": 0.73,
    "en": 0.18,
    "fr": 0.06,
    "de": 0.01,
    "ru": 0.01,
    "tr": 0.007,
    "fa": 0.003,
}
# The population around them: more Latin-script languages, still mixed.
GENERAL_LANGUAGES = {
    "ar": 0.35,
    "en": 0.30,
    "fr": 0.10,
    "de": 0.08,
    "ru": 0.07,
    "tr": 0.07,
    "fa": 0.03,
}


@dataclass(frozen=True, slots=True)
class PlatformModel:
    """How one platform moderates: its latency and rejection on referrals, its own suspensions."""

    name: str
    # Referral handling: log-normal latency (median hours, spread) and the share it declines.
    removal_median_hours: float
    removal_sigma: float
    rejection_rate: float
    # Suspensions on its own initiative, per supporter per day (hyperactive ones more).
    daily_suspension: float
    hyperactive_suspension_factor: float = 6.0


@dataclass(frozen=True, slots=True)
class WorldConfig:
    """Everything that decides a world; the same config always yields the same world."""

    seed: int = 1
    days: int = 1
    scale: float = 1.0
    start: datetime = datetime(2025, 1, 6, tzinfo=UTC)
    # Census figures at scale 1.0.
    supporters: int = 46_000
    ringleaders: int = 60
    hyperactive_share: float = 0.023  # share of supporters posting > 50 a day
    bot_share_of_hyperactive: float = 0.4
    # Around them.
    at_risk_per_supporter: float = 0.5
    bystanders_per_supporter: float = 1.0
    journalists: int = 300
    researchers: int = 150
    officials: int = 80
    counter_speech: int = 400
    # Followers: log-normal with mean 1,004 and median 208.
    followers_median: float = 208.0
    followers_mean: float = 1004.0
    # Cross-platform presence (ground truth links the same actor).
    telegram_share: float = 0.10  # of supporters (all ringleaders run a channel)
    activitypub_share: float = 0.03
    # Total supporter posts per day: None keeps the census posting-rate shares as drawn.
    posts_per_day: int | None = None
    # Follow graph sampled per account (the public follower counts are far larger).
    follows_per_account: int = 12
    # Resurgence of suspended supporters.
    return_probability: dict[str, float] = field(
        default_factory=lambda: {
            "ringleader": 0.9,
            "distributor": 0.8,
            "bot": 0.6,
            "supporter": 0.4,
        }
    )
    follower_retention: float = 0.6  # share of followers kept on each return
    releases_per_day: int = 12
    platforms: tuple[PlatformModel, ...] = (
        PlatformModel("twitter", 3.0, 1.0, 0.10, 0.0004),
        PlatformModel("telegram", 12.0, 1.2, 0.25, 0.0002),
        PlatformModel("activitypub", 24.0, 1.5, 0.35, 0.0001),
    )
    formats: tuple[str, ...] = ("twitter-v2", "telegram", "activitypub")

    def count(self, base: float, minimum: int = 1) -> int:
        """A census count at this scale (never below ``minimum``)."""
        return max(minimum, round(base * self.scale))

    def platform(self, name: str) -> PlatformModel:
        for model in self.platforms:
            if model.name == name:
                return model
        raise KeyError(name)
