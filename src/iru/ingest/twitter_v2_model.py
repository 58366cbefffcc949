"""The X/Twitter API v2 objects twarc2 writes, as typed structs, and the records they map to.

The structs decode responses and flattened tweets (see :mod:`iru.ingest.twitter_v2`,
which reads files with them, and :mod:`iru.ingest.twitter_v2_columnar`, the bulk path
that applies the same mapping in SQL). :func:`_tweet_records` is the mapping of one
tweet: its post, its media (a retweet's are the original's, see :func:`_media_owner`)
and its edges, resolved through what the rest of its line holds (:class:`_Lookup`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

import msgspec

from iru.domain import (
    Account,
    Interaction,
    InteractionKind,
    Media,
    MediaKind,
    Post,
    Record,
)
from iru.ingest.handles import mention_target

PLATFORM = "twitter"


class _UserMetrics(msgspec.Struct):
    followers_count: int | None = None
    following_count: int | None = None
    tweet_count: int | None = None
    listed_count: int | None = None


class _User(msgspec.Struct):
    id: str
    username: str | None = None
    name: str | None = None
    description: str | None = None
    location: str | None = None
    url: str | None = None
    profile_image_url: str | None = None
    created_at: datetime | None = None
    protected: bool | None = None
    verified: bool | None = None
    public_metrics: _UserMetrics | None = None


class _Mention(msgspec.Struct):
    username: str
    id: str | None = None
    start: int | None = None

    @property
    def target(self) -> str | None:
        """The account id, else ``@username``; None when no X account can be so named."""
        return mention_target(PLATFORM, self.id or f"@{self.username}")


class _Hashtag(msgspec.Struct):
    tag: str


class _Url(msgspec.Struct):
    url: str
    expanded_url: str | None = None


class _Entities(msgspec.Struct):
    mentions: list[_Mention] = []
    hashtags: list[_Hashtag] = []
    urls: list[_Url] = []


class _MediaItem(msgspec.Struct):
    media_key: str
    type: str = "photo"
    url: str | None = None
    preview_image_url: str | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    alt_text: str | None = None


class _ExpandedMedia(msgspec.Struct):
    """A media object twarc2's flatten put in ``attachments.media``: ``{}`` when it had none."""

    media_key: str | None = None
    type: str | None = None
    url: str | None = None
    preview_image_url: str | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    alt_text: str | None = None


class _Attachments(msgspec.Struct):
    media_keys: list[str] = []
    media: list[_ExpandedMedia] | None = None  # flattened form


class _TweetMetrics(msgspec.Struct):
    retweet_count: int | None = None
    reply_count: int | None = None
    like_count: int | None = None
    quote_count: int | None = None
    impression_count: int | None = None


class _Ref(msgspec.Struct):
    type: str
    id: str
    # Present in the flattened form, where the referenced tweet is merged in.
    author_id: str | None = None


class _Twarc(msgspec.Struct):
    retrieved_at: datetime | None = None
    url: str | None = None  # the request: names a follow listing's subject


class _AuthorRef(msgspec.Struct):
    """A flattened tweet's ``author``, for its id (``{}`` when twarc2 had no such user)."""

    id: str | None = None


class _Tweet(msgspec.Struct):
    id: str
    created_at: datetime
    author_id: str | None = None
    text: str = ""
    lang: str | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[_Ref] = []
    entities: _Entities | None = None
    attachments: _Attachments | None = None
    public_metrics: _TweetMetrics | None = None
    # Flattened form only:
    author: _AuthorRef | None = None
    twarc: _Twarc | None = msgspec.field(default=None, name="__twarc")
    # Never in a tweet: set when a user object was read as one (see _holds_users).
    username: str | None = None
    name: str | None = None


class _Includes(msgspec.Struct):
    users: list[_User] = []
    tweets: list[_Tweet] = []
    media: list[_MediaItem] = []


class _Response(msgspec.Struct):
    data: list[_Tweet] | _Tweet | None = None
    includes: _Includes | None = None
    twarc: _Twarc | None = msgspec.field(default=None, name="__twarc")


