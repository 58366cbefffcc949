"""Reads ActivityPub outboxes, Mastodon style: a whole outbox, one page of it, or an archive.

An outbox is the ``OrderedCollection`` of the activities an actor published. Its items
sit in ``orderedItems``, in an embedded ``first`` page (whose embedded ``next`` pages are
followed too), or the document is itself an ``OrderedCollectionPage``. A ``first`` that is
only a URL leaves nothing to read here. Mastodon's account archive writes ``outbox.json``
with the actor beside it in ``actor.json``; when that file is there it fills in the
actor's profile.

``Create`` becomes a Post with its Media and its reply and mention edges; ``Announce`` (a
boost) becomes a repost edge only; ``Follow`` of an actor becomes a follow edge. Other
activities (Like, Delete, Update, Undo, ...) are skipped. Each activity is converted into
typed msgspec structs by itself, so a bad one is quarantined with its locator
(``orderedItems[7]``, ``first.orderedItems[3]``) and its neighbours are kept.

A content warning (``summary``) and a poll's options (a ``Question``'s ``oneOf`` or
``anyOf`` names) are kept on the Post (``content_warning``, ``sensitive``,
``poll_options``) and also folded into its text, warning first and options last, one a
line, so detection reads what a reader of the post sees. ``updated`` is ``edited_at``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar
from urllib.parse import urlsplit

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
from iru.ingest.base import InputError, ProgressCallback, Rejected, error_reason, load_document
from iru.ingest.handles import mention_target

if TYPE_CHECKING:
    from iru.ingest.examples import IngestExample

PLATFORM = "activitypub"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"

_COLLECTION_TYPES = frozenset({"OrderedCollection", "OrderedCollectionPage"})
_ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Organization", "Application"})
# https://host/users/name/statuses/123 -> https://host/users/name (Mastodon's URI scheme).
_STATUS_URI = re.compile(r"^(https?://[^/?#]+/users/[^/?#]+)/statuses/[^/?#]+")
# https://host/users/name or https://host/@name -> name@host.
_ACTOR_URI = re.compile(r"^https?://([^/?#]+)/(?:users/|@)([^/?#@]+)/?$")
# The context and type as they appear in the text, for documents too big to decode here.
_CONTEXT_TEXT = re.compile(rb"https?:(?:\\?/){2}www\.w3\.org\\?/ns\\?/activitystreams")
_TYPE_TEXT = re.compile(rb'"type"\s*:\s*"OrderedCollection(?:Page)?"')

_generic_decoder = msgspec.json.Decoder()
_T = TypeVar("_T")


class _Typed(msgspec.Struct):
    type: str


class _Ref(msgspec.Struct):
    """An embedded object read only for its identity."""

    id: str
    type: str | None = None


class _Tag(msgspec.Struct):
    type: str | None = None
    href: str | None = None
    name: str | None = None


class _Attachment(msgspec.Struct, rename="camel"):
    type: str | None = None
    media_type: str | None = None
    url: str | None = None
    name: str | None = None
    width: int | None = None
    height: int | None = None


class _PollOption(msgspec.Struct):
    name: str | None = None


class _Note(msgspec.Struct, rename="camel"):
    """A Note (or Question, Article, ...): any embedded object is read as a post."""

    id: str
    published: datetime | None = None
    updated: datetime | None = None
    summary: str | None = None  # the content warning
    sensitive: bool | None = None
    one_of: list[_PollOption] | None = None  # a Question's options, one answer
    any_of: list[_PollOption] | None = None  # ... or several
    attributed_to: str | _Ref | list[str | _Ref] | None = None
    in_reply_to: str | None = None
    content: str | None = None
    content_map: dict[str, str] | None = None
    conversation: str | None = None
    attachment: list[_Attachment] | _Attachment = []
    tag: list[_Tag] | _Tag = []


class _Create(msgspec.Struct):
    id: str
    actor: str
    published: datetime
    object: _Note


class _Announce(msgspec.Struct):
    id: str
    actor: str
    published: datetime
    object: str | _Note


class _Follow(msgspec.Struct):
    id: str
    actor: str
    published: datetime
    object: str | _Ref


class _Image(msgspec.Struct):
    url: str | None = None


class _Person(msgspec.Struct, rename="camel"):
    id: str
    type: str
    preferred_username: str | None = None
    name: str | None = None
    summary: str | None = None
    icon: _Image | list[_Image] | None = None
    url: str | None = None
    published: datetime | None = None
    manually_approves_followers: bool | None = None


class _HtmlText(HTMLParser):
    """Plain text of post HTML (``<br>`` and ``</p>`` become newlines) and its plain links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._anchor: tuple[str, bool] | None = None  # (href, is a mention or hashtag)
        self._anchor_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "a":
            attributes = dict(attrs)
            href = attributes.get("href")
            classes = (attributes.get("class") or "").split()
            rels = (attributes.get("rel") or "").split()
            entity = "mention" in classes or "hashtag" in classes or "tag" in rels
            self._anchor = (href, entity) if href else None
            self._anchor_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n")
        elif tag == "a" and self._anchor is not None:
            href, entity = self._anchor
            label = "".join(self._anchor_text).strip()
            if not entity and not label.startswith(("@", "#")):
                self.links.append(href)
            self._anchor = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._anchor is not None:
            self._anchor_text.append(data)


