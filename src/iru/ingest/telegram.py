"""Reads Telegram Desktop's JSON export (``result.json``): one chat, or a whole account.

"Export chat history" writes one chat: ``{"name", "type", "id", "messages": [...]}``.
"Export Telegram data" writes the account, with every chat under ``chats.list`` (and
the chats left under ``left_chats.list``). Each chat becomes an Account, each message
a Post (ids are per chat, so a post is ``<chat account>/<message id>``) with its
photo or file as Media, and its forward, reply and mentions as Interactions.

Messages are decoded one by one into typed msgspec structs, so a bad message is
quarantined with its locator (``chats.list[2].messages[17]``) and its neighbours
are kept. Service messages (joins, pins, title changes) carry no post and are skipped.

Media paths (``photos/…``, ``files/…``, ``video_files/…``) are relative to the folder
holding ``result.json``; a file found there is kept as ``Media.local_path``. Exports
before 2021 wrote ``from_id`` as a bare number where newer ones write ``channel<id>`` or
``user<id>``: a bare number is mapped to the chat of that id when the export holds one
(a channel's own posts are the channel's), else to ``user<id>``. A channel post's
signature (``author``) and its last edit (``edited``) are kept on the Post; mentions
no Telegram username could be (``@1199``) are left out (see iru.ingest.handles).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import msgspec

from iru.domain import (
    Account,
    Interaction,
    InteractionKind,
    Media,
    MediaKind,
    Post,
    Record,
    utc,
)
from iru.ingest.base import (
    SNIFF_BYTES,
    InputError,
    ProgressCallback,
    Rejected,
    error_reason,
    load_document,
)
from iru.ingest.export_media import file_in_export
from iru.ingest.handles import mention_target

if TYPE_CHECKING:
    from iru.ingest.examples import IngestExample

PLATFORM = "telegram"

# How the export names a chat's peer in from_id ("channel123", "user123", "chat123").
_PEER_PREFIX = {
    "public_channel": "channel",
    "private_channel": "channel",
    "public_supergroup": "channel",
    "private_supergroup": "channel",
    "personal_chat": "user",
    "bot_chat": "user",
    "saved_messages": "user",
    "private_group": "chat",
}

_MEDIA_KINDS = {
    "video_file": MediaKind.VIDEO,
    "video_message": MediaKind.VIDEO,
    "animation": MediaKind.ANIMATED_GIF,
    "voice_message": MediaKind.AUDIO,
    "audio_file": MediaKind.AUDIO,
    "sticker": MediaKind.STICKER,
}

# The export writes this (in brackets) instead of a path for files it did not download.
_NOT_INCLUDED = "(File not included"

_CHAT_TYPES = "|".join(_PEER_PREFIX)
_SNIFF_MESSAGES = re.compile(rb'"messages"\s*:\s*\[')
_SNIFF_TYPE = re.compile(rb'"type"\s*:\s*"(?:' + _CHAT_TYPES.encode() + rb')"')
_SNIFF_FULL = re.compile(rb'"personal_information"\s*:\s*\{|"chats"\s*:\s*\{')
_SNIFF_LIST = re.compile(rb'"list"\s*:\s*\[')


class _Entity(msgspec.Struct):
    type: str = "plain"
    text: str = ""
    href: str | None = None
    user_id: int | None = None


class _Message(msgspec.Struct):
    id: int
    date: datetime
    type: str = "message"
    date_unixtime: str | int | None = None
    # Older exports wrote from_id as a bare user id number.
    from_name: str | None = msgspec.field(default=None, name="from")
    from_id: str | int | None = None
    forwarded_from: str | None = None
    forwarded_from_id: str | int | None = None
    reply_to_message_id: int | None = None
    reply_to_peer_id: str | None = None  # a reply to a message in another chat
    text: str | list[str | _Entity] = ""
    text_entities: list[_Entity] | None = None
    photo: str | None = None
    file: str | None = None
    media_type: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: int | None = None
    author: str | None = None  # a channel post's signature
    edited: datetime | None = None
    edited_unixtime: str | int | None = None


class _Person(msgspec.Struct):
    """The exporting account, from a full export's ``personal_information``."""

    user_id: int
    first_name: str = ""
    last_name: str = ""
    username: str | None = None
    bio: str | None = None


