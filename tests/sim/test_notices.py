"""Simulated platforms' notice plans: deterministic, well-formed, at the modelled rates; and the
Annex II/III forms they send back for removal orders."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from iru.cases.tco import (
    ImpossibilityGround,
    ImpossibilityNotice,
    RemovalAction,
    RemovalConfirmation,
    confirmation_from_json,
    impossibility_from_json,
    to_json,
)
from iru.sim.config import WorldConfig
from iru.sim.notices import (
    NoticeKind,
    NoticeModel,
    PlannedEvent,
    impossibility_notice,
    notice_models,
    order_answer,
    plan_after_clarification,
    plan_notice,
    removal_confirmation,
    stable_seed,
)
from tests.cases.test_tco import complete_order

T0 = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
MODELS = {m.name: m for m in notice_models(WorldConfig().platforms)}
TWITTER = MODELS["twitter"]
OUTCOMES = {"removed", "rejected", "clarification"}


def plans(model: NoticeModel, kind: NoticeKind, n: int, seed: int = 7) -> list[list[PlannedEvent]]:
    return [
        plan_notice(model, kind=kind, reference=f"IRU-{i:06d}", received_at=T0, seed=seed)
        for i in range(n)
    ]


def test_models_come_from_the_world_config_with_synthetic_providers() -> None:
    assert list(MODELS) == ["twitter", "telegram", "activitypub"]
    assert TWITTER.rejection_rate == WorldConfig().platform("twitter").rejection_rate
    assert TWITTER.provider == "Twitter Sim International Ltd"
    assert [MODELS[n].order_median_minutes for n in MODELS] == [20.0, 45.0, 50.0]
    assert NoticeModel.from_platform(TWITTER) is TWITTER
    assert all("sim" in m.email for m in MODELS.values())


def test_plans_are_deterministic_and_depend_on_seed_platform_and_reference() -> None:
    first = plans(TWITTER, "referral", 50)
    assert first == plans(TWITTER, "referral", 50)
    assert first != plans(TWITTER, "referral", 50, seed=8)
    assert first != plans(MODELS["telegram"], "referral", 50)
    # The receipt time changes no decision, only the wording.
    later = plan_notice(
        TWITTER, kind="referral", reference="IRU-000001", received_at=T0 + timedelta(days=3), seed=7
    )
    assert [(e.status, e.offset) for e in later] == [(e.status, e.offset) for e in first[1]]
    assert stable_seed(1, "twitter", "x") == stable_seed(1, "twitter", "x") != stable_seed(1, "x")


@pytest.mark.parametrize("kind", ["referral", "removal_order"])
def test_plan_shapes(kind: NoticeKind) -> None:
    for plan in plans(MODELS["telegram"], kind, 300):
        assert plan[0] == PlannedEvent("received", timedelta(0), plan[0].detail)
        assert plan[1].status in OUTCOMES
        assert [e.offset for e in plan] == sorted(e.offset for e in plan)
        assert all(e.offset > timedelta(0) for e in plan[1:])
        if plan[1].status == "removed":
            assert [e.status for e in plan[2:]] in ([], ["restored"])
        else:
            assert len(plan) == 2  # rejected, or waiting for the clarification
        grounds = {e.ground for e in plan}
        if kind == "referral":
            assert grounds == {None}
        elif plan[1].status == "clarification":
            assert plan[1].ground is ImpossibilityGround.INSUFFICIENT_INFORMATION
        elif plan[1].status == "rejected":
            assert plan[1].ground in {
                ImpossibilityGround.MANIFEST_ERRORS,
                ImpossibilityGround.FORCE_MAJEURE,
            }
    with pytest.raises(ValueError, match="unknown notice kind"):
        plan_notice(TWITTER, kind="letter", reference="R", received_at=T0, seed=1)  # type: ignore[arg-type]


def test_referral_rates_and_latency_follow_the_model() -> None:
    model = MODELS["telegram"]  # rejects 25 %, median 12 h
    all_plans = plans(model, "referral", 2000)
    first = Counter(p[1].status for p in all_plans)
    assert 0.03 < first["clarification"] / 2000 < 0.075
    assert 0.20 < first["rejected"] / 2000 < 0.28
    removals = sorted(p[1].offset for p in all_plans if p[1].status == "removed")
    median = removals[len(removals) // 2]
    assert timedelta(hours=10) < median < timedelta(hours=14.5)
    restored = sum(1 for p in all_plans if p[-1].status == "restored") / len(removals)
    assert 0.02 < restored < 0.065


def test_removal_orders_mostly_meet_the_hour_on_twitter_but_some_breach_it() -> None:
    all_plans = plans(TWITTER, "removal_order", 2000)
    first = Counter(p[1].status for p in all_plans)
    assert 0.03 < first["clarification"] / 2000 < 0.075
    assert 0.015 < first["rejected"] / 2000 < 0.05
    removed = [p[1].offset for p in all_plans if p[1].status == "removed"]
    late = sum(1 for d in removed if d > timedelta(hours=1)) / len(removed)
    assert 0.03 < late < 0.10  # P(lognormal(ln 20 min, 0.7) > 60 min) ~ 6 %
    assert all(p[-1].status != "restored" for p in all_plans)
    telegram = plans(MODELS["telegram"], "removal_order", 1000)
    late_telegram = [p[1].offset > timedelta(hours=1) for p in telegram if p[1].status == "removed"]
    assert sum(late_telegram) / len(late_telegram) > late


def test_a_clarification_waits_and_the_rest_runs_from_the_answer() -> None:
    waiting = next(
        p for p in plans(TWITTER, "removal_order", 400) if p[-1].status == "clarification"
    )
    reference = waiting[0].detail.split()[1]
    answered = T0 + timedelta(days=2)
    rest = plan_after_clarification(
        TWITTER, kind="removal_order", reference=reference, answered_at=answered, seed=7
    )
    assert rest[0].status == "clarification_received" and rest[0].offset == timedelta(0)
    assert rest[1].status in {"removed", "rejected"}  # asks at most once
    assert rest[1].offset < timedelta(days=1)  # measured from the answer, not from receipt
    assert rest == plan_after_clarification(
        TWITTER, kind="removal_order", reference=reference, answered_at=answered, seed=7
    )
    rest_referrals = [
        plan_after_clarification(
            TWITTER, kind="referral", reference=f"R{i}", answered_at=answered, seed=3
        )[1].status
        for i in range(300)
    ]
    assert "clarification" not in rest_referrals
    assert PlannedEvent("removed", timedelta(hours=2), "").at(T0, 3600) == T0 + timedelta(seconds=2)


def test_annex_ii_confirmation_is_filled_from_the_order_and_round_trips() -> None:
    order = complete_order()
    received = order.header.issued_at + timedelta(minutes=2)
    acted = received + timedelta(minutes=25)
    form = removal_confirmation(
        order,
        model=TWITTER,
        received_at=received,
        action_at=acted,
        addressee_file_reference="twitter-000001",
    )
    assert form.header.issuer_file_reference == order.header.reference
    assert form.header.issuing_authority == order.issuing_authority.name
    assert form.header.addressee == order.header.addressee
    assert form.header.received_at == received and form.action_at == acted
    assert form.action is RemovalAction.REMOVED
    assert form.sign_off.provider == "Twitter Sim International Ltd"
    assert form.sign_off.member_state == order.header.provider_member_state
    assert confirmation_from_json(to_json(form)) == form


@pytest.mark.parametrize("ground", list(ImpossibilityGround))
def test_annex_iii_notice_round_trips(ground: ImpossibilityGround) -> None:
    order = complete_order()
    received = order.header.issued_at + timedelta(minutes=1)
    form = impossibility_notice(
        order, model=MODELS["telegram"], received_at=received, signed_at=received, ground=ground
    )
    assert form.grounds == frozenset({ground})
    assert form.header.issuer_file_reference == order.header.reference
    assert form.sign_off.member_state is None and form.explanation
    assert (form.clarification_needed is None) == (ground is ImpossibilityGround.FORCE_MAJEURE)
    assert impossibility_from_json(to_json(form)) == form


def test_order_answer_picks_the_form_for_each_status() -> None:
    order = complete_order()

    def answer(event: PlannedEvent) -> object:
        return order_answer(order, event, model=TWITTER, received_at=T0, at=T0)

    removed = answer(PlannedEvent("removed", timedelta(0), ""))
    assert isinstance(removed, RemovalConfirmation)
    assert confirmation_from_json(to_json(removed)) == removed
    ground = ImpossibilityGround.MANIFEST_ERRORS
    rejected = answer(PlannedEvent("rejected", timedelta(0), "", ground))
    assert isinstance(rejected, ImpossibilityNotice) and rejected.grounds == {ground}
    asked = answer(PlannedEvent("clarification", timedelta(0), ""))
    assert isinstance(asked, ImpossibilityNotice)
    assert asked.grounds == {ImpossibilityGround.INSUFFICIENT_INFORMATION}
    assert answer(PlannedEvent("received", timedelta(0), "")) is None
