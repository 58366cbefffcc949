"""The simulator's format writers, held to iru's own readers: written records read back the same.

Each writer gets a small hand-built record set (several scripts, emoji, reposts, quotes,
replies, mentions, hashtags, urls, media, forwards); the file it writes is read with the
reader class iru ingests that format with, and must give no reject and the same records
on every field the format carries. The fields a format cannot carry (listed in each
writer's docstring) are the only ones set aside, each by name below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest

from iru.domain import (
    Account,
    Interaction,
    InteractionKind,
    Media,
    MediaKind,
    Post,
    Record,
)
from iru.engine.pipeline.account_columns import account_records
from iru.ingest.activitypub import ActivityPubFormat
from iru.ingest.base import ColumnBatch, Rejected
from iru.ingest.bulk import AccountTableBatch
from iru.ingest.registry import detect_format
from iru.ingest.telegram import TelegramFormat
from iru.ingest.twitter_v2 import TwitterV2Format
from iru.sim.writers import write_outbox, write_telegram_export, write_twarc2

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
RETRIEVED = datetime(2025, 1, 7, 0, 0, tzinfo=UTC)
R = TypeVar("R", Account, Post, Media, Interaction)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def edge(  # noqa: PLR0917 - an edge, told in the order it reads
    platform: str,
    kind: InteractionKind,
    src: str,
    dst: str | None,
    when: datetime,
    post: str | None = None,
    dst_post: str | None = None,
) -> Interaction:
    return Interaction.edge(platform, kind, src, dst, when, post_id=post, dst_post_id=dst_post)


def keyed(records: Iterable[R]) -> dict[tuple[str, str], R]:
    """Records by key; a record read more than once must be read the same each time."""
    out: dict[tuple[str, str], R] = {}
    for record in records:
        if record.key in out:
            assert out[record.key] == record, f"{record.key} read twice, differently"
        out[record.key] = record
    return out


class ReadBack:
    """What a reader gave, by record type, after checking it rejected nothing."""

    def __init__(self, items: Iterable[Record | Rejected]) -> None:
        items = list(items)
        rejects = [i for i in items if isinstance(i, Rejected)]
        assert rejects == []
        self.accounts = keyed(i for i in items if isinstance(i, Account))
        self.posts = keyed(i for i in items if isinstance(i, Post))
        self.media = keyed(i for i in items if isinstance(i, Media))
        self.interactions = keyed(i for i in items if isinstance(i, Interaction))


def without(records: Iterable[R], **cleared: Any) -> dict[tuple[str, str], R]:
    """The records keyed, with the named fields replaced (the fields a format cannot carry)."""
    return keyed(msgspec.structs.replace(r, **cleared) if cleared else r for r in records)


# -- X/Twitter: twarc2 API v2 responses --------------------------------------------------------

TW = "twitter"
DESK, AMP, LENA, PETIT, NOVOSTI, LURKER = "1001", "1002", "1003", "1004", "1005", "1006"
AR_TEXT = "نشرة الصباح: الطقس معتدل اليوم 🌤️ #نشرة_تجريبية https://files.example.org/bulletin/0301"


def tw_account(account_id: str, handle: str, name: str, lang: str, **more: Any) -> Account:
    return Account(
        platform=TW,
        account_id=account_id,
        handle=handle,
        display_name=name,
        description=more.pop("description", f"synthetic {lang} account 🙂"),
        profile_image_url=f"https://pbs.twimg.example/profile_images/{account_id}/p_normal.jpg",
        language=lang,  # not carried by the API
        created_at=datetime(2014, 6, 2, 8, 0, tzinfo=UTC),
        followers_count=more.pop("followers", 10),
        following_count=5,
        post_count=100,
        listed_count=0,
        verified=more.pop("verified", False),
        protected=False,
        observed_at=RETRIEVED - timedelta(hours=3),  # becomes __twarc.retrieved_at
        **more,
    )


def tw_post(post_id: str, author: str, minutes: int, text: str, **more: Any) -> Post:
    return Post(
        platform=TW,
        post_id=post_id,
        account_id=author,
        created_at=at(minutes),
        text=text,
        conversation_id=more.pop("conversation_id", post_id),
        **more,
    )


def twitter_world() -> tuple[list[Account], list[Post], list[Media], list[Interaction]]:
    accounts = [
        tw_account(DESK, "relay_desk_ar", "مكتب الأخبار التجريبي", "ar", location="—", url=""),
        tw_account(AMP, "amplifier_0042", "amp 42", "en", followers=311),
        tw_account(LENA, "researcher_lena", "Lena (research)", "en", verified=True),
        tw_account(PETIT, "petit_matin", "Le Petit Matin ☕", "fr"),
        tw_account(NOVOSTI, "novosti_ru", "Новости дня", "ru", description="Новости 📰"),
        tw_account(LURKER, "lurker", "Posts nothing", "de"),
    ]
    original = tw_post(
        "2001",
        DESK,
        0,
        AR_TEXT,
        lang="ar",
        hashtags=["نشرة_تجريبية"],
        urls=["https://files.example.org/bulletin/0301"],
        media_ids=["3_2001"],
        like_count=14,
        repost_count=2,
        reply_count=1,
        quote_count=1,
        view_count=900,
    )
    retweet = tw_post(
        "2002",
        AMP,
        1,
        f"RT @relay_desk_ar: {AR_TEXT}",
        lang="ar",
        repost_of_post_id="2001",
        mentions=[DESK],
        hashtags=["نشرة_تجريبية"],
    )
    quote = tw_post(
        "2003",
        LENA,
        30,
        "Interesting bulletin format, cc @petit_matin 🧪 https://example.org/paper?x=1&y=2",
        lang="en",
        quote_of_post_id="2001",
        mentions=[PETIT],
        urls=["https://example.org/paper?x=1&y=2"],
        like_count=0,
    )
    reply = tw_post(
        "2004",
        PETIT,
        45,
        "@relay_desk_ar Merci, il fait beau ici aussi ☀️ #météo",
        lang="fr",
        conversation_id="2001",
        reply_to_post_id="2001",
        reply_to_account_id=DESK,
        mentions=[DESK],
        hashtags=["météo"],
    )
    russian = tw_post(
        "2005",
        NOVOSTI,
        60,
        "Доброе утро, @researcher_lena! Видео с набережной 🎥 #погода #погода",
        lang="ru",
        mentions=[LENA],
        hashtags=["погода", "погода"],
        media_ids=["7_2005", "16_2005"],
    )
    rt_russian = tw_post(
        "2006",
        AMP,
        61,
        "RT @novosti_ru: Доброе утро, @researcher_lena! Видео с набережной 🎥 #погода #погода",
        lang="ru",
        repost_of_post_id="2005",
        mentions=[NOVOSTI, LENA],
        hashtags=["погода", "погода"],
    )
    quote_of_quote = tw_post(
        "2007", DESK, 90, "تعليق على التعليق 👀", lang="ar", quote_of_post_id="2003"
    )
    # Simulated clocks have microseconds; the API form keeps them.
    quote_of_quote = msgspec.structs.replace(
        quote_of_quote, created_at=at(90) + timedelta(microseconds=123_456)
    )
    reply_elsewhere = tw_post(
        "2008",
        LENA,
        91,
        "@relay_desk_ar thanks — see the thread",
        lang="en",
        conversation_id="1999",
        reply_to_post_id="1999",
        reply_to_account_id=DESK,
        mentions=[DESK],
    )
    rt_unknown = tw_post(
        "2009",
        PETIT,
        92,
        "RT @novosti_ru: старый пост",
        lang="ru",
        repost_of_post_id="1998",
        mentions=[NOVOSTI],
    )
    posts = [
        original,
        retweet,
        quote,
        reply,
        russian,
        rt_russian,
        quote_of_quote,
        reply_elsewhere,
        rt_unknown,
    ]
    media = [
        Media(
            platform=TW,
            media_id="3_2001",
            post_id="2001",
            account_id=DESK,
            created_at=at(0),
            kind=MediaKind.PHOTO,
            url="https://pbs.twimg.example/media/bulletin.jpg",
            mime_type="image/jpeg",  # not carried
            width=1200,
            height=675,
            alt_text="صورة توضيحية",
            sha256="ab" * 32,  # not carried
        ),
        Media(
            platform=TW,
            media_id="7_2005",
            post_id="2005",
            account_id=NOVOSTI,
            created_at=at(60),
            kind=MediaKind.VIDEO,
            url="https://pbs.twimg.example/ext_tw_video_thumb/7_2005.jpg",
            width=1920,
            height=1080,
            duration_ms=42_000,
        ),
        Media(
            platform=TW,
            media_id="16_2005",
            post_id="2005",
            account_id=NOVOSTI,
            created_at=at(60),
            kind=MediaKind.ANIMATED_GIF,
            url="https://pbs.twimg.example/tweet_video_thumb/16_2005.jpg",
        ),
    ]
    R_, Q, RE, M = (
        InteractionKind.REPOST,
        InteractionKind.QUOTE,
        InteractionKind.REPLY,
        InteractionKind.MENTION,
    )
    interactions = [
        edge(TW, R_, AMP, DESK, at(1), "2002", "2001"),
        edge(TW, Q, LENA, DESK, at(30), "2003", "2001"),
        edge(TW, M, LENA, PETIT, at(30), "2003"),
        edge(TW, RE, PETIT, DESK, at(45), "2004", "2001"),
        edge(TW, M, PETIT, DESK, at(45), "2004"),
        edge(TW, M, NOVOSTI, LENA, at(60), "2005"),
        edge(TW, R_, AMP, NOVOSTI, at(61), "2006", "2005"),
        edge(TW, M, AMP, LENA, at(61), "2006"),
        edge(TW, Q, DESK, LENA, at(90) + timedelta(microseconds=123_456), "2007", "2003"),
        edge(TW, RE, LENA, DESK, at(91), "2008", "1999"),
        edge(TW, M, LENA, DESK, at(91), "2008"),
        edge(TW, R_, PETIT, NOVOSTI, at(92), "2009", "1998"),
        edge(TW, InteractionKind.FOLLOW, LURKER, DESK, at(5)),  # no tweet form
    ]
    return accounts, posts, media, interactions


def expected_twitter(
    accounts: list[Account], posts: list[Post], media: list[Media], edges: list[Interaction]
) -> tuple[dict[Any, Account], dict[Any, Post], dict[Any, Media], dict[Any, Interaction]]:
    return (
        without(accounts, language=None, observed_at=RETRIEVED),
        keyed(posts),
        without(media, mime_type=None, sha256=None),
        keyed(e for e in edges if e.kind is not InteractionKind.FOLLOW),
    )


def records_of_batches(items: Iterable[ColumnBatch | Record | Rejected]) -> Iterator[Record]:
    """The records of read_batches' output, the columnar batches turned back into records."""
    for item in items:
        assert not isinstance(item, Rejected)
        if not isinstance(item, ColumnBatch):
            yield item
            continue
        yield from item.accounts
        if isinstance(item, AccountTableBatch):  # accounts as columns: the engine's records
            yield from account_records(item.account_table)
        yield from (Post(**row) for row in item.posts.to_pylist())
        yield from (
            Media(**{**row, "kind": MediaKind(row["kind"])}) for row in item.media.to_pylist()
        )
        yield from (
            Interaction(**{**row, "kind": InteractionKind(row["kind"])})
            for row in item.interactions.to_pylist()
        )