def html_to_text(html: str | None) -> tuple[str, list[str]]:
    """The plain text of an HTML fragment, and the hrefs of links that are not mentions or tags."""
    if not html:
        return "", []
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip(), parser.links


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _as_list(value: list[_T] | _T | None) -> list[_T]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _status_author(uri: str) -> str | None:
    """The actor URI a Mastodon status URI belongs to, when the URI follows that pattern."""
    match = _STATUS_URI.match(uri)
    return match.group(1) if match else None


def _derived_handle(actor: str) -> str | None:
    match = _ACTOR_URI.match(actor)
    return f"{match.group(2)}@{match.group(1).lower()}" if match else None


def _attributed(note: _Note) -> str | None:
    value = note.attributed_to
    first = value[0] if isinstance(value, list) and value else value
    return first.id if isinstance(first, _Ref) else first if isinstance(first, str) else None


def _is_as_context(context: object) -> bool:
    for item in _as_list(context):
        if isinstance(item, str) and item.rstrip("#").replace("http:", "https:") == AS_CONTEXT:
            return True
    return False


def _media_kind(attachment: _Attachment) -> MediaKind:
    mime = (attachment.media_type or "").lower()
    if mime == "image/gif":
        return MediaKind.ANIMATED_GIF
    by_prefix = {"image": MediaKind.PHOTO, "video": MediaKind.VIDEO, "audio": MediaKind.AUDIO}
    if mime.partition("/")[0] in by_prefix:
        return by_prefix[mime.partition("/")[0]]
    by_type = {"Image": MediaKind.PHOTO, "Video": MediaKind.VIDEO, "Audio": MediaKind.AUDIO}
    return by_type.get(attachment.type or "", MediaKind.DOCUMENT)


def _edge(  # noqa: PLR0917 - one edge, told in the order it reads
    kind: InteractionKind,
    src: str,
    dst: str | None,
    created: datetime,
    post_id: str | None = None,
    dst_post_id: str | None = None,
) -> Interaction:
    return Interaction.edge(
        PLATFORM, kind, src, dst, created, post_id=post_id, dst_post_id=dst_post_id
    )


