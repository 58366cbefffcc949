"""Writes records as twarc2 API v2 response lines: the inverse of :mod:`iru.ingest.twitter_v2`.

Each line is one search response as twarc2 saves it: ``data`` (up to ``per_response``
tweets), ``includes`` (``users``, ``tweets``, ``media``), ``meta`` and ``__twarc`` with
``retrieved_at``. Reading the file back with ``TwitterV2Format`` (per record or in bulk)
gives the records written, on every field the format carries.

What a tweet carries, and so what round-trips:

* Posts: every field. Post and account ids must be numeric strings, as on the
  platform. A repost is a retweet whose text is ``"RT @handle: ..."`` and whose first
  mention (at offset 3) is the retweeted author; a repost not in that form is put in it
  (the prefix is added to its text, the author put first in its mentions). Mentions,
  hashtags and urls become entities with their code-point offsets in the text; one the
  text does not contain is appended to the text (``" @handle"``, ``" #tag"``, ``" url"``),
  so only posts whose text holds their entities read back with the same text.
* Accounts (``includes.users``): every field but ``language``; ``observed_at`` reads
  back as ``retrieved_at``. An account is written in each response that needs it (the
  authors, mentioned and replied-to users of its tweets); accounts no tweet needs go
  in the last response.
* Media (``includes.media``): those attached to a written post (``Post.media_ids``),
  in the response of that post. ``mime_type``, ``sha256``, ``md5`` and ``pdq`` are not
  carried; kinds other than photo, video and animated_gif read back as ``other``;
  ``post_id``, ``account_id`` and ``created_at`` are those of the tweet.
* Interactions: the repost, quote, reply and mention edges are those of the posts
  (the reader derives them from the tweets); the given interactions are consulted only
  to name the author of a retweeted post that is not among the posts. FOLLOW and
  FORWARD edges have no tweet form and are not written. A quote's target author is
  resolved through ``includes.tweets``: a quoted post that is neither in ``posts`` nor in
  ``context_posts`` reads back with an unknown target (``dst_account_id`` None). A reply
  without ``reply_to_account_id`` likewise needs the replied-to post.

A referenced post that is known (in ``posts`` or ``context_posts``) is placed in the
response's ``includes.tweets`` (with its author and media), as the API does; the reader
reads those again as posts, so a post may be read more than once, always identically.

Speed: tweets are built as msgspec Structs and encoded once (``msgspec.Raw``), a
referenced tweet's JSON is kept for the responses that include it again, timestamps
come from lookup tables, and the cyclic garbage collector is paused during the write.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from iru.domain import Account, Interaction, InteractionKind, Media, Post, utc
from iru.sim.writers.entities import check_platform, edge_targets, place
from iru.sim.writers.twitter_objects import (
    Attachments,
    Entities,
    Hashtag,
    Mention,
    Metrics,
    Ref,
    Tweet,
    Url,
    media_object,
    timestamp,
    user_object,
)

__all__ = ["PLATFORM", "write_twarc2"]

PLATFORM = "twitter"
TWARC_VERSION = "2.14.0"
SEARCH_URL = "https://api.twitter.com/2/tweets/search/all"

# How many referenced tweets keep their JSON for later responses (a re-encode is identical).
_CACHED_TWEETS = 100_000
_encode = msgspec.json.Encoder().encode


class _Writer:
    """The state of one write: records by id, and each record's JSON encoded once."""

    def __init__(
        self,
        accounts: Iterable[Account],
        posts: list[Post],
        context_posts: Iterable[Post],
        media: Iterable[Media],
        interactions: Iterable[Interaction],
    ) -> None:
        self.accounts: dict[str, Account] = {}
        for account in accounts:
            check_platform(account.platform, PLATFORM, "account", account.account_id)
            self.accounts[account.account_id] = account
        self.handles: dict[str, str] = {
            a.account_id: a.handle for a in self.accounts.values() if a.handle
        }
        self.posts: dict[str, Post] = {post.post_id: post for post in context_posts}
        for post in posts:
            check_platform(post.platform, PLATFORM, "post", post.post_id)
            if not post.post_id.isdigit():
                raise ValueError(f"tweet ids are numeric strings, not {post.post_id!r}")
            if not post.account_id.isdigit():
                raise ValueError(f"user ids are numeric strings, not {post.account_id!r}")
            self.posts[post.post_id] = post
        self.media: dict[str, Media] = {item.media_id: item for item in media}
        # The retweeted author of each repost, as the interactions name it.
        self.repost_targets = edge_targets(interactions, InteractionKind.REPOST)
        # Posts another post references: their JSON is kept for the responses including them.
        self.referenced: set[str] = set()
        add = self.referenced.add
        for post in self.posts.values():
            if post.repost_of_post_id is not None:
                add(post.repost_of_post_id)
            if post.quote_of_post_id is not None:
                add(post.quote_of_post_id)
            if post.reply_to_post_id is not None:
                add(post.reply_to_post_id)
        self.users: dict[str, msgspec.Raw] = {}
        self.tweets: dict[str, tuple[msgspec.Raw, list[str]]] = {}
        self.media_json: dict[str, msgspec.Raw] = {}

    def user(self, account_id: str) -> msgspec.Raw | None:
        raw = self.users.get(account_id)
        if raw is None:
            account = self.accounts.get(account_id)
            if account is None:
                return None
            raw = self.users[account_id] = msgspec.Raw(_encode(user_object(account)))
        return raw

    def media_item(self, media_id: str) -> msgspec.Raw | None:
        raw = self.media_json.get(media_id)
        if raw is None:
            item = self.media.get(media_id)
            if item is None:
                return None
            raw = self.media_json[media_id] = msgspec.Raw(_encode(media_object(item)))
        return raw

    def _tweet(self, post: Post) -> tuple[Tweet, list[str]]:
        text = post.text
        post_id = post.post_id
        author = post.account_id
        users = [author]
        taken: list[tuple[int, int]] = []
        mentions: list[Mention] = []
        mention_ids = post.mentions
        repost_of = post.repost_of_post_id
        if repost_of is not None:
            original = self.posts.get(repost_of)
            target = (
                original.account_id
                if original is not None
                else self.repost_targets.get(post_id) or (mention_ids[0] if mention_ids else None)
            )
            if target is not None:
                # "RT @handle: ...", the retweeted author the first mention, at offset 3.
                handle = self.handles.get(target, target)
                prefix = f"RT @{handle}:"
                if not text.startswith(prefix):
                    text = f"{prefix} {text}"
                if mention_ids and mention_ids[0] == target:
                    mention_ids = mention_ids[1:]
                end = 4 + len(handle)
                taken.append((3, end))
                numeric = target.isdigit()
                mentions.append(Mention(3, end, handle, target if numeric else None))
                if numeric:
                    users.append(target)
        urls: list[Url] = []
        for url in post.urls:
            text, start, end = place(text, url, taken)
            display = url.split("://", 1)[-1]
            if len(display) > 26:
                display = display[:25] + "…"
            urls.append(Url(start, end, url, url, display))
        for target in mention_ids:
            handle = self.handles.get(target, target)
            text, start, end = place(text, "@" + handle, taken)
            if target.isdigit():
                mentions.append(Mention(start, end, handle, target))
                users.append(target)
            else:
                mentions.append(Mention(start, end, handle))
        hashtags: list[Hashtag] = []
        for tag in post.hashtags:
            text, start, end = place(text, "#" + tag, taken)
            hashtags.append(Hashtag(start, end, tag))
        refs: list[Ref] | None = None
        quote_of, reply_to = post.quote_of_post_id, post.reply_to_post_id
        if repost_of is not None or quote_of is not None or reply_to is not None:
            refs = []
            if repost_of is not None:
                refs.append(Ref("retweeted", repost_of))
            if quote_of is not None:
                refs.append(Ref("quoted", quote_of))
            if reply_to is not None:
                refs.append(Ref("replied_to", reply_to))
        in_reply_to = post.reply_to_account_id
        if in_reply_to is not None:
            users.append(in_reply_to)
        metrics = None
        reposts, replies, likes, quotes, views = (
            post.repost_count,
            post.reply_count,
            post.like_count,
            post.quote_count,
            post.view_count,
        )
        if (
            reposts is not None
            or replies is not None
            or likes is not None
            or quotes is not None
            or views is not None
        ):
            metrics = Metrics(reposts, replies, likes, quotes, views)
        tweet = Tweet(
            post_id,
            text,
            author,
            timestamp(post.created_at),
            [post_id],
            post.lang,
            post.conversation_id,
            in_reply_to,
            refs,
            Entities(mentions, hashtags, urls) if mentions or hashtags or urls else None,
            Attachments(list(post.media_ids)) if post.media_ids else None,
            metrics,
        )
        return tweet, users

    def included(self, chunk: list[Post]) -> list[Post]:
        """The known posts the chunk's tweets reference, and those the reader needs to
        resolve their own edges (quoted posts, replied-to posts of replies without a user)."""
        found: dict[str, Post] = {}
        pending: list[str] = []
        for post in chunk:
            if post.repost_of_post_id is not None:
                pending.append(post.repost_of_post_id)
            if post.quote_of_post_id is not None:
                pending.append(post.quote_of_post_id)
            if post.reply_to_post_id is not None:
                pending.append(post.reply_to_post_id)
        for ref in pending:  # grows while it is walked
            known = self.posts.get(ref)
            if known is None or ref in found:
                continue
            found[ref] = known
            if known.quote_of_post_id is not None:
                pending.append(known.quote_of_post_id)
            if known.reply_to_post_id is not None and known.reply_to_account_id is None:
                pending.append(known.reply_to_post_id)
        return list(found.values())

    def page(self, chunk: list[Post]) -> _Page:
        """The tweets of one response, its included tweets, and the users and media they need."""
        page = _Page(chunk)
        page_users, page_media = page.users, page.media
        cache, referenced, build = self.tweets, self.referenced, self._tweet
        for group, posts in ((page.data, chunk), (page.included, self.included(chunk))):
            append = group.append
            for post in posts:
                post_id = post.post_id
                cached = cache.get(post_id)
                if cached is None:
                    tweet, users = build(post)
                    raw = msgspec.Raw(_encode(tweet))
                    if post_id in referenced:  # kept for the responses that include it
                        cache[post_id] = (raw, users)
                        if len(cache) > _CACHED_TWEETS:
                            del cache[next(iter(cache))]  # the oldest; rebuilt if needed again
                else:
                    raw, users = cached
                append(raw)
                for user in users:
                    page_users[user] = None
                for key in post.media_ids:
                    page_media[key] = None
        return page

    def encode(self, page: _Page, twarc: dict[str, Any], next_token: str) -> bytes:
        includes: dict[str, Any] = {}
        users = [raw for uid in page.users if (raw := self.user(uid)) is not None]
        if users:
            includes["users"] = users
        if page.included:
            includes["tweets"] = page.included
        media = [raw for key in page.media if (raw := self.media_item(key)) is not None]
        if media:
            includes["media"] = media
        meta: dict[str, Any] = {"result_count": len(page.posts)}
        if page.posts:
            ids = [int(post.post_id) for post in page.posts]
            meta["newest_id"] = str(max(ids))
            meta["oldest_id"] = str(min(ids))
        if next_token:
            meta["next_token"] = next_token
        return _encode({"data": page.data, "includes": includes, "meta": meta, "__twarc": twarc})


