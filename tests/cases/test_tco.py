"""TCO removal orders, referrals and provider answers: JSON, validation, schema and rendering."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import msgspec
import pytest

from iru.cases.tco import (
    SCHEMA_VERSION,
    AuthorityType,
    Contacts,
    ContentSection,
    CrossBorder,
    Evidence,
    FeedbackHeader,
    ImpossibilityGround,
    ImpossibilityNotice,
    IssuingAuthority,
    NonDisclosure,
    NonDisclosureExtension,
    OrderHeader,
    ProviderSignOff,
    Reason,
    Redress,
    Referral,
    RemovalAction,
    RemovalConfirmation,
    RemovalOrder,
    TcoFormatError,
    confirmation_from_json,
    impossibility_from_json,
    order_from_json,
    referral_from_json,
    render_order_text,
    tco_json_schema,
    to_json,
    validate_order,
    validate_referral,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "schema" / "tco-removal-order.schema.json"
ISSUED = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
NOW = ISSUED + timedelta(minutes=5)
URLS = ("https://video.example/watch/abc123", "https://files.example/d/xyz.pdf")


def complete_order() -> RemovalOrder:
    """A synthetic cross-border order with every section filled in."""
    return RemovalOrder(
        language="en",
        header=OrderHeader(
            issuing_member_state="NL",
            addressee="Example Video Hosting Ltd",
            legal_representative="EVH Legal Representative BV",
            contact_point="tco-contact@video.example",
            provider_member_state="IE",
            issued_at=ISSUED,
            reference="NL-IRU-2025-0042",
        ),
        content=ContentSection(
            urls=URLS,
            other_locators=("upload id 77881",),
            reasons=frozenset({Reason.INCITES, Reason.INSTRUCTS}),
            additional_reasons="Glorifies a named attack and explains how to repeat it.",
        ),
        non_disclosure=NonDisclosure(
            do_not_inform=True,
            decided_at=ISSUED,
            ends_at=ISSUED + timedelta(weeks=6),
            extensions=(
                NonDisclosureExtension(
                    decided_at=ISSUED + timedelta(weeks=5),
                    ends_at=ISSUED + timedelta(weeks=12),
                    justification="ongoing investigation",
                ),
            ),
        ),
        cross_border=CrossBorder(
            provider_state_differs=True,
            copy_sent_to="Competent authority IE",
            copy_sent_at=ISSUED + timedelta(minutes=1),
        ),
        issuing_authority=IssuingAuthority(
            type=AuthorityType.LAW_ENFORCEMENT,
            name="Internet Referral Unit NL (synthetic)",
            representative="J. Jansen",
            post="Head of unit",
            file_number="IRU/2025/17",
            address="Example Street 1, 2500 AA Den Haag",
            telephone="+31 70 000 0000",
            email="iru@police.example",
            signed_at=ISSUED,
        ),
        contacts=Contacts(
            feedback_contact="iru-feedback@police.example",
            clarification_contact="iru-desk@police.example",
            home_state_authority_contact="tco@authority-ie.example",
        ),
        redress=Redress(
            body="District Court of The Hague",
            time_limit="6 weeks from receipt",
            national_law_url="https://law.example/nl/tco-redress",
        ),
    )


def test_complete_order_is_valid_and_round_trips_byte_identically() -> None:
    order = complete_order()
    assert validate_order(order, now=NOW) == []
    data = to_json(order)
    again = order_from_json(data)
    assert again == order
    assert to_json(again) == data
    parsed = json.loads(data)
    assert parsed["schema_version"] == SCHEMA_VERSION == "iru-tco-1"
    assert parsed["header"]["issued_at"] == "2025-03-04T09:30:00Z"
    assert parsed["content"]["reasons"] == ["incites", "instructs"]  # sorted, so stable


def test_reasons_map_to_article_2_7_points() -> None:
    assert [r.point for r in Reason] == ["a", "b", "c", "d", "e"]


def test_decoding_errors_name_the_field() -> None:
    good = json.loads(to_json(complete_order()))

    def decode_error(document: object) -> TcoFormatError:
        with pytest.raises(TcoFormatError) as caught:
            order_from_json(json.dumps(document))
        return caught.value

    missing = json.loads(json.dumps(good))
    del missing["header"]["contact_point"]
    error = decode_error(missing)
    assert error.field == "header.contact_point"
    assert str(error) == "removal order: header.contact_point: missing required field"

    wrong = json.loads(json.dumps(good))
    wrong["content"]["urls"] = [1]
    assert decode_error(wrong).field == "content.urls[0]"

    unknown = json.loads(json.dumps(good))
    unknown["redress"]["appeal"] = "x"
    assert decode_error(unknown).field == "redress.appeal"
    assert "unknown field" in str(decode_error(unknown))

    naive = json.loads(json.dumps(good))
    naive["header"]["issued_at"] = "2025-03-04T09:30:00"
    assert decode_error(naive).field == "header.issued_at"

    version = json.loads(json.dumps(good))
    version["schema_version"] = "iru-tco-0"
    assert decode_error(version).field == "schema_version"

    reason = json.loads(json.dumps(good))
    reason["content"]["reasons"] = ["bad-taste"]
    assert decode_error(reason).field == "content.reasons[0]"

    with pytest.raises(TcoFormatError, match="invalid JSON") as caught:
        order_from_json(b"{not json")
    assert caught.value.field is None


def problems_of(**changes: object) -> list[str]:
    """The validation problems of the complete order with some sections replaced."""
    order = msgspec.structs.replace(complete_order(), **changes)
    return validate_order(order, now=NOW)


def header(**changes: object) -> OrderHeader:
    return msgspec.structs.replace(complete_order().header, **changes)


def test_missing_contact_point() -> None:
    assert problems_of(header=header(contact_point="  ")) == ["A.contact_point: missing"]


def test_no_url_and_bad_url() -> None:
    content = complete_order().content
    assert problems_of(content=msgspec.structs.replace(content, urls=())) == [
        "B.urls: no URL of the content to remove"
    ]
    bad = msgspec.structs.replace(content, urls=("video.example/watch",))
    assert problems_of(content=bad) == ["B.urls: 'video.example/watch' is not an http(s) URL"]


def test_no_reason_ticked() -> None:
    content = msgspec.structs.replace(complete_order().content, reasons=frozenset())
    assert problems_of(content=content) == ["B.reasons: no reason ticked (Art. 2(7) points a–e)"]


def test_non_utc_and_naive_times() -> None:
    cet = timezone(timedelta(hours=1))
    offset = problems_of(header=header(issued_at=ISSUED.astimezone(cet)))
    assert offset == ["header.issued_at: 2025-03-04T10:30:00+01:00 is not a UTC time"]
    naive = problems_of(header=header(issued_at=ISSUED.replace(tzinfo=None)))
    assert naive == ["header.issued_at: 2025-03-04T09:30:00 is not a UTC time (no time zone)"]
    authority = msgspec.structs.replace(
        complete_order().issuing_authority, signed_at=ISSUED.astimezone(cet)
    )
    assert problems_of(issuing_authority=authority) == [
        "issuing_authority.signed_at: 2025-03-04T10:30:00+01:00 is not a UTC time"
    ]


def test_issue_time_in_the_future() -> None:
    order = complete_order()
    assert validate_order(order, now=ISSUED - timedelta(seconds=1)) == [
        "A.issued_at: 2025-03-04T09:30:00+00:00 is in the future"
    ]
    assert validate_order(order, now=ISSUED) == []
    assert validate_order(order) == []  # no ``now``, no check against the clock


def nd(**changes: object) -> NonDisclosure:
    return msgspec.structs.replace(complete_order().non_disclosure, **changes)


def test_non_disclosure_period_over_six_weeks() -> None:
    long = nd(ends_at=ISSUED + timedelta(weeks=6, seconds=1), extensions=())
    assert problems_of(non_disclosure=long) == [
        "C: the non-disclosure period is 42 days, 0:00:01, over 6 weeks"
    ]
    # Without a decision time the period runs from the issue time.
    assert problems_of(non_disclosure=nd(decided_at=None)) == []


def test_non_disclosure_extended_twice_or_too_far() -> None:
    first = complete_order().non_disclosure.extensions[0]
    second = NonDisclosureExtension(
        decided_at=ISSUED + timedelta(weeks=11), ends_at=ISSUED + timedelta(weeks=13)
    )
    assert problems_of(non_disclosure=nd(extensions=(first, second))) == [
        "C: non-disclosure extended 2 times; only once allowed"
    ]
    too_far = msgspec.structs.replace(first, ends_at=ISSUED + timedelta(weeks=13))
    assert problems_of(non_disclosure=nd(extensions=(too_far,))) == [
        "C: extension 1 adds 49 days, 0:00:00, over 6 weeks"
    ]
    late = msgspec.structs.replace(first, decided_at=ISSUED + timedelta(weeks=7))
    assert problems_of(non_disclosure=nd(extensions=(late,))) == [
        "C: extension 1 was decided after the period had ended"
    ]


def test_non_disclosure_box_and_dates_must_agree() -> None:
    assert problems_of(non_disclosure=nd(ends_at=None, extensions=())) == [
        "C: do-not-inform is ticked but the non-disclosure period has no end date"
    ]
    assert problems_of(non_disclosure=nd(do_not_inform=False)) == [
        "C: a non-disclosure period is given but the do-not-inform box is not ticked"
    ]
    assert problems_of(non_disclosure=NonDisclosure()) == []


def test_cross_border_section_follows_the_member_states() -> None:
    assert problems_of(cross_border=CrossBorder()) == [
        "D.provider_state_differs: not ticked, but the provider's state (IE) differs"
        " from the issuer's (NL)",
        "D: no copy to the provider's state's competent authority recorded",
    ]
    domestic = problems_of(header=header(provider_member_state="NL"))
    assert domestic == [
        "D.provider_state_differs: ticked, but not the provider's state (NL) differs"
        " from the issuer's (NL)"
    ]
    assert problems_of(header=header(provider_member_state="XX"))[0] == (
        "A.provider_member_state: 'XX' is not an EU Member State code"
    )


def test_issuing_authority_contacts_and_redress() -> None:
    order = complete_order()
    authority = msgspec.structs.replace(
        order.issuing_authority, email="nobody", telephone="", authenticated_channel=False
    )
    assert problems_of(issuing_authority=authority) == [
        "E.telephone: missing",
        "E.email: 'nobody' is not an email address",
        "E: not sent over an authenticated channel, so it needs a dated signature",
    ]
    signed = msgspec.structs.replace(authority, email="a@b.example", telephone="1", signed=True)
    assert problems_of(issuing_authority=signed) == []
    assert problems_of(contacts=Contacts(feedback_contact="")) == ["F.feedback_contact: missing"]
    assert problems_of(redress=Redress(body="", time_limit="")) == [
        "G.body: missing",
        "G.time_limit: missing",
    ]
    assert problems_of(language="") == ["language (the provider's designated language): missing"]


def test_published_schema_is_current_and_validates_an_order() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == tco_json_schema(), (
        "docs/schema/tco-removal-order.schema.json is stale: regenerate it with\n"
        '.venv/bin/python -c "import json; from iru.cases.tco import tco_json_schema;'
        ' print(json.dumps(tco_json_schema(), indent=2, ensure_ascii=False))"'
        " > docs/schema/tco-removal-order.schema.json"
    )
    validator = jsonschema.Draft202012Validator(tco_json_schema())
    document = json.loads(to_json(complete_order()))
    validator.validate(document)
    del document["content"]["reasons"]
    assert not validator.is_valid(document)


def test_rendering_has_every_section_and_the_urls() -> None:
    text = render_order_text(complete_order())
    for letter in "ABCDEFG":
        assert f"SECTION {letter} — " in text
    positions = [text.index(f"SECTION {letter}") for letter in "ABCDEFG"]
    assert positions == sorted(positions)
    for url in URLS:
        assert f"URL: {url}" in text
    assert "[x] (a) incites" in text
    assert "[ ] (b) solicits_offences" in text
    assert "2025-03-04 09:30:00 UTC" in text
    assert "NL-IRU-2025-0042" in text


REFERRAL = Referral(
    reference="REF-2025-9",
    platform="video.example",
    account_id="u-1001",
    handle="example_handle",
    urls=(URLS[0],),
    evidence=(Evidence(sha256="ab" * 32, excerpt="…", url=URLS[0], captured_at=ISSUED),),
    tos_clause="Community Guidelines §4 (violent extremism)",
    language="en",
    created_at=ISSUED,
)


def test_referral_defaults_round_trip_and_validation() -> None:
    assert REFERRAL.target_response_hours == 24
    assert validate_referral(REFERRAL) == []
    assert referral_from_json(to_json(REFERRAL)) == REFERRAL
    bad = msgspec.structs.replace(
        REFERRAL,
        urls=(),
        tos_clause="",
        evidence=(Evidence(sha256="nothex"),),
        target_response_hours=0,
        created_at=ISSUED.replace(tzinfo=None),
    )
    assert validate_referral(bad) == [
        "tos_clause: missing",
        "urls: no URL of the content to review",
        "evidence[0].sha256: not a SHA-256 hex digest",
        "target_response_hours: must be positive",
        "created_at: 2025-03-04T09:30:00 is not a UTC time (no time zone)",
    ]
    with pytest.raises(TcoFormatError, match=r"^referral: urls: missing required field$"):
        referral_from_json(b'{"reference": "r"}'.replace(b"}", b', "platform": "p"}'))


FEEDBACK = FeedbackHeader(
    addressee="Example Video Hosting Ltd",
    issuing_authority="Internet Referral Unit NL (synthetic)",
    issuer_file_reference="NL-IRU-2025-0042",
    addressee_file_reference="EVH-55",
    received_at=ISSUED + timedelta(minutes=2),
)
SIGN_OFF = ProviderSignOff(
    provider="Example Video Hosting Ltd",
    member_state="IE",
    authorised_person="A. Murphy",
    email="legal@video.example",
    signed_at=ISSUED + timedelta(minutes=40),
)


def test_annex_ii_and_iii_round_trip() -> None:
    confirmation = RemovalConfirmation(
        header=FEEDBACK,
        action=RemovalAction.DISABLED,
        action_at=ISSUED + timedelta(minutes=38),
        sign_off=SIGN_OFF,
    )
    data = to_json(confirmation)
    assert confirmation_from_json(data) == confirmation
    assert to_json(confirmation_from_json(data)) == data
    notice = ImpossibilityNotice(
        header=FEEDBACK,
        grounds=frozenset(
            {ImpossibilityGround.INSUFFICIENT_INFORMATION, ImpossibilityGround.MANIFEST_ERRORS}
        ),
        explanation="The second URL does not resolve on our service.",
        clarification_needed="Please give the upload id of the PDF.",
        sign_off=msgspec.structs.replace(SIGN_OFF, member_state=None),
    )
    data = to_json(notice)
    assert impossibility_from_json(data) == notice
    assert json.loads(data)["grounds"] == ["insufficient_information", "manifest_errors"]
    with pytest.raises(
        TcoFormatError, match=r"^impossibility notice: grounds\[1\]: Invalid enum value"
    ):
        impossibility_from_json(data.replace(b"manifest_errors", b"bored"))
