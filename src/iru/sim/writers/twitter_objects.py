"""The Twitter API v2 objects the twarc2 writer encodes: tweets, users, media, timestamps.

:mod:`iru.sim.writers.twitter` writes them into responses. A tweet is a msgspec Struct with the API's fields in the API's order, absent ones left
out; users (``includes.users``) and media (``includes.media``) are dicts built from
Accounts and Media. Timestamps are in the API's form, ``2024-03-01T06:00:00.000Z``,
formatted from small lookup tables (``isoformat()`` is the write's single largest cost).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from iru.domain import Account, Media, MediaKind, utc

__all__ = [
    "Attachments",
    "Entities",
    "Hashtag",
    "Mention",
    "Metrics",
    "Ref",
    "Tweet",
    "Url",
    "media_object",
    "timestamp",
    "user_object",
]

_MEDIA_TYPES = {
    MediaKind.PHOTO: "photo",
    MediaKind.VIDEO: "video",
    MediaKind.ANIMATED_GIF: "animated_gif",
}


# A tweet as the API writes it: fields in the API's order, absent ones left out.
class Mention(msgspec.Struct, omit_defaults=True, gc=False):
    start: int
    end: int
    username: str
    id: str | None = None


class Hashtag(msgspec.Struct, gc=False):
    start: int
    end: int
    tag: str


class Url(msgspec.Struct, gc=False):
    start: int
    end: int
    url: str
    expanded_url: str
    display_url: str


class Entities(msgspec.Struct, omit_defaults=True):
    mentions: list[Mention] = []
    hashtags: list[Hashtag] = []
    urls: list[Url] = []


class Ref(msgspec.Struct, gc=False):
    type: str
    id: str


class Attachments(msgspec.Struct):
    media_keys: list[str]


class Metrics(msgspec.Struct, omit_defaults=True, gc=False):
    retweet_count: int | None = None
    reply_count: int | None = None
    like_count: int | None = None
    quote_count: int | None = None
    impression_count: int | None = None


class Tweet(msgspec.Struct, omit_defaults=True):
    id: str
    text: str
    author_id: str
    created_at: str
    edit_history_tweet_ids: list[str]
    lang: str | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[Ref] | None = None
    entities: Entities | None = None
    attachments: Attachments | None = None
    public_metrics: Metrics | None = None


# Timestamps are formatted from small tables: isoformat() is the write's single largest cost.
_HOURS_MINUTES = [f"T{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECONDS = [f"{s:02d}." for s in range(60)]
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]
_DAYS: dict[int, str] = {}


def timestamp(value: datetime) -> str:
    """The API's form of a UTC instant: ``2024-03-01T06:00:00.000Z`` (microseconds if any)."""
    if value.tzinfo is not UTC:
        value = utc(value)
    micro = value.microsecond
    if micro % 1000:
        return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    ordinal = value.toordinal()
    day = _DAYS.get(ordinal)
    if day is None:
        day = _DAYS[ordinal] = value.date().isoformat()
    return (
        day
        + _HOURS_MINUTES[value.hour * 60 + value.minute]
        + _SECONDS[value.second]
        + _MILLIS[micro // 1000]
    )


def user_object(account: Account) -> dict[str, Any]:
    """An account as an ``includes.users`` entry."""
    user: dict[str, Any] = {"id": account.account_id}
    for name, value in (
        ("username", account.handle),
        ("name", account.display_name),
        ("description", account.description),
        ("location", account.location),
        ("url", account.url),
        ("profile_image_url", account.profile_image_url),
        ("created_at", timestamp(account.created_at) if account.created_at else None),
        ("protected", account.protected),
        ("verified", account.verified),
    ):
        if value is not None:
            user[name] = value
    metrics = {
        name: value
        for name, value in (
            ("followers_count", account.followers_count),
            ("following_count", account.following_count),
            ("tweet_count", account.post_count),
            ("listed_count", account.listed_count),
        )
        if value is not None
    }
    if metrics:
        user["public_metrics"] = metrics
    return user


def media_object(item: Media) -> dict[str, Any]:
    """A media item as an ``includes.media`` entry."""
    kind = _MEDIA_TYPES.get(item.kind, item.kind.value)
    media: dict[str, Any] = {"media_key": item.media_id, "type": kind}
    if item.url is not None:
        # The API gives photos a url, videos and gifs a preview image (and variants).
        media["url" if kind == "photo" else "preview_image_url"] = item.url
    for name, value in (
        ("width", item.width),
        ("height", item.height),
        ("duration_ms", item.duration_ms),
        ("alt_text", item.alt_text),
    ):
        if value is not None:
            media[name] = value
    return media
