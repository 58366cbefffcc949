"""One day of posting in a simulated world: releases, cascades, chatter, watchers, shout-outs.

Outlets publish releases (with their media) through the ringleaders; supporters
repost what the accounts they follow posted, re-share releases with edited copies
of the media, quote and reply; bots mostly repost; the at-risk audience mostly
chats and now and then engages; bystanders chat (sometimes on hijacked tags);
journalists, researchers, officials and counter-speech accounts write about the
same releases — quoting and replying, never amplifying. Times follow a diurnal
curve; hyperactive accounts post in bursts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from iru.domain import Account, Interaction, InteractionKind, Media, MediaKind, Post
from iru.sim.config import HARD_NEGATIVE_ROLES, Role
from iru.sim.content import GeneratedText, Release
from iru.sim.media import MediaFile, VariantKind, encode_media, make_variant, render_release
from iru.sim.population import SimAccount

if TYPE_CHECKING:
    from iru.sim.world import DayOutput, PlatformDay, World

# Relative posting activity per hour of day (UTC), low at night.
DIURNAL = np.array([2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4], float)
DIURNAL /= DIURNAL.sum()
# What each role does with a post: (repost, quote, reply, original) probabilities.
ACTIONS: dict[Role, tuple[float, float, float, float]] = {
    Role.RINGLEADER: (0.05, 0.0, 0.0, 0.95),
    Role.DISTRIBUTOR: (0.60, 0.10, 0.05, 0.25),
    Role.BOT: (0.85, 0.0, 0.0, 0.15),
    Role.SUPPORTER: (0.50, 0.10, 0.10, 0.30),
    Role.AT_RISK: (0.12, 0.03, 0.05, 0.80),
    Role.BYSTANDER: (0.15, 0.0, 0.03, 0.82),
    Role.JOURNALIST: (0.0, 0.30, 0.05, 0.65),
    Role.RESEARCHER: (0.0, 0.25, 0.05, 0.70),
    Role.OFFICIAL: (0.0, 0.15, 0.05, 0.80),
    Role.COUNTER_SPEECH: (0.0, 0.25, 0.20, 0.55),
}
VARIANT_KINDS: tuple[VariantKind, ...] = ("original", "crop", "resize", "reencode", "overlay")
TWITTER_EPOCH_MS = 1288834974657


class DayActivity:
    """Builds one day's records for every platform."""

    def __init__(
        self,
        world: World,
        start: datetime,
        suspended_at: dict[int, datetime],
        returned: list[SimAccount],
    ) -> None:
        from iru.sim.world import PLATFORMS, PlatformDay

        self.world = world
        self.rng = world.rng
        self.content = world.content
        self.start = start
        self.suspended_at = suspended_at
        self.returned = returned
        self.out: dict[str, PlatformDay] = {p: PlatformDay() for p in PLATFORMS}
        self.recent: dict[int, deque[Post]] = {}
        # Who has posted so far today, per (platform, supporter?): what others can engage with.
        self.posters: dict[tuple[str, bool], list[int]] = {}
        self.media_files: list[MediaFile] = []
        self.release_media: dict[str, list[MediaFile]] = {}
        self.releases: list[tuple[datetime, Release, SimAccount]] = []
        self.release_texts: dict[str, str] = {}  # release id -> text of its earliest post
        self._seq = 0
        self._counters: dict[str, int] = {}
        self._draws: Iterator[float] = iter(())

    # -- randomness -------------------------------------------------------------------------

    def _uniform(self) -> float:
        """The next uniform draw, from a block drawn at once (per-call draws dominate the loop)."""
        try:
            return next(self._draws)
        except StopIteration:
            self._draws = iter(self.rng.random(65_536).tolist())
            return next(self._draws)

    def _pick(self, n: int) -> int:
        return min(int(self._uniform() * n), n - 1)

    # -- ids and records --------------------------------------------------------------------

    def _post_id(self, account: SimAccount, when: datetime) -> str:
        self._seq += 1
        if account.platform == "twitter":
            ms = int(when.timestamp() * 1000) - TWITTER_EPOCH_MS
            return str((ms << 22) | (self._seq & 0x3FFFFF))
        number = self._counters.get(account.account_id, self.world.day * 100_000) + 1
        self._counters[account.account_id] = number
        if account.platform == "telegram":
            return f"{account.account_id}/{number}"
        return f"{account.account_id}/statuses/{number}"

    def _snapshot(self, account: SimAccount) -> None:
        day = self.out[account.platform]
        if account.account_id in day.accounts:
            return
        day.accounts[account.account_id] = Account(
            platform=account.platform,
            account_id=account.account_id,
            handle=account.handle,
            display_name=account.display_name,
            description=account.bio,
            profile_image_url=account.profile_image_url,
            language=account.lang,
            created_at=account.created_at,
            followers_count=account.followers,
            following_count=account.following,
            post_count=account.posts,
            observed_at=self.start + timedelta(days=1),
        )

    def _emit(
        self,
        account: SimAccount,
        when: datetime,
        text: GeneratedText,
        *,
        kind: InteractionKind | None = None,
        target: Post | None = None,
        media: MediaFile | None = None,
        mentions: tuple[SimAccount, ...] = (),
    ) -> Post:
        post_id = self._post_id(account, when)
        day = self.out[account.platform]
        mention_ids = [m.account_id for m in mentions]
        body = text.text
        if kind is InteractionKind.FORWARD and target is not None:
            body = target.text
        elif kind is InteractionKind.REPOST and target is not None:
            body = f"RT @{self.world.by_key[(target.platform, target.account_id)].handle}: {target.text}"
            mention_ids = [target.account_id]
        elif mentions:
            missing = [f"@{m.handle}" for m in mentions if f"@{m.handle}" not in body]
            body = " ".join([*missing, body]) if missing else body
        media_ids: list[str] = []
        if media is not None:
            media_id = f"3_{post_id}" if account.platform == "twitter" else f"{post_id}/photo"
            media_ids.append(media_id)
            day.media.append(
                Media(
                    platform=account.platform,
                    media_id=media_id,
                    post_id=post_id,
                    account_id=account.account_id,
                    created_at=when,
                    kind=MediaKind.PHOTO,
                    url=f"https://images.sim.example/media/{media.media_id}.png",
                    mime_type="image/png",
                    width=media.width,
                    height=media.height,
                    sha256=media.sha256,
                    md5=media.md5,
                    pdq=media.pdq,
                )
            )
        post = Post(
            platform=account.platform,
            post_id=post_id,
            account_id=account.account_id,
            created_at=when,
            text=body,
            lang=text.lang,
            reply_to_post_id=target.post_id if kind is InteractionKind.REPLY and target else None,
            reply_to_account_id=target.account_id
            if kind is InteractionKind.REPLY and target
            else None,
            repost_of_post_id=target.post_id if kind is InteractionKind.REPOST and target else None,
            quote_of_post_id=target.post_id if kind is InteractionKind.QUOTE and target else None,
            forwarded_from=target.account_id
            if kind is InteractionKind.FORWARD and target
            else None,
            hashtags=list(
                target.hashtags if kind is InteractionKind.REPOST and target else text.hashtags
            ),
            urls=list(text.urls) if kind is not InteractionKind.REPOST else [],
            mentions=mention_ids,
            media_ids=media_ids,
        )
        day.posts.append(post)
        account.posts += 1
        self._snapshot(account)
        if kind is not None and target is not None:
            day.interactions.append(
                Interaction.edge(
                    account.platform,
                    kind,
                    account.account_id,
                    target.account_id,
                    when,
                    post_id=post_id,
                    dst_post_id=target.post_id,
                )
            )
            self._snapshot(self.world.by_key[(target.platform, target.account_id)])
        for other in mentions:
            day.interactions.append(
                Interaction.edge(
                    account.platform,
                    InteractionKind.MENTION,
                    account.account_id,
                    other.account_id,
                    when,
                    post_id=post_id,
                )
            )
            self._snapshot(other)
        if account.index not in self.recent:
            self.recent[account.index] = deque(maxlen=4)
            self.posters.setdefault((account.platform, account.role.is_supporter), []).append(
                account.index
            )
        self.recent[account.index].append(post)
        return post

    # -- the day's plan ---------------------------------------------------------------------

    def _plan_releases(self) -> None:
        world, rng = self.world, self.rng
        outlets = world.vocabulary.outlets
        leaders = [
            a
            for a in world.accounts
            if a.role is Role.RINGLEADER and a.active and a.platform == "twitter"
        ]
        if not leaders:
            return
        for i in range(world.config.releases_per_day):
            outlet = outlets[i % len(outlets)]
            release = self.content.release(world.day, i, outlet)
            when = self.start + timedelta(seconds=float(rng.uniform(6 * 3600, 22 * 3600)))
            poster = leaders[(world.day * 7 + i) % len(leaders)]
            self.releases.append((when, release, poster))
            image = render_release(
                world.config.seed * 100_003 + world.day * 1009 + i, outlet.logo_style
            )
            files: list[MediaFile] = []
            for kind in VARIANT_KINDS:
                seed = world.config.seed + world.day * 31 + i * 7 + len(files)
                variant = make_variant(image, kind, seed)
                files.append(
                    encode_media(variant, f"{release.release_id}-{kind}", release.release_id, kind)
                )
            self.release_media[release.release_id] = files
            self.media_files.extend(files)
        self.releases.sort(key=lambda r: r[0])

    def _schedule(self) -> list[tuple[float, int]]:
        """(seconds into the day, account index) of every post today, in time order."""
        rng, world = self.rng, self.world
        active = [a for a in world.accounts if a.active or a.index in self.suspended_at]
        rates = np.array([a.rate for a in active])
        counts = rng.poisson(rates)
        plan: list[tuple[float, int]] = []
        hours = rng.choice(24, size=int(counts.sum()), p=DIURNAL)
        minutes = rng.uniform(0, 3600, size=hours.size)
        cursor = 0
        for account, n in zip(active, counts, strict=True):
            if n == 0:
                continue
            if account.hyperactive:
                centres = rng.uniform(0, 86400, size=int(rng.integers(1, 4)))
                times = np.clip(rng.choice(centres, n) + rng.normal(0, 1200, n), 0, 86399)
            else:
                times = hours[cursor : cursor + n] * 3600 + minutes[cursor : cursor + n]
            cursor += n
            cut = self.suspended_at.get(account.index)
            born = account.created_at if account.generation else None
            for t in times:
                when = self.start + timedelta(seconds=float(t))
                if (cut is None or when < cut) and (born is None or when > born):
                    plan.append((float(t), account.index))
        plan.sort()
        return plan

    # -- choosing what to do ----------------------------------------------------------------

    def _latest_release(self, when: datetime) -> Release | None:
        published = [r for t, r, _ in self.releases if t <= when]
        if not published:
            return None
        return published[self._pick(len(published))]

    def _seen_post(self, account: SimAccount, supporters_only: bool | None) -> Post | None:
        """A recent post by someone this account follows (on the same platform)."""
        world = self.world
        if account.platform != "twitter":
            sides = [True, False] if supporters_only is None else [supporters_only]
            pool = [i for side in sides for i in self.posters.get((account.platform, side), ())]
            if not pool:
                return None
            pick = pool[self._pick(len(pool))]
            return None if pick == account.index else self.recent[pick][-1]
        origin = account.origin
        if origin >= world.graph.offsets.size - 1:
            return None
        followees = world.graph.followees(origin)
        for _ in range(3):
            if followees.size == 0:
                return None
            chosen = world.resolve(account.index, int(followees[self._pick(int(followees.size))]))
            if chosen is None or chosen not in self.recent:
                continue
            author = world.accounts[chosen]
            if supporters_only is not None and author.role.is_supporter != supporters_only:
                continue
            return self.recent[chosen][-1]
        return None

    def _text(self, account: SimAccount, when: datetime) -> tuple[GeneratedText, MediaFile | None]:
        rng, role = self.rng, account.role
        if role.is_supporter:
            release = self._latest_release(when) if self._uniform() < 0.6 else None
            media = None
            if release is not None and self._uniform() < 0.4:
                files = self.release_media[release.release_id]
                media = files[self._pick(len(files))]
            return self.content.propaganda(rng, account.lang, release), media
        if role in HARD_NEGATIVE_ROLES:
            return self.content.hard_negative(
                rng, account.lang, role.value, self._latest_release(when)
            ), None
        return self.content.bystander(rng, account.lang, hijacked=self._uniform() < 0.03), None

    def _act(self, account: SimAccount, when: datetime) -> None:
        rng, role = self.rng, account.role
        repost, quote, reply, _ = ACTIONS[role]
        roll = self._uniform()
        watcher = role in HARD_NEGATIVE_ROLES
        if roll < repost + quote + reply:
            # Hard negatives engage with the core without amplifying it; others amplify their side.
            supporters_only = (
                True
                if watcher or role in (Role.AT_RISK,)
                else (True if role.is_supporter else None)
            )
            target = self._seen_post(account, supporters_only)
            if target is not None:
                if roll < repost:
                    kind = (
                        InteractionKind.FORWARD
                        if account.platform == "telegram"
                        else InteractionKind.REPOST
                    )
                    self._emit(
                        account,
                        when,
                        self.content.bystander(rng, account.lang),
                        kind=kind,
                        target=target,
                    )
                    return
                kind = InteractionKind.QUOTE if roll < repost + quote else InteractionKind.REPLY
                if account.platform == "telegram":
                    # A channel cannot reply into another chat: it forwards instead.
                    kind = InteractionKind.FORWARD
                elif account.platform == "activitypub" and kind is InteractionKind.QUOTE:
                    kind = InteractionKind.REPLY  # Mastodon has no quotes
                text, _ = self._text(account, when)
                self._emit(account, when, text, kind=kind, target=target)
                return
        text, media = self._text(account, when)
        self._emit(account, when, text, media=media)

    def run(self) -> DayOutput:
        from iru.sim.world import DayOutput

        self._plan_releases()
        world = self.world
        releases = deque(self.releases)
        for seconds, index in self._schedule():
            when = self.start + timedelta(seconds=seconds)
            while releases and releases[0][0] <= when:
                self._publish(*releases.popleft())
            self._act(world.accounts[index], when)
        while releases:
            self._publish(*releases.popleft())
        self._shout_outs()
        return DayOutput(
            day=world.day,
            start=self.start,
            platforms=self.out,
            media_files=self.media_files,
            releases=[r for _, r, _ in self.releases],
            events=[],
            release_texts=self.release_texts,
            supporter_posts=sum(
                1
                for post in self.out["twitter"].posts
                if world.by_key[("twitter", post.account_id)].role.is_supporter
            ),
        )

    def _publish(self, when: datetime, release: Release, poster: SimAccount) -> None:
        """An outlet's release: on Twitter by a ringleader, and on every ringleader channel."""
        original = self.release_media[release.release_id][0]
        posts: list[Post] = []
        if poster.active:
            posts.append(
                self._emit(
                    poster,
                    when,
                    self.content.propaganda(self.rng, poster.lang, release),
                    media=original,
                )
            )
        for channel in self.world.accounts:
            if (
                channel.platform == "telegram"
                and channel.role is Role.RINGLEADER
                and channel.active
            ):
                text = self.content.propaganda(self.rng, channel.lang, release)
                posts.append(
                    self._emit(
                        channel,
                        when + timedelta(seconds=float(self.rng.uniform(0, 900))),
                        text,
                        media=original,
                    )
                )
        if posts:  # the release as the outlet first put it out (a known text for the unit)
            self.release_texts[release.release_id] = min(posts, key=lambda p: p.created_at).text

    def _shout_outs(self) -> None:
        """Friends of a returned account announce its new handle on its first day."""
        world, rng = self.world, self.rng
        graph = world.graph
        for new in self.returned:
            if new.platform != "twitter" or new.origin >= graph.offsets.size - 1:
                continue
            followers = np.nonzero(graph.targets == new.origin)[0]
            sources = np.searchsorted(graph.offsets, followers, side="right") - 1
            friends = [world.accounts[int(s)] for s in sources[:6]]
            friends = [f for f in friends if f.active and f.role.is_supporter][:3]
            for friend in friends:
                when = new.created_at + timedelta(minutes=float(rng.uniform(5, 600)))
                if when >= self.start + timedelta(days=1):
                    continue
                text = self.content.shout_out(rng, friend.lang, new.handle)
                self._emit(friend, when, text, mentions=(new,))
