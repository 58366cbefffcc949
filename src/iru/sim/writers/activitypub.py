"""Writes one actor's records as a Mastodon-style ActivityPub outbox: the inverse of
:mod:`iru.ingest.activitypub`.

The outbox is an ``OrderedCollection`` of the actor's activities, on one line as
Mastodon's account archive writes ``outbox.json``, in time order: a ``Create`` of a
``Note`` for each post, an ``Announce`` for each repost (boost) and a ``Follow`` for each
follow edge. Written into an archive folder, the actor's profile goes beside it in
``actor.json``, where the reader looks for it. Ids are Mastodon URIs:
``https://<host>/users/<name>`` for actors, ``.../statuses/<n>`` for posts.

Notes are rendered as Mastodon renders them: the text in a ``<p>`` (line breaks as
``<br />``), mentions as ``h-card`` links, hashtags as ``mention hashtag`` links, urls as
links with Mastodon's invisible/ellipsis spans, and ``tag`` entries (``Mention``,
``Hashtag``), ``attachment`` Documents, ``inReplyTo``, ``conversation`` and ``contentMap``
with the post's language.

What an outbox carries, and so what round-trips:

* Posts (Create): ``post_id``, ``account_id`` (the actor), ``created_at``, ``text`` (without
  leading or trailing whitespace), ``lang``, ``conversation_id``, ``reply_to_post_id``,
  ``hashtags``, ``urls`` and ``mentions`` (actor URIs; each list without repeats) and
  ``media_ids``. ``reply_to_account_id`` reads back as the author named by a Mastodon
  status URI (``.../users/<name>/statuses/<n>``), else None. A url the text does not
  contain is appended to it; a mention or hashtag the text lacks is a ``tag`` only, as
  Mastodon allows, and leaves the text alone. Not carried: ``quote_of_post_id``,
  ``forwarded_from`` and the counts.
* Reposts (Announce): the reader makes no Post of a boost, only its repost edge, keyed
  on the Announce id, which is written as the repost's ``post_id`` (so the edge's
  ``post_id`` is the repost's). Its target author is the retweeted post's author when
  that post is given, else the repost interaction's ``dst_account_id``, else the author
  of a Mastodon status URI; it is embedded (``attributedTo``) when the URI does not
  name it.
* Media: ``media_id`` is the attachment's url (``url`` reads back as the id),
  ``mime_type``, ``width``, ``height``, ``alt_text`` (``name``); ``kind`` reads back from
  the mime type (``image/gif`` animated_gif, ``image/`` photo, ``video/``, ``audio/``),
  without one from the Document type; sticker and other read back as document.
  Not carried: ``duration_ms``, ``sha256``, ``md5``, ``pdq``.
* Accounts: only the actor, and only when the outbox has an activity the reader keeps.
  With ``actor.json``: ``handle`` (``name@host``: the local part of the handle and the
  host of the actor URI), ``display_name``, ``description`` (an empty one reads back as
  None), ``profile_image_url``, ``url``, ``created_at``, ``protected``
  (``manuallyApprovesFollowers``); without it only the id and the handle derived from
  it. Not carried: counts, ``location``, ``language``, ``verified``, ``observed_at``.
* Interactions: the reply and mention edges of the posts, the repost edges of the
  boosts and the actor's FOLLOW edges (a follow of an actor URI). QUOTE and FORWARD
  edges have no Mastodon form and are not written; edges of other sources are not the
  actor's to write.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import msgspec

from iru.domain import Account, Interaction, InteractionKind, Media, MediaKind, Post, utc
from iru.sim.writers.entities import cut, edge_targets, find

__all__ = ["PLATFORM", "write_outbox"]

PLATFORM = "activitypub"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# Mastodon's JSON-LD context for actors and notes (the terms used here).
_CONTEXT: list[Any] = [
    AS_CONTEXT,
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
    },
]
_STATUS_URI = re.compile(r"^(https?://[^/?#]+/users/[^/?#]+)/statuses/([^/?#]+)")
_ACTOR_URI = re.compile(r"^(https?)://([^/?#]+)/(?:users/|@)([^/?#@]+)/?$")
_DOCUMENT_TYPES = {
    MediaKind.PHOTO: "Image",
    MediaKind.ANIMATED_GIF: "Image",
    MediaKind.VIDEO: "Video",
    MediaKind.AUDIO: "Audio",
}


def _timestamp(value: datetime) -> str:
    value = utc(value)
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _status_author(uri: str) -> str | None:
    match = _STATUS_URI.match(uri)
    return match[1] if match else None


def _plain(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br />")


def _paragraph(text: str) -> str:
    """Plain text as Mastodon HTML that the reader turns back into the same text."""
    return f"<p>{_plain(text)}</p>" if text else ""


def _link(url: str) -> str:
    """A url as Mastodon links it: scheme hidden, the first 30 characters shown."""
    scheme = ""
    for prefix in ("https://www.", "http://www.", "https://", "http://"):
        if url.startswith(prefix):
            scheme = prefix
            break
    rest = url[len(scheme) :]
    shown, hidden = rest[:30], rest[30:]
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer" '
        f'translate="no"><span class="invisible">{html.escape(scheme)}</span>'
        f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(hidden)}</span></a>'
    )


def _account_parts(uri: str) -> tuple[str, str, str] | None:
    """(profile url, local name, host) of a Mastodon actor URI."""
    match = _ACTOR_URI.match(uri)
    if match is None:
        return None
    scheme, host, name = match[1], match[2], match[3]
    return f"{scheme}://{host}/@{name}", name, host.lower()


def _status_url(uri: str) -> str:
    """A status's web page, Mastodon style (``https://host/@name/<n>``), else its URI."""
    status = _STATUS_URI.match(uri)
    parts = _account_parts(status[1]) if status else None
    return f"{parts[0]}/{status[2]}" if status and parts else uri


