"""Referral packages: URLs per platform, referrals and orders that validate, the HTML page."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iru.cases.evidence import content_address
from iru.cases.packages import (
    GENERIC_TOS_CLAUSE,
    TOS_CLAUSES,
    AuthoritySettingsError,
    MediaItem,
    PostItem,
    Target,
    authority_from_mapping,
    build_referral,
    build_removal_order,
    excerpt,
    make_package,
    post_url,
    profile_url,
    render_html,
)
from iru.cases.tco import (
    AuthorityType,
    Reason,
    order_from_json,
    referral_from_json,
    to_json,
    validate_order,
    validate_referral,
)

T0 = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=1)


def digest(label: str) -> str:
    return content_address(label.encode())


def twitter_target(**changes: Any) -> Target:
    posts = (
        PostItem(
            post_id="1860000000000000001",
            url=None,
            created_at=T0,
            text="placeholder release text #tag " * 3,
            language="en",
            sha256=digest("post-1"),
            media=(
                MediaItem(
                    media_id="m1",
                    url="https://pbs.example/media/m1.jpg",
                    sha256=digest("media-1"),
                    mime_type="image/jpeg",
                ),
            ),
        ),
        PostItem(
            post_id="1860000000000000002",
            url=None,
            created_at=T0 + timedelta(minutes=5),
            text="نص تجريبي " * 5,
            language="ar",
            sha256=digest("post-2"),
        ),
        PostItem(
            post_id="1860000000000000003",
            url=None,
            created_at=T0 + timedelta(minutes=9),
            text='<script>alert("x")</script> placeholder & more',
            language=None,
            sha256=digest("post-3"),
        ),
    )
    base = Target(
        platform="twitter",
        account_id="4400001",
        handle="placeholder_media",
        display_name="مؤسسة تجريبية",
        profile_url=None,
        language="ar",
        score=0.91,
        reasons=("known-media",),
        profile_sha256=digest("profile"),
        posts=posts,
    )
    return replace(base, **changes)


AUTHORITY: dict[str, Any] = {
    "issuing_member_state": "NL",
    "type": "law_enforcement",
    "name": "Example National Police — Internet Referral Unit",
    "representative": "J. Example",
    "post": "Head of Unit",
    "address": "Examplestraat 1, 1000 AA Example City",
    "telephone": "+31 00 000 0000",
    "email": "iru@police.example",
    "feedback_contact": "tco-feedback@police.example",
    "clarification_contact": "tco-desk@police.example",
    "redress_body": "District Court of Example City",
    "redress_time_limit": "6 weeks from receipt of the order",
    "redress_national_law_url": "https://law.example/tco-implementation-act",
    "providers": {
        "twitter": {
            "addressee": "Example Social Platform Ltd",
            "legal_representative": "ESP EU Representative BV",
            "contact_point": "tco@social.example",
            "member_state": "IE",
            "language": "en",
            "home_state_authority": "Example Media Regulator (IE)",
            "home_state_authority_contact": "tco@regulator.example",
        },
        "telegram": {
            "addressee": "Example Messenger Inc.",
            "contact_point": "tco@messenger.example",
            "member_state": "NL",
        },
    },
}


# -- URLs ----------------------------------------------------------------------------------


# platform, account_id, handle, post_id -> post URL, profile URL
@pytest.mark.parametrize(
    "case",
    [
        (
            "twitter",
            "44",
            "someone",
            "99",
            "https://x.com/someone/status/99",
            "https://x.com/someone",
        ),
        (
            "twitter",
            "44",
            "@someone",
            "99",
            "https://x.com/someone/status/99",
            "https://x.com/someone",
        ),
        ("twitter", "44", None, "99", "https://x.com/i/web/status/99", "https://x.com/i/user/44"),
        (
            "telegram",
            "channel1500008131",
            None,
            "channel1500008131/1",
            "https://t.me/c/1500008131/1",
            "https://t.me/c/1500008131",
        ),
        (
            "telegram",
            "channel1500008131",
            "example_channel",
            "channel1500008131/17",
            "https://t.me/example_channel/17",
            "https://t.me/example_channel",
        ),
        ("telegram", "user77", None, "chat5/3", None, None),
        (
            "activitypub",
            "https://social.example/users/alice",
            "alice@social.example",
            "https://social.example/users/alice/statuses/1",
            "https://social.example/users/alice/statuses/1",
            "https://social.example/users/alice",
        ),
        ("activitypub", "urn:x:1", None, "urn:x:2", None, None),
        ("unknownnet", "1", "h", "2", None, None),
    ],
)
def test_urls_per_platform(case: tuple[str, str, str | None, str, str | None, str | None]) -> None:
    platform, account_id, handle, post_id, post, profile = case
    assert post_url(platform, account_id, handle, post_id) == post
    assert profile_url(platform, account_id, handle) == profile


def test_telegram_member_post_in_a_channel_uses_the_channel_link() -> None:
    # A user's post in someone else's channel: the user's handle is not the channel's.
    url = post_url("telegram", "user77", "someone", "channel1500008131/5")
    assert url == "https://t.me/c/1500008131/5"


def test_excerpt_cuts_on_a_word_boundary() -> None:
    assert excerpt("short   text\n", 280) == "short text"
    assert excerpt("   ", 10) is None
    cut = excerpt("alpha beta gamma delta", 13)
    assert cut == "alpha beta…"
    assert cut is not None and len(cut) <= 13
    assert excerpt("x" * 50, 10) == "x" * 9 + "…"


# -- referrals -----------------------------------------------------------------------------


def test_referral_validates_and_round_trips() -> None:
    target = twitter_target()
    referral = build_referral(target, reference="IRU-EU-2026-000012", created_at=T0)
    assert validate_referral(referral) == []
    assert referral.tos_clause == TOS_CLAUSES["twitter"]
    assert referral.language == "ar"
    assert referral.urls == (
        "https://x.com/placeholder_media",
        "https://x.com/placeholder_media/status/1860000000000000001",
        "https://x.com/placeholder_media/status/1860000000000000002",
        "https://x.com/placeholder_media/status/1860000000000000003",
    )
    hashes = [e.sha256 for e in referral.evidence]
    assert hashes == [
        digest("profile"),
        digest("post-1"),
        digest("media-1"),
        digest("post-2"),
        digest("post-3"),
    ]
    assert referral.evidence[1].url == referral.urls[1]
    assert all(e.captured_at is None for e in referral.evidence)
    package = make_package(referral, target)
    assert package.kind == "referral"
    assert package.reference == "IRU-EU-2026-000012"
    assert package.json_bytes == to_json(referral)
    assert referral_from_json(package.json_bytes) == referral
    assert package.sha256 == hashlib.sha256(package.json_bytes).hexdigest()


def test_referral_options_limit_posts_and_excerpts() -> None:
    target = replace(twitter_target(platform="otherplatform"), profile_url="https://o.example/u")
    posts = tuple(
        replace(
            target.posts[0], post_id=str(i), url=f"https://o.example/p/{i}", sha256=digest(str(i))
        )
        for i in range(5)
    )
    referral = build_referral(
        replace(target, posts=posts, profile_sha256=None),
        reference="R-1",
        created_at=T0,
        max_posts=2,
        excerpt_chars=20,
        target_response_hours=48,
    )
    assert referral.tos_clause == GENERIC_TOS_CLAUSE
    assert referral.urls == (
        "https://o.example/u",
        "https://o.example/p/0",
        "https://o.example/p/1",
    )
    assert [e.sha256 for e in referral.evidence if e.url and "/p/" in e.url] == [
        digest("0"),
        digest("1"),
    ]
    post_excerpt = referral.evidence[0].excerpt
    assert post_excerpt is not None and len(post_excerpt) <= 20 and post_excerpt.endswith("…")
    assert referral.target_response_hours == 48
    assert validate_referral(referral) == []


def test_referral_time_must_have_a_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        build_referral(twitter_target(), reference="R", created_at=datetime(2026, 1, 1))


# -- removal orders ------------------------------------------------------------------------


def test_authority_profile_from_mapping() -> None:
    authority = authority_from_mapping(AUTHORITY)
    assert authority.authority_type is AuthorityType.LAW_ENFORCEMENT
    assert authority.issuing_member_state == "NL"
    assert authority.providers["twitter"].member_state == "IE"
    assert authority.providers["telegram"].language == "en"
    assert authority.authenticated_channel is True


def test_authority_from_mapping_names_every_bad_key() -> None:
    data = {k: v for k, v in AUTHORITY.items() if k not in {"email", "redress_body"}}
    data["type"] = "wizard"
    data["issuing_member_state"] = "XX"
    data["colour"] = "blue"
    data["providers"] = {
        "twitter": {"addressee": "P", "member_state": "IE", "contact_point": 7},
    }
    with pytest.raises(AuthoritySettingsError) as caught:
        authority_from_mapping(data)
    problems = caught.value.problems
    assert "authority.email: missing" in problems
    assert "authority.redress_body: missing" in problems
    assert "authority.colour: unknown key" in problems
    assert any(p.startswith("authority.type: 'wizard'") for p in problems)
    assert any(p.startswith("authority.issuing_member_state: 'XX'") for p in problems)
    assert "authority.providers.twitter.contact_point: expected a string, got int" in problems
    assert any(p.startswith("authority.providers.twitter.home_state_authority") for p in problems)
    assert isinstance(caught.value, ValueError)
    assert "authority.email: missing" in str(caught.value)


def test_removal_order_validates_and_renders_its_sections() -> None:
    target = twitter_target()
    authority = authority_from_mapping(AUTHORITY)
    order = build_removal_order(
        target,
        authority,
        reference="NL-IRU-2026-0042",
        issued_at=T0,
        reasons={Reason.INCITES, "threatens"},
        additional_reasons="Placeholder reasoning for a synthetic test.",
        non_disclosure=True,
    )
    assert validate_order(order, now=T0) == []
    assert order.content.urls[0] == "https://x.com/placeholder_media"
    assert len(order.content.urls) == 4
    assert order.cross_border.provider_state_differs
    assert order.cross_border.copy_sent_to == "Example Media Regulator (IE)"
    assert order.non_disclosure.ends_at == T0 + timedelta(weeks=6)
    assert order.issuing_authority.file_number == "NL-IRU-2026-0042"
    package = make_package(order, target)
    assert package.kind == "removal_order"
    assert package.reference == "NL-IRU-2026-0042"
    assert order_from_json(package.json_bytes) == order
    for heading in ("Section A", "Section B", "Section C", "Section D", "Section E", "Section F"):
        assert heading in package.html
    assert "Section G — Redress" in package.html
    assert "header.issuing_member_state" in package.html
    assert "Example Social Platform Ltd" in package.html
    assert "District Court of Example City" in package.html
    assert package.sha256 in package.html


def test_domestic_order_has_no_cross_border_copy() -> None:
    target = Target(
        platform="telegram",
        account_id="channel1500008131",
        handle=None,
        display_name=None,
        profile_url=None,
        language="en",
        score=None,
        reasons=(),
        profile_sha256=None,
        posts=(
            PostItem(
                post_id="channel1500008131/1",
                url=None,
                created_at=T0,
                text="placeholder release text",
                language="en",
                sha256=digest("tg-1"),
            ),
        ),
    )
    authority = authority_from_mapping(AUTHORITY)
    order = build_removal_order(
        target,
        authority,
        reference="NL-IRU-2026-0043",
        issued_at=T0,
        reasons=frozenset({Reason.INSTRUCTS}),
        additional_reasons=None,
    )
    assert validate_order(order, now=NOW) == []
    assert order.content.urls == ("https://t.me/c/1500008131", "https://t.me/c/1500008131/1")
    assert not order.cross_border.provider_state_differs
    assert not order.non_disclosure.do_not_inform
    with pytest.raises(ValueError, match=r"authority\.providers\.activitypub"):
        build_removal_order(
            replace(target, platform="activitypub"),
            authority,
            reference="X",
            issued_at=T0,
            reasons={Reason.INCITES},
            additional_reasons=None,
        )


# -- the page ------------------------------------------------------------------------------


def test_html_escapes_post_text_and_is_self_contained() -> None:
    target = twitter_target()
    referral = build_referral(target, reference="IRU-EU-2026-000012", created_at=T0)
    html = render_html(referral, target)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(" in html
    assert "@media print" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//[^"']*\.(css|js)""", html)
    assert "<link" not in html
    assert TOS_CLAUSES["twitter"] in html
    assert "24 hours, by 2026-11-30 13:00:00 UTC" in html


