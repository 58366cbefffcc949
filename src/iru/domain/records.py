"""The social-media records every part of iru speaks: accounts, posts, media and interactions.

Each record is keyed by (platform, platform id) and carries its timestamps in UTC.
They are msgspec Structs: cheap to build in the ingest hot path, frozen so a record
read from one stage cannot be changed behind another's back, and their JSON Schema
is generated from these very classes (see docs/schema/).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import msgspec


class InteractionKind(StrEnum):
    """How one account acted on another (or on another's post)."""

    REPOST = "repost"  # a retweet, a boost/Announce
    QUOTE = "quote"
    REPLY = "reply"
    MENTION = "mention"
    FOLLOW = "follow"
    FORWARD = "forward"  # Telegram's forward of another chat's message


class MediaKind(StrEnum):
    """What sort of file a media item is."""

    PHOTO = "photo"
    VIDEO = "video"
    ANIMATED_GIF = "animated_gif"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    OTHER = "other"


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """One account (user, channel, actor) on one platform, as last observed."""

    platform: str
    account_id: str
    handle: str | None = None
    display_name: str | None = None
    description: str | None = None
    profile_image_url: str | None = None
    url: str | None = None
    location: str | None = None
    language: str | None = None
    created_at: datetime | None = None
    followers_count: int | None = None
    following_count: int | None = None
    post_count: int | None = None
    listed_count: int | None = None
    verified: bool | None = None
    protected: bool | None = None
    # When this snapshot of the profile was taken; newer snapshots replace older ones.
    observed_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.account_id)


class Post(msgspec.Struct, frozen=True, kw_only=True):
    """One post (tweet, message, note) with the entities the platform marked in it."""

    platform: str
    post_id: str
    account_id: str
    created_at: datetime
    text: str = ""
    lang: str | None = None
    conversation_id: str | None = None
    reply_to_post_id: str | None = None
    reply_to_account_id: str | None = None
    repost_of_post_id: str | None = None
    quote_of_post_id: str | None = None
    forwarded_from: str | None = None
    hashtags: list[str] = msgspec.field(default_factory=list)
    urls: list[str] = msgspec.field(default_factory=list)
    mentions: list[str] = msgspec.field(default_factory=list)
    media_ids: list[str] = msgspec.field(default_factory=list)
    like_count: int | None = None
    repost_count: int | None = None
    reply_count: int | None = None
    quote_count: int | None = None
    view_count: int | None = None
    # What the platform shows beside the text: a content warning (ActivityPub ``summary``)
    # and its sensitive flag, a poll's options, a channel post's signature, the last edit.
    content_warning: str | None = None
    sensitive: bool | None = None
    poll_options: list[str] = msgspec.field(default_factory=list)
    author_signature: str | None = None
    edited_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.post_id)


class Media(msgspec.Struct, frozen=True, kw_only=True):
    """A photo, video or file attached to a post, with whatever hashes are known of it."""

    platform: str
    media_id: str
    post_id: str
    account_id: str
    created_at: datetime
    kind: MediaKind = MediaKind.OTHER
    url: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    alt_text: str | None = None
    sha256: str | None = None
    md5: str | None = None
    pdq: str | None = None
    # The downloaded file as found beside the export it was read from (an absolute path,
    # set by the reader only for a file inside that export's folder).
    local_path: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.media_id)


class Interaction(msgspec.Struct, frozen=True, kw_only=True):
    """A directed edge of the interaction network: src acted on dst at created_at.

    ``interaction_id`` is the platform-scoped identity of the edge (see
    :func:`interaction_id`), so the same repost read twice is stored once.
    ``dst_account_id`` may be unknown when the export only names the target post.
    """

    platform: str
    interaction_id: str
    kind: InteractionKind
    src_account_id: str
    created_at: datetime
    dst_account_id: str | None = None
    post_id: str | None = None
    dst_post_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.interaction_id)

    @classmethod
    def edge(
        cls,
        platform: str,
        kind: InteractionKind,
        src: str,
        dst: str | None,
        created_at: datetime,
        *,
        post_id: str | None = None,
        dst_post_id: str | None = None,
    ) -> Interaction:
        """An edge with its identity derived by :func:`interaction_id`."""
        return cls(
            platform=platform,
            interaction_id=interaction_id(kind, src, dst, post_id),
            kind=kind,
            src_account_id=src,
            dst_account_id=dst,
            post_id=post_id,
            dst_post_id=dst_post_id,
            created_at=created_at,
        )


def interaction_id(
    kind: InteractionKind, src_account_id: str, dst: str | None, post_id: str | None
) -> str:
    """The stable identity of an interaction edge.

    An edge carried by a post (repost, quote, reply, mention, forward) is one per
    (kind, post, target); a follow has no post and is one per (src, dst) pair.
    """
    if post_id is None:
        return f"{kind.value}:{src_account_id}>{dst or ''}"
    return f"{kind.value}:{post_id}>{dst or ''}"


Record = Account | Post | Media | Interaction


def utc(value: datetime) -> datetime:
    """The same instant in UTC, as an aware datetime: iru's one conversion of a time.

    The rule for a naive datetime: it is taken to be UTC already (SQLite and DuckDB give
    back the UTC times they were written as naive ones). Where a time comes from outside
    (a caller, a file, the API) and must say its zone, refuse a naive one first with
    :func:`require_zone`: the check is kept apart from the conversion.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def require_zone(value: datetime, what: str = "time") -> datetime:
    """``value`` itself when it carries a time zone; ValueError naming ``what`` when it is
    naive (whose clock would it be?). Convert it afterwards with :func:`utc`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} without a time zone: {value.isoformat()}")
    return value
