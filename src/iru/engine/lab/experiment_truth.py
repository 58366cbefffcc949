"""The ground truth of a closed-loop experiment: what each simulated day really did.

Reads a :class:`iru.sim.world.World` and its :class:`iru.sim.world.DayOutput` (never the
unit's workspace) and keeps, per run, a :class:`Ledger` of every account's first post,
first assessment as a supporter, referral, removal or suspension and return. From it
come the day's :class:`iru.measure.experiment.DayRecord` truth columns and the run's
:class:`iru.measure.experiment.SeedTotals`.

**At-risk exposure.** The at-risk audience of an account is its follower count times
the share of its sampled followers (the world's follow graph) whose true role is
``at_risk`` — the network-wide share among supporters' followers where it has none
(Telegram and ActivityPub twins). A day's exposures are those of the reach model
(docs/network.md) on the truth: every original post, quote or reply of a true
supporter reaches its author's at-risk audience, and every repost or forward of it by
another account reaches the reposter's (:func:`iru.measure.experiment.cascade_reach`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from iru.domain import InteractionKind
from iru.measure.experiment import CascadeReach, DayRecord, SeedTotals, cascade_reach
from iru.measure.report import kaplan_meier
from iru.measure.stats import median, restricted_mean
from iru.sim.config import Role
from iru.sim.world import DayOutput, World

RELAY = (InteractionKind.REPOST, InteractionKind.FORWARD)
ENGAGE = (*RELAY, InteractionKind.QUOTE, InteractionKind.REPLY)
HOUR = timedelta(hours=1)


class Audience:
    """True at-risk audience sizes of a world's accounts (the follow graph is fixed)."""

    def __init__(self, world: World) -> None:
        graph = world.graph
        self.nodes = int(graph.offsets.size - 1)
        at_risk = np.array(
            [world.accounts[i].role is Role.AT_RISK for i in range(self.nodes)], dtype=np.float64
        )
        followers_of = graph.targets
        follower = np.repeat(np.arange(self.nodes), np.diff(graph.offsets))
        known = np.bincount(followers_of, minlength=self.nodes).astype(np.float64)
        risky = np.bincount(followers_of, weights=at_risk[follower], minlength=self.nodes)
        supporter = np.array(
            [world.accounts[i].role.is_supporter for i in range(self.nodes)], dtype=bool
        )
        total = float(known[supporter].sum())
        self.overall = float(risky[supporter].sum() / total) if total else 0.0
        self.share = np.divide(risky, known, out=np.full(self.nodes, self.overall), where=known > 0)

    def of(self, world: World, index: int) -> float:
        account = world.accounts[index]
        origin = account.origin
        share = float(self.share[origin]) if origin < self.nodes else self.overall
        return account.followers * share


@dataclass(slots=True)
class Ledger:
    """What happened to the accounts of one run (world account indices), in time."""

    labelled: set[int] = field(default_factory=set)
    first_post: dict[int, datetime] = field(default_factory=dict)  # true supporters only
    flagged: dict[int, datetime] = field(default_factory=dict)  # first assessed supporter
    referred: dict[int, datetime] = field(default_factory=dict)
    removed: dict[int, datetime] = field(default_factory=dict)  # on the unit's referral
    ended: dict[int, datetime] = field(default_factory=dict)  # removed or suspended
    returned: dict[int, datetime] = field(default_factory=dict)  # new account -> its return
    last_run: datetime | None = None  # end of the day of the unit's last detection run
    reach: CascadeReach = field(default_factory=CascadeReach)  # the latest day's


def observe(world: World, day: DayOutput, audience: Audience, ledger: Ledger) -> DayRecord:
    """The day's truth columns (seed, strategy and the unit's columns are filled later)."""
    authors: dict[tuple[str, str], int] = {}
    reposts: list[tuple[int, tuple[str, str]]] = []
    engagements = 0
    for platform, records in day.platforms.items():
        for post in records.posts:
            account = world.by_key[(platform, post.account_id)]
            if not account.role.is_supporter:
                continue
            seen = ledger.first_post.get(account.index)
            if seen is None or post.created_at < seen:
                ledger.first_post[account.index] = post.created_at
            if post.repost_of_post_id is None and post.forwarded_from is None:
                authors[(platform, post.post_id)] = account.index
        for edge in records.interactions:
            if edge.dst_post_id is None or (platform, edge.dst_post_id) not in authors:
                continue
            source = world.by_key[(platform, edge.src_account_id)]
            if edge.kind in RELAY:
                reposts.append((source.index, (platform, edge.dst_post_id)))
            if edge.kind in ENGAGE and source.role is Role.AT_RISK:
                engagements += 1
    reach = cascade_reach(authors, reposts, lambda i: audience.of(world, i))
    ledger.reach = reach
    counts = {"removed": 0, "suspended": 0, "returned": 0}
    for event in day.events:
        subject = world.by_key.get((event.platform, event.account_id))
        if subject is None or event.kind not in counts:
            continue
        counts[event.kind] += 1
        if event.kind == "returned":
            ledger.returned[subject.index] = subject.created_at
            continue
        ledger.ended.setdefault(subject.index, event.at)
        if event.kind == "removed":
            ledger.removed.setdefault(subject.index, event.at)
    return DayRecord(
        seed=world.config.seed,
        strategy="",
        day=day.day,
        exposure=reach.total,
        engagements=engagements,
        propaganda_posts=len(authors),
        active_supporters=sum(a.active and a.role.is_supporter for a in world.accounts),
        active_ringleaders=sum(a.active and a.role is Role.RINGLEADER for a in world.accounts),
        removed_on_referral=counts["removed"],
        suspended_by_platform=counts["suspended"],
        resurgences=counts["returned"],
    )