_MEDIA_KINDS = {
    "photo": MediaKind.PHOTO,
    "video": MediaKind.VIDEO,
    "animated_gif": MediaKind.ANIMATED_GIF,
}
_REF_KINDS = {
    "retweeted": InteractionKind.REPOST,
    "quoted": InteractionKind.QUOTE,
    "replied_to": InteractionKind.REPLY,
}
_RT_PREFIX = re.compile(r"^RT @\w+:")

_response_decoder = msgspec.json.Decoder(_Response)
_flat_decoder = msgspec.json.Decoder(_Tweet)
_generic_decoder = msgspec.json.Decoder()


def _account(user: _User, observed_at: datetime | None) -> Account:
    metrics = user.public_metrics
    return Account(
        platform=PLATFORM,
        account_id=user.id,
        handle=user.username,
        display_name=user.name,
        description=user.description,
        profile_image_url=user.profile_image_url,
        url=user.url,
        location=user.location,
        created_at=user.created_at,
        followers_count=metrics.followers_count if metrics else None,
        following_count=metrics.following_count if metrics else None,
        post_count=metrics.tweet_count if metrics else None,
        listed_count=metrics.listed_count if metrics else None,
        verified=user.verified,
        protected=user.protected,
        observed_at=observed_at,
    )


class _Seen(NamedTuple):
    """A tweet of the same line: who posted it, when."""

    author: str
    created_at: datetime


def _author_of(tweet: _Tweet) -> str | None:
    return tweet.author_id or (tweet.author.id if tweet.author else None)


class _Lookup:
    """What the other tweets of a line let a tweet resolve: authors of referenced tweets,
    media objects, and the tweets themselves (whose media a retweet shows)."""

    def __init__(self, includes: _Includes | None, data: Sequence[_Tweet] = ()) -> None:
        self.tweet_authors: dict[str, str] = {}
        self.media: dict[str, _MediaItem] = {}
        self.tweets: dict[str, _Seen] = {}
        included = includes.tweets if includes is not None else []
        for tweet in included:
            if tweet.author_id is not None:
                self.tweet_authors[tweet.id] = tweet.author_id
        if includes is not None:
            for item in includes.media:
                self.media[item.media_key] = item
        for tweet in (*data, *included):
            self.add_tweet(tweet)

    def add_tweet(self, tweet: _Tweet) -> None:
        author = _author_of(tweet)
        if author is not None:
            self.tweets[tweet.id] = _Seen(author, tweet.created_at)


_MediaDetails = _MediaItem | _ExpandedMedia


def _attached_media(
    attachments: _Attachments | None, lookup: _Lookup
) -> list[tuple[str, _MediaDetails | None]]:
    """(media key, what is known of it) for each attached media item, in order.

    ``media_keys`` name the items. A flattened tweet's ``attachments.media`` holds the
    expanded objects, ``{}`` where twarc2 had none: those resolve through the response's
    ``includes`` when there is one, else stay bare keys, as in the response form.
    """
    if attachments is None:
        return []
    expanded = {m.media_key: m for m in attachments.media or () if m.media_key}
    keys = attachments.media_keys or list(expanded)
    out: list[tuple[str, _MediaDetails | None]] = []
    for key in keys:
        details: _MediaDetails | None = expanded.get(key)
        out.append((key, details if details is not None else lookup.media.get(key)))
    return out


def _media_owner(
    tweet: _Tweet, author: str, repost_of: str | None, lookup: _Lookup
) -> tuple[str, str | None, datetime]:
    """(post, account, time) owning the media a tweet shows: its own, or for a retweet the
    original's (its author from the line, the retweet or its ``RT @x:`` mention; None
    when unknown, and then the media wait for the original to be read)."""
    if repost_of is None:
        return tweet.id, author, tweet.created_at
    original = lookup.tweets.get(repost_of)
    if original is not None:
        return repost_of, original.author, original.created_at
    ref = [r for r in tweet.referenced_tweets if r.type == "retweeted"][-1]
    owner = ref.author_id or lookup.tweet_authors.get(ref.id)
    mentions = tweet.entities.mentions if tweet.entities is not None else []
    if owner is None and mentions:
        owner = mentions[0].id
    return repost_of, owner, tweet.created_at


