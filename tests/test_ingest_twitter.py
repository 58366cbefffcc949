"""The twarc2 reader on sample files built from the X API v2 object shapes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iru.domain import Account, Interaction, InteractionKind, Media, MediaKind, Post, Record
from iru.ingest.base import Rejected
from iru.ingest.twitter_v2 import TwitterV2Format

from .conftest import DATA, EXAMPLES

FMT = TwitterV2Format()
RESPONSES = EXAMPLES / "twitter" / "search-responses.jsonl"
FLAT = EXAMPLES / "twitter" / "flattened.jsonl"


def read(path: Path) -> list[Record | Rejected]:
    return list(FMT.read(path))


def kinds(items: list[Record | Rejected]) -> Counter[str]:
    return Counter(type(i).__name__ for i in items)


def edges(items: list[Record | Rejected]) -> set[tuple[str, str, str | None]]:
    return {
        (i.kind.value, i.src_account_id[-2:], i.dst_account_id and i.dst_account_id[-2:])
        for i in items
        if isinstance(i, Interaction)
    }


EXPECTED_EDGES = {
    ("repost", "02", "01"),  # amplifier retweets the Arabic bulletin
    ("quote", "03", "01"),  # the researcher quotes it
    ("mention", "03", "04"),
    ("reply", "04", "01"),  # a French reply
    ("mention", "04", "01"),
    ("mention", "05", "03"),
    ("repost", "02", "05"),  # retweet of the Russian post
}


def test_response_lines_give_accounts_posts_media_and_edges() -> None:
    items = read(RESPONSES)
    assert kinds(items) == {"Account": 7, "Post": 6, "Media": 2, "Interaction": 7}
    assert edges(items) == EXPECTED_EDGES
    posts = {p.post_id: p for p in items if isinstance(p, Post)}
    original = posts["1700000000000000001"]
    assert original.lang == "ar"
    assert original.text.startswith("نشرة الصباح")
    assert original.hashtags == ["نشرة_تجريبية"]
    assert original.urls == ["https://files.example.org/bulletin/0301"]
    assert original.created_at == datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
    assert original.created_at.utcoffset() is not None
    retweet = posts["1700000000000000002"]
    assert retweet.repost_of_post_id == original.post_id
    reply = posts["1700000000000000004"]
    assert reply.reply_to_post_id == original.post_id
    assert reply.reply_to_account_id == "1000000000000000001"
    assert "☀️" in reply.text


def test_users_in_includes_become_accounts_with_metrics() -> None:
    accounts = {a.handle: a for a in read(RESPONSES) if isinstance(a, Account)}
    desk = accounts["relay_desk_ar"]
    assert desk.followers_count == 5230
    assert desk.post_count == 18211
    assert desk.description == "حساب تجريبي لأغراض الاختبار فقط 📰"
    assert desk.profile_image_url and desk.profile_image_url.endswith("a_normal.jpg")
    assert desk.created_at == datetime(2014, 6, 2, 8, 0, tzinfo=UTC)
    assert desk.observed_at == datetime(2024, 3, 2, 12, 0, tzinfo=UTC)


def test_media_from_includes() -> None:
    media = {m.media_id: m for m in read(RESPONSES) if isinstance(m, Media)}
    assert media["3_1700000000000000001"].kind is MediaKind.PHOTO
    assert media["3_1700000000000000001"].alt_text == "صورة توضيحية"
    video = media["7_1700000000000000005"]
    assert video.kind is MediaKind.VIDEO and video.duration_ms == 15000
    assert video.post_id == "1700000000000000005"


def test_flattened_form_gives_the_same_graph() -> None:
    items = read(FLAT)
    assert edges(items) == EXPECTED_EDGES
    posts = {p.post_id for p in items if isinstance(p, Post)}
    assert posts == {f"170000000000000000{i}" for i in range(1, 7)}
    handles = {a.handle for a in items if isinstance(a, Account)}
    assert handles == {
        "relay_desk_ar",
        "amplifier_0042",
        "researcher_lena",
        "petit_matin",
        "novosti_primer",
    }


def test_retweet_prefix_is_not_counted_as_a_mention() -> None:
    items = read(RESPONSES)
    rt_edges = [
        i for i in items if isinstance(i, Interaction) and i.post_id == "1700000000000000002"
    ]
    assert [e.kind for e in rt_edges] == [InteractionKind.REPOST]


def test_malformed_lines_are_rejected_with_locator_and_reason_and_neighbours_kept() -> None:
    items = read(DATA / "twitter" / "malformed.jsonl")
    rejects = {r.locator: r for r in items if isinstance(r, Rejected)}
    assert set(rejects) == {
        "line 2",
        "line 3: data[1]",
        "line 3: data[2]",
        "line 5",
        "line 6: includes.users[0]",
        "line 6: data[0]",
    }
    assert "truncated" in rejects["line 2"].reason
    assert "created_at" in rejects["line 3: data[1]"].reason
    assert "`id`" in rejects["line 3: data[2]"].reason
    assert rejects["line 5"].raw == b"[1, 2, 3]"
    assert b"yesterday" in rejects["line 3: data[1]"].raw
    posts = {p.post_id for p in items if isinstance(p, Post)}
    # Line 1 is whole; in line 3 the one good tweet survives its two bad neighbours.
    assert "1700000000000000098" in posts
    assert "1700000000000000003" in posts


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"data": [], "meta": {"result_count": 0}}', True),
        (b'{"id": "1", "text": "x", "author": {"id": "2"}}', True),
        (b'{"type": "post", "platform": "x"}', False),
        (b"not json", False),
    ],
)
def test_sniff(line: bytes, expected: bool) -> None:
    assert FMT.sniff(line, line) is expected
