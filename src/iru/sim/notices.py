"""What a simulated platform does with a notice: deterministic plans and the forms it sends back.

Pure functions, no I/O and no clock. :func:`plan_notice` turns a platform's moderation model,
the notice kind, iru's reference, the receipt time and a seed into the ordered events the
platform will produce (``received``, then ``clarification``, ``rejected`` or ``removed``, and
after a removal perhaps ``restored``), each at an offset from receipt. A plan that asks for a
clarification stops there; once the answer arrives, :func:`plan_after_clarification` plans the
rest from that moment (for a removal order the hour starts again). The randomness comes from
``numpy.random.default_rng`` seeded by SHA-256 of (seed, platform, kind, reference, round), so
the same inputs always give the same plan, in any process.

For removal orders the platform answers with the TCO feedback forms: an Annex II
:class:`~iru.cases.tco.RemovalConfirmation` when it removed the content and an Annex III
:class:`~iru.cases.tco.ImpossibilityNotice` when it rejects the order or asks for a
clarification. Every provider name here is synthetic.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

import numpy as np

from iru.cases.tco import (
    FeedbackHeader,
    ImpossibilityGround,
    ImpossibilityNotice,
    ProviderSignOff,
    RemovalAction,
    RemovalConfirmation,
    RemovalOrder,
)
from iru.sim.config import PlatformModel

__all__ = [
    "NOTICE_KINDS",
    "NoticeKind",
    "NoticeModel",
    "PlannedEvent",
    "feedback_header",
    "impossibility_notice",
    "notice_models",
    "order_answer",
    "plan_after_clarification",
    "plan_notice",
    "provider_sign_off",
    "removal_confirmation",
    "stable_seed",
]

NoticeKind = Literal["referral", "removal_order"]
NOTICE_KINDS: Final[tuple[NoticeKind, ...]] = ("referral", "removal_order")

# Synthetic providers behind iru's platform names; any other name gets a made-up one.
_PROVIDERS: Final = {
    "twitter": "Twitter Sim International Ltd",
    "telegram": "Telegram Sim Messenger FZ-LLC",
    "activitypub": "Fediverse Sim Hosting Cooperative",
}
# Median minutes to carry out a removal order (the legal target is one hour).
_ORDER_MEDIAN_MINUTES: Final = {"twitter": 20.0, "telegram": 45.0, "activitypub": 50.0}


@dataclass(frozen=True, slots=True)
class NoticeModel:
    """How one simulated platform handles notices: the referral model plus orders and appeals."""

    name: str
    # Referrals (from PlatformModel): log-normal latency in hours and the share declined.
    removal_median_hours: float
    removal_sigma: float
    rejection_rate: float
    clarification_rate: float = 0.05
    # Removed content reinstated on appeal, after a log-normal delay from the removal.
    restoration_rate: float = 0.04
    restoration_median_hours: float = 72.0
    restoration_sigma: float = 0.8
    # Removal orders: log-normal minutes to act; with sigma 0.7 some breach the hour.
    order_median_minutes: float = 30.0
    order_sigma: float = 0.7
    order_rejection_rate: float = 0.03  # Annex III, manifest errors or force majeure
    order_clarification_rate: float = 0.05  # Annex III, insufficient information
    order_restoration_rate: float = 0.0  # orders are binding: reinstated only after redress
    provider: str = "Example Sim Platform Ltd"
    provider_member_state: str = "IE"
    authorised_person: str = "Trust & Safety duty officer (synthetic)"

    @classmethod
    def from_platform(cls, model: PlatformModel | NoticeModel) -> NoticeModel:
        """The notice model of a simulator platform, with this module's defaults for the rest."""
        if isinstance(model, NoticeModel):
            return model
        return cls(
            name=model.name,
            removal_median_hours=model.removal_median_hours,
            removal_sigma=model.removal_sigma,
            rejection_rate=model.rejection_rate,
            order_median_minutes=_ORDER_MEDIAN_MINUTES.get(model.name, 30.0),
            provider=_PROVIDERS.get(model.name, f"{model.name.title()} Sim Platform Ltd"),
        )

    @property
    def email(self) -> str:
        """Where the provider's TCO desk answers from (a reserved example domain)."""
        return f"tco-desk@{self.name}.sim.example"