class _ChatHeader(msgspec.Struct):
    id: int
    name: str | None = None
    type: str = "private_group"


def _bare_id(value: int) -> int:
    """A chat id as the export writes it, from the Bot API's ``-100<id>`` form too."""
    text = str(value)
    return int(text[4:]) if text.startswith("-100") and len(text) > 4 else abs(value)


class _Peers:
    """The account id of every chat in the export, by its bare numeric id.

    Exports before 2021 name the author of a message by a bare number: the channel's
    own id on its posts, a user's id otherwise. Looking the number up here gives the
    one account (``channel<id>``) that the newer ``"from_id": "channel<id>"`` names.
    """

    def __init__(self) -> None:
        self.by_number: dict[int, str] = {}

    def add(self, header: _ChatHeader) -> str:
        prefix = _PEER_PREFIX.get(header.type, "chat")
        number = _bare_id(header.id)
        account_id = f"{prefix}{number}"
        if prefix != "user" or number not in self.by_number:
            self.by_number[number] = account_id
        return account_id

    def account_id(self, value: str | int | None) -> str | None:
        if isinstance(value, int):
            return self.by_number.get(value, f"user{value}")
        return value or None


def _epoch_or_local(stamp: str | int | None, local: datetime, field: str) -> datetime:
    """A time from its ``*_unixtime`` twin (UTC) when present, else the local time as UTC."""
    if stamp is not None:
        if isinstance(stamp, str) and not stamp.isdigit():
            raise ValueError(f"{field}_unixtime is not an epoch: {stamp!r}")
        return datetime.fromtimestamp(int(stamp), UTC)
    return utc(local)


def _created_at(message: _Message) -> datetime:
    """When it was sent: ``date_unixtime`` (UTC) when present, else the local ``date`` as UTC."""
    return _epoch_or_local(message.date_unixtime, message.date, "date")


def _edited_at(message: _Message) -> datetime | None:
    if message.edited is None:
        return None
    return _epoch_or_local(message.edited_unixtime, message.edited, "edited")


def _entities(message: _Message) -> list[_Entity]:
    if message.text_entities is not None:
        return message.text_entities
    if isinstance(message.text, str):
        return [_Entity(text=message.text)] if message.text else []
    return [_Entity(text=part) if isinstance(part, str) else part for part in message.text]


def _plain_text(message: _Message) -> str:
    if isinstance(message.text, str):
        return message.text
    return "".join(part if isinstance(part, str) else part.text for part in message.text)


class _Chat:
    """One chat as read so far: its account id and who wrote each message id in it."""

    def __init__(self, header: _ChatHeader, peers: _Peers, export_dir: Path) -> None:
        self.account_id = peers.add(header)
        self.name = header.name
        self.peers = peers
        self.export_dir = export_dir  # media paths are relative to it
        self.authors: dict[int, str] = {}


class _Accounts:
    """The accounts already yielded in this file, so each is yielded once per display name."""

    def __init__(self) -> None:
        self.seen: dict[str, str | None] = {}

    def note(self, account_id: str, display_name: str | None) -> Account | None:
        if account_id in self.seen and (
            display_name is None or self.seen[account_id] == display_name
        ):
            return None
        self.seen[account_id] = display_name
        return Account(platform=PLATFORM, account_id=account_id, display_name=display_name)


def _media(
    message: _Message, post_id: str, author: str, created: datetime, export_dir: Path
) -> list[Media]:
    items: list[tuple[str, MediaKind, str | None]] = []
    if message.photo is not None:
        items.append((message.photo, MediaKind.PHOTO, None))
    if message.file is not None:
        kind = _MEDIA_KINDS.get(message.media_type or "", MediaKind.DOCUMENT)
        if message.media_type is None and (message.mime_type or "").startswith("image/"):
            kind = MediaKind.PHOTO
        items.append((message.file, kind, message.mime_type))
    found: list[Media] = []
    for path, kind, mime_type in items:
        included = not path.startswith(_NOT_INCLUDED)
        duration = message.duration_seconds
        found.append(
            Media(
                platform=PLATFORM,
                media_id=f"{post_id}/{path if included else kind.value}",
                post_id=post_id,
                account_id=author,
                created_at=created,
                kind=kind,
                url=path if included else None,
                mime_type=mime_type,
                width=message.width,
                height=message.height,
                duration_ms=duration * 1000 if duration is not None else None,
                local_path=file_in_export(export_dir, path) if included else None,
            )
        )
    return found


