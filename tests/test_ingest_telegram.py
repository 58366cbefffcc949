"""Telegram Desktop JSON export reader: the sample exports, malformed messages and sniffing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import msgspec
import pytest

from iru.domain import Account, Interaction, InteractionKind, Media, MediaKind, Post, Record
from iru.ingest.base import InputError, Rejected, read_head
from iru.ingest.telegram import TelegramFormat

ROOT = Path(__file__).resolve().parents[1]
CHANNEL = ROOT / "examples" / "telegram" / "result.json"
DATA = ROOT / "tests" / "data" / "telegram"
FULL = DATA / "full_export.json"
MALFORMED = DATA / "malformed.json"

FORMAT = TelegramFormat()

T = TypeVar("T")


def read(path: Path) -> list[Record | Rejected]:
    return list(FORMAT.read(path))


def of_type(items: list[Record | Rejected], kind: type[T]) -> list[T]:
    return [item for item in items if isinstance(item, kind)]


def counts(items: list[Record | Rejected]) -> Counter[str]:
    return Counter(type(item).__name__ for item in items)


def edge_kinds(items: list[Record | Rejected]) -> Counter[InteractionKind]:
    return Counter(edge.kind for edge in of_type(items, Interaction))


def by_post_id(items: list[Record | Rejected]) -> dict[str, Post]:
    return {post.post_id: post for post in of_type(items, Post)}


def sniff_file(path: Path) -> bool:
    return FORMAT.sniff(*read_head(path))


# --- the single-chat export (a public channel) -------------------------------------------


def test_channel_export_counts() -> None:
    items = read(CHANNEL)
    assert counts(items) == {"Account": 3, "Post": 12, "Media": 5, "Interaction": 5}
    assert edge_kinds(items) == {
        InteractionKind.FORWARD: 2,
        InteractionKind.REPLY: 2,
        InteractionKind.MENTION: 1,
    }
    assert [a.account_id for a in of_type(items, Account)] == [
        "channel1500000001",
        "channel1500000002",
        "name:Community Notice Board",
    ]
    assert all(item.platform == "telegram" for item in items if not isinstance(item, Rejected))


def test_channel_service_messages_are_skipped() -> None:
    post_ids = set(by_post_id(read(CHANNEL)))
    assert "channel1500000001/1" not in post_ids  # create_channel
    assert "channel1500000001/12" not in post_ids  # pin_message
    assert "channel1500000001/2" in post_ids


def test_arabic_post_text_entities_and_utc_time() -> None:
    post = by_post_id(read(CHANNEL))["channel1500000001/3"]
    assert post.text == (
        "نشرة الطقس: أجواء معتدلة مع سحب متفرقة خلال عطلة نهاية الأسبوع. "
        "#طقس https://news.example.org/weather/2024-03-01"
    )
    # "date" is the exporter's local time (UTC+3); date_unixtime is the instant.
    assert post.created_at == datetime(2024, 3, 1, 11, 30, tzinfo=UTC)
    assert post.created_at.utcoffset() is not None
    assert post.account_id == "channel1500000001"
    assert post.hashtags == ["طقس"]
    assert post.urls == ["https://news.example.org/weather/2024-03-01"]


def test_channel_entities_text_link_and_mention() -> None:
    posts = by_post_id(read(CHANNEL))
    russian = posts["channel1500000001/4"]
    assert russian.text.endswith("Подробности на сайте.")
    assert russian.urls == ["https://library.example.net/hours"]
    french = posts["channel1500000001/5"]
    assert french.text.startswith("Rappel : la conférence")
    assert french.mentions == ["@sample_press_desk"]


def test_channel_forwards_point_at_the_source() -> None:
    items = read(CHANNEL)
    forwards = {
        e.post_id: e for e in of_type(items, Interaction) if e.kind is InteractionKind.FORWARD
    }
    assert forwards["channel1500000001/6"].src_account_id == "channel1500000001"
    assert forwards["channel1500000001/6"].dst_account_id == "channel1500000002"
    # An export without forwarded_from_id: a stable id made from the name.
    assert forwards["channel1500000001/8"].dst_account_id == "name:Community Notice Board"
    posts = by_post_id(items)
    assert posts["channel1500000001/6"].forwarded_from == "channel1500000002"
    names = {a.account_id: a.display_name for a in of_type(items, Account)}
    assert names["channel1500000002"] == "Sample Weather Desk"


def test_channel_replies() -> None:
    items = read(CHANNEL)
    posts = by_post_id(items)
    assert posts["channel1500000001/7"].reply_to_post_id == "channel1500000001/3"
    assert posts["channel1500000001/7"].reply_to_account_id == "channel1500000001"
    replies = {e.post_id: e for e in of_type(items, Interaction) if e.kind is InteractionKind.REPLY}
    assert replies["channel1500000001/7"].dst_post_id == "channel1500000001/3"
    assert replies["channel1500000001/7"].dst_account_id == "channel1500000001"
    # The replied-to message is not in the export: the target post is known, its author not.
    assert replies["channel1500000001/14"].dst_post_id == "channel1500000001/99"
    assert replies["channel1500000001/14"].dst_account_id is None
    assert posts["channel1500000001/14"].reply_to_account_id is None


def test_channel_media() -> None:
    items = read(CHANNEL)
    media = {m.post_id: m for m in of_type(items, Media)}
    assert Counter(m.kind for m in media.values()) == {
        MediaKind.PHOTO: 2,
        MediaKind.VIDEO: 1,
        MediaKind.ANIMATED_GIF: 1,
        MediaKind.AUDIO: 1,
    }
    photo = media["channel1500000001/2"]
    assert photo.url == "photos/photo_1@01-03-2024_13-15-00.jpg"
    assert photo.media_id == "channel1500000001/2/photos/photo_1@01-03-2024_13-15-00.jpg"
    assert (photo.width, photo.height) == (1280, 720)
    video = media["channel1500000001/6"]
    assert video.url == "video_files/harbour_timelapse.mp4"
    assert video.mime_type == "video/mp4"
    assert video.duration_ms == 42_000
    assert video.account_id == "channel1500000001"
    # A file the export left out has no path, but is still counted.
    assert media["channel1500000001/10"].url is None
    posts = by_post_id(items)
    assert posts["channel1500000001/2"].media_ids == [photo.media_id]
    assert posts["channel1500000001/10"].media_ids == [media["channel1500000001/10"].media_id]


# --- the full-account export ------------------------------------------------------------


def test_full_export_counts() -> None:
    items = read(FULL)
    assert counts(items) == {"Account": 9, "Post": 13, "Media": 4, "Interaction": 7}
    assert edge_kinds(items) == {
        InteractionKind.FORWARD: 1,
        InteractionKind.REPLY: 4,
        InteractionKind.MENTION: 2,
    }
    media_kinds = Counter(m.kind for m in of_type(items, Media))
    assert media_kinds == {
        MediaKind.PHOTO: 1,
        MediaKind.STICKER: 1,
        MediaKind.VIDEO: 1,
        MediaKind.DOCUMENT: 1,
    }


def test_full_export_accounts() -> None:
    accounts = {a.account_id: a for a in of_type(read(FULL), Account)}
    assert set(accounts) == {
        "user700000001",
        "user700000002",
        "channel1600000001",
        "user700000003",
        "user700000004",
        "channel1500000001",
        "user700000005",
        "channel1700000001",
        "chat800000001",
    }
    me = accounts["user700000001"]
    assert me.handle == "sample_analyst"
    assert me.display_name == "Sample Analyst"
    assert accounts["user700000005"].display_name == "Иван Пример"
    assert accounts["chat800000001"].display_name == "Old Book Club"  # from left_chats


def test_full_export_ids_are_per_chat() -> None:
    posts = by_post_id(read(FULL))
    # Message id 1 exists in four chats: each is its own post.
    assert {pid for pid in posts if pid.endswith("/1")} == {
        "user700000002/1",
        "channel1700000001/1",
        "user700000001/1",
        "chat800000001/1",
    }
    arabic = posts["channel1600000001/2"]
    assert arabic.account_id == "user700000003"
    assert arabic.text == "مرحبا بالجميع! موعد سقي الحديقة يوم السبت. #حديقة"
    assert arabic.created_at == datetime(2024, 4, 1, 9, 10, tzinfo=UTC)
    assert posts["channel1700000001/1"].account_id == "channel1700000001"


def test_full_export_edges() -> None:
    items = read(FULL)
    edges = {(e.kind, e.post_id): e for e in of_type(items, Interaction)}
    forward = edges[(InteractionKind.FORWARD, "channel1600000001/4")]
    assert (forward.src_account_id, forward.dst_account_id) == (
        "user700000001",
        "channel1500000001",
    )
    reply = edges[(InteractionKind.REPLY, "channel1600000001/3")]
    assert (reply.src_account_id, reply.dst_account_id) == ("user700000004", "user700000003")
    assert reply.dst_post_id == "channel1600000001/2"
    # A reply to a forwarded message points at whoever forwarded it.
    reply_fwd = edges[(InteractionKind.REPLY, "channel1600000001/5")]
    assert reply_fwd.dst_account_id == "user700000001"
    dm = edges[(InteractionKind.REPLY, "user700000002/2")]
    assert (dm.src_account_id, dm.dst_account_id) == ("user700000001", "user700000002")
    left = edges[(InteractionKind.REPLY, "chat800000001/2")]
    assert left.dst_account_id == "user700000002"
    mention_name = edges[(InteractionKind.MENTION, "channel1600000001/3")]
    assert mention_name.dst_account_id == "user700000003"
    mention = edges[(InteractionKind.MENTION, "channel1600000001/5")]
    assert mention.dst_account_id == "@garden_helper_bot"
    for edge in of_type(items, Interaction):
        assert edge.created_at.tzinfo is not None


# --- malformed messages -----------------------------------------------------------------


def test_malformed_messages_are_rejected_and_neighbours_kept() -> None:
    items = read(MALFORMED)
    assert counts(items) == {"Account": 2, "Post": 3, "Interaction": 1, "Rejected": 5}
    assert sorted(by_post_id(items)) == [
        "channel1800000001/1",
        "channel1800000001/6",
        "channel1800000001/9",
    ]
    rejected = {r.locator: r for r in of_type(items, Rejected)}
    assert list(rejected) == [
        "messages[1] (message id 2)",
        "messages[2]",
        "messages[3] (message id 4)",
        "messages[6]",
        "messages[7] (message id 8)",
    ]
    assert "RFC3339" in rejected["messages[1] (message id 2)"].reason
    assert "$.date" in rejected["messages[1] (message id 2)"].reason
    assert "missing required field `id`" in rejected["messages[2]"].reason
    assert "$.text" in rejected["messages[3] (message id 4)"].reason
    assert "got `int`" in rejected["messages[3] (message id 4)"].reason
    assert "Expected `object`" in rejected["messages[6]"].reason
    assert "date_unixtime" in rejected["messages[7] (message id 8)"].reason
    # The raw bytes are the message as it was in the file.
    raw = msgspec.json.decode(rejected["messages[3] (message id 4)"].raw)
    assert raw["id"] == 4
    assert raw["text"] == 12345
    assert msgspec.json.decode(rejected["messages[6]"].raw) == "not a message object"


def test_rejects_stay_in_file_order() -> None:
    kinds = [type(item).__name__ for item in read(MALFORMED)]
    assert kinds == [
        "Account",
        "Account",
        "Post",
        "Rejected",
        "Rejected",
        "Rejected",
        "Post",
        "Interaction",
        "Rejected",
        "Rejected",
        "Post",
    ]


def test_full_export_locators_name_the_chat(tmp_path: Path) -> None:
    doc = json.loads(FULL.read_text(encoding="utf-8"))
    doc["chats"]["list"][1]["messages"][3]["date"] = "2024-13-45T99:00:00"
    del doc["chats"]["list"][1]["messages"][3]["date_unixtime"]
    doc["left_chats"]["list"][0] = {"name": "No id", "type": "private_group", "messages": []}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    items = read(path)
    assert [r.locator for r in of_type(items, Rejected)] == [
        "chats.list[1].messages[3] (message id 4)",
        "left_chats.list[0]",
    ]
    assert counts(items)["Post"] == 13 - 1 - 2


# --- whole-file errors and sniffing -----------------------------------------------------


def test_not_json_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text("this is not JSON {", encoding="utf-8")
    with pytest.raises(InputError, match=r"result\.json"):
        read(path)


def test_json_without_messages_or_chats_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"name": "x", "type": "public_channel", "id": 1}', encoding="utf-8")
    with pytest.raises(InputError, match=r"other\.json.*neither messages nor chats"):
        read(path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match=r"other\.json"):
        read(path)


@pytest.mark.parametrize("path", [CHANNEL, FULL, MALFORMED], ids=lambda p: p.name)
def test_sniff_recognises_samples(path: Path) -> None:
    assert sniff_file(path)


def test_sniff_recognises_large_and_minified_exports(tmp_path: Path) -> None:
    doc = json.loads(CHANNEL.read_text(encoding="utf-8"))
    doc["messages"] = doc["messages"] * 200  # well past the 64 KiB head
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    minified = tmp_path / "minified.json"
    minified.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    for path in (pretty, minified):
        head, _ = read_head(path)
        assert len(head) == 64 * 1024
        assert sniff_file(path)
    full = json.loads(FULL.read_text(encoding="utf-8"))
    full["contacts"]["list"] *= 1000  # the chats come after a long contact list
    big_full = tmp_path / "full.json"
    big_full.write_text(json.dumps(full, ensure_ascii=False, indent=1), encoding="utf-8")
    assert sniff_file(big_full)


TWARC2_LINE = json.dumps(
    {
        "data": [
            {
                "id": "1001",
                "text": "hello",
                "author_id": "2001",
                "created_at": "2024-03-01T10:00:00.000Z",
            }
        ],
        "includes": {"users": [{"id": "2001", "username": "sample_user", "name": "Sample"}]},
        "__twarc": {
            "url": "https://api.example.invalid/2/tweets",
            "retrieved_at": "2024-03-01T10:05:00+00:00",
        },
    }
)
ACTIVITYPUB_DOC = json.dumps(
    {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://social.example/users/sample/outbox",
        "type": "OrderedCollection",
        "orderedItems": [{"type": "Create", "object": {"type": "Note", "content": "hi"}}],
    },
    indent=2,
)
IRU_JSONL = (
    '{"type": "account", "platform": "telegram", "account_id": "channel1"}\n'
    '{"type": "post", "platform": "telegram", "post_id": "channel1/1", "account_id": "channel1",'
    ' "created_at": "2024-03-01T10:00:00Z", "text": "hi"}\n'
)


@pytest.mark.parametrize(
    "text",
    [TWARC2_LINE + "\n", TWARC2_LINE + "\n" + TWARC2_LINE + "\n", ACTIVITYPUB_DOC, IRU_JSONL],
    ids=["twarc2-line", "twarc2-lines", "activitypub", "iru-jsonl"],
)
def test_sniff_rejects_other_formats(tmp_path: Path, text: str) -> None:
    path = tmp_path / "input.json"
    path.write_text(text, encoding="utf-8")
    assert not sniff_file(path)


def test_sniff_rejects_jsonl_of_chat_like_lines(tmp_path: Path) -> None:
    line = json.dumps({"name": "x", "type": "public_channel", "id": 1, "messages": []})
    path = tmp_path / "lines.jsonl"
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    assert not sniff_file(path)


def test_older_export_shape(tmp_path: Path) -> None:
    """Older exports: numeric from_id, no date_unixtime (date read as UTC), no forwarded_from_id."""
    doc = {
        "name": "Sample Old Group",
        "type": "private_group",
        "id": 4200,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date": "2019-07-01T12:00:00",
                "from": "Old Member",
                "from_id": 4242,
                "forwarded_from": "Sample Bulletin",
                "text": "Plain old text",
            }
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    seen: list[int] = []
    items = list(FORMAT.read(path, progress=seen.append))
    assert sum(seen) == path.stat().st_size
    post = of_type(items, Post)[0]
    assert post.post_id == "chat4200/1"
    assert post.account_id == "user4242"
    assert post.created_at == datetime(2019, 7, 1, 12, 0, tzinfo=UTC)
    assert post.forwarded_from == "name:Sample Bulletin"
    assert [a.account_id for a in of_type(items, Account)] == [
        "chat4200",
        "user4242",
        "name:Sample Bulletin",
    ]