def notice_models(platforms: tuple[PlatformModel | NoticeModel, ...]) -> tuple[NoticeModel, ...]:
    """Notice models for the simulator's platforms (``WorldConfig().platforms``)."""
    return tuple(NoticeModel.from_platform(p) for p in platforms)


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """One step the platform will take: its status, when (from the plan's start) and why."""

    status: str  # received, clarification, clarification_received, removed, rejected, restored
    offset: timedelta  # simulated time from the plan's start (receipt or clarification answer)
    detail: str
    ground: ImpossibilityGround | None = None  # Annex III ground, for removal orders

    def at(self, start: datetime, time_scale: float = 1.0) -> datetime:
        """When it happens for a plan started at ``start``, with time running ``time_scale`` x."""
        return start + self.offset / time_scale


def stable_seed(*parts: object) -> int:
    """A 64-bit seed from the parts' text, the same in every process (unlike ``hash``)."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _rng(
    seed: int, model: NoticeModel, kind: str, reference: str, stage: str
) -> np.random.Generator:
    return np.random.default_rng(stable_seed(seed, model.name, kind, reference, stage))


def _lognormal(rng: np.random.Generator, median: float, sigma: float) -> float:
    return float(rng.lognormal(math.log(median), sigma))


def _duration(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def _outcome(
    model: NoticeModel, kind: NoticeKind, rng: np.random.Generator, *, may_clarify: bool
) -> list[PlannedEvent]:
    """The platform's answer, with offsets from the plan's start; a fixed number of draws."""
    u_clarify, u_reject, u_ground, u_restore = rng.random(4)
    if kind == "referral":
        clarify_rate, reject_rate = model.clarification_rate, model.rejection_rate
        act = timedelta(hours=_lognormal(rng, model.removal_median_hours, model.removal_sigma))
        restore_rate = model.restoration_rate
    else:
        clarify_rate, reject_rate = model.order_clarification_rate, model.order_rejection_rate
        act = timedelta(minutes=_lognormal(rng, model.order_median_minutes, model.order_sigma))
        restore_rate = model.order_restoration_rate
    restore_after = timedelta(
        hours=_lognormal(rng, model.restoration_median_hours, model.restoration_sigma)
    )
    since = "receipt" if may_clarify else "the clarification"
    if may_clarify and u_clarify < clarify_rate:
        ask = act / 2
        if kind == "referral":
            detail = "the platform asks which terms-of-service clause the content breaches"
        else:
            detail = "Annex III: insufficient information to identify the content"
        return [
            PlannedEvent(
                "clarification",
                ask,
                detail,
                _ground(kind, ImpossibilityGround.INSUFFICIENT_INFORMATION),
            )
        ]
    if u_reject < reject_rate:
        if kind == "referral":
            return [
                PlannedEvent(
                    "rejected", act, f"no breach of the terms found, {_duration(act)} after {since}"
                )
            ]
        ground = (
            ImpossibilityGround.MANIFEST_ERRORS
            if u_ground < 0.5
            else ImpossibilityGround.FORCE_MAJEURE
        )
        return [
            PlannedEvent(
                "rejected",
                act,
                f"Annex III: {ground.value}, {_duration(act)} after {since}",
                ground,
            )
        ]
    what = "terms of service" if kind == "referral" else "removal order (Annex II sent)"
    events = [
        PlannedEvent("removed", act, f"removed under the {what}, {_duration(act)} after {since}")
    ]
    if u_restore < restore_rate:
        events.append(
            PlannedEvent("restored", act + restore_after, "reinstated after the uploader's appeal")
        )
    return events


def _ground(kind: NoticeKind, ground: ImpossibilityGround) -> ImpossibilityGround | None:
    return ground if kind == "removal_order" else None


def plan_notice(
    model: NoticeModel | PlatformModel,
    *,
    kind: NoticeKind,
    reference: str,
    received_at: datetime,
    seed: int,
) -> list[PlannedEvent]:
    """Everything the platform will do with a notice received at ``received_at``, in order.

    Offsets run from receipt. The plan starts with ``received`` and ends with ``removed``
    (perhaps then ``restored``), ``rejected``, or ``clarification``: a plan that asks for a
    clarification waits, and :func:`plan_after_clarification` continues it. ``received_at``
    does not change the plan (only the seed, platform, kind and reference do); it is used in
    the details.
    """
    notice = NoticeModel.from_platform(model)
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}; expected one of {NOTICE_KINDS}")
    stamp = received_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    received = PlannedEvent("received", timedelta(0), f"{kind} {reference} received at {stamp}")
    rng = _rng(seed, notice, kind, reference, "receipt")
    return [received, *_outcome(notice, kind, rng, may_clarify=True)]


def plan_after_clarification(
    model: NoticeModel | PlatformModel,
    *,
    kind: NoticeKind,
    reference: str,
    answered_at: datetime,
    seed: int,
) -> list[PlannedEvent]:
    """The rest of a plan once the clarification is answered, with offsets from ``answered_at``.

    It starts with ``clarification_received`` and, for a removal order, the hour starts again
    from it. A platform asks for a clarification at most once per notice.
    """
    notice = NoticeModel.from_platform(model)
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}; expected one of {NOTICE_KINDS}")
    stamp = answered_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    answered = PlannedEvent(
        "clarification_received", timedelta(0), f"clarification received at {stamp}"
    )
    rng = _rng(seed, notice, kind, reference, "clarification")
    return [answered, *_outcome(notice, kind, rng, may_clarify=False)]


# -- the forms sent back for removal orders ------------------------------------------------


def feedback_header(
    order: RemovalOrder, *, received_at: datetime, addressee_file_reference: str | None = None
) -> FeedbackHeader:
    """Section A of Annexes II and III: the order being answered, and when it arrived."""
    return FeedbackHeader(
        addressee=order.header.addressee,
        issuing_authority=order.issuing_authority.name,
        issuer_file_reference=order.header.reference,
        addressee_file_reference=addressee_file_reference,
        received_at=received_at,
    )


def provider_sign_off(
    model: NoticeModel, *, signed_at: datetime, member_state: str | None = None
) -> ProviderSignOff:
    """Section C of Annexes II and III: the provider's authorised person (synthetic)."""
    return ProviderSignOff(
        provider=model.provider,
        member_state=member_state,
        authorised_person=model.authorised_person,
        email=model.email,
        signed_at=signed_at,
    )