class _Note:
    """A post's content HTML and ``tag`` entries."""

    def __init__(self, post: Post, host: str) -> None:
        text = post.text.strip()
        spans: list[tuple[int, int, str]] = []
        taken: list[tuple[int, int]] = []

        def claim(pos: int, token: str, markup: str) -> None:
            spans.append((pos, pos + len(token), markup))
            taken.append((pos, pos + len(token)))

        for url in dict.fromkeys(post.urls):
            pos = find(text, url, taken, not_before="@")
            if pos < 0:
                text = f"{text} {url}" if text else url
                pos = len(text) - len(url)
            claim(pos, url, _link(url))
        self.tags: list[dict[str, Any]] = []
        for uri in dict.fromkeys(post.mentions):
            parts = _account_parts(uri)
            profile, name, domain = parts if parts else (uri, uri.rstrip("/").rsplit("/")[-1], "")
            self.tags.append(
                {
                    "type": "Mention",
                    "href": uri,
                    "name": f"@{name}@{domain}" if domain else f"@{name}",
                }
            )
            for token in (f"@{name}@{domain}", f"@{name}") if domain else (f"@{name}",):
                pos = find(text, token, taken, not_before="@")
                if pos >= 0:
                    markup = (
                        f'<span class="h-card" translate="no"><a href="{html.escape(profile)}" '
                        f'class="u-url mention">@<span>{html.escape(token[1:])}</span></a></span>'
                    )
                    claim(pos, token, markup)
                    break
        for tag in dict.fromkeys(post.hashtags):
            href = f"https://{host}/tags/{quote(tag.lower(), safe='')}"
            self.tags.append({"type": "Hashtag", "href": href, "name": f"#{tag}"})
            token = f"#{tag}"
            pos = find(text, token, taken, not_before="@")
            if pos >= 0:
                claim(
                    pos,
                    token,
                    f'<a href="{html.escape(href)}" class="mention hashtag" rel="tag">'
                    f"#<span>{html.escape(tag)}</span></a>",
                )
        spans.sort()
        self.content = f"<p>{''.join(cut(text, spans, _plain))}</p>" if text else ""


class _Outbox:
    """The activities of one actor being written."""

    def __init__(
        self,
        actor: Account,
        posts: list[Post],
        media: Iterable[Media],
        interactions: list[Interaction],
    ) -> None:
        self.actor = actor.account_id
        self.host = urlsplit(self.actor).hostname or "localhost"
        self.posts = {post.post_id: post for post in posts}
        self.media = {item.media_id: item for item in media}
        self.repost_targets = edge_targets(interactions, InteractionKind.REPOST)
        self.followers = f"{self.actor}/followers"

    def create(self, post: Post) -> dict[str, Any]:
        note = _Note(post, self.host)
        published = _timestamp(post.created_at)
        mentioned = [tag["href"] for tag in note.tags if tag["type"] == "Mention"]
        cc = [self.followers, *mentioned]
        obj: dict[str, Any] = {
            "id": post.post_id,
            "type": "Note",
            "summary": post.content_warning,
            "inReplyTo": post.reply_to_post_id,
            "published": published,
            "url": _status_url(post.post_id),
            "attributedTo": self.actor,
            "to": [PUBLIC],
            "cc": cc,
            "sensitive": bool(post.sensitive),  # Mastodon always writes the flag
            "atomUri": post.post_id,
            "inReplyToAtomUri": post.reply_to_post_id,
        }
        if post.conversation_id is not None:
            obj["conversation"] = post.conversation_id
        obj["content"] = note.content
        if post.lang is not None:
            obj["contentMap"] = {post.lang: note.content}
        obj["attachment"] = [self.attachment(post, key) for key in dict.fromkeys(post.media_ids)]
        obj["tag"] = note.tags
        return {
            "id": f"{post.post_id}/activity",
            "type": "Create",
            "actor": self.actor,
            "published": published,
            "to": [PUBLIC],
            "cc": cc,
            "object": obj,
        }

    def attachment(self, post: Post, media_id: str) -> dict[str, Any]:
        item = self.media.get(media_id)
        if item is None:
            raise ValueError(f"{post.post_id}: media {media_id!r} is not among the media given")
        return {
            "type": "Document" if item.mime_type else _DOCUMENT_TYPES.get(item.kind, "Document"),
            "mediaType": item.mime_type,
            "url": item.media_id,
            "name": item.alt_text,
            "width": item.width,
            "height": item.height,
        }

    def announce(self, post: Post) -> dict[str, Any]:
        target = post.repost_of_post_id
        assert target is not None
        original = self.posts.get(target)
        author = (
            original.account_id
            if original is not None
            else self.repost_targets.get(post.post_id) or _status_author(target)
        )
        obj: str | dict[str, Any] = target
        if author is not None and author != _status_author(target):
            obj = {"id": target, "type": "Note", "attributedTo": author}
        return {
            "id": post.post_id,
            "type": "Announce",
            "actor": self.actor,
            "published": _timestamp(post.created_at),
            "to": [PUBLIC],
            "cc": [c for c in (author, self.followers) if c is not None],
            "object": obj,
        }

    def follow(self, edge: Interaction) -> dict[str, Any]:
        assert edge.dst_account_id is not None
        digest = hashlib.blake2b(edge.dst_account_id.encode(), digest_size=8).hexdigest()
        return {
            "id": f"{self.actor}#follows/{digest}",
            "type": "Follow",
            "actor": self.actor,
            "published": _timestamp(edge.created_at),
            "object": edge.dst_account_id,
        }