class _Page:
    """One response being assembled."""

    __slots__ = ("data", "included", "media", "posts", "users")

    def __init__(self, posts: list[Post]) -> None:
        self.posts = posts
        self.data: list[msgspec.Raw] = []
        self.included: list[msgspec.Raw] = []
        self.users: dict[str, None] = {}
        self.media: dict[str, None] = {}


def _next_token(page: int) -> str:
    return hashlib.blake2b(f"page {page}".encode(), digest_size=12).hexdigest()


def write_twarc2(  # noqa: PLR0917 - the records, told in the order they nest
    path: Path,
    accounts: Iterable[Account],
    posts: Iterable[Post],
    media: Iterable[Media],
    interactions: Iterable[Interaction],
    retrieved_at: datetime,
    per_response: int = 100,
    *,
    context_posts: Iterable[Post] = (),
) -> Path:
    """Write ``posts`` as twarc2 search responses of ``per_response`` tweets to ``path``.

    ``accounts`` become ``includes.users`` and ``media`` (those the posts attach)
    ``includes.media``; ``retrieved_at`` is every response's ``__twarc.retrieved_at``,
    which the reader takes as the accounts' ``observed_at``. ``context_posts`` are posts
    written earlier (other days) that these may retweet, quote or reply to: they are not
    written as ``data`` but placed in ``includes.tweets`` where referenced, as the API does,
    so the reader resolves the referenced author. The tweets are written in the order
    given; the output depends on nothing but the arguments. Returns ``path``.
    """
    if per_response < 1:
        raise ValueError("per_response must be at least 1")
    post_list = list(posts)
    writer = _Writer(accounts, post_list, context_posts, media, interactions)
    twarc = {"url": SEARCH_URL, "version": TWARC_VERSION, "retrieved_at": _retrieved(retrieved_at)}
    chunks = [post_list[i : i + per_response] for i in range(0, len(post_list), per_response)]
    if not chunks:
        chunks = [[]]
    named: set[str] = set()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _no_gc(), path.open("wb") as out:
        for number, chunk in enumerate(chunks):
            page = writer.page(chunk)
            named.update(page.users)
            token = ""
            if number < len(chunks) - 1:
                token = _next_token(number)
            else:
                # Accounts no tweet names still belong in the file: with the last response.
                page.users.update(dict.fromkeys(u for u in writer.accounts if u not in named))
                if not page.posts and not page.users:
                    break  # nothing at all to write: an empty file
            out.write(writer.encode(page, twarc, token))
            out.write(b"\n")
    return path


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic collector paused: the write makes many small containers and frees them all
    by reference counting, and a collection pass over the caller's records costs more than
    the write itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _retrieved(value: datetime) -> str:
    """twarc2's form: ``datetime.now(timezone.utc).isoformat(timespec="seconds")``."""
    value = utc(value)
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    return value.isoformat(timespec=spec)