def _create_records(create: _Create) -> list[Record]:
    """The Post of a Create, its Media, then its reply and mention edges."""
    note, actor = create.object, create.actor
    created = utc(note.published or create.published)
    html, lang = note.content, None
    if note.content_map:
        lang, mapped = next(iter(note.content_map.items()))
        html = mapped if html is None else html
    body, links = html_to_text(html)
    warning = html_to_text(note.summary)[0] or None
    options = [o.name for o in (note.one_of or note.any_of or []) if o.name and o.name.strip()]
    text = "\n\n".join(part for part in (warning, body, "\n".join(options)) if part)
    tags = _as_list(note.tag)
    mentions = _unique(
        [
            target
            for t in tags
            if t.type == "Mention" and (target := mention_target(PLATFORM, t.href)) is not None
        ]
    )
    hashtags = _unique(
        [t.name.lstrip("#") for t in tags if t.type == "Hashtag" and t.name and t.name.lstrip("#")]
    )
    tag_hrefs = {t.href for t in tags if t.href}
    media = [(a.url, a) for a in _as_list(note.attachment) if a.url]
    reply_to = note.in_reply_to
    reply_author = _status_author(reply_to) if reply_to else None
    records: list[Record] = [
        Post(
            platform=PLATFORM,
            post_id=note.id,
            account_id=actor,
            created_at=created,
            text=text,
            lang=lang,
            conversation_id=note.conversation,
            reply_to_post_id=reply_to,
            reply_to_account_id=reply_author,
            hashtags=hashtags,
            urls=_unique([link for link in links if link not in tag_hrefs]),
            mentions=mentions,
            media_ids=_unique([url for url, _ in media]),
            content_warning=warning,
            sensitive=note.sensitive,
            poll_options=options,
            edited_at=utc(note.updated) if note.updated else None,
        )
    ]
    records.extend(
        Media(
            platform=PLATFORM,
            media_id=url,
            post_id=note.id,
            account_id=actor,
            created_at=created,
            kind=_media_kind(attachment),
            url=url,
            mime_type=attachment.media_type,
            width=attachment.width,
            height=attachment.height,
            alt_text=attachment.name,
        )
        for url, attachment in media
    )
    if reply_to:
        records.append(
            _edge(InteractionKind.REPLY, actor, reply_author, created, note.id, reply_to)
        )
    records.extend(_edge(InteractionKind.MENTION, actor, m, created, note.id) for m in mentions)
    return records


def _profile_account(person: _Person) -> Account:
    host = urlsplit(person.id).hostname
    handle = _derived_handle(person.id)
    if person.preferred_username and host:
        handle = f"{person.preferred_username}@{host}"
    icons = [icon.url for icon in _as_list(person.icon) if icon.url]
    return Account(
        platform=PLATFORM,
        account_id=person.id,
        handle=handle,
        display_name=person.name or None,
        description=html_to_text(person.summary)[0] or None,
        profile_image_url=icons[0] if icons else None,
        url=person.url,
        created_at=utc(person.published) if person.published else None,
        protected=person.manually_approves_followers,
    )


def _load_profile(path: Path) -> _Person | Rejected | None:
    """The actor of a Mastodon archive, from the ``actor.json`` beside the outbox, if any."""
    actor_path = path.with_name("actor.json")
    if path.name == "actor.json" or not actor_path.is_file():
        return None
    try:
        data = actor_path.read_bytes()
    except OSError as exc:
        return Rejected(locator="actor.json", reason=f"cannot read: {exc}", raw=b"")
    try:
        person = msgspec.json.decode(data, type=_Person)
    except msgspec.DecodeError as exc:
        return Rejected(locator="actor.json", reason=error_reason(exc), raw=data)
    if person.type not in _ACTOR_TYPES:
        reason = f"expected an actor (Person, Service, ...), got type {person.type!r}"
        return Rejected(locator="actor.json", reason=reason, raw=data)
    return person