@pytest.mark.parametrize("per_response", [2, 100])
def test_twarc2_round_trip(tmp_path: Path, per_response: int) -> None:
    accounts, posts, media, edges = twitter_world()
    path = write_twarc2(
        tmp_path / "day.jsonl", accounts, posts, media, edges, RETRIEVED, per_response
    )
    got = ReadBack(TwitterV2Format().read(path))
    want_accounts, want_posts, want_media, want_edges = expected_twitter(
        accounts, posts, media, edges
    )
    assert got.posts == want_posts
    assert got.accounts == want_accounts
    assert got.media == want_media
    assert got.interactions == want_edges
    # The bulk path stores the same records.
    bulk = ReadBack(records_of_batches(TwitterV2Format().read_batches(path)))
    assert bulk.posts == want_posts
    assert bulk.accounts == want_accounts
    assert bulk.media == want_media
    assert bulk.interactions == want_edges


def test_twarc2_lines_are_api_responses(tmp_path: Path) -> None:
    accounts, posts, media, edges = twitter_world()
    path = write_twarc2(tmp_path / "day.jsonl", accounts, posts, media, edges, RETRIEVED, 4)
    lines = path.read_bytes().splitlines()
    assert len(lines) == 3
    responses = [msgspec.json.decode(line) for line in lines]
    first = responses[0]
    assert list(first) == ["data", "includes", "meta", "__twarc"]
    assert first["__twarc"]["retrieved_at"] == "2025-01-07T00:00:00+00:00"
    assert first["meta"]["result_count"] == 4 and "next_token" in first["meta"]
    assert "next_token" not in responses[-1]["meta"]
    tweets = {t["id"]: t for r in responses for t in r["data"]}
    retweet = tweets["2002"]
    assert retweet["referenced_tweets"] == [{"type": "retweeted", "id": "2001"}]
    assert retweet["created_at"] == "2025-01-06T08:01:00.000Z"
    (rt_mention,) = retweet["entities"]["mentions"]
    assert rt_mention == {"start": 3, "end": 17, "username": "relay_desk_ar", "id": DESK}
    # Offsets point at the entities in the text (code points).
    for tweet in tweets.values():
        text = tweet["text"]
        entities = tweet.get("entities", {})
        for m in entities.get("mentions", []):
            assert text[m["start"] : m["end"]] == "@" + m["username"]
        for h in entities.get("hashtags", []):
            assert text[h["start"] : h["end"]] == "#" + h["tag"]
        for u in entities.get("urls", []):
            assert text[u["start"] : u["end"]] == u["url"]
    assert [h["start"] for h in tweets["2005"]["entities"]["hashtags"]] == [52, 60]
    # The retweeted original rides along in includes.tweets; the lone account in the last line.
    assert [t["id"] for t in responses[0]["includes"]["tweets"]] == ["2001"]
    assert LURKER in {u["id"] for u in responses[-1]["includes"]["users"]}
    assert "🌤️" in lines[0].decode()  # not \u-escaped
    assert tweets["2007"]["created_at"] == "2025-01-06T09:30:00.123456Z"
    assert tweets["2004"]["entities"].keys() == {"mentions", "hashtags"}
    assert "entities" not in tweets["2007"] and "public_metrics" not in tweets["2007"]
    assert tweets["2001"]["public_metrics"] == {
        "retweet_count": 2,
        "reply_count": 1,
        "like_count": 14,
        "quote_count": 1,
        "impression_count": 900,
    }
    assert tweets["2001"]["attachments"] == {"media_keys": ["3_2001"]}
    photo = next(m for m in first["includes"]["media"] if m["media_key"] == "3_2001")
    assert photo["type"] == "photo" and photo["url"].endswith("bulletin.jpg")


