"""The closed-loop experiment's pure parts on hand-made inputs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from iru.measure.experiment import (
    Policy,
    SeedTotals,
    cascade_reach,
    compare_to_baseline,
    pick_targets,
    review,
    strategy_ratio,
    summarise,
)
from iru.measure.report import kaplan_meier
from iru.measure.stats import mean_ci, median, ratio_ci, restricted_mean

from ..network.test_reach import from_cascades

# The worked example of docs/network.md: A (E 50) posts twice, reposted by C (100) and
# D (20) each time; B (E 5) posts ten times, never reposted.
A, B, C, D = range(4)


def worked_example() -> object:
    return from_cascades([50, 5, 100, 20], [(A, [C, D])] * 2 + [(B, [])] * 10, supporter=[True] * 4)


def test_mean_ci_is_students_t() -> None:
    got = mean_ci([1.0, 2.0, 3.0, 4.0])
    half = stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert got.mean == 2.5
    assert (got.low, got.high) == pytest.approx((2.5 - half, 2.5 + half))
    assert half == pytest.approx(2.054, abs=1e-3)
    assert got.n == 4


def test_mean_ci_edges() -> None:
    assert mean_ci([]).n == 0 and math.isnan(mean_ci([]).mean)
    one = mean_ci([7.0, math.nan])
    assert (one.mean, one.n) == (7.0, 1) and math.isnan(one.low)
    flat = mean_ci([3.0, 3.0, 3.0])
    assert (flat.low, flat.mean, flat.high) == (3.0, 3.0, 3.0)
    assert flat.as_dict() == {"mean": 3.0, "low": 3.0, "high": 3.0, "n": 3}
    assert mean_ci([5.0]).as_dict()["low"] is None
    assert median([3.0, math.nan, 1.0, 2.0]) == 2.0 and math.isnan(median([]))


def test_ratio_ci_fieller() -> None:
    rng = np.random.default_rng(0)
    top = 10 + rng.normal(0, 1, 12)
    bottom = 4 + rng.normal(0, 0.4, 12)
    got = ratio_ci(top, bottom)
    assert got.mean == pytest.approx(top.mean() / bottom.mean())
    assert got.low < got.mean < got.high
    # Each bound solves (a - r b)^2 = t^2 (v11 - 2 r v12 + r^2 v22).
    n = top.size
    cov = np.cov(top, bottom, ddof=1) / n
    t2 = stats.t.ppf(0.975, n - 1) ** 2
    for r in (got.low, got.high):
        lhs = (top.mean() - r * bottom.mean()) ** 2
        rhs = t2 * (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1])
        assert lhs == pytest.approx(rhs)
    # Without noise the interval closes on the ratio.
    exact = ratio_ci([6.0, 6.0, 6.0], [2.0, 2.0, 2.0])
    assert (exact.low, exact.mean, exact.high) == pytest.approx((3.0, 3.0, 3.0))


def test_ratio_ci_with_a_denominator_near_zero_is_a_ray() -> None:
    # Numerator clearly positive, denominator not clearly away from zero: "at least low".
    got = ratio_ci([10.0, 11.0, 9.0, 10.5, 9.5], [1.0, -0.5, 2.0, 0.2, 1.5])
    assert got.high == math.inf
    assert 0 < got.low < got.mean
    assert ratio_ci([1.0], [2.0]).mean == 0.5
    assert math.isnan(ratio_ci([1.0], [2.0]).low)


def test_policy_capacity_and_budget() -> None:
    policy = Policy(officers=2, reviews_per_hour=4, hours_per_day=8)
    assert policy.review_capacity == 64
    assert policy.budget(460) == 5  # 1 % of the supporters
    assert policy.budget(20) == 1  # never below one
    assert Policy(daily_budget=100).referrals_per_day(460) == 64  # capacity binds
    assert Policy(daily_budget=3).referrals_per_day(460) == 3
    assert Policy(officers=1, reviews_per_hour=0.5, hours_per_day=3).review_capacity == 1
    with pytest.raises(ValueError):
        Policy(officers=0)
    with pytest.raises(ValueError):
        Policy(daily_budget=-1)


def test_review_spends_capacity_and_budget_in_rank_order() -> None:
    policy = Policy(officers=2, reviews_per_hour=2, hours_per_day=2, review_delay_hours=1)
    assert policy.review_capacity == 8
    # A false positive (position 1) is dismissed: it costs a review, not a referral.
    got = review(policy, [True, False, True, True, True], budget=3)
    assert got.referred == [0, 2, 3]
    assert (got.reviewed, got.dismissed) == (4, 1)
    # Two officers, two reviews an hour each: reviews 1-2 end at 0.5 h, 3-4 at 1 h.
    assert got.hours == [1.5, 2.0, 2.0]
    capped = review(policy, [False] * 10 + [True], budget=5)
    assert (capped.referred, capped.reviewed, capped.dismissed) == ([], 8, 8)
    trusting = review(replace_dismiss(policy), [True, False, True], budget=2)
    assert trusting.referred == [0, 1]
    assert review(policy, [True] * 3, budget=0).referred == []


def replace_dismiss(policy: Policy) -> Policy:
    from dataclasses import replace

    return replace(policy, dismiss_false_positives=False)


def test_cascade_reach_is_the_reach_model_on_the_truth() -> None:
    audience = {A: 50.0, B: 5.0, C: 100.0, D: 20.0}
    authors = {("x", f"a{i}"): A for i in range(2)} | {("x", f"b{i}"): B for i in range(10)}
    reposts = [(r, ("x", f"a{i}")) for i in range(2) for r in (C, D)]
    reposts += [(A, ("x", "a0")), (C, ("x", "missing"))]  # self-repost and unknown: ignored
    got = cascade_reach(authors, reposts, audience.__getitem__)
    assert got.total == 390
    assert got.own == {A: 340, B: 50}
    assert got.relay == {C: 200, D: 40}
    assert (got.of(A), got.of(C), got.of(99)) == (340, 200, 0)


def test_pick_targets_by_strategy_given_what_is_gone() -> None:
    inputs = worked_example()
    everyone = np.ones(4, dtype=bool)
    nothing = np.zeros(4, dtype=bool)
    assert pick_targets(inputs, everyone, nothing, k=5, strategy="impact") == [
        (A, 340.0),
        (B, 50.0),
    ]
    # Volume: B's 10 posts first; A's 2 posts tie with C's and D's 2 reposts (index order).
    volume = pick_targets(inputs, everyone, nothing, k=2, strategy="volume")
    assert volume == [(B, 50.0), (A, 340.0)]
    # A gone already: C's reposts went with it, so only B is left to gain.
    gone = np.array([True, False, False, False])
    assert pick_targets(inputs, everyone, gone, k=5, strategy="impact") == [(B, 50.0)]
    # Only C and D eligible: C first (its reposts reach 200), then D.
    only = np.array([False, False, True, True])
    assert pick_targets(inputs, only, nothing, k=5, strategy="impact") == [
        (C, 200.0),
        (D, 40.0),
    ]
    assert pick_targets(inputs, only, nothing, k=0, strategy="impact") == []
    picked = pick_targets(inputs, everyone, nothing, k=4, strategy="random", seed=3)
    assert sorted(x for x, _ in picked) == [A, B, C, D]
    with pytest.raises(ValueError):
        pick_targets(inputs, everyone, nothing, k=1, strategy="none")


def test_survival_curve_and_its_restricted_mean() -> None:
    # Four ringleader accounts over 4 days: removed at 1 and 2, two censored at 4.
    curve = kaplan_meier([(1.0, True), (2.0, True), (4.0, False), (4.0, False)])
    assert curve == [(0.0, 1.0), (1.0, 0.75), (2.0, 0.5)]
    assert restricted_mean(curve, 4.0) == pytest.approx(1 + 0.75 + 2 * 0.5)
    assert restricted_mean([(0.0, 1.0)], 3.0) == 3.0
    assert restricted_mean(curve, 1.5) == pytest.approx(1 + 0.5 * 0.75)


def _totals(seed: int, strategy: str, exposure: float, referrals: int) -> SeedTotals:
    nan = math.nan
    return SeedTotals(
        seed=seed,
        strategy=strategy,
        days=3,
        exposure=exposure,
        engagements=0,
        propaganda_posts=0,
        referrals=referrals,
        accepted=referrals,
        dismissed=0,
        removed_on_referral=referrals,
        suspended_by_platform=0,
        resurgences=0,
        active_supporters_end=0,
        ringleaders_removed=0,
        ringleader_survival_days=3.0,
        supporter_survival_days=3.0,
        hours_to_detect=nan,
        detected_share=nan,
        hours_to_refer=nan,
        hours_to_removal=nan,
        rereferred=0,
        hours_to_rereferral=nan,
        estimated_reach_per_referral=nan,
        true_reach_per_referral=nan,
    )


def test_reach_removed_per_referral_against_none() -> None:
    rows = [
        _totals(1, "none", 1000, 0),
        _totals(1, "impact", 400, 10),
        _totals(1, "volume", 900, 10),
        _totals(2, "none", 2000, 0),
        _totals(2, "impact", 1200, 10),
        _totals(2, "volume", 1800, 10),
    ]
    compare_to_baseline(rows)
    impact = [r for r in rows if r.strategy == "impact"]
    assert [r.exposure_removed for r in impact] == [600, 800]
    assert [r.reach_removed_per_referral for r in impact] == [60, 80]
    assert impact[0].exposure_removed_share == pytest.approx(0.6)
    assert math.isnan(rows[0].reach_removed_per_referral)  # none made no referral
    ratio = strategy_ratio(rows)
    assert ratio is not None
    assert ratio["ratio"]["mean"] == pytest.approx(700 / 150)
    assert [s["ratio"] for s in ratio["per_seed"]] == [6.0, 4.0]
    assert strategy_ratio(rows, "impact", "degree") is None
    summary = summarise(rows)
    assert summary["impact"]["exposure_removed"].mean == 700
    assert summary["none"]["referrals"].mean == 0
    assert summary["impact"]["hours_to_detect"].n == 0