def _message_records(message: _Message, chat: _Chat, accounts: _Accounts) -> list[Record]:
    """The records of one message: new Accounts, then the Post, its Media and Interactions."""
    created = _created_at(message)
    author = chat.peers.account_id(message.from_id) or chat.account_id
    post_id = f"{chat.account_id}/{message.id}"
    records: list[Record] = []
    if message.from_id is not None or message.from_name is not None:
        account = accounts.note(author, message.from_name)
        if account is not None:
            records.append(account)

    hashtags: list[str] = []
    urls: list[str] = []
    mentions: list[str] = []
    for entity in _entities(message):
        if entity.type == "hashtag":
            hashtags.append(entity.text.removeprefix("#"))
        elif entity.type == "link":
            urls.append(entity.text)
        elif entity.type == "text_link" and entity.href:
            urls.append(entity.href)
        elif entity.type == "mention" and entity.text:
            handle = entity.text if entity.text.startswith("@") else f"@{entity.text}"
            if mention_target(PLATFORM, handle) is not None:
                mentions.append(handle)
        elif entity.type == "mention_name" and entity.user_id is not None:
            mentions.append(f"user{entity.user_id}")

    forwarded: str | None = None
    if message.forwarded_from_id or message.forwarded_from:
        forwarded = chat.peers.account_id(message.forwarded_from_id) or (
            f"name:{message.forwarded_from}"
        )
        account = accounts.note(forwarded, message.forwarded_from)
        if account is not None:
            records.append(account)

    reply_post = reply_author = None
    if message.reply_to_message_id is not None:
        peer = message.reply_to_peer_id or chat.account_id
        reply_post = f"{peer}/{message.reply_to_message_id}"
        if peer == chat.account_id:
            reply_author = chat.authors.get(message.reply_to_message_id)

    media = _media(message, post_id, author, created, chat.export_dir)
    records.append(
        Post(
            platform=PLATFORM,
            post_id=post_id,
            account_id=author,
            created_at=created,
            text=_plain_text(message),
            conversation_id=chat.account_id,
            reply_to_post_id=reply_post,
            reply_to_account_id=reply_author,
            forwarded_from=forwarded,
            hashtags=hashtags,
            urls=urls,
            mentions=mentions,
            media_ids=[item.media_id for item in media],
            author_signature=message.author or None,
            edited_at=_edited_at(message),
        )
    )
    records.extend(media)

    edges: list[tuple[InteractionKind, str | None, str | None]] = []
    if forwarded is not None:
        edges.append((InteractionKind.FORWARD, forwarded, None))
    if reply_post is not None:
        edges.append((InteractionKind.REPLY, reply_author, reply_post))
    edges.extend((InteractionKind.MENTION, target, None) for target in dict.fromkeys(mentions))
    for kind, target, dst_post in edges:
        records.append(
            Interaction.edge(
                PLATFORM, kind, author, target, created, post_id=post_id, dst_post_id=dst_post
            )
        )
    chat.authors[message.id] = author
    return records


def _raw(value: object) -> bytes:
    return msgspec.json.encode(value)


def _read_chat(
    chat_obj: object, where: str, accounts: _Accounts, peers: _Peers, export_dir: Path
) -> Iterator[Record | Rejected]:
    """One chat's Account and the records of its messages, rejects in their place."""
    prefix = f"{where}." if where else ""
    try:
        header = msgspec.convert(chat_obj, _ChatHeader)
    except msgspec.ValidationError as exc:
        yield Rejected(locator=where or "$", reason=error_reason(exc), raw=_raw(chat_obj))
        return
    assert isinstance(chat_obj, dict)
    chat = _Chat(header, peers, export_dir)
    account = accounts.note(chat.account_id, chat.name)
    if account is not None:
        yield account
    messages = chat_obj.get("messages", [])
    if not isinstance(messages, list):
        yield Rejected(locator=f"{prefix}messages", reason="expected an array", raw=_raw(messages))
        return
    for index, item in enumerate(messages):
        locator = f"{prefix}messages[{index}]"
        if isinstance(item, dict):
            if item.get("type") == "service":
                continue
            if isinstance(item.get("id"), int):
                locator = f"{locator} (message id {item['id']})"
        try:
            message = msgspec.convert(item, _Message)
            records = _message_records(message, chat, accounts)
        except (msgspec.ValidationError, ValueError, OverflowError, OSError) as exc:
            yield Rejected(locator=locator, reason=error_reason(exc), raw=_raw(item))
            continue
        yield from records


