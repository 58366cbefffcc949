"""The examples ingest formats ship (their ``examples()``), for the plugin conformance suite.

An :class:`IngestExample` is a small synthetic export: the file's name and bytes, and how
many records of each kind reading it must give (``account``, ``post``, ``media``,
``interaction``, and ``rejected`` for the records that go to the quarantine). The suite
(``tests/test_plugin_conformance.py``) writes it to a folder, checks that the format
recognises it (and that auto-detection picks this format), reads it and compares the
counts. Everything here is invented: reserved ``.example`` hosts, made-up ids and texts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from iru.domain import Account, Interaction, Media, Post

KINDS = ("account", "post", "media", "interaction", "rejected")


@dataclass(frozen=True, slots=True)
class IngestExample:
    """One example file and the record counts reading it must give (kinds left out: 0)."""

    filename: str
    data: bytes
    counts: Mapping[str, int]


def record_counts(items: Iterable[object]) -> dict[str, int]:
    """How many records of each kind (:data:`KINDS`) a format's ``read`` gave."""
    kinds: Counter[str] = Counter()
    for item in items:
        if isinstance(item, Account):
            kinds["account"] += 1
        elif isinstance(item, Post):
            kinds["post"] += 1
        elif isinstance(item, Media):
            kinds["media"] += 1
        elif isinstance(item, Interaction):
            kinds["interaction"] += 1
        else:
            kinds["rejected"] += 1
    return {kind: kinds[kind] for kind in KINDS}


def _lines(records: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def jsonl_examples() -> tuple[IngestExample, ...]:
    """One record of each type and a line whose time is not a time."""
    when = "2025-01-01T12:00:00Z"
    data = _lines(
        [
            {"type": "account", "platform": "example", "account_id": "u-1", "handle": "ex_1"},
            {"type": "post", "platform": "example", "post_id": "p-1", "account_id": "u-1",
             "created_at": when, "text": "hello #example", "hashtags": ["example"]},
            {"type": "media", "platform": "example", "media_id": "m-1", "post_id": "p-1",
             "account_id": "u-1", "created_at": when, "kind": "photo"},
            {"type": "interaction", "platform": "example", "kind": "repost",
             "src_account_id": "u-2", "dst_account_id": "u-1", "post_id": "p-2",
             "dst_post_id": "p-1", "created_at": when},
            {"type": "post", "platform": "example", "post_id": "p-3", "account_id": "u-1",
             "created_at": "last tuesday"},
        ]
    )  # fmt: skip
    counts = {"account": 1, "post": 1, "media": 1, "interaction": 1, "rejected": 1}
    return (IngestExample("example.jsonl", data, counts),)


def twitter_v2_examples() -> tuple[IngestExample, ...]:
    """A twarc2 line: a post, a retweet of it, a tweet with a broken time, two users."""
    page = {
        "data": [
            {"id": "1700000000000000101", "author_id": "1000000000000000101",
             "text": "Morning bulletin: the market opens at nine #example",
             "created_at": "2025-01-01T12:00:00.000Z", "lang": "en",
             "entities": {"hashtags": [{"start": 44, "end": 52, "tag": "example"}]}},
            {"id": "1700000000000000102", "author_id": "1000000000000000102",
             "text": "RT @example_desk: Morning bulletin",
             "created_at": "2025-01-01T12:05:00.000Z",
             "referenced_tweets": [{"type": "retweeted", "id": "1700000000000000101"}]},
            {"id": "1700000000000000103", "author_id": "1000000000000000102",
             "text": "a time that is not one", "created_at": "yesterday"},
        ],
        "includes": {
            "users": [
                {"id": "1000000000000000101", "username": "example_desk", "name": "Desk"},
                {"id": "1000000000000000102", "username": "example_reader", "name": "Reader"},
            ]
        },
    }  # fmt: skip
    counts = {"account": 2, "post": 2, "interaction": 1, "rejected": 1}
    return (IngestExample("example.jsonl", _lines([page]), counts),)


def telegram_examples() -> tuple[IngestExample, ...]:
    """A channel export: a post, a forward, and a message with a broken date."""

    def message(n: int, date: str, text: str, **more: Any) -> dict[str, Any]:
        return {
            "id": n, "type": "message", "date": date, "from": "Example Channel",
            "from_id": "channel1500000101", "text": text,
            "text_entities": [{"type": "plain", "text": text}], **more,
        }  # fmt: skip

    export = {
        "name": "Example Channel",
        "type": "public_channel",
        "id": 1500000101,
        "messages": [
            message(1, "2025-01-01T12:00:00", "Weekly bulletin", date_unixtime="1735732800"),
            message(2, "2025-01-01T12:10:00", "Forwarded note", forwarded_from="Other Example",
                    date_unixtime="1735733400"),
            message(3, "not-a-date", "broken date"),
        ],
    }  # fmt: skip
    counts = {"account": 2, "post": 2, "interaction": 1, "rejected": 1}
    return (IngestExample("result.json", json.dumps(export).encode(), counts),)


def activitypub_examples() -> tuple[IngestExample, ...]:
    """An outbox: a note with a hashtag, a boost, and a note without an id."""
    actor = "https://social.example/users/example"
    note = {
        "id": f"{actor}/statuses/1", "type": "Note", "attributedTo": actor,
        "published": "2025-01-01T12:00:00Z", "content": "<p>Weekly bulletin #example</p>",
        "tag": [{"type": "Hashtag", "name": "#example",
                 "href": "https://social.example/tags/example"}],
    }  # fmt: skip
    outbox = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/outbox",
        "type": "OrderedCollection",
        "totalItems": 3,
        "orderedItems": [
            {"id": f"{actor}/statuses/1/activity", "type": "Create", "actor": actor,
             "published": "2025-01-01T12:00:00Z", "object": note},
            {"id": f"{actor}/statuses/2/activity", "type": "Announce", "actor": actor,
             "published": "2025-01-01T12:05:00Z",
             "object": "https://other.example/users/someone/statuses/9"},
            {"id": f"{actor}/statuses/3/activity", "type": "Create", "actor": actor,
             "published": "2025-01-01T12:06:00Z", "object": {"type": "Note"}},
        ],
    }  # fmt: skip
    counts = {"account": 1, "post": 1, "interaction": 1, "rejected": 1}
    return (IngestExample("outbox.json", json.dumps(outbox).encode(), counts),)


__all__ = [
    "KINDS",
    "IngestExample",
    "activitypub_examples",
    "jsonl_examples",
    "record_counts",
    "telegram_examples",
    "twitter_v2_examples",
]
