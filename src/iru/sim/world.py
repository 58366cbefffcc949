"""A simulated world stepped day by day: who posts what, platforms moderate, supporters return.

``World(config)`` draws the population and follow graph; each ``step()`` returns
one day of records per platform (iru's own Account, Post, Media and Interaction)
with the media files and moderation events. ``refer()`` lets a caller — the
closed-loop experiments — send referrals that the platforms act on in later steps.
Everything is drawn from one seeded generator: same config, same world.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from iru.domain import Account, Interaction, Media, Post
from iru.sim.activity import DayActivity
from iru.sim.config import Role, WorldConfig
from iru.sim.content import ContentGenerator, Release
from iru.sim.media import MediaFile
from iru.sim.moderation import (
    ModerationEvent,
    Referral,
    decide_referral,
    own_suspensions,
    return_delay_days,
)
from iru.sim.network import FollowGraph, build_follow_graph
from iru.sim.population import PopulationBuilder, SimAccount
from iru.sim.vocabulary import MarkerVocabulary, generate_vocabulary

PLATFORMS = ("twitter", "telegram", "activitypub")


@dataclass(slots=True)
class PlatformDay:
    """One platform's records for one day."""

    accounts: dict[str, Account] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)


@dataclass(slots=True)
class DayOutput:
    """Everything that happened on one simulated day."""

    day: int
    start: datetime
    platforms: dict[str, PlatformDay]
    media_files: list[MediaFile]
    releases: list[Release]
    events: list[ModerationEvent]
    supporter_posts: int = 0  # on Twitter, the census's measure
    release_texts: dict[str, str] = field(default_factory=dict)  # release id -> first post's text