def removal_confirmation(
    order: RemovalOrder,
    *,
    model: NoticeModel,
    received_at: datetime,
    action_at: datetime,
    addressee_file_reference: str | None = None,
) -> RemovalConfirmation:
    """Annex II: the provider removed the ordered content at ``action_at``."""
    return RemovalConfirmation(
        header=feedback_header(
            order, received_at=received_at, addressee_file_reference=addressee_file_reference
        ),
        action=RemovalAction.REMOVED,
        action_at=action_at,
        sign_off=provider_sign_off(
            model, signed_at=action_at, member_state=order.header.provider_member_state
        ),
    )


_EXPLANATIONS: Final = {
    ImpossibilityGround.INSUFFICIENT_INFORMATION: (
        "The locators given do not identify the content unambiguously on our service.",
        "Please confirm the exact URL of each item and, where known, its upload identifier.",
    ),
    ImpossibilityGround.MANIFEST_ERRORS: (
        "The order contains manifest errors: the URLs do not point to content we host.",
        "Please check the URLs and the addressee, and issue a corrected order.",
    ),
    ImpossibilityGround.FORCE_MAJEURE: (
        "Objectively justifiable technical reasons: the storage holding the content is"
        " unavailable; we will act as soon as it is restored.",
        None,
    ),
}


def impossibility_notice(
    order: RemovalOrder,
    *,
    model: NoticeModel,
    received_at: datetime,
    signed_at: datetime,
    ground: ImpossibilityGround,
    addressee_file_reference: str | None = None,
) -> ImpossibilityNotice:
    """Annex III: the provider cannot execute the order on ``ground`` (or needs clarification)."""
    explanation, needed = _EXPLANATIONS[ground]
    return ImpossibilityNotice(
        header=feedback_header(
            order, received_at=received_at, addressee_file_reference=addressee_file_reference
        ),
        grounds=frozenset({ground}),
        explanation=explanation,
        clarification_needed=needed,
        sign_off=provider_sign_off(model, signed_at=signed_at),
    )


def order_answer(
    order: RemovalOrder,
    event: PlannedEvent,
    *,
    model: NoticeModel,
    received_at: datetime,
    at: datetime,
    addressee_file_reference: str | None = None,
) -> RemovalConfirmation | ImpossibilityNotice | None:
    """The form that goes with a removal-order event at ``at``: Annex II, Annex III or none."""
    if event.status == "removed":
        return removal_confirmation(
            order,
            model=model,
            received_at=received_at,
            action_at=at,
            addressee_file_reference=addressee_file_reference,
        )
    if event.status in {"rejected", "clarification"}:
        ground = event.ground or ImpossibilityGround.INSUFFICIENT_INFORMATION
        return impossibility_notice(
            order,
            model=model,
            received_at=received_at,
            signed_at=at,
            ground=ground,
            addressee_file_reference=addressee_file_reference,
        )
    return None
