"""Writes one channel's records as a Telegram Desktop chat export: the inverse of
:mod:`iru.ingest.telegram`.

The file is what "Export chat history" writes as ``result.json`` for one chat:
``{"name", "type": "public_channel", "id", "messages": [...]}``, pretty-printed with a
one-space indent, messages in id order. The reader maps each message back to a Post
``"<chat account id>/<message id>"``, its photo or file to Media, its forward, reply and
mentions to Interactions, and the chat and every sender and forward source to Accounts.

What the export carries, and so what round-trips:

* Posts: ``post_id`` (``"channel<id>/<n>"``), ``account_id`` (``from_id``), ``created_at``
  to the second (``date_unixtime``), ``text``, ``hashtags``, ``urls``, ``mentions``,
  ``forwarded_from``, ``reply_to_post_id`` and ``media_ids``; ``conversation_id`` reads
  back as the channel's id. Not carried: ``lang``, ``quote_of_post_id``,
  ``repost_of_post_id`` and the counts. ``reply_to_account_id`` reads back only for a
  reply to an earlier message of the same export (the reader looks the author up
  there), else None. Entities are explicit (``text_entities``): a hashtag is
  ``#tag``, a url a ``link``, a mention ``"@handle"`` a ``mention`` and ``"user<id>"`` a
  ``mention_name`` (written with the user's display name); each list reads back in text
  order. An entity the text does not contain is appended to it. A mention that is
  neither form is written as the ``@handle`` of its account and reads back so.
  ``forwarded_from`` is an account id (written as ``forwarded_from_id`` with the
  source's name) or ``"name:<display name>"`` (a source without an id).
* Media: one per message (Telegram sends albums as separate messages). The reader
  names a file ``"<post_id>/<path>"`` with ``url`` the export-relative ``path``, or
  ``"<post_id>/<kind>"`` with no url when the file was not downloaded; the path written
  is the media id's suffix, and a suffix equal to the kind is written as "(File not
  included...)", so the media id always round-trips and ``url`` only when it is that
  path. Carried: ``kind`` (photo, video, animated_gif, audio, sticker, document; other
  reads back as document, and a document with an ``image/`` type as photo),
  ``mime_type`` (not for a photo without an ``image/`` type, written as ``photo``),
  ``width``, ``height`` and ``duration_ms`` in whole seconds. Not carried: ``alt_text``,
  ``sha256``, ``md5``, ``pdq``.
* Accounts: the channel and each sender and forward source, as id and display name
  only (an export knows nothing more of them).
* Interactions: the forward, reply and mention edges of the posts (a forward's
  ``dst_post_id`` is not carried: exports do not name the original message). The given
  interactions are consulted only for a forward source the post does not name; FOLLOW,
  REPOST and QUOTE edges have no export form and are not written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from iru.domain import Account, Interaction, InteractionKind, Media, MediaKind, Post, utc
from iru.sim.writers.entities import check_platform, cut, edge_targets, place

__all__ = ["NOT_INCLUDED", "PLATFORM", "write_telegram_export"]

PLATFORM = "telegram"
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"

_CHANNEL = re.compile(r"^channel(\d+)$")
_USER = re.compile(r"^user(\d+)$")
# The export's media_type for each kind written as a ``file``.
_FILE_TYPES = {
    MediaKind.VIDEO: "video_file",
    MediaKind.ANIMATED_GIF: "animation",
    MediaKind.AUDIO: "audio_file",
    MediaKind.STICKER: "sticker",
}


def _text_parts(
    text: str, entities: list[dict[str, Any]]
) -> tuple[str, list[str | dict[str, Any]]]:
    """The text (with any entity it lacks appended) cut into plain strings and entities."""
    spans: list[tuple[int, int, dict[str, Any]]] = []
    taken: list[tuple[int, int]] = []
    for entity in entities:
        text, start, end = place(text, entity["text"], taken)
        spans.append((start, end, entity))
    spans.sort(key=lambda span: span[0])
    return text, cut(text, spans, str)


class _Export:
    """One chat's messages being written."""

    def __init__(
        self,
        channel: Account,
        media: Iterable[Media],
        interactions: Iterable[Interaction],
        accounts_by_id: Mapping[str, Account],
    ) -> None:
        self.channel = channel
        self.accounts = accounts_by_id
        self.media = {item.media_id: item for item in media}
        self.forwards = edge_targets(interactions, InteractionKind.FORWARD)

    def name(self, account_id: str) -> str | None:
        if account_id == self.channel.account_id:
            return self.channel.display_name
        account = self.accounts.get(account_id)
        return account.display_name if account is not None else None

    def entities(self, post: Post) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [{"type": "link", "text": url} for url in post.urls]
        for mention in post.mentions:
            user = _USER.match(mention)
            if mention.startswith("@"):
                found.append({"type": "mention", "text": mention})
            elif user is not None:
                account = self.accounts.get(mention)
                label = (account.display_name or account.handle) if account else None
                found.append(
                    {"type": "mention_name", "text": label or mention, "user_id": int(user[1])}
                )
            else:
                account = self.accounts.get(mention)
                handle = account.handle if account is not None and account.handle else mention
                found.append({"type": "mention", "text": f"@{handle.removeprefix('@')}"})
        found.extend({"type": "hashtag", "text": f"#{tag}"} for tag in post.hashtags)
        return found

    def message(self, post: Post, chat: str) -> dict[str, Any]:
        number = _message_number(post.post_id, chat)
        created = utc(post.created_at)
        message: dict[str, Any] = {
            "id": number,
            "type": "message",
            "date": created.replace(tzinfo=None).isoformat(timespec="seconds"),
            "date_unixtime": str(int(created.timestamp())),
            "from": self.name(post.account_id),
            "from_id": post.account_id,
        }
        source = post.forwarded_from or self.forwards.get(post.post_id)
        if source is not None:
            if source.startswith("name:"):
                message["forwarded_from"] = source.removeprefix("name:")
            else:
                message["forwarded_from"] = self.name(source)
                message["forwarded_from_id"] = source
        if post.reply_to_post_id is not None:
            peer, _, reply = post.reply_to_post_id.rpartition("/")
            if not reply.isdigit() or not peer:
                raise ValueError(
                    f"{post.post_id}: replies to {post.reply_to_post_id!r}, not a message id"
                )
            if peer != chat:
                message["reply_to_peer_id"] = peer
            message["reply_to_message_id"] = int(reply)
        if len(post.media_ids) > 1:
            raise ValueError(f"{post.post_id}: a Telegram message carries one media item")
        for media_id in post.media_ids:
            message.update(self.file(post, media_id))
        text, parts = _text_parts(post.text, self.entities(post))
        if any(isinstance(part, dict) for part in parts):
            message["text"] = parts
        else:
            message["text"] = text
        message["text_entities"] = [
            {"type": "plain", "text": part} if isinstance(part, str) else part for part in parts
        ]
        return message

    def file(self, post: Post, media_id: str) -> dict[str, Any]:
        item = self.media.get(media_id)
        prefix = f"{post.post_id}/"
        if item is None:
            raise ValueError(f"{post.post_id}: media {media_id!r} is not among the media given")
        if not media_id.startswith(prefix) or media_id == prefix:
            raise ValueError(f"{post.post_id}: media id {media_id!r} is not '{prefix}<path>'")
        path = media_id.removeprefix(prefix)
        mime = item.mime_type
        fields: dict[str, Any] = {}
        if item.kind is MediaKind.PHOTO and not (mime or "").startswith("image/"):
            kind, field = MediaKind.PHOTO, "photo"  # a compressed photo: no mime type
        else:
            kind = item.kind if item.kind is not MediaKind.OTHER else MediaKind.DOCUMENT
            field = "file"
        if path == kind.value and item.url != path:
            fields[field] = NOT_INCLUDED  # the reader names it "<post>/<kind>"
        else:
            fields[field] = path
            if field == "file":
                fields["file_name"] = path.rsplit("/", 1)[-1]
        if field == "file":
            # A photo or document sent as a file has no media_type, only its mime type.
            if kind in _FILE_TYPES:
                media_type = _FILE_TYPES[kind]
                if kind is MediaKind.AUDIO and mime == "audio/ogg":
                    media_type = "voice_message"
                fields["media_type"] = media_type
            if mime is not None:
                fields["mime_type"] = mime
            if item.duration_ms is not None:
                fields["duration_seconds"] = item.duration_ms // 1000
        if item.width is not None:
            fields["width"] = item.width
        if item.height is not None:
            fields["height"] = item.height
        return fields