def flag(world: World, ledger: Ledger, supporters: set[tuple[str, str]], at: datetime) -> None:
    """Note when each true supporter is first among the unit's assessed ``supporters``."""
    ledger.last_run = at
    for key in supporters:
        account = world.by_key.get(key)
        if account is not None and account.role.is_supporter:
            ledger.flagged.setdefault(account.index, at)


def spans(world: World, ledger: Ledger, roles: frozenset[Role]) -> list[tuple[float, bool]]:
    """(days from the start or the account's return to its end, ended?) of the ``roles``'
    accounts; accounts still up at the horizon are censored there."""
    start = world.config.start
    horizon = world.day_start
    out: list[tuple[float, bool]] = []
    for account in world.accounts:
        if account.role not in roles:
            continue
        entry = ledger.returned.get(account.index, start)
        if entry >= horizon:
            continue
        end = ledger.ended.get(account.index)
        ended = end is not None and end < horizon
        stop = end if end is not None and ended else horizon
        out.append((max(0.0, (stop - entry) / timedelta(days=1)), ended))
    return out


def _hours(pairs: list[tuple[datetime, datetime]]) -> float:
    return median((b - a) / HOUR for a, b in pairs)


def totals(
    world: World, ledger: Ledger, days: list[DayRecord], strategy: str, *, unit: bool
) -> SeedTotals:
    """The run's totals; the unit's figures are nan for a run without the unit (``none``)."""
    horizon = float(len(days))
    rings = spans(world, ledger, frozenset({Role.RINGLEADER}))
    supporters = spans(world, ledger, frozenset(r for r in Role if r.is_supporter))
    first = ledger.first_post
    nan = float("nan")
    unlabelled = [
        i
        for i, when in first.items()
        if i not in ledger.labelled and ledger.last_run is not None and when < ledger.last_run
    ]
    detected = [(first[i], ledger.flagged[i]) for i in unlabelled if i in ledger.flagged]
    referred = [i for i in ledger.referred if i in first]
    rereferred = [
        (ledger.returned[i], ledger.referred[i]) for i in ledger.returned if i in ledger.referred
    ]
    referrals = sum(d.referrals for d in days)
    return SeedTotals(
        seed=world.config.seed,
        strategy=strategy,
        days=len(days),
        exposure=sum(d.exposure for d in days),
        engagements=sum(d.engagements for d in days),
        propaganda_posts=sum(d.propaganda_posts for d in days),
        referrals=referrals,
        accepted=sum(d.accepted for d in days),
        dismissed=sum(d.dismissed for d in days),
        removed_on_referral=sum(d.removed_on_referral for d in days),
        suspended_by_platform=sum(d.suspended_by_platform for d in days),
        resurgences=sum(d.resurgences for d in days),
        active_supporters_end=days[-1].active_supporters if days else 0,
        ringleaders_removed=sum(world.accounts[i].role is Role.RINGLEADER for i in ledger.removed),
        ringleader_survival_days=restricted_mean(kaplan_meier(rings), horizon),
        supporter_survival_days=restricted_mean(kaplan_meier(supporters), horizon),
        hours_to_detect=_hours(detected) if unit else nan,
        detected_share=len(detected) / len(unlabelled) if unit and unlabelled else nan,
        hours_to_refer=_hours([(first[i], ledger.referred[i]) for i in referred]) if unit else nan,
        hours_to_removal=_hours(
            [(first[i], ledger.removed[i]) for i in referred if i in ledger.removed]
        )
        if unit
        else nan,
        rereferred=len(rereferred),
        hours_to_rereferral=_hours(rereferred) if unit else nan,
        estimated_reach_per_referral=sum(d.estimated_reach_referred for d in days) / referrals
        if referrals
        else nan,
        true_reach_per_referral=sum(d.true_reach_referred for d in days) / referrals
        if referrals
        else nan,
    )


__all__ = ["Audience", "Ledger", "flag", "observe", "spans", "totals"]
