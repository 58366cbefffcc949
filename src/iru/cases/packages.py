"""Referral packages: a referral or removal order for one account, as JSON and a readable page.

Pure: the caller gathers a :class:`Target` (the account, its preserved posts and their
evidence hashes) and this module builds the form — a voluntary :class:`Referral` under the
platform's terms of service (:func:`build_referral`) or an Annex I :class:`RemovalOrder`
from the unit's :class:`AuthorityProfile` (:func:`build_removal_order`; the profile and its
settings live in :mod:`iru.cases.tco_authority`) — and wraps it in a :class:`Package`: the
JSON bytes as sent, their SHA-256 and a self-contained HTML page (:func:`render_html`, from
``templates/package.html.j2``) an analyst can read, print or mail. Delivering packages is
the connectors' job (:mod:`iru.engine.adapters`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, urlsplit

from iru.cases import tco_forms as forms
from iru.cases.evidence import content_address
from iru.cases.tco import to_json
from iru.cases.tco_authority import (
    AuthorityProfile,
    AuthoritySettingsError,
    ProviderProfile,
    authority_from_mapping,
)
from iru.cases.tco_forms import Evidence, Reason, Referral, RemovalOrder
from iru.domain import require_zone, utc

if TYPE_CHECKING:
    import jinja2

# The authority profile is re-exported: it is configured once and used with the packages.
__all__ = [
    "GENERIC_TOS_CLAUSE", "TOS_CLAUSES", "AuthorityProfile", "AuthoritySettingsError",
    "MediaItem", "Package", "PostItem", "ProviderProfile", "Target", "authority_from_mapping",
    "build_referral", "build_removal_order", "excerpt", "make_package", "post_url",
    "profile_url", "render_html",
]  # fmt: skip

PackageKind = Literal["referral", "removal_order"]

# -- the target ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaItem:
    """A preserved media file attached to a post."""

    media_id: str
    url: str | None
    sha256: str  # evidence hash of the preserved file
    mime_type: str


@dataclass(frozen=True)
class PostItem:
    """A preserved post of the target account."""

    post_id: str
    url: str | None  # None: derived from the ids by post_url()
    created_at: datetime  # UTC
    text: str
    language: str | None  # ISO 639-1; None: the account's language
    sha256: str  # evidence hash of the preserved post record
    media: tuple[MediaItem, ...] = ()
    captured_at: datetime | None = None  # when the post was preserved, if known


@dataclass(frozen=True)
class Target:
    """The account a package is about, with the posts that back it."""

    platform: str
    account_id: str
    handle: str | None
    display_name: str | None
    profile_url: str | None  # None: derived from the ids by profile_url()
    language: str  # ISO 639-1 or "und"
    score: float | None
    reasons: tuple[str, ...]
    profile_sha256: str | None  # evidence hash of the preserved profile record
    posts: tuple[PostItem, ...]
    profile_captured_at: datetime | None = None


# -- URLs ------------------------------------------------------------------------------------

_TELEGRAM_CHANNEL = re.compile(r"channel(\d+)")


def _is_web(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _handle(handle: str | None) -> str | None:
    return (handle or "").strip().lstrip("@") or None


def _q(part: str) -> str:
    return quote(part, safe="")


def profile_url(platform: str, account_id: str, handle: str | None) -> str | None:
    """The public web address of an account; None when the platform has none for it."""
    name = _handle(handle)
    match platform.lower():
        case "twitter" | "x":
            return f"https://x.com/{_q(name)}" if name else f"https://x.com/i/user/{_q(account_id)}"
        case "telegram":
            if name:
                return f"https://t.me/{_q(name)}"
            found = _TELEGRAM_CHANNEL.fullmatch(account_id)
            return f"https://t.me/c/{found[1]}" if found else None
        case "activitypub":
            return account_id if _is_web(account_id) else None
    return None


def post_url(platform: str, account_id: str, handle: str | None, post_id: str) -> str | None:
    """The public web address of a post; None when it cannot be derived from the ids.

    Telegram post ids are ``<chat>/<message>``; the handle is used only when the chat is the
    account itself (a channel's own post), otherwise the private ``t.me/c/`` form.
    """
    name = _handle(handle)
    match platform.lower():
        case "twitter" | "x":
            base = f"https://x.com/{_q(name)}" if name else "https://x.com/i/web"
            return f"{base}/status/{_q(post_id)}"
        case "telegram":
            chat, slash, message = post_id.rpartition("/")
            if not slash or not message.isdigit():
                return None
            if name and chat == account_id:
                return f"https://t.me/{_q(name)}/{message}"
            found = _TELEGRAM_CHANNEL.fullmatch(chat)
            return f"https://t.me/c/{found[1]}/{message}" if found else None
        case "activitypub":
            return post_id if _is_web(post_id) else None
    return None


def _profile_location(target: Target) -> str | None:
    return target.profile_url or profile_url(target.platform, target.account_id, target.handle)


def _post_location(target: Target, post: PostItem) -> str | None:
    return post.url or post_url(target.platform, target.account_id, target.handle, post.post_id)


def _locations(target: Target, posts: Iterable[PostItem]) -> tuple[list[str], list[str]]:
    """Web URLs of the profile and posts (deduplicated), and locators for those without one."""
    urls: list[str] = []
    others: list[str] = []
    profile = _profile_location(target)
    if _is_web(profile):
        urls.append(str(profile).strip())
    else:
        others.append(f"{target.platform} account {target.account_id}")
    for post in posts:
        url = _post_location(target, post)
        if _is_web(url):
            if (clean := str(url).strip()) not in urls:
                urls.append(clean)
        else:
            others.append(f"{target.platform} post {post.post_id}")
    return urls, others


# -- referrals ------------------------------------------------------------------------------

#: Default terms-of-service clause cited per platform (synthetic wording).
TOS_CLAUSES: dict[str, str] = {
    "twitter": "X Rules — Violent and hateful entities policy",
    "telegram": "Telegram Terms of Service — promotion of violence on publicly viewable channels",
    "activitypub": "Instance rules — terrorist and violent extremist content",
}
GENERIC_TOS_CLAUSE = "Terms of service — terrorist and violent extremist content"


def excerpt(text: str, limit: int) -> str | None:
    """The text on one line, cut at a word boundary to at most ``limit`` characters with "…"."""
    if limit < 2:
        raise ValueError(f"excerpt length must be at least 2, got {limit}")
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat or None
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if flat[limit - 1] != " " and space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _evidence(target: Target, posts: Iterable[PostItem], excerpt_chars: int) -> list[Evidence]:
    """The profile, then each post followed by its media; one item per hash."""
    items: list[Evidence] = []
    if target.profile_sha256:
        name = _handle(target.handle)
        label = " ".join(p for p in (target.display_name, name and f"@{name}") if p)
        summary = excerpt(f"Profile: {label or target.account_id}", excerpt_chars)
        url, at = _profile_location(target), target.profile_captured_at
        items.append(
            Evidence(sha256=target.profile_sha256, excerpt=summary, url=url, captured_at=at)
        )
    for post in posts:
        summary, url = excerpt(post.text, excerpt_chars), _post_location(target, post)
        items.append(
            Evidence(sha256=post.sha256, excerpt=summary, url=url, captured_at=post.captured_at)
        )
        items += [
            Evidence(
                sha256=m.sha256, excerpt=f"{m.mime_type} attached to post {post.post_id}", url=m.url
            )
            for m in post.media
        ]
    unique: dict[str, Evidence] = {}
    for item in items:
        unique.setdefault(item.sha256, item)
    return list(unique.values())


def build_referral(
    target: Target,
    *,
    reference: str,
    created_at: datetime,
    tos_clause: str | None = None,
    target_response_hours: int = 24,
    max_posts: int = 20,
    excerpt_chars: int = 280,
) -> Referral:
    """A referral of the account and its first ``max_posts`` posts under the terms of service."""
    if max_posts < 0:
        raise ValueError(f"max_posts must not be negative, got {max_posts}")
    posts = target.posts[:max_posts]
    urls, _ = _locations(target, posts)
    return Referral(
        reference=reference,
        platform=target.platform,
        account_id=target.account_id,
        handle=target.handle,
        urls=tuple(urls),
        evidence=tuple(_evidence(target, posts, excerpt_chars)),
        tos_clause=tos_clause or TOS_CLAUSES.get(target.platform.lower(), GENERIC_TOS_CLAUSE),
        language=target.language,
        created_at=utc(require_zone(created_at)),
        target_response_hours=target_response_hours,
    )


# -- removal orders -------------------------------------------------------------------------


def build_removal_order(
    target: Target,
    authority: AuthorityProfile,
    *,
    reference: str,
    issued_at: datetime,
    reasons: Iterable[Reason | str],
    additional_reasons: str | None,
    non_disclosure: bool = False,
    file_number: str | None = None,
) -> RemovalOrder:
    """An Annex I removal order for the account's profile and posts, issued at ``issued_at``.

    ``file_number`` (section E) defaults to the reference. With ``non_disclosure`` the
    provider must not inform the content provider for six weeks from issue (Art. 11). A
    provider in another Member State gets a copy at issue (Art. 4), recorded in section D.
    """
    provider = authority.providers.get(target.platform)
    if provider is None:
        raise ValueError(
            f"authority.providers.{target.platform}: no provider configured for this platform"
        )
    issued = utc(require_zone(issued_at))
    urls, others = _locations(target, target.posts)
    differs = provider.member_state != authority.issuing_member_state
    return RemovalOrder(
        language=provider.language,
        header=forms.OrderHeader(
            issuing_member_state=authority.issuing_member_state,
            addressee=provider.addressee,
            legal_representative=provider.legal_representative,
            contact_point=provider.contact_point,
            provider_member_state=provider.member_state,
            issued_at=issued,
            reference=reference,
        ),
        content=forms.ContentSection(
            urls=tuple(urls),
            other_locators=tuple(others),
            reasons=frozenset(Reason(r) for r in reasons),
            additional_reasons=additional_reasons,
        ),
        non_disclosure=forms.NonDisclosure(
            do_not_inform=True, decided_at=issued, ends_at=issued + forms.NON_DISCLOSURE_PERIOD
        )
        if non_disclosure
        else forms.NonDisclosure(),
        cross_border=forms.CrossBorder(
            provider_state_differs=differs,
            copy_sent_to=provider.home_state_authority if differs else None,
            copy_sent_at=issued if differs else None,
        ),
        issuing_authority=forms.IssuingAuthority(
            type=authority.authority_type,
            name=authority.name,
            representative=authority.representative,
            post=authority.post,
            file_number=file_number or reference,
            address=authority.address,
            telephone=authority.telephone,
            email=authority.email,
            signed_at=issued,
            authenticated_channel=authority.authenticated_channel,
        ),
        contacts=forms.Contacts(
            feedback_contact=authority.feedback_contact,
            clarification_contact=authority.clarification_contact,
            home_state_authority_contact=provider.home_state_authority_contact,
        ),
        redress=forms.Redress(
            body=authority.redress_body,
            time_limit=authority.redress_time_limit,
            national_law_url=authority.redress_national_law_url,
        ),
    )


# -- packages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """A form ready to deliver: the JSON bytes as sent, their SHA-256 and the readable page."""

    kind: PackageKind
    reference: str
    platform: str
    account_id: str
    form: Referral | RemovalOrder
    json_bytes: bytes  # to_json(form)
    sha256: str  # of json_bytes
    html: str  # render_html(form, target)
    handle: str | None = None


def _identity(form: Referral | RemovalOrder) -> tuple[PackageKind, str]:
    if isinstance(form, Referral):
        return "referral", form.reference
    return "removal_order", form.header.reference


def make_package(form: Referral | RemovalOrder, target: Target) -> Package:
    """The package of a referral or order about ``target`` (the account the form was built for)."""
    kind, reference = _identity(form)
    if isinstance(form, Referral) and form.account_id not in {None, target.account_id}:
        raise ValueError(f"referral {reference} is about another account than the target")
    data = to_json(form)
    return Package(
        kind=kind,
        reference=reference,
        platform=target.platform,
        account_id=target.account_id,
        form=form,
        json_bytes=data,
        sha256=content_address(data),
        html=render_html(form, target),
        handle=target.handle,
    )


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # loaded when a package is rendered, not on import

    # autoescape=True: select_autoescape() would not match the ".html.j2" name.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("iru.cases", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.tests["web"] = _is_web
    return env


def render_html(form: Referral | RemovalOrder, target: Target) -> str:
    """A self-contained, printable HTML page of the package (escaped, RTL-aware excerpts)."""
    kind, reference = _identity(form)
    owners = {m.sha256: p for p in target.posts for m in p.media}
    owners |= {p.sha256: p for p in target.posts}  # evidence hash -> the post it belongs to
    items = form.evidence if isinstance(form, Referral) else _evidence(target, target.posts, 280)
    return (
        _environment()
        .get_template("package.html.j2")
        .render(
            form=form,
            target=target,
            kind=kind,
            reference=reference,
            items=items,
            owners=owners,
            profile=_profile_location(target),
            sha256=content_address(to_json(form)),
            schema=forms.SCHEMA_VERSION,
            reasons=list(Reason),
            hour=timedelta(hours=1),
        )
    )
