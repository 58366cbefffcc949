"""The forms of the TCO Regulation and the voluntary referral, as versioned msgspec Structs.

The public API, with JSON, validation and rendering, is :mod:`iru.cases.tco`; this module only
holds the records. Fields TCO.md tags [R] are marked "(TCO.md [R]: to be checked against the OJ)".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final, Literal

import msgspec

__all__ = [
    "EU_MEMBER_STATES",
    "NON_DISCLOSURE_PERIOD",
    "SCHEMA_VERSION",
    "AuthorityType",
    "Contacts",
    "ContentSection",
    "CrossBorder",
    "Evidence",
    "FeedbackHeader",
    "Form",
    "ImpossibilityGround",
    "ImpossibilityNotice",
    "IssuingAuthority",
    "NonDisclosure",
    "NonDisclosureExtension",
    "OrderHeader",
    "ProviderSignOff",
    "Reason",
    "Redress",
    "Referral",
    "RemovalAction",
    "RemovalConfirmation",
    "RemovalOrder",
    "SchemaVersion",
    "UtcTime",
]

SCHEMA_VERSION: Final = "iru-tco-1"
SchemaVersion = Literal["iru-tco-1"]
# A timezone-aware instant; validate_order() further insists on UTC.
UtcTime = Annotated[datetime, msgspec.Meta(tz=True, description="date and time in UTC (ISO 8601)")]

# Art. 11: a non-disclosure decision lasts up to six weeks, extendable once by six weeks.
NON_DISCLOSURE_PERIOD = timedelta(weeks=6)  # (TCO.md [R]: to be checked against the OJ)

# ISO 3166-1 alpha-2, plus "EL", the code the EU itself uses for Greece.
EU_MEMBER_STATES = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905
)


class Reason(StrEnum):
    """Annex I section B tick boxes: why the content is terrorist content (Art. 2(7) a–e)."""

    INCITES = "incites"  # (a) incites, glorifies or advocates terrorist offences
    SOLICITS_OFFENCES = "solicits_offences"  # (b) (TCO.md [R]: to be checked against the OJ)
    SOLICITS_GROUP = "solicits_group"  # (c) (TCO.md [R]: to be checked against the OJ)
    INSTRUCTS = "instructs"  # (d) (TCO.md [R]: to be checked against the OJ)
    THREATENS = "threatens"  # (e) (TCO.md [R]: to be checked against the OJ)

    @property
    def point(self) -> str:
        """The point of Art. 2(7) this box stands for: "a" to "e"."""
        return "abcde"[list(Reason).index(self)]


class AuthorityType(StrEnum):
    """Annex I section E: which kind of competent authority issued the order."""

    JUDICIAL = "judicial"  # judge, court or investigating judge
    LAW_ENFORCEMENT = "law_enforcement"
    OTHER = "other"


class _Form(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every form: immutable, keyword-only, unknown fields refused on decoding."""


class OrderHeader(_Form, frozen=True, kw_only=True):
    """Annex I section A: who orders whom, when, under which reference."""

    issuing_member_state: str
    addressee: str  # the hosting service provider
    legal_representative: str | None = None
    contact_point: str
    provider_member_state: str  # main establishment or legal representative's state
    issued_at: UtcTime  # UTC
    reference: str


class ContentSection(_Form, frozen=True, kw_only=True):
    """Annex I section B: the exact content and why it is terrorist content."""

    urls: tuple[str, ...]
    other_locators: tuple[str, ...] = ()
    reasons: frozenset[Reason]
    additional_reasons: str | None = None  # (TCO.md [R]: to be checked against the OJ)


class NonDisclosureExtension(_Form, frozen=True, kw_only=True):
    """The one extension of a non-disclosure period (Art. 11)."""

    decided_at: UtcTime  # (TCO.md [R]: to be checked against the OJ)
    ends_at: UtcTime  # (TCO.md [R]: to be checked against the OJ)
    justification: str = ""  # (TCO.md [R]: to be checked against the OJ)


class NonDisclosure(_Form, frozen=True, kw_only=True):
    """Annex I section C: the provider must not inform the content provider, until ``ends_at``.

    The period runs from ``decided_at`` (the order's issue time when absent), lasts at
    most six weeks and may be extended once by at most six weeks.
    """

    do_not_inform: bool = False  # (TCO.md [R]: to be checked against the OJ)
    decided_at: UtcTime | None = None  # (TCO.md [R]: to be checked against the OJ)
    ends_at: UtcTime | None = None  # (TCO.md [R]: to be checked against the OJ)
    # At most one extension. (TCO.md [R]: to be checked against the OJ)
    extensions: tuple[NonDisclosureExtension, ...] = ()

    @property
    def effective_end(self) -> datetime | None:
        """When non-disclosure ends, counting the extension; None when there is none."""
        if not self.do_not_inform:
            return None
        return self.extensions[-1].ends_at if self.extensions else self.ends_at


class CrossBorder(_Form, frozen=True, kw_only=True):
    """Annex I section D: the provider sits in another Member State, which gets a copy (Art. 4)."""

    provider_state_differs: bool = False  # (TCO.md [R]: to be checked against the OJ)
    copy_sent_to: str | None = None  # (TCO.md [R]: to be checked against the OJ)
    copy_sent_at: UtcTime | None = None  # (TCO.md [R]: to be checked against the OJ)