def test_twarc2_is_deterministic(tmp_path: Path) -> None:
    world = twitter_world()
    one = write_twarc2(tmp_path / "a.jsonl", *world, RETRIEVED, 3)
    two = write_twarc2(tmp_path / "b.jsonl", *world, RETRIEVED, 3)
    assert one.read_bytes() == two.read_bytes()


def test_twarc2_context_posts_resolve_quotes_of_earlier_days(tmp_path: Path) -> None:
    accounts, posts, media, _ = twitter_world()
    yesterday = posts[:1]  # the original bulletin, written the day before
    today = [posts[2]]  # the quote of it
    quote_edge = edge(TW, InteractionKind.QUOTE, LENA, DESK, at(30), "2003", "2001")
    alone = ReadBack(
        TwitterV2Format().read(
            write_twarc2(tmp_path / "alone.jsonl", accounts, today, media, [], RETRIEVED)
        )
    )
    assert alone.posts == keyed(today)
    # Without the quoted tweet the reader cannot name its author: a documented loss.
    (lost,) = [i for i in alone.interactions.values() if i.kind is InteractionKind.QUOTE]
    assert lost.dst_account_id is None
    path = write_twarc2(
        tmp_path / "ctx.jsonl", accounts, today, media, [], RETRIEVED, context_posts=yesterday
    )
    got = ReadBack(TwitterV2Format().read(path))
    assert quote_edge.key in got.interactions
    assert got.interactions[quote_edge.key] == quote_edge
    # The context tweet is read again as it was (includes.tweets), with its media.
    assert got.posts == keyed(yesterday + today)
    assert got.media == without(media[:1], mime_type=None, sha256=None)