class ActivityPubFormat:
    """An ActivityPub outbox (Mastodon archive ``outbox.json``, or a fetched outbox or page)."""

    name: ClassVar[str] = "activitypub"
    description: ClassVar[str] = (
        "ActivityPub outbox: OrderedCollection(Page) of Create/Announce (Mastodon archive or fetch)"
    )

    @classmethod
    def examples(cls) -> Sequence[IngestExample]:
        """Small synthetic files and the records they must give (:mod:`iru.ingest.examples`)."""
        from iru.ingest.examples import activitypub_examples

        return activitypub_examples()

    def sniff(self, head: bytes, first_line: bytes) -> bool:
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return False
        try:
            obj = _generic_decoder.decode(first_line)
        except msgspec.DecodeError:
            # Pretty-printed, or one line too long to decode here: judge by the text.
            return bool(_CONTEXT_TEXT.search(head) and _TYPE_TEXT.search(head))
        # A whole document on one line (Mastodon writes it so), or a JSON-lines record.
        return (
            isinstance(obj, dict)
            and obj.get("type") in _COLLECTION_TYPES
            and _is_as_context(obj.get("@context"))
        )

    def read(
        self, path: Path, progress: ProgressCallback | None = None
    ) -> Iterator[Record | Rejected]:
        doc = load_document(path, progress)
        if not isinstance(doc, dict) or doc.get("type") not in _COLLECTION_TYPES:
            found = (
                repr(doc.get("type")) if isinstance(doc, dict) else f"a JSON {type(doc).__name__}"
            )
            raise InputError(
                f"{path}: not an ActivityPub OrderedCollection or OrderedCollectionPage "
                f"(found {found})"
            )
        profile = _load_profile(path)
        if isinstance(profile, Rejected):
            yield profile
            profile = None
        seen: set[str] = set()
        for where, item in _activities(doc):
            if isinstance(item, Rejected):
                yield item
                continue
            try:
                actor, records = _activity_records(item)
            except msgspec.ValidationError as exc:
                yield Rejected(
                    locator=where, reason=error_reason(exc), raw=msgspec.json.encode(item)
                )
                continue
            if records and actor not in seen:
                seen.add(actor)
                if profile is not None and profile.id == actor:
                    yield _profile_account(profile)
                else:
                    yield Account(
                        platform=PLATFORM, account_id=actor, handle=_derived_handle(actor)
                    )
            yield from records


def _activities(doc: dict[str, object]) -> Iterator[tuple[str, object]]:
    """(locator, activity) for every item of the collection and its embedded pages, in order."""
    page: object = doc
    prefix = ""
    while isinstance(page, dict):
        for key in ("orderedItems", "items"):
            if key not in page:
                continue
            items = page[key]
            if not isinstance(items, list):
                reason = f"expected an array, got {type(items).__name__}"
                raw = msgspec.json.encode(items)
                yield f"{prefix}{key}", Rejected(locator=f"{prefix}{key}", reason=reason, raw=raw)
                continue
            for number, item in enumerate(items):
                yield f"{prefix}{key}[{number}]", item
        # A collection embeds its first page; a page may embed the next one.
        step = "first" if page is doc and "first" in page else "next"
        page = page.get(step)
        prefix = f"{prefix}{step}."


def _activity_records(item: object) -> tuple[str, list[Record]]:
    """The actor of one activity and the records it gives; none for skipped activities."""
    kind = msgspec.convert(item, _Typed).type
    if kind == "Create":
        create = msgspec.convert(item, _Create)
        return create.actor, _create_records(create)
    if kind == "Announce":  # a boost: one repost edge to the original author, if known
        boost = msgspec.convert(item, _Announce)
        target = boost.object
        if isinstance(target, str):
            dst_post, author = target, _status_author(target)
        else:
            dst_post, author = target.id, _attributed(target) or _status_author(target.id)
        created = utc(boost.published)
        edge = _edge(InteractionKind.REPOST, boost.actor, author, created, boost.id, dst_post)
        return boost.actor, [edge]
    if kind == "Follow":  # an edge when what is followed is an actor, not a post
        follow = msgspec.convert(item, _Follow)
        if isinstance(follow.object, str):
            followed = None if _status_author(follow.object) else follow.object
        else:
            followed = follow.object.id if follow.object.type in _ACTOR_TYPES else None
        if followed is not None:
            edge = _edge(InteractionKind.FOLLOW, follow.actor, followed, utc(follow.published))
            return follow.actor, [edge]
    return "", []