def test_html_sets_direction_and_language_per_excerpt() -> None:
    target = twitter_target()
    package = make_package(build_referral(target, reference="R-AR", created_at=T0), target)
    arabic = re.search(r'<td class="excerpt" dir="auto" lang="ar">([^<]*)</td>', package.html)
    assert arabic is not None
    assert "نص تجريبي" in package.html
    assert 'dir="auto" lang="en">placeholder release text' in package.html
    # A post without a language takes the account's.
    assert 'dir="auto" lang="ar">&lt;script&gt;' in package.html


def test_package_hash_is_in_the_footer() -> None:
    target = twitter_target()
    package = make_package(build_referral(target, reference="R-SHA", created_at=T0), target)
    assert package.sha256 == content_address(package.json_bytes)
    footer = package.html.split("<footer>", 1)[1]
    assert package.sha256 in footer


def test_authority_reads_from_a_toml_table() -> None:
    text = """
    [authority]
    issuing_member_state = "nl"
    type = "judicial"
    name = "Example Court"
    representative = "Investigating judge J. Example"
    post = "Investigating judge"
    address = "Court Street 1, Example City"
    telephone = "+31 00 000 0001"
    email = "court@justice.example"
    feedback_contact = "court@justice.example"
    authenticated_channel = true
    redress_body = "Court of Appeal of Example City"
    redress_time_limit = "6 weeks"

    [authority.providers.activitypub]
    addressee = "Example Instance Operator"
    contact_point = "admin@social.example"
    member_state = "DE"
    language = "de"
    home_state_authority = "Example Federal Authority (DE)"
    """
    authority = authority_from_mapping(tomllib.loads(text)["authority"])
    assert authority.issuing_member_state == "NL"
    assert authority.authority_type is AuthorityType.JUDICIAL
    assert authority.providers["activitypub"].language == "de"