def test_twarc2_puts_missing_entities_in_the_text(tmp_path: Path) -> None:
    accounts, _, _, _ = twitter_world()
    bare = tw_post(
        "2100",
        AMP,
        0,
        "no entities in here",
        mentions=[PETIT],
        hashtags=["tag"],
        urls=["https://a.example/x"],
    )
    bare_rt = tw_post("2101", AMP, 1, "plain copy", repost_of_post_id="2100")
    path = write_twarc2(tmp_path / "x.jsonl", accounts, [bare, bare_rt], [], [], RETRIEVED)
    got = ReadBack(TwitterV2Format().read(path))
    text = "no entities in here https://a.example/x @petit_matin #tag"
    assert got.posts[bare.key] == msgspec.structs.replace(bare, text=text)
    assert got.posts[bare_rt.key] == msgspec.structs.replace(
        bare_rt, text="RT @amplifier_0042: plain copy", mentions=[AMP]
    )


# -- Telegram: a Desktop chat export -----------------------------------------------------------

TG = "telegram"
CHANNEL = "channel1500000001"
WEATHER = "channel1500000002"
OMAR = "user777000"


def tg_post(number: int, minutes: int, text: str = "", **more: Any) -> Post:
    return Post(
        platform=TG,
        post_id=f"{CHANNEL}/{number}",
        account_id=CHANNEL,
        created_at=at(minutes),
        text=text,
        conversation_id=CHANNEL,
        lang=more.pop("lang", "en"),  # not carried by an export
        **more,
    )


def tg_media(number: int, minutes: int, suffix: str, kind: MediaKind, **more: Any) -> Media:
    post_id = f"{CHANNEL}/{number}"
    return Media(
        platform=TG,
        media_id=f"{post_id}/{suffix}",
        post_id=post_id,
        account_id=CHANNEL,
        created_at=at(minutes),
        kind=kind,
        url=more.pop("url", suffix),
        **more,
    )


