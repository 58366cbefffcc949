"""Who lives in a simulated world: accounts with roles, languages, followers and posting rates.

Counts, language shares, the follower distribution (log-normal, mean 1,004, median
208) and the posting-rate bands (40 % under 1 a day, 69 % under 5, 2.3 % over 50)
follow the ISIS Twitter Census; see :mod:`iru.sim.calibration` for the check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from iru.sim.config import GENERAL_LANGUAGES, SUPPORTER_LANGUAGES, Role, WorldConfig
from iru.sim.content import ContentGenerator

# Posting-rate bands of supporters (posts per day): share, low, high (log-uniform within).
RATE_BANDS = ((0.40, 0.1, 1.0), (0.29, 1.0, 5.0), (0.287, 5.0, 12.0), (0.023, 50.0, 120.0))
# Posting rates and follower medians of the accounts around the network.
OTHER_RATES = {
    Role.AT_RISK: (0.3, 3.0),
    Role.BYSTANDER: (0.2, 4.0),
    Role.JOURNALIST: (2.0, 10.0),
    Role.RESEARCHER: (0.5, 4.0),
    Role.OFFICIAL: (0.5, 3.0),
    Role.COUNTER_SPEECH: (1.0, 8.0),
}
OTHER_FOLLOWER_MEDIANS = {
    Role.AT_RISK: 150.0,
    Role.BYSTANDER: 200.0,
    Role.JOURNALIST: 6000.0,
    Role.RESEARCHER: 2500.0,
    Role.OFFICIAL: 15000.0,
    Role.COUNTER_SPEECH: 1200.0,
}
TWITTER_ID_BASE = 10**17


@dataclass(slots=True)
class SimAccount:
    """One account with its ground truth and its state as the world runs."""

    index: int
    actor_id: str  # the person or outlet behind it, the same across platforms
    platform: str
    account_id: str
    handle: str
    display_name: str
    bio: str
    lang: str
    role: Role
    followers: int
    following: int
    rate: float  # mean posts per day
    created_at: datetime
    image_seed: int  # identity of the profile picture (kept, or nearly, on resurgence)
    image_variant: int = 0  # 0: the picture itself; n: its n-th re-saved near-duplicate
    root: int = -1  # index of the first account of this actor on this platform (-1: itself)
    predecessor: str | None = None  # account_id of the suspended account this one replaces
    generation: int = 0
    active: bool = True
    suspended_day: int | None = None
    posts: int = 0

    @property
    def label(self) -> str:
        return "supporter" if self.role.is_supporter else "not_supporter"

    @property
    def analyst_label(self) -> str:
        """What an analyst labels it: ``label``, but ``counter_speech`` for counter-speakers."""
        return "counter_speech" if self.role is Role.COUNTER_SPEECH else self.label

    @property
    def profile_image_url(self) -> str:
        return f"https://images.sim.example/profile/{self.image_seed}/{self.image_variant}.png"

    @property
    def origin(self) -> int:
        return self.index if self.root < 0 else self.root

    @property
    def hyperactive(self) -> bool:
        return self.rate > 50


def _lognormal(rng: np.random.Generator, median: float, mean: float, size: int) -> np.ndarray:
    sigma = math.sqrt(2 * math.log(mean / median))
    return np.maximum(rng.lognormal(math.log(median), sigma, size), 0).round().astype(np.int64)


def _languages(rng: np.random.Generator, shares: dict[str, float], size: int) -> list[str]:
    names = list(shares)
    weights = np.array([shares[n] for n in names], dtype=float)
    return [names[i] for i in rng.choice(len(names), size=size, p=weights / weights.sum())]


def supporter_rates(rng: np.random.Generator, size: int) -> np.ndarray:
    """Posting rates in the census bands, shuffled; the top band goes to the hyperactive."""
    counts = [round(share * size) for share, _, _ in RATE_BANDS]
    counts[0] += size - sum(counts)
    parts = [
        np.exp(rng.uniform(math.log(low), math.log(high), n))
        for n, (_, low, high) in zip(counts, RATE_BANDS, strict=True)
    ]
    return np.concatenate(parts)


class PopulationBuilder:
    """Draws the accounts of a world from its config, deterministically."""

    def __init__(self, config: WorldConfig, content: ContentGenerator, rng: np.random.Generator):
        self.config = config
        self.content = content
        self.rng = rng
        self.accounts: list[SimAccount] = []
        self._next_twitter = TWITTER_ID_BASE + rng.integers(10**12, 10**13)

    def twitter_id(self) -> str:
        self._next_twitter += int(self.rng.integers(1, 5000))
        return str(self._next_twitter)

    def add(
        self, role: Role, lang: str, followers: int, rate: float, actor_id: str | None = None
    ) -> SimAccount:
        rng = self.rng
        index = len(self.accounts)
        created = self.config.start - timedelta(days=float(rng.uniform(30, 3000)))
        account = SimAccount(
            index=index,
            actor_id=actor_id or f"actor-{index:07d}",
            platform="twitter",
            account_id=self.twitter_id(),
            handle=self.content.handle(rng, role.value),
            display_name=self.content.display_name(rng, lang, role.value),
            bio=self.content.bio(rng, lang, role.value),
            lang=lang,
            role=role,
            followers=int(followers),
            following=int(rng.integers(20, 1500)),
            rate=float(rate),
            created_at=created.replace(microsecond=0),
            image_seed=int(rng.integers(0, 2**31)),
        )
        self.accounts.append(account)
        return account

    def build(self) -> list[SimAccount]:
        config, rng = self.config, self.rng
        n_support = config.count(config.supporters, 20)
        n_lead = config.count(config.ringleaders, 3)
        n_hyper = round(n_support * config.hyperactive_share)
        n_bots = round(n_hyper * config.bot_share_of_hyperactive)
        rates = supporter_rates(rng, n_support)  # the last n_hyper are the top band
        if config.posts_per_day is not None:
            # An explicit daily total rescales every rate, keeping their shape.
            rates = rates * (config.posts_per_day / rates.sum())
        followers = np.sort(
            _lognormal(rng, config.followers_median, config.followers_mean, n_support)
        )[::-1]
        langs = _languages(rng, SUPPORTER_LANGUAGES, n_support)
        # Ringleaders: the most-followed accounts, posting in the 5-50 band.
        mid_band = [i for i in range(n_support - n_hyper) if 5 <= rates[i] < 50]
        lead_picks = rng.choice(np.array(mid_band), size=n_lead, replace=False)
        lead_rates = rates[lead_picks]
        roles: list[Role] = [Role.RINGLEADER] * n_lead
        roles += [Role.BOT] * n_bots + [Role.DISTRIBUTOR] * (n_hyper - n_bots)
        roles += [Role.SUPPORTER] * (n_support - n_lead - n_hyper)
        hyper_rates = rates[n_support - n_hyper :]
        rest_rates = np.delete(rates[: n_support - n_hyper], lead_picks)
        rng.shuffle(rest_rates)
        # Followers: ringleaders take the top, the hyperactive are drawn from the upper half.
        follower_pool = list(followers)
        lead_followers = follower_pool[:n_lead]
        others = np.array(follower_pool[n_lead:])
        rng.shuffle(others)
        ordered_rates = np.concatenate([lead_rates, hyper_rates, rest_rates])
        ordered_followers = np.concatenate([lead_followers, others])
        for i, role in enumerate(roles):
            self.add(role, langs[i], ordered_followers[i], ordered_rates[i])
        for role, base in (
            (Role.JOURNALIST, config.journalists),
            (Role.RESEARCHER, config.researchers),
            (Role.OFFICIAL, config.officials),
            (Role.COUNTER_SPEECH, config.counter_speech),
            (Role.AT_RISK, config.supporters * config.at_risk_per_supporter),
            (Role.BYSTANDER, config.supporters * config.bystanders_per_supporter),
        ):
            count = config.count(base, 2)
            median = OTHER_FOLLOWER_MEDIANS[role]
            low, high = OTHER_RATES[role]
            group_followers = _lognormal(rng, median, median * 3, count)
            group_rates = np.exp(rng.uniform(math.log(low), math.log(high), count))
            group_langs = _languages(rng, GENERAL_LANGUAGES, count)
            for j in range(count):
                self.add(role, group_langs[j], group_followers[j], group_rates[j])
        return self.accounts
