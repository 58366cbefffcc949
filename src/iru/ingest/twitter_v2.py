"""Reads X/Twitter API v2 data as twarc2 writes it: whole API responses, or flattened tweets.

A response line holds ``data`` (the tweets asked for) and ``includes`` (the users,
referenced tweets and media they point to). twarc2's ``flatten`` writes one tweet a
line instead, with ``author``, ``in_reply_to_user``, ``attachments.media`` and the
full ``referenced_tweets`` expanded in place. Both give the same records.

Decoding uses typed msgspec structs, the fast path; a line that fails it is decoded
again item by item, so one bad tweet is quarantined and its neighbours are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar

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
from iru.ingest.base import ColumnBatch, ProgressCallback, Rejected, error_reason, iter_lines
from iru.ingest.twitter_v2_columnar import read_bulk

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


class _Attachments(msgspec.Struct):
    media_keys: list[str] = []
    media: list[_MediaItem] | None = None  # flattened form


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
    author: _User | None = None
    twarc: _Twarc | None = msgspec.field(default=None, name="__twarc")


class _Includes(msgspec.Struct):
    users: list[_User] = []
    tweets: list[_Tweet] = []
    media: list[_MediaItem] = []


class _Response(msgspec.Struct):
    data: list[_Tweet] | _Tweet | None = None
    includes: _Includes | None = None
    twarc: _Twarc | None = msgspec.field(default=None, name="__twarc")


# The flattened form carries full users and tweets inside a tweet; these read them.
class _FlatRef(msgspec.Struct):
    type: str
    id: str
    author_id: str | None = None
    author: _User | None = None
    created_at: datetime | None = None


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


class _Lookup:
    """What a response's ``includes`` let a tweet resolve: authors of referenced tweets, media."""

    def __init__(self, includes: _Includes | None) -> None:
        self.tweet_authors: dict[str, str] = {}
        self.media: dict[str, _MediaItem] = {}
        if includes is not None:
            for tweet in includes.tweets:
                if tweet.author_id is not None:
                    self.tweet_authors[tweet.id] = tweet.author_id
            for item in includes.media:
                self.media[item.media_key] = item


def _tweet_records(tweet: _Tweet, lookup: _Lookup) -> Iterator[Record]:
    """The Post, its Media and its Interactions; the tweet must have an author."""
    author = tweet.author_id or (tweet.author.id if tweet.author else None)
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
    media_items: list[_MediaItem] = []
    if tweet.attachments is not None:
        if tweet.attachments.media is not None:
            media_items = [m for m in tweet.attachments.media if m.media_key]
        else:
            media_items = [
                lookup.media.get(key) or _MediaItem(media_key=key)
                for key in tweet.attachments.media_keys
            ]
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
        mentions=[m.id or m.username for m in entities.mentions],
        media_ids=[m.media_key for m in media_items],
        like_count=metrics.like_count if metrics else None,
        repost_count=metrics.retweet_count if metrics else None,
        reply_count=metrics.reply_count if metrics else None,
        quote_count=metrics.quote_count if metrics else None,
        view_count=metrics.impression_count if metrics else None,
    )
    for item in media_items:
        yield Media(
            platform=PLATFORM,
            media_id=item.media_key,
            post_id=tweet.id,
            account_id=author,
            created_at=created,
            kind=_MEDIA_KINDS.get(item.type, MediaKind.OTHER),
            url=item.url or item.preview_image_url,
            width=item.width,
            height=item.height,
            duration_ms=item.duration_ms,
            alt_text=item.alt_text,
        )
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
        target = mention.id or f"@{mention.username}"
        yield Interaction.edge(
            PLATFORM, InteractionKind.MENTION, author, target, created, post_id=tweet.id
        )


def _raw(value: object) -> bytes:
    return msgspec.json.encode(value)


def _convert_items(
    items: object, kind: type[msgspec.Struct], where: str
) -> Iterator[msgspec.Struct | Rejected]:
    if not isinstance(items, list):
        items = [items]
    for number, item in enumerate(items):
        try:
            yield msgspec.convert(item, kind, from_attributes=False)
        except msgspec.ValidationError as exc:
            yield Rejected(locator=f"{where}[{number}]", reason=error_reason(exc), raw=_raw(item))