def telegram_world() -> tuple[
    Account, list[Post], list[Media], list[Interaction], dict[str, Account]
]:
    channel = Account(
        platform=TG,
        account_id=CHANNEL,
        handle="example_relay",  # not carried by a chat export
        display_name="Example News Relay 📡",
        followers_count=1200,  # not carried
    )
    accounts = {
        CHANNEL: channel,
        WEATHER: Account(platform=TG, account_id=WEATHER, display_name="Sample Weather Desk"),
        OMAR: Account(platform=TG, account_id=OMAR, display_name="Омар"),
    }
    photo = "photos/photo_2@06-01-2025_08-00-00.jpg"
    posts = [
        tg_post(
            2,
            0,
            "نشرة الطقس: أجواء معتدلة 🌤️ #طقس https://news.example.org/weather?d=1&x=2",
            lang="ar",
            hashtags=["طقس"],
            urls=["https://news.example.org/weather?d=1&x=2"],
            media_ids=[f"{CHANNEL}/2/{photo}"],
        ),
        tg_post(
            3,
            10,
            "Обновление от @sample_press и Омар: видео 🎥 #погода",
            lang="ru",
            hashtags=["погода"],
            mentions=["@sample_press", OMAR],
            forwarded_from=WEATHER,
            media_ids=[f"{CHANNEL}/3/video_files/harbour.mp4"],
        ),
        tg_post(
            4,
            20,
            "Correction to the bulletin above 🌡️",
            reply_to_post_id=f"{CHANNEL}/2",
            reply_to_account_id=CHANNEL,
        ),
        tg_post(5, 30, "Lost and found: a blue umbrella 🌂", forwarded_from="name:Community Board"),
        tg_post(
            6,
            40,
            "Market snapshot 📊 #economy",
            hashtags=["economy"],
            media_ids=[f"{CHANNEL}/6/photo"],
        ),
        tg_post(7, 50, "Follow-up to an earlier post.", reply_to_post_id=f"{CHANNEL}/1"),
        tg_post(8, 60, media_ids=[f"{CHANNEL}/8/voice_messages/audio_1.ogg"]),
        tg_post(9, 70, media_ids=[f"{CHANNEL}/9/video_files/dots.gif.mp4"]),
        tg_post(10, 80, "A poster 🖼", media_ids=[f"{CHANNEL}/10/photo"]),
        tg_post(11, 90, "In reply to the weather desk", reply_to_post_id=f"{WEATHER}/5"),
        tg_post(12, 95, media_ids=[f"{CHANNEL}/12/stickers/sticker.webp"]),
        tg_post(
            13,
            99,
            "#a then #a, and https://x.example/#a",
            hashtags=["a", "a"],
            urls=["https://x.example/#a"],
        ),
    ]
    media = [
        tg_media(2, 0, photo, MediaKind.PHOTO, width=1280, height=720, alt_text="not carried"),
        tg_media(
            3,
            10,
            "video_files/harbour.mp4",
            MediaKind.VIDEO,
            mime_type="video/mp4",
            width=1920,
            height=1080,
            duration_ms=42_000,
        ),
        # Not downloaded: the reader names it "<post>/<kind>" and knows no url.
        tg_media(6, 40, "photo", MediaKind.PHOTO, url=None, width=800, height=600),
        tg_media(
            8,
            60,
            "voice_messages/audio_1.ogg",
            MediaKind.AUDIO,
            mime_type="audio/ogg",
            duration_ms=17_000,
        ),
        tg_media(9, 70, "video_files/dots.gif.mp4", MediaKind.ANIMATED_GIF, mime_type="video/mp4"),
        # An image sent as a file, not downloaded (the simulator's form).
        tg_media(
            10, 80, "photo", MediaKind.PHOTO, url=None, mime_type="image/png", width=640, height=480
        ),
        tg_media(
            12,
            95,
            "stickers/sticker.webp",
            MediaKind.STICKER,
            mime_type="image/webp",
            width=512,
            height=512,
        ),
    ]
    F, RE, M = InteractionKind.FORWARD, InteractionKind.REPLY, InteractionKind.MENTION
    interactions = [
        edge(TG, F, CHANNEL, WEATHER, at(10), f"{CHANNEL}/3"),
        edge(TG, M, CHANNEL, "@sample_press", at(10), f"{CHANNEL}/3"),
        edge(TG, M, CHANNEL, OMAR, at(10), f"{CHANNEL}/3"),
        edge(TG, RE, CHANNEL, CHANNEL, at(20), f"{CHANNEL}/4", f"{CHANNEL}/2"),
        edge(TG, F, CHANNEL, "name:Community Board", at(30), f"{CHANNEL}/5"),
        edge(TG, RE, CHANNEL, None, at(50), f"{CHANNEL}/7", f"{CHANNEL}/1"),
        edge(TG, RE, CHANNEL, None, at(90), f"{CHANNEL}/11", f"{WEATHER}/5"),
        edge(TG, InteractionKind.FOLLOW, OMAR, CHANNEL, at(1)),  # no export form
    ]
    return channel, posts, media, interactions, accounts


