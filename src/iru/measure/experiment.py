"""The closed-loop experiment's pure parts: the unit's policy, what is measured, and the statistics.

The engine (:mod:`iru.engine.lab.experiment`) steps a simulated world day by day, lets iru
detect and rank, and refers through the platforms; everything here is arithmetic on
plain values it hands over:

- :class:`Policy`: the unit's real limits — officers × reviews an hour × hours a day
  of review capacity, a daily referral budget, the delay before the queue is reviewed
  — and :func:`review` which turns a ranked candidate list into the day's referrals.
- :func:`pick_targets`: a strategy's choice among the eligible accounts, on the reach
  model conditioned on the accounts already gone (see docs/experiment.md).
- :func:`cascade_reach`: the true at-risk exposures of one day's propaganda cascades.
- :class:`DayRecord` / :class:`SeedTotals`: one row per (seed, strategy, day) and per
  (seed, strategy); :func:`summarise` gives every total's mean and 95 % confidence
  interval over seeds (Student's t) and :func:`ratio_ci` a ratio of two strategies'
  means with Fieller's interval.

No storage, no drivers, no plotting.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import numpy as np

from iru.measure.stats import Estimate, mean_ci, ratio_ci
from iru.network.reach import ReachInputs, clean_pair, gains_along
from iru.network.strategies import STRATEGIES, greedy_reach, rank

#: Strategies an experiment compares: the ranking strategies and ``none`` (no referrals).
EXPERIMENT_STRATEGIES: tuple[str, ...] = (*STRATEGIES, "none")
BASELINE = "none"
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Policy:
    """What the unit can do in a day.

    Officers review candidates in rank order, ``reviews_per_hour`` each, starting
    ``review_delay_hours`` after the daily detection run; an account is referred when its
    review ends, so the ``n``-th review of a day is sent ``review_delay_hours +
    ceil(n / officers) / reviews_per_hour`` hours after the run. At most
    ``review_capacity`` reviews and ``daily_budget`` referrals a day (``None``: 1 % of the
    world's supporters, :meth:`budget`). With ``dismiss_false_positives`` a reviewed
    account that is not truly a supporter is dismissed (it costs a review, not a referral).
    """

    officers: int = 2
    reviews_per_hour: float = 4.0
    hours_per_day: float = 8.0
    daily_budget: int | None = None
    budget_share: float = 0.01
    review_delay_hours: float = 2.0
    dismiss_false_positives: bool = True

    def __post_init__(self) -> None:
        if self.officers < 1 or self.reviews_per_hour <= 0 or self.hours_per_day <= 0:
            raise ValueError("officers, reviews per hour and hours per day must be positive")
        if self.daily_budget is not None and self.daily_budget < 0:
            raise ValueError("the daily budget cannot be negative")
        if self.review_delay_hours < 0:
            raise ValueError("the review delay cannot be negative")

    @property
    def review_capacity(self) -> int:
        """Reviews the officers can do in a day."""
        return math.floor(self.officers * self.reviews_per_hour * self.hours_per_day + 1e-9)

    def budget(self, supporters: int) -> int:
        """Referrals allowed a day in a world of ``supporters`` supporter accounts."""
        if self.daily_budget is not None:
            return self.daily_budget
        return max(1, round(self.budget_share * supporters))

    def referrals_per_day(self, supporters: int) -> int:
        """The most referrals a day: the budget, or the review capacity when smaller."""
        return min(self.budget(supporters), self.review_capacity)


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """One day's reviews: which candidates (positions) are referred, and when."""

    referred: list[int]
    hours: list[float]  # after the detection run, one per referred candidate
    reviewed: int
    dismissed: int


def review(policy: Policy, truly_supporter: Sequence[bool], budget: int) -> ReviewOutcome:
    """Review ranked candidates until the capacity or ``budget`` referrals are used up."""
    referred: list[int] = []
    hours: list[float] = []
    reviewed = dismissed = 0
    for position, truth in enumerate(truly_supporter):
        if reviewed >= policy.review_capacity or len(referred) >= budget:
            break
        reviewed += 1
        done = policy.review_delay_hours + math.ceil(reviewed / policy.officers) / (
            policy.reviews_per_hour
        )
        if truth or not policy.dismiss_false_positives:
            referred.append(position)
            hours.append(done)
        else:
            dismissed += 1
    return ReviewOutcome(referred, hours, reviewed, dismissed)


def pick_targets(
    inputs: ReachInputs,
    eligible: np.ndarray,
    gone: np.ndarray,
    *,
    k: int,
    strategy: str,
    seed: int = 0,
) -> list[tuple[int, float]]:
    """Up to ``k`` eligible accounts in ``strategy``'s order, each with its estimated gain.

    ``eligible`` and ``gone`` are boolean masks over the accounts of ``inputs``; gains are
    the reach model's, given that the ``gone`` accounts (removed or already referred) and
    the accounts picked before are removed. ``impact`` is the greedy of
    :func:`iru.network.strategies.greedy_reach` restricted to the eligible accounts and
    started from the gains conditioned on ``gone``; the other strategies are
    :func:`iru.network.strategies.rank`'s order with the ineligible accounts skipped.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    n = inputs.n
    eligible = np.asarray(eligible, dtype=bool) & ~np.asarray(gone, dtype=bool)
    if n == 0 or k <= 0 or not eligible.any():
        return []
    pair = clean_pair(inputs)
    own = np.asarray(inputs.own_total, dtype=np.float64)
    if strategy == "impact":
        lost = np.asarray(gone, dtype=np.float64)
        start = own + np.asarray(pair.sum(axis=1)).reshape(-1)
        start -= lost @ pair  # reposts of x's posts by accounts gone
        start -= pair @ lost  # x's reposts of accounts gone
        start = np.where(eligible, np.maximum(start, 0.0), 0.0)
        transposed = pair.T.tocsr()
        order, _ = greedy_reach(
            pair.indptr.astype(np.int64),
            pair.indices.astype(np.int64),
            pair.data,
            transposed.indptr.astype(np.int64),
            transposed.indices.astype(np.int64),
            transposed.data,
            start,
            k,
        )
        chosen = [int(x) for x in order]
    else:
        ranked = rank(inputs, n, strategy, seed=seed)
        chosen = [r.index for r in ranked if eligible[r.index]][:k]
    before = np.flatnonzero(gone).astype(np.int64)
    sequence = np.concatenate([before, np.asarray(chosen, dtype=np.int64)])
    gains = gains_along(pair, own, sequence)[before.size :]
    return [(x, float(g)) for x, g in zip(chosen, gains, strict=True)]


@dataclass(slots=True)
class CascadeReach:
    """True at-risk exposures of one day's cascades: per author, per reposter, in total."""

    own: dict[int, float] = field(default_factory=dict)  # author -> its cascades' exposures
    relay: dict[int, float] = field(default_factory=dict)  # reposter -> its reposts' exposures
    total: float = 0.0

    def of(self, account: int) -> float:
        """What removing ``account`` alone would have cut: its cascades and its reposts."""
        return self.own.get(account, 0.0) + self.relay.get(account, 0.0)


def cascade_reach(
    authors: Mapping[K, int],
    reposts: Iterable[tuple[int, K]],
    audience: Callable[[int], float],
) -> CascadeReach:
    """Exposures of propaganda posts: the author's at-risk audience per post, plus each
    reposter's (another account's) per repost; ``authors`` maps post -> author and
    ``reposts`` are (reposter, post). The reach model's ``own_total``, on the truth."""
    out = CascadeReach()
    own: defaultdict[int, float] = defaultdict(float)
    relay: defaultdict[int, float] = defaultdict(float)
    for author in authors.values():
        own[author] += audience(author)
    for reposter, post in reposts:
        origin = authors.get(post)
        if origin is None or origin == reposter:
            continue
        exposure = audience(reposter)
        own[origin] += exposure
        relay[reposter] += exposure
    out.own, out.relay = dict(own), dict(relay)
    out.total = float(sum(own.values()))
    return out


@dataclass(slots=True)
class DayRecord:
    """One strategy's day in one seed's world (ground truth, and what the unit did)."""

    seed: int
    strategy: str
    day: int
    exposure: float  # at-risk exposures to propaganda that day
    engagements: int  # at-risk accounts' reposts, quotes and replies of propaganda
    propaganda_posts: int
    active_supporters: int  # at the end of the day
    active_ringleaders: int
    candidates: int = 0  # assessed supporters eligible for referral
    reviewed: int = 0
    dismissed: int = 0
    referrals: int = 0
    accepted: int = 0
    removed_on_referral: int = 0
    suspended_by_platform: int = 0
    resurgences: int = 0
    estimated_reach_referred: float = 0.0  # iru's reach-model gain of the day's referrals
    true_reach_referred: float = 0.0  # their true exposures that day (CascadeReach.of)


@dataclass(slots=True)
class SeedTotals:
    """One strategy over a whole run of one seed's world."""

    seed: int
    strategy: str
    days: int
    exposure: float
    engagements: int
    propaganda_posts: int
    referrals: int
    accepted: int
    dismissed: int
    removed_on_referral: int
    suspended_by_platform: int
    resurgences: int
    active_supporters_end: int
    ringleaders_removed: int
    ringleader_survival_days: float  # restricted mean (to the horizon) of ringleader accounts
    supporter_survival_days: float
    hours_to_detect: float  # medians over accounts; nan when none
    detected_share: float  # of true supporters that posted (unlabelled ones)
    hours_to_refer: float
    hours_to_removal: float
    rereferred: int  # returned accounts referred again
    hours_to_rereferral: float
    estimated_reach_per_referral: float
    true_reach_per_referral: float
    exposure_removed: float = math.nan  # the baseline's exposure less this one's
    exposure_removed_share: float = math.nan
    reach_removed_per_referral: float = math.nan  # exposure_removed / referrals

    def compare(self, baseline: SeedTotals) -> None:
        """Fill in what this strategy removed against ``baseline`` (the same seed's world)."""
        self.exposure_removed = baseline.exposure - self.exposure
        self.exposure_removed_share = (
            self.exposure_removed / baseline.exposure if baseline.exposure else math.nan
        )
        self.reach_removed_per_referral = (
            self.exposure_removed / self.referrals if self.referrals else math.nan
        )


def day_columns() -> list[str]:
    return [f.name for f in fields(DayRecord)]


def total_columns() -> list[str]:
    return [f.name for f in fields(SeedTotals)]


def summarise(totals: Sequence[SeedTotals]) -> dict[str, dict[str, Estimate]]:
    """Every numeric total's mean and 95 % interval over seeds, per strategy."""
    numeric = [c for c in total_columns() if c not in ("seed", "strategy", "days")]
    by_strategy: dict[str, list[SeedTotals]] = defaultdict(list)
    for row in totals:
        by_strategy[row.strategy].append(row)
    return {
        strategy: {c: mean_ci(float(getattr(r, c)) for r in rows) for c in numeric}
        for strategy, rows in by_strategy.items()
    }


def compare_to_baseline(totals: Sequence[SeedTotals], baseline: str = BASELINE) -> None:
    """Fill every row's exposure removed against the same seed's ``baseline`` row."""
    base = {r.seed: r for r in totals if r.strategy == baseline}
    for row in totals:
        if row.seed in base:
            row.compare(base[row.seed])


def _defined(value: float) -> float | None:
    """``value``, or None when it is NaN or infinite."""
    return value if math.isfinite(value) else None


def strategy_ratio(
    totals: Sequence[SeedTotals],
    numerator: str = "impact",
    denominator: str = "volume",
    metric: str = "exposure_removed",
) -> dict[str, Any] | None:
    """``numerator``'s mean ``metric`` over ``denominator``'s, paired by seed, with Fieller's
    95 % interval and the per-seed figures; None when a strategy is missing.

    Undefined figures are None (e.g. ``exposure_removed`` without a ``none`` run, or a
    per-seed ratio over zero), never NaN."""
    top = {r.seed: float(getattr(r, metric)) for r in totals if r.strategy == numerator}
    bottom = {r.seed: float(getattr(r, metric)) for r in totals if r.strategy == denominator}
    seeds = sorted(set(top) & set(bottom))
    if not seeds:
        return None
    estimate = ratio_ci([top[s] for s in seeds], [bottom[s] for s in seeds])
    return {
        "numerator": numerator,
        "denominator": denominator,
        "metric": metric,
        "ratio": estimate.as_dict(),
        "numerator_mean": mean_ci(top[s] for s in seeds).as_dict(),
        "denominator_mean": mean_ci(bottom[s] for s in seeds).as_dict(),
        "per_seed": [
            {
                "seed": s,
                numerator: _defined(top[s]),
                denominator: _defined(bottom[s]),
                "ratio": _defined(top[s] / bottom[s]) if _defined(bottom[s]) else None,
            }
            for s in seeds
        ],
    }


__all__ = [
    "BASELINE",
    "EXPERIMENT_STRATEGIES",
    "CascadeReach",
    "DayRecord",
    "Policy",
    "ReviewOutcome",
    "SeedTotals",
    "cascade_reach",
    "compare_to_baseline",
    "day_columns",
    "pick_targets",
    "review",
    "strategy_ratio",
    "summarise",
    "total_columns",
]
