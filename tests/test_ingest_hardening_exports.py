"""Real exports, synthetic equivalents: Telegram media found beside the export, 2020-style
ids, content that used to be dropped, and mentions no account can have (issue 16, 4-7)."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from iru.domain import Account, Interaction, InteractionKind, Media, Post
from iru.domain.columns import SCHEMAS
from iru.engine.readers.media import local_file
from iru.ingest.activitypub import ActivityPubFormat
from iru.ingest.base import ColumnBatch, Rejected
from iru.ingest.handles import valid_mention
from iru.ingest.telegram import TelegramFormat
from iru.ingest.twitter_v2 import TwitterV2Format

from .conftest import Iru

CHANNEL = 1000000001
MEMBER = 2000000002
AS = "https://www.w3.org/ns/activitystreams"
ACTOR = "https://social.example/users/synthetic_author"

# Every folder Telegram Desktop writes files into, with a file for each.
MEDIA_FOLDERS = {
    "photos": ("photo", None, "photos/photo_1@01-02-2021_10-00-00.jpg"),
    "files": ("file", None, "files/leaflet.pdf"),
    "video_files": ("file", "video_file", "video_files/clip.mp4"),
    "voice_messages": ("file", "voice_message", "voice_messages/audio_1.ogg"),
    "stickers": ("file", "sticker", "stickers/sticker.webp"),
    "round_video_messages": ("file", "video_message", "round_video_messages/round.mp4"),
}


def _image() -> bytes:
    """A tiny generated picture (a gradient), the same bytes every time."""
    image = Image.new("RGB", (32, 32))
    image.putdata([(x * 8, y * 8, (x + y) * 4) for y in range(32) for x in range(32)])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _message(number: int, **fields: Any) -> dict[str, Any]:
    stamp = 1612173600 + number * 60  # 2021-02-01 10:00 UTC onwards
    return {
        "id": number,
        "type": "message",
        "date": datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(stamp),
        "text": "",
        **fields,
    }


def _write_export(folder: Path, messages: list[dict[str, Any]], **header: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    document = {"name": "Synthetic Channel", "type": "public_channel", "id": CHANNEL}
    document |= header
    document["messages"] = messages
    path = folder / "result.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _media_export(folder: Path) -> tuple[Path, dict[str, bytes]]:
    """A channel export with one message per media folder, its files on disk beside it."""
    files: dict[str, bytes] = {}
    messages = []
    for number, (folder_name, (field, media_type, relative)) in enumerate(
        MEDIA_FOLDERS.items(), start=1
    ):
        data = _image() if folder_name == "photos" else f"synthetic {folder_name}".encode()
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
        files[relative] = data
        fields: dict[str, Any] = {field: relative, "from": "Synthetic Channel"}
        fields["from_id"] = f"channel{CHANNEL}"
        if media_type:
            fields["media_type"] = media_type
        messages.append(_message(number, **fields))
    return _write_export(folder, messages), files


def _read(fmt: Any, path: Path) -> list[Any]:
    return list(fmt.read(path))


def _posts(items: list[Any]) -> dict[str, Post]:
    return {p.post_id: p for p in items if isinstance(p, Post)}


# -- 4. Telegram media beside the export ------------------------------------------------------


def test_every_telegram_media_folder_resolves_without_settings(tmp_path: Path) -> None:
    path, files = _media_export(tmp_path / "export")
    media = {m.url: m for m in _read(TelegramFormat(), path) if isinstance(m, Media)}
    assert set(media) == set(files)
    for relative, data in files.items():
        found = local_file(None, media[relative].url, media[relative].local_path)
        assert found is not None, relative
        assert found.read_bytes() == data


def test_export_paths_leading_out_of_the_export_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside the export", encoding="utf-8")
    messages = [
        _message(1, photo="../secret.txt"),
        _message(2, file=str(tmp_path / "secret.txt")),
        _message(3, photo="photos/missing.jpg"),
        _message(4, file="(File not included. Change data exporting settings to download.)"),
    ]
    path = _write_export(tmp_path / "export", messages)
    media = [m for m in _read(TelegramFormat(), path) if isinstance(m, Media)]
    assert len(media) == 4
    assert all(m.local_path is None for m in media)


def test_the_media_folder_lookup_keeps_the_whole_relative_path(tmp_path: Path) -> None:
    media_dir = tmp_path / "media"
    (media_dir / "photos").mkdir(parents=True)
    (media_dir / "photos" / "x.jpg").write_bytes(b"photo")
    (media_dir / "a").mkdir()
    (media_dir / "a" / "b.jpg").write_bytes(b"web")
    (tmp_path / "passwd").write_text("outside", encoding="utf-8")
    assert local_file(media_dir, "photos/x.jpg") == media_dir / "photos" / "x.jpg"
    assert local_file(media_dir, "https://cdn.example/a/b.jpg?size=large") == media_dir / "a/b.jpg"
    (media_dir / "c.jpg").write_bytes(b"by name")
    assert local_file(media_dir, "https://cdn.example/x/y/c.jpg") == media_dir / "c.jpg"
    for hostile in ("../passwd", "https://x//etc/passwd", "https://x/../../passwd", "/etc/passwd"):
        found = local_file(media_dir, hostile)
        assert found is None or found.resolve().is_relative_to(media_dir.resolve()), hostile


def test_detect_finds_known_media_in_a_telegram_export(iru: Iru, tmp_path: Path) -> None:
    path, files = _media_export(tmp_path / "export")
    photo, leaflet = MEDIA_FOLDERS["photos"][2], MEDIA_FOLDERS["files"][2]
    hashes = tmp_path / "known.csv"
    hashes.write_text(
        "hash_type,hash_value,label,source,created_at\n"
        f"sha256,{hashlib.sha256(files[photo]).hexdigest()},synthetic-photo,test,"
        "2021-01-01T00:00:00Z\n"
        f"md5,{hashlib.md5(files[leaflet]).hexdigest()},synthetic-leaflet,test,"
        "2021-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    iru("ingest", str(path))
    iru("hashes", "import", str(hashes))
    result = iru("detect")  # media_dir is the workspace's own, empty folder
    assert "signals: known-media" in result.output
    ws = iru.open()
    try:
        with ws.archive.query() as conn:
            rows = conn.execute(
                "SELECT s.label, m.post_id, s.account_id FROM signals s "
                "JOIN media m ON m.media_id = s.subject_id "
                "WHERE s.detector = 'known-media' ORDER BY s.label"
            ).fetchall()
    finally:
        ws.close()
    channel = f"channel{CHANNEL}"
    assert rows == [
        ("synthetic-leaflet", f"{channel}/2", channel),
        ("synthetic-photo", f"{channel}/1", channel),
    ]


# -- 5. 2020-style numeric from_id ------------------------------------------------------------


def _channel_messages(style: str) -> list[dict[str, Any]]:
    own: Any = CHANNEL if style == "2020" else f"channel{CHANNEL}"
    member: Any = MEMBER if style == "2020" else f"user{MEMBER}"
    return [
        _message(1, **{"from": "Synthetic Channel", "from_id": own, "text": "first post"}),
        _message(2, **{"from": "Synthetic Channel", "from_id": own, "text": "second post"}),
        _message(3, **{"from": "Synthetic Member", "from_id": member, "text": "a comment"}),
    ]


def _people(items: list[Any]) -> tuple[set[str], dict[str, str]]:
    accounts = {a.account_id for a in items if isinstance(a, Account)}
    authors = {p.post_id: p.account_id for p in items if isinstance(p, Post)}
    return accounts, authors


@pytest.mark.parametrize("channel_type", ["public_channel", "private_channel"])
def test_2020_and_newer_exports_give_the_same_accounts(tmp_path: Path, channel_type: str) -> None:
    found = {}
    for style in ("2020", "2021"):
        path = _write_export(tmp_path / style, _channel_messages(style), type=channel_type)
        found[style] = _people(_read(TelegramFormat(), path))
    assert found["2020"] == found["2021"]
    accounts, authors = found["2020"]
    assert accounts == {f"channel{CHANNEL}", f"user{MEMBER}"}
    assert authors[f"channel{CHANNEL}/1"] == f"channel{CHANNEL}"
    assert authors[f"channel{CHANNEL}/3"] == f"user{MEMBER}"


def test_a_2020_full_export_maps_numbers_to_the_chats_it_holds(tmp_path: Path) -> None:
    """In a whole-account export a bare number names the chat of that id, wherever it is used."""
    group = {
        "name": "Synthetic Group",
        "type": "private_supergroup",
        "id": 3000000003,
        "messages": [
            _message(1, **{"from": "Synthetic Channel", "from_id": CHANNEL, "text": "linked"}),
            _message(2, **{"from": "Synthetic Member", "from_id": MEMBER, "text": "reply"}),
        ],
    }
    channel = {
        "name": "Synthetic Channel",
        "type": "public_channel",
        "id": CHANNEL,
        "messages": _channel_messages("2020"),
    }
    path = tmp_path / "full" / "result.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"chats": {"list": [group, channel]}}), encoding="utf-8")
    accounts, authors = _people(_read(TelegramFormat(), path))
    assert f"user{CHANNEL}" not in accounts
    assert authors["channel3000000003/1"] == f"channel{CHANNEL}"
    assert authors["channel3000000003/2"] == f"user{MEMBER}"


# -- 6. Content that used to be dropped --------------------------------------------------------


def _outbox(folder: Path) -> Path:
    warned = {
        "id": f"{ACTOR}/statuses/1",
        "type": "Note",
        "published": "2024-05-01T10:00:00Z",
        "updated": "2024-05-01T11:30:00Z",
        "attributedTo": ACTOR,
        "summary": "Synthetic warning",
        "sensitive": True,
        "content": "<p>Body behind the warning</p>",
        "tag": [
            {"type": "Mention", "href": "https://other.example/users/friend", "name": "@friend"},
            {"type": "Mention", "href": "not an actor", "name": "@??"},
        ],
    }
    poll = {
        "id": f"{ACTOR}/statuses/2",
        "type": "Question",
        "published": "2024-05-02T10:00:00Z",
        "attributedTo": ACTOR,
        "content": "<p>Which synthetic day?</p>",
        "oneOf": [
            {"type": "Note", "name": "Syntheticday", "replies": {"totalItems": 3}},
            {"type": "Note", "name": "Placeholderday", "replies": {"totalItems": 1}},
        ],
    }
    several = poll | {"id": f"{ACTOR}/statuses/3", "anyOf": poll["oneOf"], "oneOf": None}
    items = [
        {
            "id": f"{note['id']}/activity",
            "type": "Create",
            "actor": ACTOR,
            "published": note["published"],
            "object": note,
        }
        for note in (warned, poll, several)
    ]
    document = {"@context": AS, "type": "OrderedCollection", "orderedItems": items}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "outbox.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_activitypub_content_warnings_and_polls_are_kept(tmp_path: Path) -> None:
    posts = _posts(_read(ActivityPubFormat(), _outbox(tmp_path)))
    warned = posts[f"{ACTOR}/statuses/1"]
    assert warned.content_warning == "Synthetic warning" and warned.sensitive is True
    assert warned.text == "Synthetic warning\n\nBody behind the warning"
    assert warned.edited_at == datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    poll = posts[f"{ACTOR}/statuses/2"]
    assert poll.poll_options == ["Syntheticday", "Placeholderday"]
    assert poll.text == "Which synthetic day?\n\nSyntheticday\nPlaceholderday"
    assert posts[f"{ACTOR}/statuses/3"].poll_options == ["Syntheticday", "Placeholderday"]
    assert poll.content_warning is None and poll.sensitive is None


def test_telegram_signatures_and_edits_are_kept(tmp_path: Path) -> None:
    messages = [
        _message(1, author="Synthetic Editor", edited="2021-02-01T12:00:00", text="signed"),
        _message(2, edited="2021-02-01T12:00:00", edited_unixtime="1612184400", text="edited"),
        _message(3, text="plain"),
    ]
    posts = _posts(_read(TelegramFormat(), _write_export(tmp_path, messages)))
    first, second, third = (posts[f"channel{CHANNEL}/{n}"] for n in (1, 2, 3))
    assert first.author_signature == "Synthetic Editor"
    assert first.edited_at == datetime(2021, 2, 1, 12, 0, tzinfo=UTC)
    assert second.edited_at == datetime(2021, 2, 1, 13, 0, tzinfo=UTC)  # from the epoch
    assert third.author_signature is None and third.edited_at is None


def test_kept_content_is_archived_and_detect_reads_it(iru: Iru, tmp_path: Path) -> None:
    outbox = _outbox(tmp_path / "ap")
    telegram = _write_export(
        tmp_path / "tg",
        [_message(1, author="Synthetic Editor", edited="2021-02-01T12:00:00", text="x")],
    )
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'name = "synthetic"\nversion = "1"\nauthor = "analyst"\nupdated = 2024-01-01\n\n'
        '[[rule]]\nid = "poll"\nlanguage = "*"\nkind = "term"\npattern = "placeholderday"\n'
        "weight = 0.6\n\n"
        '[[rule]]\nid = "cw"\nlanguage = "*"\nkind = "term"\npattern = "synthetic warning"\n'
        "weight = 0.6\n",
        encoding="utf-8",
    )
    iru("ingest", str(outbox), str(telegram))
    iru("indicators", "import", str(rules))
    iru("detect")
    ws = iru.open()
    try:
        with ws.archive.query() as conn:
            stored = {
                row[0]: row[1:]
                for row in conn.execute(
                    "SELECT post_id, content_warning, sensitive, poll_options, author_signature,"
                    " edited_at FROM posts"
                ).fetchall()
            }
            matched = conn.execute(
                "SELECT subject_id, explanation FROM signals WHERE detector = 'indicators' "
                "ORDER BY subject_id"
            ).fetchall()
    finally:
        ws.close()
    warned = stored[f"{ACTOR}/statuses/1"]
    assert warned[:3] == ("Synthetic warning", True, [])
    assert warned[4] == datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    assert stored[f"{ACTOR}/statuses/2"][2] == ["Syntheticday", "Placeholderday"]
    assert stored[f"channel{CHANNEL}/1"][3] == "Synthetic Editor"
    flagged = {subject for subject, _ in matched}
    assert {f"{ACTOR}/statuses/{n}" for n in (1, 2, 3)} <= flagged


def test_archive_files_written_before_the_new_columns_still_read(iru: Iru) -> None:
    # The columns as they were before issue 16 added content warnings, polls, ... and paths.
    old_posts = pa.schema(list(SCHEMAS["posts"])[:21])
    old_media = pa.schema(list(SCHEMAS["media"])[:15])
    created = datetime(2020, 6, 1, 9, 0, tzinfo=UTC)
    post = {
        "platform": "telegram",
        "post_id": "channel1/1",
        "account_id": "channel1",
        "created_at": created,
        "text": "an old archived post",
        "hashtags": [],
        "urls": [],
        "mentions": [],
        "media_ids": ["channel1/1/photos/a.jpg"],
    }
    media = {
        "platform": "telegram",
        "media_id": "channel1/1/photos/a.jpg",
        "post_id": "channel1/1",
        "account_id": "channel1",
        "created_at": created,
        "kind": "photo",
        "url": "photos/a.jpg",
    }
    ws = iru.open()
    root = ws.archive.root
    ws.close()
    for table, schema, row in (("posts", old_posts, post), ("media", old_media, media)):
        folder = root / table / "platform=telegram" / "day=2020-06-01"
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist([row], schema=schema), folder / "part-old-1.parquet")
    iru("detect")  # reads the old files without their columns
    ws = iru.open()
    try:
        with ws.archive.query() as conn:
            got = conn.execute(
                "SELECT text, content_warning, poll_options, edited_at FROM posts"
            ).fetchall()
            paths = conn.execute("SELECT local_path FROM media").fetchall()
    finally:
        ws.close()
    assert got == [("an old archived post", None, None, None)]
    assert paths == [(None,)]


# -- 7. Mentions no account can have ----------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "target", "valid"),
    [
        ("telegram", "@synthetic_name", True),
        ("telegram", "@1199", False),
        ("telegram", "@ab", False),
        ("telegram", "@_leading", False),
        ("telegram", "@" + "a" * 33, False),
        ("telegram", "user2000000002", True),
        ("twitter", "@synthetic_x", True),
        ("twitter", "@" + "a" * 16, False),
        ("twitter", "@bad-name", False),
        ("twitter", "1234567890", True),
        ("activitypub", "https://social.example/users/friend", True),
        ("activitypub", "friend@social.example", True),
        ("activitypub", "@friend@social.example", True),
        ("activitypub", "not an actor", False),
        ("activitypub", "@friend", False),
    ],
)
def test_mention_rules_per_platform(platform: str, target: str, valid: bool) -> None:
    assert valid_mention(platform, target) is valid


def _mention_targets(items: list[Any]) -> set[str | None]:
    return {
        i.dst_account_id
        for i in items
        if isinstance(i, Interaction) and i.kind is InteractionKind.MENTION
    }


def test_telegram_impossible_mentions_make_no_edges(tmp_path: Path) -> None:
    entities = [
        {"type": "mention", "text": "@1199"},
        {"type": "plain", "text": " and "},
        {"type": "mention", "text": "@synthetic_name"},
        {"type": "mention", "text": "@ab"},
        {"type": "mention_name", "text": "Synthetic Member", "user_id": MEMBER},
    ]
    message = _message(1, text="@1199 and @synthetic_name @ab Synthetic Member")
    message["text_entities"] = entities
    items = _read(TelegramFormat(), _write_export(tmp_path, [message]))
    assert not [i for i in items if isinstance(i, Rejected)]
    (post,) = _posts(items).values()
    assert post.text.startswith("@1199")  # the text is kept as written
    assert post.mentions == ["@synthetic_name", f"user{MEMBER}"]
    assert _mention_targets(items) == {"@synthetic_name", f"user{MEMBER}"}


def test_activitypub_impossible_mentions_make_no_edges(tmp_path: Path) -> None:
    items = _read(ActivityPubFormat(), _outbox(tmp_path))
    assert _mention_targets(items) == {"https://other.example/users/friend"}


@pytest.mark.parametrize("bulk", [False, True])
def test_x_impossible_mentions_make_no_edges(tmp_path: Path, bulk: bool) -> None:
    tweet = {
        "id": "5001",
        "author_id": "4001",
        "created_at": "2024-05-01T10:00:00.000Z",
        "text": "@synthetic_x @bad-name",
        "entities": {
            "mentions": [
                {"start": 0, "end": 12, "username": "synthetic_x"},
                {"start": 13, "end": 22, "username": "bad-name"},
                {"start": 13, "end": 22, "username": "toolongforanxhandle", "id": "4002"},
            ]
        },
    }
    path = tmp_path / "tweets.jsonl"
    page = {"data": [tweet], "includes": {"users": [{"id": "4001", "username": "author_x"}]}}
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    fmt = TwitterV2Format()
    if bulk:
        batches = [b for b in fmt.read_batches(path) if isinstance(b, ColumnBatch)]
        assert batches, "the bulk path took the chunk"
        posts = [p for batch in batches for p in batch.posts.to_pylist()]
        edges = [e for batch in batches for e in batch.interactions.to_pylist()]
        assert posts[0]["mentions"] == ["synthetic_x", "4002"]
        targets = {e["dst_account_id"] for e in edges if e["kind"] == "mention"}
    else:
        items = _read(fmt, path)
        (post,) = _posts(items).values()
        assert post.mentions == ["synthetic_x", "4002"]
        targets = _mention_targets(items)
    assert targets == {"@synthetic_x", "4002"}