def test_telegram_round_trip(tmp_path: Path) -> None:
    channel, posts, media, edges, accounts = telegram_world()
    path = write_telegram_export(tmp_path / "result.json", channel, posts, media, edges, accounts)
    got = ReadBack(TelegramFormat().read(path))
    assert got.posts == without(posts, lang=None)
    assert got.media == without(media, alt_text=None)
    assert got.interactions == keyed(e for e in edges if e.kind is not InteractionKind.FOLLOW)
    # An export names the chat and each forward source, by id and display name only.
    assert got.accounts == keyed(
        [
            Account(platform=TG, account_id=CHANNEL, display_name="Example News Relay 📡"),
            Account(platform=TG, account_id=WEATHER, display_name="Sample Weather Desk"),
            Account(platform=TG, account_id="name:Community Board", display_name="Community Board"),
        ]
    )


def test_telegram_export_shape(tmp_path: Path) -> None:
    channel, posts, media, edges, accounts = telegram_world()
    path = write_telegram_export(tmp_path / "result.json", channel, posts, media, edges, accounts)
    raw = path.read_bytes()
    assert raw.startswith(
        b'{\n "name": "Example News Relay \xf0\x9f\x93\xa1",\n "type": "public_channel"'
    )
    assert TelegramFormat().sniff(raw[:65536], raw.splitlines()[0])
    doc = msgspec.json.decode(raw)
    assert doc["id"] == 1500000001
    messages = {m["id"]: m for m in doc["messages"]}
    first = messages[2]
    assert first["date"] == "2025-01-06T08:00:00" and first["date_unixtime"] == "1736150400"
    assert [p if isinstance(p, str) else p["type"] for p in first["text"]] == [
        "نشرة الطقس: أجواء معتدلة 🌤️ ",
        "hashtag",
        " ",
        "link",
    ]
    assert first["photo"].startswith("photos/")
    forward = messages[3]
    assert forward["forwarded_from"] == "Sample Weather Desk"
    assert forward["forwarded_from_id"] == WEATHER
    assert {"type": "mention_name", "text": "Омар", "user_id": 777000} in forward["text_entities"]
    assert forward["media_type"] == "video_file" and forward["duration_seconds"] == 42
    assert messages[4]["text"] == "Correction to the bulletin above 🌡️"  # no entities: a string
    assert messages[4]["reply_to_message_id"] == 2
    assert messages[6]["photo"].startswith("(File not included")
    assert messages[11]["reply_to_peer_id"] == WEATHER


def test_telegram_is_deterministic(tmp_path: Path) -> None:
    world = telegram_world()
    one = write_telegram_export(tmp_path / "a.json", *world)
    two = write_telegram_export(tmp_path / "b.json", *world)
    assert one.read_bytes() == two.read_bytes()


def test_telegram_refuses_what_an_export_cannot_hold(tmp_path: Path) -> None:
    channel, posts, media, edges, accounts = telegram_world()
    stranger = msgspec.structs.replace(posts[0], post_id=f"{WEATHER}/2")
    with pytest.raises(ValueError, match="not a message of"):
        write_telegram_export(tmp_path / "x.json", channel, [stranger], media, edges, accounts)
    album = msgspec.structs.replace(posts[0], media_ids=[media[0].media_id, media[1].media_id])
    with pytest.raises(ValueError, match="one media item"):
        write_telegram_export(tmp_path / "x.json", channel, [album], media, edges, accounts)


# -- ActivityPub: a Mastodon outbox and actor.json ---------------------------------------------

AP = "activitypub"
ALICE = "https://mastodon.example/users/alice"
BOB = "https://other.example/users/bob"
CAROL = "https://other.example/users/carol"
EMRE = "https://social.example/users/emre"
FRIDA = "https://pleroma.example/users/frida"
LATE = at(70) + timedelta(microseconds=250_000)


def ap_post(number: int, minutes: int, text: str, **more: Any) -> Post:
    post_id = f"{ALICE}/statuses/{number}"
    return Post(
        platform=AP,
        post_id=post_id,
        account_id=ALICE,
        created_at=at(minutes),
        text=text,
        conversation_id=more.pop("conversation_id", f"tag:mastodon.example,2025-01-06:{number}"),
        **more,
    )


def ap_media(number: int, minutes: int, name: str, kind: MediaKind, **more: Any) -> Media:
    url = f"https://files.mastodon.example/media_attachments/{number}/{name}"
    return Media(
        platform=AP,
        media_id=url,
        post_id=f"{ALICE}/statuses/{number}",
        account_id=ALICE,
        created_at=at(minutes),
        kind=kind,
        url=url,
        **more,
    )