class World:
    """The simulated world and its state between steps."""

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.vocabulary: MarkerVocabulary = generate_vocabulary(config.seed)
        self.content = ContentGenerator(self.vocabulary, config.seed)
        self.builder = PopulationBuilder(config, self.content, self.rng)
        self.accounts: list[SimAccount] = self.builder.build()
        self.graph: FollowGraph = build_follow_graph(
            self.accounts, config.follows_per_account, self.rng
        )
        self.replacement: dict[int, int] = {}  # suspended account index -> its return
        self.by_key: dict[tuple[str, str], SimAccount] = {}
        self._add_cross_platform_accounts()
        for account in self.accounts:
            self.by_key[(account.platform, account.account_id)] = account
        self.day = 0
        self.pending_removals: list[Referral] = []
        self.pending_returns: list[tuple[int, int]] = []  # (day, suspended index)
        self.referrals: list[Referral] = []
        self.events: list[ModerationEvent] = []

    # -- population on other platforms ------------------------------------------------------

    def _add_cross_platform_accounts(self) -> None:
        """Telegram channels and ActivityPub accounts run by some of the same actors."""
        rng, config = self.rng, self.config
        twitter_accounts = list(self.accounts)
        for account in twitter_accounts:
            role = account.role
            if role is Role.RINGLEADER or (
                role.is_supporter and rng.random() < config.telegram_share
            ):
                self._twin(account, "telegram")
            if (role.is_supporter and rng.random() < config.activitypub_share) or (
                role in (Role.BYSTANDER, Role.JOURNALIST) and rng.random() < 0.02
            ):
                self._twin(account, "activitypub")

    def _twin(self, account: SimAccount, platform: str) -> SimAccount:
        index = len(self.accounts)
        if platform == "telegram":
            account_id = f"channel{1_500_000_000 + index * 7 + int(self.rng.integers(0, 7))}"
        else:
            host = "social.example" if index % 2 else "mastodon.example"
            account_id = f"https://{host}/users/{account.handle}"
        return self._derive(
            account,
            platform=platform,
            account_id=account_id,
            followers=max(1, account.followers // 4),
            following=account.following // 4,
            rate=account.rate * (0.3 if platform == "telegram" else 0.5),
        )

    def _derive(self, account: SimAccount, **changes: Any) -> SimAccount:
        """A new account of the same actor: its identity copied, its state fresh."""
        fresh: dict[str, Any] = {
            "index": len(self.accounts),
            "active": True,
            "suspended_day": None,
            "posts": 0,
            "predecessor": None,
            "generation": 0,
            "root": -1,
        }
        new = replace(account, **(fresh | changes))
        self.accounts.append(new)
        return new

    # -- the day ----------------------------------------------------------------------------

    @property
    def day_start(self) -> datetime:
        return self.config.start + timedelta(days=self.day)

    def refer(self, platform: str, account_id: str, at: datetime) -> Referral:
        """Send a referral; the platform decides now and acts in a later step if it accepts."""
        referral = decide_referral(self.config.platform(platform), account_id, at, self.rng)
        self.referrals.append(referral)
        if referral.accepted:
            self.pending_removals.append(referral)
        else:
            self.events.append(ModerationEvent(at, platform, account_id, "declined"))
        return referral

    def step(self) -> DayOutput:
        """Simulate the next day."""
        start, end = self.day_start, self.day_start + timedelta(days=1)
        events: list[ModerationEvent] = []
        returned = self._resurge(start, events)
        suspended_at = self._moderate(start, end, events)
        activity = DayActivity(self, start, suspended_at, returned)
        output = activity.run()
        output.events = events
        self.events.extend(events)
        self.day += 1
        return output

    def _moderate(
        self, start: datetime, end: datetime, events: list[ModerationEvent]
    ) -> dict[int, datetime]:
        """Removals on referral and suspensions on the platforms' own initiative, today."""
        suspended_at: dict[int, datetime] = {}
        due = [r for r in self.pending_removals if r.act_at is not None and r.act_at < end]
        self.pending_removals = [r for r in self.pending_removals if r not in due]
        for referral in due:
            account = self.by_key.get((referral.platform, referral.account_id))
            if account is not None and account.active:
                assert referral.act_at is not None
                when = max(referral.act_at, start)
                suspended_at[account.index] = when
                events.append(
                    ModerationEvent(when, account.platform, account.account_id, "removed")
                )
        for model in self.config.platforms:
            candidates = [
                (a.index, a.hyperactive)
                for a in self.accounts
                if a.platform == model.name
                and a.active
                and a.role.is_supporter
                and a.index not in suspended_at
            ]
            for index, when in own_suspensions(model, candidates, start, self.rng):
                account = self.accounts[index]
                suspended_at[index] = when
                events.append(
                    ModerationEvent(when, account.platform, account.account_id, "suspended")
                )
        for index in suspended_at:
            account = self.accounts[index]
            account.active = False
            account.suspended_day = self.day
            delay = return_delay_days(self.config, account.role.value, self.rng)
            if delay is not None:
                self.pending_returns.append((self.day + delay, index))
        return suspended_at

    def _resurge(self, start: datetime, events: list[ModerationEvent]) -> list[SimAccount]:
        """Suspended supporters due back today return as new accounts."""
        due = [index for day, index in self.pending_returns if day == self.day]
        self.pending_returns = [(d, i) for d, i in self.pending_returns if d != self.day]
        returned = []
        for index in due:
            old = self.accounts[index]
            new = self._return_of(old, start)
            self.replacement[old.index] = new.index
            self.by_key[(new.platform, new.account_id)] = new
            returned.append(new)
            events.append(
                ModerationEvent(start, new.platform, new.account_id, "returned", old.account_id)
            )
        return returned

    def _return_of(self, old: SimAccount, start: datetime) -> SimAccount:
        rng = self.rng
        index = len(self.accounts)
        handle = self.content.handle_variant(rng, old.handle)
        if old.platform == "twitter":
            account_id = self.builder.twitter_id()
        elif old.platform == "telegram":
            account_id = f"channel{1_500_000_000 + index * 7 + int(rng.integers(0, 7))}"
        else:
            account_id = old.account_id.rsplit("/", 1)[0] + "/" + handle
        return self._derive(
            old,
            account_id=account_id,
            handle=handle,
            bio=old.bio if rng.random() < 0.5 else self.content.bio(rng, old.lang, old.role.value),
            followers=max(1, round(old.followers * self.config.follower_retention)),
            created_at=start + timedelta(seconds=float(rng.uniform(0, 3600))),
            # The same picture, or (one time in three) a re-saved near-duplicate of it.
            image_variant=old.image_variant + (0 if rng.random() < 0.67 else 1),
            root=old.origin,
            predecessor=old.account_id,
            generation=old.generation + 1,
        )

    def resolve(self, follower: int, followee: int) -> int | None:
        """Whom ``follower`` follows now in place of ``followee`` (a return keeps part of them)."""
        retention = self.config.follower_retention
        current = followee
        while not self.accounts[current].active:
            nxt = self.replacement.get(current)
            if nxt is None:
                return None
            # A deterministic coin per (follower, account): followers do not flicker.
            if ((follower * 2654435761 + nxt * 40503) % 1000) / 1000 >= retention:
                return None
            current = nxt
        return current