def _looks_like_export(obj: object) -> bool:
    if not isinstance(obj, dict):
        return False
    if isinstance(obj.get("messages"), list):
        return obj.get("type") in _PEER_PREFIX
    chats = obj.get("chats")
    return isinstance(chats, dict) and isinstance(chats.get("list"), list)


class TelegramFormat:
    """Telegram Desktop's JSON export: a single chat's ``result.json`` or a whole account's."""

    name: ClassVar[str] = "telegram"
    description: ClassVar[str] = (
        "Telegram Desktop JSON export (result.json), one chat or a full account"
    )

    @classmethod
    def examples(cls) -> Sequence[IngestExample]:
        """Small synthetic files and the records they must give (:mod:`iru.ingest.examples`)."""
        from iru.ingest.examples import telegram_examples

        return telegram_examples()

    def sniff(self, head: bytes, first_line: bytes) -> bool:
        body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not body.startswith(b"{") or b"activitystreams" in head:
            return False
        try:
            # A small or minified export: the head, or its first line, is the whole document.
            obj = msgspec.json.decode(body if len(head) < SNIFF_BYTES else first_line)
        except msgspec.DecodeError:
            pass
        else:
            return _looks_like_export(obj)
        if first_line.strip() != b"{" and len(first_line) < len(body.rstrip()):
            return False  # JSON lines, or a one-line document cut off by the head
        if _SNIFF_MESSAGES.search(head) and _SNIFF_TYPE.search(head):
            return True
        return bool(_SNIFF_FULL.search(head) and _SNIFF_LIST.search(head))

    def read(
        self, path: Path, progress: ProgressCallback | None = None
    ) -> Iterator[Record | Rejected]:
        document = load_document(path, progress)
        if not isinstance(document, dict):
            raise InputError(f"{path}: not a Telegram export: expected a JSON object")
        accounts, peers = _Accounts(), _Peers()
        export_dir = path.parent  # media paths in the export are relative to it
        if "messages" in document:
            yield from _read_chat(document, "", accounts, peers, export_dir)
            return
        sections = [key for key in ("chats", "left_chats") if isinstance(document.get(key), dict)]
        if not sections:
            raise InputError(f"{path}: not a Telegram export: neither messages nor chats")
        person = document.get("personal_information")
        if person is not None:
            try:
                me = msgspec.convert(person, _Person)
            except msgspec.ValidationError as exc:
                yield Rejected(
                    locator="personal_information", reason=error_reason(exc), raw=_raw(person)
                )
            else:
                # Noted as seen, so the chats' sparser view of this account does not replace it.
                name = f"{me.first_name} {me.last_name}".strip() or None
                accounts.seen[f"user{me.user_id}"] = name
                yield Account(
                    platform=PLATFORM,
                    account_id=f"user{me.user_id}",
                    handle=(me.username or "").removeprefix("@") or None,
                    display_name=name,
                    description=me.bio or None,
                )
        _note_peers(document, sections, peers)
        for key in sections:
            chats = document[key].get("list", [])
            if not isinstance(chats, list):
                yield Rejected(locator=f"{key}.list", reason="expected an array", raw=_raw(chats))
                continue
            for index, chat in enumerate(chats):
                where = f"{key}.list[{index}]"
                yield from _read_chat(chat, where, accounts, peers, export_dir)


def _note_peers(document: dict[str, object], sections: list[str], peers: _Peers) -> None:
    """Every chat's account id by number, before any message names one by a bare number."""
    for key in sections:
        section = document[key]
        chats = section.get("list") if isinstance(section, dict) else None
        for chat in chats if isinstance(chats, list) else []:
            try:
                peers.add(msgspec.convert(chat, _ChatHeader))
            except msgspec.ValidationError:
                continue  # quarantined when its turn comes