def activitypub_world() -> tuple[Account, list[Post], list[Media], list[Interaction]]:
    actor = Account(
        platform=AP,
        account_id=ALICE,
        handle="alice@mastodon.example",
        display_name="Alice 🌱",
        description="Gardener.\nOpinions mine & <b>not</b> HTML.",
        profile_image_url="https://files.mastodon.example/accounts/avatars/alice.png",
        url="https://mastodon.example/@alice",
        created_at=datetime(2022, 11, 1, tzinfo=UTC),
        protected=False,
        followers_count=120,  # not carried
        language="en",  # not carried
    )
    gif = ap_media(104, 30, "clouds.gif", MediaKind.ANIMATED_GIF, mime_type="image/gif")
    posts = [
        ap_post(
            101,
            0,
            "Good morning from the garden! 🌱\n\nTwo photos #gardening #CommunityGarden",
            lang="en",
            hashtags=["gardening", "CommunityGarden"],
            media_ids=[
                f"https://files.mastodon.example/media_attachments/101/{n}.jpg" for n in ("a", "b")
            ],
        ),
        ap_post(102, 10, "صباح الخير من حديقة الحي! 🌿 #حديقة", lang="ar", hashtags=["حديقة"]),
        ap_post(
            103,
            20,
            "@bob Danke! Äpfel & Birnen <am Stand>.\nAlle Termine: https://example.org/markt?a=1&b=2",
            lang="de",
            conversation_id="tag:other.example,2025-01-05:objectId=90211",
            reply_to_post_id=f"{BOB}/statuses/999",
            reply_to_account_id=BOB,
            mentions=[BOB],
            urls=["https://example.org/markt?a=1&b=2"],
        ),
        ap_post(
            104,
            30,
            "Погода отличная ☀️ подробнее: https://weather.example.net/forecast/2025/01/06/moscow-region",
            lang="ru",
            mentions=[EMRE],  # a mention tag the text does not show
            urls=["https://weather.example.net/forecast/2025/01/06/moscow-region"],
            media_ids=[gif.media_id],
        ),
        ap_post(105, 40, "", repost_of_post_id=f"{CAROL}/statuses/555"),
        ap_post(106, 50, "", repost_of_post_id="https://pleroma.example/objects/6f1c2a4e"),
        ap_post(
            107,
            60,
            "کتابخانه‌ی محله باز است 📚 <script>alert(1)</script> #کتابخانه",
            lang="fa",
            hashtags=["کتابخانه"],
            media_ids=["https://files.mastodon.example/media_attachments/107/v.mp4"],
            quote_of_post_id=f"{CAROL}/statuses/556",  # not carried
        ),
        msgspec.structs.replace(
            ap_post(
                108,
                70,
                "Self-reply with @emre@social.example inline",
                reply_to_post_id=f"{ALICE}/statuses/101",
                reply_to_account_id=ALICE,
                mentions=[EMRE],
            ),
            created_at=LATE,
        ),
    ]
    media = [
        ap_media(
            101,
            0,
            "a.jpg",
            MediaKind.PHOTO,
            mime_type="image/jpeg",
            width=1600,
            height=1200,
            alt_text="Raised beds",
        ),
        ap_media(101, 0, "b.jpg", MediaKind.PHOTO, mime_type="image/jpeg", alt_text="Bench 🪑"),
        gif,
        ap_media(107, 60, "v.mp4", MediaKind.VIDEO, width=1280, height=720, duration_ms=5000),
    ]
    RE, M, R_ = InteractionKind.REPLY, InteractionKind.MENTION, InteractionKind.REPOST
    interactions = [
        edge(AP, RE, ALICE, BOB, at(20), f"{ALICE}/statuses/103", f"{BOB}/statuses/999"),
        edge(AP, M, ALICE, BOB, at(20), f"{ALICE}/statuses/103"),
        edge(AP, M, ALICE, EMRE, at(30), f"{ALICE}/statuses/104"),
        edge(AP, R_, ALICE, CAROL, at(40), f"{ALICE}/statuses/105", f"{CAROL}/statuses/555"),
        edge(
            AP,
            R_,
            ALICE,
            FRIDA,
            at(50),
            f"{ALICE}/statuses/106",
            "https://pleroma.example/objects/6f1c2a4e",
        ),
        edge(
            AP,
            InteractionKind.QUOTE,
            ALICE,
            CAROL,
            at(60),
            f"{ALICE}/statuses/107",
            f"{CAROL}/statuses/556",
        ),
        edge(AP, RE, ALICE, ALICE, LATE, f"{ALICE}/statuses/108", f"{ALICE}/statuses/101"),
        edge(AP, M, ALICE, EMRE, LATE, f"{ALICE}/statuses/108"),
        edge(AP, InteractionKind.FOLLOW, ALICE, BOB, at(5)),
        edge(AP, InteractionKind.FOLLOW, ALICE, EMRE, at(65)),
    ]
    return actor, posts, media, interactions