def _media_record(
    key: str, details: _MediaDetails | None, owner: tuple[str, str, datetime]
) -> Media:
    post_id, account_id, created_at = owner
    if details is None:
        return Media(
            platform=PLATFORM,
            media_id=key,
            post_id=post_id,
            account_id=account_id,
            created_at=created_at,
            kind=MediaKind.PHOTO,
        )
    return Media(
        platform=PLATFORM,
        media_id=key,
        post_id=post_id,
        account_id=account_id,
        created_at=created_at,
        kind=_MEDIA_KINDS.get(details.type or "photo", MediaKind.OTHER),
        url=details.url or details.preview_image_url,
        width=details.width,
        height=details.height,
        duration_ms=details.duration_ms,
        alt_text=details.alt_text,
    )


def _tweet_records(tweet: _Tweet, lookup: _Lookup) -> Iterator[Record]:
    """The Post, its Media and its Interactions; the tweet must have an author."""
    author = _author_of(tweet)
    if author is None:
        raise ValueError("tweet has neither author_id nor author")
    entities = tweet.entities or _Entities()
    metrics = tweet.public_metrics
    repost_of = quote_of = reply_to = None
    for ref in tweet.referenced_tweets:
        if ref.type == "retweeted":
            repost_of = ref.id
        elif ref.type == "quoted":
            quote_of = ref.id
        elif ref.type == "replied_to":
            reply_to = ref.id
    media_items = _attached_media(tweet.attachments, lookup)
    created = tweet.created_at
    yield Post(
        platform=PLATFORM,
        post_id=tweet.id,
        account_id=author,
        created_at=created,
        text=tweet.text,
        lang=tweet.lang,
        conversation_id=tweet.conversation_id,
        reply_to_post_id=reply_to,
        reply_to_account_id=tweet.in_reply_to_user_id,
        repost_of_post_id=repost_of,
        quote_of_post_id=quote_of,
        hashtags=[h.tag for h in entities.hashtags],
        urls=[u.expanded_url or u.url for u in entities.urls],
        mentions=[m.id or m.username for m in entities.mentions if m.target is not None],
        media_ids=[key for key, _ in media_items],
        like_count=metrics.like_count if metrics else None,
        repost_count=metrics.retweet_count if metrics else None,
        reply_count=metrics.reply_count if metrics else None,
        quote_count=metrics.quote_count if metrics else None,
        view_count=metrics.impression_count if metrics else None,
    )
    owner_post, owner_account, owned_since = _media_owner(tweet, author, repost_of, lookup)
    if owner_account is not None:
        for key, details in media_items:
            yield _media_record(key, details, (owner_post, owner_account, owned_since))
    is_retweet = repost_of is not None
    for ref in tweet.referenced_tweets:
        kind = _REF_KINDS.get(ref.type)
        if kind is None:
            continue
        target = ref.author_id or lookup.tweet_authors.get(ref.id)
        if kind is InteractionKind.REPLY and tweet.in_reply_to_user_id:
            target = tweet.in_reply_to_user_id
        if target is None and kind is InteractionKind.REPOST and entities.mentions:
            # "RT @name: ..." names the original author when includes lack the tweet.
            target = entities.mentions[0].id
        yield Interaction.edge(
            PLATFORM, kind, author, target, created, post_id=tweet.id, dst_post_id=ref.id
        )
    for number, mention in enumerate(entities.mentions):
        if is_retweet and number == 0 and _RT_PREFIX.match(tweet.text):
            continue  # the retweet's own "RT @x:" is the repost edge, not a mention
        target = mention.target
        if target is None:
            continue
        yield Interaction.edge(
            PLATFORM, InteractionKind.MENTION, author, target, created, post_id=tweet.id
        )