class IssuingAuthority(_Form, frozen=True, kw_only=True):
    """Annex I section E: the issuing authority and how to reach it."""

    type: AuthorityType  # (TCO.md [R]: to be checked against the OJ)
    name: str  # (TCO.md [R]: to be checked against the OJ)
    representative: str  # (TCO.md [R]: to be checked against the OJ)
    post: str  # (TCO.md [R]: to be checked against the OJ)
    file_number: str  # (TCO.md [R]: to be checked against the OJ)
    address: str  # (TCO.md [R]: to be checked against the OJ)
    telephone: str  # (TCO.md [R]: to be checked against the OJ)
    email: str  # (TCO.md [R]: to be checked against the OJ)
    signed_at: UtcTime | None = None  # (TCO.md [R]: to be checked against the OJ)
    # Stamp and signature are not needed when sent over an authenticated channel.
    authenticated_channel: bool = True  # (TCO.md [R]: to be checked against the OJ)
    signed: bool = False  # (TCO.md [R]: to be checked against the OJ)


class Contacts(_Form, frozen=True, kw_only=True):
    """Annex I section F: whom the provider asks for clarification and sends feedback to."""

    feedback_contact: str  # (TCO.md [R]: to be checked against the OJ)
    clarification_contact: str | None = None  # (TCO.md [R]: to be checked against the OJ)
    home_state_authority_contact: str | None = None  # (TCO.md [R]: to be checked against the OJ)


class Redress(_Form, frozen=True, kw_only=True):
    """Annex I section G: how the order can be challenged."""

    body: str  # competent body or court (TCO.md [R]: to be checked against the OJ)
    time_limit: str  # (TCO.md [R]: to be checked against the OJ)
    national_law_url: str | None = None  # (TCO.md [R]: to be checked against the OJ)


class RemovalOrder(_Form, frozen=True, kw_only=True):
    """A removal order (Annex I): remove or disable the content within one hour of receipt."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    language: str  # a language the provider designated (Art. 15(2))
    header: OrderHeader  # section A
    content: ContentSection  # section B
    non_disclosure: NonDisclosure = msgspec.field(default_factory=NonDisclosure)  # section C
    cross_border: CrossBorder = msgspec.field(default_factory=CrossBorder)  # section D
    issuing_authority: IssuingAuthority  # section E
    contacts: Contacts  # section F
    redress: Redress  # section G


class Evidence(_Form, frozen=True, kw_only=True):
    """One preserved item backing a referral: its content hash and what it shows."""

    sha256: str
    excerpt: str | None = None
    url: str | None = None
    captured_at: UtcTime | None = None


class Referral(_Form, frozen=True, kw_only=True):
    """A voluntary referral: content reported against the platform's terms of service."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    reference: str
    platform: str
    account_id: str | None = None
    handle: str | None = None
    urls: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    tos_clause: str
    language: str
    created_at: UtcTime
    target_response_hours: int = 24


class FeedbackHeader(_Form, frozen=True, kw_only=True):
    """Section A of Annexes II and III: which order the provider is answering.

    TCO.md tags Annex II as [R]; Annex III's section A is [V] as "the same fields as Annex II A".
    """

    addressee: str  # (TCO.md [R]: to be checked against the OJ)
    issuing_authority: str  # (TCO.md [R]: to be checked against the OJ)
    issuer_file_reference: str  # (TCO.md [R]: to be checked against the OJ)
    addressee_file_reference: str | None = None  # (TCO.md [R]: to be checked against the OJ)
    received_at: UtcTime  # (TCO.md [R]: to be checked against the OJ)


class ProviderSignOff(_Form, frozen=True, kw_only=True):
    """Section C of Annexes II and III: who answers for the provider, and when."""

    provider: str  # or its legal representative (TCO.md [R]: to be checked against the OJ)
    member_state: str | None = None  # Annex II only (TCO.md [R]: to be checked against the OJ)
    authorised_person: str  # (TCO.md [R]: to be checked against the OJ)
    email: str  # (TCO.md [R]: to be checked against the OJ)
    signed_at: UtcTime  # (TCO.md [R]: to be checked against the OJ)


class RemovalAction(StrEnum):
    """Annex II section B: what the provider did."""

    REMOVED = "removed"  # (TCO.md [R]: to be checked against the OJ)
    # Access disabled in all Member States. (TCO.md [R]: to be checked against the OJ)
    DISABLED = "disabled"


class RemovalConfirmation(_Form, frozen=True, kw_only=True):
    """Annex II: the provider's feedback that it removed or disabled the content (Art. 3(6))."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    header: FeedbackHeader  # section A (TCO.md [R]: to be checked against the OJ)
    action: RemovalAction  # section B (TCO.md [R]: to be checked against the OJ)
    action_at: UtcTime  # section B (TCO.md [R]: to be checked against the OJ)
    sign_off: ProviderSignOff  # section C (TCO.md [R]: to be checked against the OJ)


class ImpossibilityGround(StrEnum):
    """Annex III section B: why the provider cannot comply (Art. 3(7)–(8))."""

    FORCE_MAJEURE = "force_majeure"  # incl. objectively justifiable technical/operational reasons
    MANIFEST_ERRORS = "manifest_errors"  # (TCO.md [R]: to be checked against the OJ)
    # (TCO.md [R]: to be checked against the OJ)
    INSUFFICIENT_INFORMATION = "insufficient_information"


class ImpossibilityNotice(_Form, frozen=True, kw_only=True):
    """Annex III: the provider cannot execute the order, and why."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    header: FeedbackHeader  # section A
    grounds: frozenset[ImpossibilityGround]
    explanation: str  # (TCO.md [R]: to be checked against the OJ)
    clarification_needed: str | None = None  # (TCO.md [R]: to be checked against the OJ)
    sign_off: ProviderSignOff  # section C (TCO.md [R]: to be checked against the OJ)


Form = RemovalOrder | Referral | RemovalConfirmation | ImpossibilityNotice