def _message_number(post_id: str, chat: str) -> int:
    peer, _, number = post_id.rpartition("/")
    if peer != chat or not number.isdigit():
        raise ValueError(f"post {post_id!r} is not a message of {chat!r} ('{chat}/<n>')")
    return int(number)


def write_telegram_export(  # noqa: PLR0917 - the export, told in the order it reads
    path: Path,
    channel: Account,
    posts: Iterable[Post],
    media: Iterable[Media],
    interactions: Iterable[Interaction],
    accounts_by_id: Mapping[str, Account],
) -> Path:
    """Write ``posts`` of ``channel`` (account id ``"channel<digits>"``) as its export.

    ``media`` holds the items the posts attach; ``accounts_by_id`` gives the display
    names of senders, forward sources and ``mention_name`` users. Messages are written
    in message-id order. Returns ``path``.
    """
    match = _CHANNEL.match(channel.account_id)
    if channel.platform != PLATFORM or match is None:
        raise ValueError(f"not a Telegram channel account: {channel.account_id!r}")
    chat = channel.account_id
    export = _Export(channel, media, interactions, accounts_by_id)
    ordered = sorted(posts, key=lambda post: _message_number(post.post_id, chat))
    for post in ordered:
        check_platform(post.platform, PLATFORM, "post", post.post_id)
    document = {
        "name": channel.display_name,
        "type": "public_channel",
        "id": int(match[1]),
        "messages": [export.message(post, chat) for post in ordered],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(document), indent=1) + b"\n")
    return path