def _actor_document(actor: Account) -> dict[str, Any]:
    uri = actor.account_id
    parts = _account_parts(uri)
    name = (actor.handle or "").removeprefix("@").split("@", 1)[0] or (parts[1] if parts else "")
    person: dict[str, Any] = {
        "@context": _CONTEXT,
        "id": uri,
        "type": "Person",
        "following": f"{uri}/following",
        "followers": f"{uri}/followers",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "preferredUsername": name,
        "name": actor.display_name or "",
        "summary": _paragraph((actor.description or "").strip()),
    }
    if actor.url is not None:
        person["url"] = actor.url
    if actor.protected is not None:
        person["manuallyApprovesFollowers"] = actor.protected
    person["discoverable"] = True
    if actor.created_at is not None:
        person["published"] = _timestamp(actor.created_at)
    if actor.profile_image_url is not None:
        person["icon"] = {"type": "Image", "url": actor.profile_image_url}
    return person


def write_outbox(
    path: Path,
    actor: Account,
    posts: Iterable[Post],
    media: Iterable[Media],
    interactions: Iterable[Interaction],
    *,
    actor_json: bool | None = None,
) -> Path:
    """Write ``actor``'s posts, boosts and follows as its outbox; returns the outbox path.

    ``path`` is the outbox file, or a folder (an existing one, or a path without a
    suffix) to write a Mastodon archive into: ``outbox.json`` and ``actor.json``.
    ``actor_json`` says whether to write ``actor.json`` beside the outbox; by default it
    is written for a folder or a file named ``outbox.json``. Every post must be the
    actor's; ``media`` holds the items they attach; the FOLLOW edges of ``interactions``
    whose source is the actor become Follow activities.
    """
    if actor.platform != PLATFORM:
        raise ValueError(f"not an ActivityPub actor: {actor.account_id!r} on {actor.platform!r}")
    if path.is_dir() or not path.suffix:
        path.mkdir(parents=True, exist_ok=True)
        path = path / "outbox.json"
    if actor_json is None:
        actor_json = path.name == "outbox.json"
    post_list = list(posts)
    for post in post_list:
        if post.platform != PLATFORM or post.account_id != actor.account_id:
            raise ValueError(f"post {post.post_id!r} is not {actor.account_id!r}'s")
    edges = list(interactions)
    outbox = _Outbox(actor, post_list, media, edges)
    timed: list[tuple[datetime, dict[str, Any]]] = []
    for post in post_list:
        activity = outbox.announce(post) if post.repost_of_post_id else outbox.create(post)
        timed.append((utc(post.created_at), activity))
    for edge in edges:
        if (
            edge.kind is InteractionKind.FOLLOW
            and edge.src_account_id == actor.account_id
            and edge.dst_account_id is not None
        ):
            timed.append((utc(edge.created_at), outbox.follow(edge)))
    timed.sort(key=lambda item: item[0])  # stable: ties keep the order given
    items = [activity for _, activity in timed]
    document = {
        "@context": AS_CONTEXT,
        "id": f"{actor.account_id}/outbox",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.encode(document) + b"\n")
    if actor_json:
        person = msgspec.json.encode(_actor_document(actor))
        path.with_name("actor.json").write_bytes(person + b"\n")
    return path