class TwitterV2Format:
    """X/Twitter API v2 JSON lines as written by twarc2 (responses or flattened tweets)."""

    name: ClassVar[str] = "twitter-v2"
    description: ClassVar[str] = (
        "X/Twitter API v2 responses or flattened tweets, one per line (twarc2)"
    )

    def sniff(self, head: bytes, first_line: bytes) -> bool:
        try:
            obj = _generic_decoder.decode(first_line)
        except msgspec.DecodeError:
            return False
        if not isinstance(obj, dict):
            return False
        if "data" in obj and ("includes" in obj or "meta" in obj or "__twarc" in obj):
            return True
        return "id" in obj and "text" in obj and ("author_id" in obj or "author" in obj)

    def read(
        self, path: Path, progress: ProgressCallback | None = None
    ) -> Iterator[Record | Rejected]:
        for number, line in iter_lines(path, progress):
            yield from self._read_line(number, line)

    def read_batches(
        self, path: Path, progress: ProgressCallback | None = None, chunk_bytes: int = 1 << 24
    ) -> Iterator[ColumnBatch | Record | Rejected]:
        """Response files in bulk (see twitter_v2_columnar); other lines one by one."""
        return read_bulk(path, progress, chunk_bytes, self._read_line)

    def _read_line(self, number: int, line: bytes) -> Iterator[Record | Rejected]:
        where = f"line {number}"
        try:
            # Fast path: a well-formed response decodes straight into typed structs.
            response = _response_decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError):
            response = None
        if response is not None and (response.data is not None or response.includes is not None):
            yield from self._read_response(response, where)
            return
        try:
            obj = _generic_decoder.decode(line)
        except msgspec.DecodeError as exc:
            yield Rejected(locator=where, reason=f"invalid JSON: {exc}", raw=line)
            return
        if not isinstance(obj, dict):
            yield Rejected(locator=where, reason="expected a JSON object", raw=line)
        elif "data" in obj or "includes" in obj:
            # Slow path: keep every valid item, reject each invalid one by itself.
            yield from self._salvage_response(obj, where)
        else:
            yield from self._read_flat(obj, line, where)

    def _read_response(self, response: _Response, where: str) -> Iterator[Record | Rejected]:
        observed = response.twarc.retrieved_at if response.twarc else None
        lookup = _Lookup(response.includes)
        if response.includes is not None:
            for user in response.includes.users:
                yield _account(user, observed)
        data = response.data
        tweets = [data] if isinstance(data, _Tweet) else (data or [])
        included = response.includes.tweets if response.includes is not None else []
        for label, group in (("data", tweets), ("includes.tweets", included)):
            for index, tweet in enumerate(group):
                yield from self._records_or_reject(tweet, lookup, f"{where}: {label}[{index}]")

    def _salvage_response(self, obj: dict[str, object], where: str) -> Iterator[Record | Rejected]:
        includes_obj = obj.get("includes") or {}
        if not isinstance(includes_obj, dict):
            yield Rejected(
                locator=f"{where}: includes", reason="expected an object", raw=_raw(includes_obj)
            )
            includes_obj = {}
        twarc = obj.get("__twarc")
        observed: datetime | None = None
        try:
            observed = msgspec.convert(twarc, _Twarc).retrieved_at if twarc else None
        except msgspec.ValidationError:
            observed = None
        users: list[_User] = []
        media: list[_MediaItem] = []
        included: list[_Tweet] = []
        for key, kind, sink in (
            ("users", _User, users),
            ("media", _MediaItem, media),
            ("tweets", _Tweet, included),
        ):
            for item in _convert_items(includes_obj.get(key, []), kind, f"{where}: includes.{key}"):
                if isinstance(item, Rejected):
                    yield item
                else:
                    sink.append(item)  # type: ignore[arg-type]
        lookup = _Lookup(_Includes(users=users, tweets=included, media=media))
        for user in users:
            yield _account(user, observed)
        data = obj.get("data", [])
        for index, item in enumerate(_convert_items(data, _Tweet, f"{where}: data")):
            if isinstance(item, Rejected):
                yield item
            else:
                assert isinstance(item, _Tweet)
                yield from self._records_or_reject(item, lookup, f"{where}: data[{index}]")
        for index, tweet in enumerate(included):
            yield from self._records_or_reject(tweet, lookup, f"{where}: includes.tweets[{index}]")

    def _read_flat(
        self, obj: dict[str, object], line: bytes, where: str
    ) -> Iterator[Record | Rejected]:
        try:
            tweet = msgspec.convert(obj, _Tweet)
            refs = msgspec.convert(obj.get("referenced_tweets", []), list[_FlatRef])
        except msgspec.ValidationError as exc:
            yield Rejected(locator=where, reason=error_reason(exc), raw=line)
            return
        observed = tweet.twarc.retrieved_at if tweet.twarc else None
        if tweet.author is not None:
            yield _account(tweet.author, observed)
        for ref in refs:
            if ref.author is not None:
                yield _account(ref.author, observed)
        # Flattened referenced tweets carry their own author: resolve edges through them.
        lookup = _Lookup(None)
        for ref in refs:
            author = ref.author_id or (ref.author.id if ref.author else None)
            if author is not None:
                lookup.tweet_authors[ref.id] = author
        yield from self._records_or_reject(tweet, lookup, where)
        # A flattened line also holds the referenced tweets whole: ingest them as posts.
        raw_refs = obj.get("referenced_tweets", [])
        assert isinstance(raw_refs, list)
        for index, raw_ref in enumerate(raw_refs):
            if isinstance(raw_ref, dict) and "created_at" in raw_ref and "text" in raw_ref:
                try:
                    ref_tweet = msgspec.convert(raw_ref, _Tweet)
                except msgspec.ValidationError as exc:
                    yield Rejected(
                        locator=f"{where}: referenced_tweets[{index}]",
                        reason=error_reason(exc),
                        raw=_raw(raw_ref),
                    )
                    continue
                yield from self._records_or_reject(
                    ref_tweet, _Lookup(None), f"{where}: referenced_tweets[{index}]"
                )

    @staticmethod
    def _records_or_reject(
        tweet: _Tweet, lookup: _Lookup, where: str
    ) -> Iterator[Record | Rejected]:
        try:
            records = list(_tweet_records(tweet, lookup))
        except ValueError as exc:
            yield Rejected(locator=where, reason=str(exc), raw=_raw(tweet))
            return
        yield from records