def test_outbox_round_trip(tmp_path: Path) -> None:
    actor, posts, media, edges = activitypub_world()
    path = write_outbox(tmp_path / "alice", actor, posts, media, edges)
    assert path == tmp_path / "alice" / "outbox.json"
    assert (tmp_path / "alice" / "actor.json").is_file()
    got = ReadBack(ActivityPubFormat().read(path))
    # A boost is an edge only; quotes have no Mastodon form.
    assert got.posts == without(
        [p for p in posts if p.repost_of_post_id is None], quote_of_post_id=None, sensitive=False
    )
    assert got.media == without(media, duration_ms=None)
    assert got.interactions == keyed(e for e in edges if e.kind is not InteractionKind.QUOTE)
    assert got.accounts == without([actor], followers_count=None, language=None)


def test_outbox_without_actor_json(tmp_path: Path) -> None:
    actor, posts, media, edges = activitypub_world()
    path = write_outbox(tmp_path / "day-1.json", actor, posts, media, edges)
    assert not (tmp_path / "actor.json").exists()
    got = ReadBack(ActivityPubFormat().read(path))
    assert got.accounts == keyed(
        [Account(platform=AP, account_id=ALICE, handle="alice@mastodon.example")]
    )


def test_outbox_renders_like_mastodon(tmp_path: Path) -> None:
    actor, posts, media, edges = activitypub_world()
    path = write_outbox(tmp_path / "alice", actor, posts, media, edges)
    raw = path.read_bytes()
    assert raw.count(b"\n") == 1  # one line, as Mastodon's archive writes it
    assert ActivityPubFormat().sniff(raw[:65536], raw.splitlines()[0])
    doc = msgspec.json.decode(raw)
    assert doc["type"] == "OrderedCollection" and doc["totalItems"] == len(doc["orderedItems"])
    items = {i["id"]: i for i in doc["orderedItems"]}
    note = items[f"{ALICE}/statuses/103/activity"]["object"]
    assert note["content"].startswith(
        '<p><span class="h-card" translate="no"><a href="https://other.example/@bob" '
        'class="u-url mention">@<span>bob</span></a></span> Danke! Äpfel &amp; Birnen &lt;am Stand&gt;.<br />'
    )
    assert note["contentMap"] == {"de": note["content"]}
    assert note["tag"] == [{"type": "Mention", "href": BOB, "name": "@bob@other.example"}]
    assert note["inReplyTo"] == f"{BOB}/statuses/999"
    assert note["url"] == "https://mastodon.example/@alice/103"
    long_link = items[f"{ALICE}/statuses/104/activity"]["object"]["content"]
    assert '<span class="ellipsis">weather.example.net/forecast/2</span>' in long_link
    tagged = items[f"{ALICE}/statuses/101/activity"]["object"]
    assert (
        '<a href="https://mastodon.example/tags/communitygarden" class="mention hashtag" '
        'rel="tag">#<span>CommunityGarden</span></a>'
    ) in tagged["content"]
    assert [a["mediaType"] for a in tagged["attachment"]] == ["image/jpeg", "image/jpeg"]
    assert items[f"{ALICE}/statuses/105"]["object"] == f"{CAROL}/statuses/555"
    assert items[f"{ALICE}/statuses/106"]["object"]["attributedTo"] == FRIDA
    published = [i["published"] for i in doc["orderedItems"]]
    assert published == sorted(published)
    person = msgspec.json.decode((tmp_path / "alice" / "actor.json").read_bytes())
    assert person["preferredUsername"] == "alice" and person["type"] == "Person"
    assert (
        person["summary"]
        == "<p>Gardener.<br />Opinions mine &amp; &lt;b&gt;not&lt;/b&gt; HTML.</p>"
    )


def test_outbox_is_deterministic(tmp_path: Path) -> None:
    world = activitypub_world()
    one = write_outbox(tmp_path / "a", *world)
    two = write_outbox(tmp_path / "b", *world)
    assert one.read_bytes() == two.read_bytes()
    assert (tmp_path / "a" / "actor.json").read_bytes() == (
        tmp_path / "b" / "actor.json"
    ).read_bytes()


def test_outbox_refuses_other_actors_posts(tmp_path: Path) -> None:
    actor, posts, media, edges = activitypub_world()
    bobs = msgspec.structs.replace(posts[1], account_id=BOB)
    with pytest.raises(ValueError, match=re.escape(f"not {ALICE!r}")):
        write_outbox(tmp_path / "x", actor, [bobs], media, edges)


# -- All three: ingest recognises what the writers write ---------------------------------------


def test_written_files_are_detected_as_their_formats(tmp_path: Path) -> None:
    twarc = write_twarc2(tmp_path / "tw.jsonl", *twitter_world(), RETRIEVED)
    export = write_telegram_export(tmp_path / "result.json", *telegram_world())
    outbox = write_outbox(tmp_path / "alice", *activitypub_world())
    assert detect_format(twarc).name == "twitter-v2"
    assert detect_format(export).name == "telegram"
    assert detect_format(outbox).name == "activitypub"
