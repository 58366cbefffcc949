"""twarc2 output as real exports have it: shared media, flattened files, user listings.

Synthetic equivalents of what public twarc2 files showed (issue 16, items 1-3):

1. a retweet shows the original's media: the media item belongs to the original post
   and its author, one row per (platform, media key) across days, files and runs;
2. ``twarc2 flatten`` output, whose referenced tweets carry ``attachments.media: [{}]``,
   stores exactly what the response form of the same conversation stores;
3. ``twarc2 users`` / ``followers`` / ``following`` output gives accounts, and follow
   edges when ``__twarc.url`` names the listing's subject.

Every id, handle and text here is synthetic.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from iru.domain import Account, Interaction, InteractionKind, Media, Post
from iru.ingest.base import Rejected
from iru.ingest.registry import detect_format
from iru.ingest.twitter_v2 import TwitterV2Format
from iru.workspace import Workspace

from .conftest import PG_ADMIN, Iru, open_workspace
from .store_snapshot import snapshot

FMT = TwitterV2Format()
RETRIEVED = "2024-05-03T00:00:00+00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_urls(request: pytest.FixtureRequest) -> Iterator[tuple[str, ...]]:
    """Three fresh, separate databases of one kind, for workspaces compared."""
    if request.param == "sqlite":
        yield "", "", ""
        return
    names = [f"iru_test_{uuid.uuid4().hex[:12]}" for _ in range(3)]
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(f"{base}/{name}" for name in names)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def user(n: int, handle: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"200000000000000000{n}",
        "username": handle,
        "name": f"Synthetic {handle}",
        "description": "test account",
        "created_at": f"2015-01-0{n % 9 + 1}T00:00:00.000Z",
        "profile_image_url": f"https://pbs.twimg.example/profile_images/{n}/p_normal.jpg",
        "protected": False,
        "verified": False,
        "public_metrics": {
            "followers_count": 10 * n,
            "following_count": n,
            "tweet_count": 100 + n,
            "listed_count": 0,
        },
        **extra,
    }


UPLOADER = user(1, "origin_desk")
RETWEETER = user(2, "echo_account")
QUOTER = user(3, "quote_reader")
REPLIER = user(4, "reply_person")
MENTIONED = user(5, "named_only")
UNINCLUDED = user(7, "lost_author")  # authored a referenced tweet; never in includes.users


def mention(text: str, who: dict[str, Any]) -> dict[str, Any]:
    start = text.index("@" + who["username"])
    return {
        "start": start,
        "end": start + len(who["username"]) + 1,
        "username": who["username"],
        "id": who["id"],
    }


def tweet(tid: str, author: dict[str, Any], created: str, text: str, **extra: Any) -> dict:
    return {
        "id": tid,
        "text": text,
        "author_id": author["id"],
        "created_at": created,
        "lang": "en",
        "conversation_id": extra.pop("conversation_id", tid),
        "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 2, "quote_count": 0},
        **extra,
    }


def media(key: str, kind: str = "photo", **extra: Any) -> dict[str, Any]:
    return {"media_key": key, "type": kind, "width": 640, "height": 480, **extra}


# The conversation: an original with a photo (its media object not in includes, as when
# only the primary tweets' media are expanded), a retweet of it a day later showing the
# same photo, a quote with its own photo, a reply to a tweet whose author was not
# included, and a video post.
ORIGINAL = tweet(
    "3000000000000000001",
    UPLOADER,
    "2024-05-01T08:00:00.000Z",
    "Morning notice with a picture",
    attachments={"media_keys": ["3_3000000000000000001"]},
)
RT_TEXT = "RT @origin_desk: Morning notice with a picture"
RETWEET = tweet(
    "3000000000000000002",
    RETWEETER,
    "2024-05-02T09:00:00.000Z",
    RT_TEXT,
    referenced_tweets=[{"type": "retweeted", "id": ORIGINAL["id"]}],
    entities={"mentions": [mention(RT_TEXT, UPLOADER)]},
    attachments={"media_keys": ["3_3000000000000000001"]},
)
QUOTE_TEXT = "Worth a look, @named_only"
QUOTE = tweet(
    "3000000000000000003",
    QUOTER,
    "2024-05-02T10:00:00.000Z",
    QUOTE_TEXT,
    referenced_tweets=[{"type": "quoted", "id": ORIGINAL["id"]}],
    entities={"mentions": [mention(QUOTE_TEXT, MENTIONED)]},
    attachments={"media_keys": ["3_3000000000000000003"]},
)
LOST = tweet(
    "3000000000000000007",
    UNINCLUDED,
    "2024-05-01T07:00:00.000Z",
    "An older post with a picture",
    attachments={"media_keys": ["3_3000000000000000007"]},
)
REPLY_TEXT = "@lost_author agreed"
REPLY = tweet(
    "3000000000000000004",
    REPLIER,
    "2024-05-02T11:00:00.000Z",
    REPLY_TEXT,
    conversation_id=LOST["id"],
    in_reply_to_user_id=UNINCLUDED["id"],
    referenced_tweets=[{"type": "replied_to", "id": LOST["id"]}],
    entities={"mentions": [mention(REPLY_TEXT, UNINCLUDED)]},
)
VIDEO = tweet(
    "3000000000000000005",
    UPLOADER,
    "2024-05-02T12:00:00.000Z",
    "A short clip",
    attachments={"media_keys": ["7_3000000000000000005"]},
)
RESPONSE = {
    "data": [RETWEET, QUOTE, REPLY, VIDEO],
    "includes": {
        "users": [UPLOADER, RETWEETER, QUOTER, REPLIER, MENTIONED],
        "tweets": [ORIGINAL, LOST],
        "media": [
            media("3_3000000000000000003", url="https://pbs.twimg.example/media/quote.jpg"),
            media(
                "7_3000000000000000005",
                "video",
                preview_image_url="https://pbs.twimg.example/media/clip.jpg",
                duration_ms=9000,
            ),
        ],
    },
    "meta": {"result_count": 4},
    "__twarc": {
        "url": "https://api.twitter.com/2/tweets/search/recent?query=example",
        "version": "2.14.0",
        "retrieved_at": RETRIEVED,
    },
}


def twarc_flatten(response: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``twarc2 flatten`` writes for one response (twarc's expansions.flatten):
    includes expanded in place, ``{}`` for what includes lack, ``__twarc`` on each item."""
    response = copy.deepcopy(response)
    includes = response.get("includes", {})

    def by(kind: str, key: str) -> defaultdict[str, Any]:
        return defaultdict(dict, {item[key]: item for item in includes.get(kind, [])})

    users = by("users", "id")
    users.update(by("users", "username"))
    media_by_key = by("media", "media_key")
    tweets = by("tweets", "id")

    def expand(payload: Any) -> Any:
        if isinstance(payload, list):
            return [expand(item) for item in payload]
        if not isinstance(payload, dict):
            return payload
        for key, value in payload.items():
            payload[key] = expand(value)
        if "author_id" in payload:
            payload["author"] = users[payload["author_id"]]
        if "in_reply_to_user_id" in payload:
            payload["in_reply_to_user"] = users[payload["in_reply_to_user_id"]]
        if "media_keys" in payload:
            payload["media"] = [media_by_key[k] for k in payload["media_keys"]]
        if "mentions" in payload:
            payload["mentions"] = [{**m, **users[m["username"]]} for m in payload["mentions"]]
        if "referenced_tweets" in payload:
            payload["referenced_tweets"] = [
                {**ref, **tweets[ref["id"]]} for ref in payload["referenced_tweets"]
            ]
        if "pinned_tweet_id" in payload:
            payload["pinned_tweet"] = tweets[payload["pinned_tweet_id"]]
        return payload

    for tid, included in list(tweets.items()):
        tweets[tid] = expand(included)
    data = response["data"]
    items = expand(data if isinstance(data, list) else [data])
    for item in items:
        item["__twarc"] = response["__twarc"]
    return items


def write_lines(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), "utf-8")
    return path


def ingest(root: Path, database_url: str, *paths: Path, bulk: bool = True) -> Workspace:
    ws = open_workspace(root, database_url, ingest_bulk=bulk)
    for path in paths:  # one run per file, as separate `iru ingest` calls would be
        ws.ingest_engine().run([path])
    return ws


def media_rows(ws: Workspace) -> list[tuple[str, str, str, str]]:
    with ws.archive.query() as conn:
        rows = conn.execute(
            "SELECT media_id, post_id, account_id, strftime(created_at, '%Y-%m-%dT%H:%M') "
            "FROM media ORDER BY media_id, post_id"
        ).fetchall()
    return [tuple(row) for row in rows]


# --- 1. Shared media belong to the uploader -------------------------------------------


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "per-record"])
def test_retweeted_media_belong_to_the_original_post(
    tmp_path: Path, database_url: str, bulk: bool
) -> None:
    """The retweet (data, day 2) is read before the original (includes, day 1)."""
    source = write_lines(tmp_path / "search.jsonl", [RESPONSE])
    ws = ingest(tmp_path / "ws", database_url, source, bulk=bulk)
    try:
        rows = media_rows(ws)
        assert ("3_3000000000000000001", ORIGINAL["id"], UPLOADER["id"], "2024-05-01T08:00") in rows
        assert [r for r in rows if r[0] == "3_3000000000000000001"] == [
            ("3_3000000000000000001", ORIGINAL["id"], UPLOADER["id"], "2024-05-01T08:00")
        ]
        assert not [r for r in rows if r[2] == RETWEETER["id"]]
        with ws.archive.query() as conn:
            (media_ids,) = conn.execute(
                "SELECT media_ids FROM posts WHERE post_id = ?", [RETWEET["id"]]
            ).fetchone()
        assert list(media_ids) == ["3_3000000000000000001"]  # the retweet still shows it
    finally:
        ws.close()


def _retweet_alone(tid: str, created: str) -> dict[str, Any]:
    """A later search that found only a retweet of the original (no includes.tweets)."""
    again = {**RETWEET, "id": tid, "created_at": created}
    return {
        "data": [again],
        "includes": {"users": [RETWEETER, UPLOADER], "tweets": [], "media": []},
        "meta": {"result_count": 1},
        "__twarc": {**RESPONSE["__twarc"], "retrieved_at": "2024-05-09T00:00:00+00:00"},
    }


@pytest.mark.parametrize("order", ["original first", "retweet first"])
def test_media_are_stored_once_across_days_files_and_runs(
    tmp_path: Path, database_url: str, order: str
) -> None:
    original = write_lines(
        tmp_path / "original.jsonl",
        [
            {
                "data": [ORIGINAL],
                "includes": {"users": [UPLOADER]},
                "__twarc": RESPONSE["__twarc"],
            }
        ],
    )
    later = write_lines(
        tmp_path / "later.jsonl",
        [
            _retweet_alone("3000000000000000011", "2024-05-04T09:00:00.000Z"),
            _retweet_alone("3000000000000000012", "2024-05-06T09:00:00.000Z"),
        ],
    )
    files = [original, later] if order == "original first" else [later, original]
    ws = ingest(tmp_path / "ws", database_url, *files, later)  # the later file twice
    try:
        rows = [r for r in media_rows(ws) if r[0] == "3_3000000000000000001"]
        assert len(rows) == 1
        _, post_id, account_id, _ = rows[0]
        assert (post_id, account_id) == (ORIGINAL["id"], UPLOADER["id"])
        if order == "original first":
            assert rows[0][3] == "2024-05-01T08:00"
        snapshot(ws)  # asserts no table holds a key twice
        again = ws.ingest_engine().run([original, later])
        assert again.tables["media"].new == 0
    finally:
        ws.close()


def test_known_media_signal_lands_on_the_uploader(iru: Iru, tmp_path: Path) -> None:
    photo = b"synthetic image bytes of a known item"
    shared = copy.deepcopy(RESPONSE)
    shared["includes"]["media"].append(
        media("3_3000000000000000001", url="https://pbs.twimg.example/media/shared_photo.jpg")
    )
    source = write_lines(tmp_path / "search.jsonl", [shared])
    hashes = tmp_path / "list.csv"
    hashes.write_text(
        "hash_type,hash_value,label,source,created_at\n"
        f"sha256,{hashlib.sha256(photo).hexdigest()},known-item-1,test,2024-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    iru("ingest", str(source))
    media_dir = iru.workspace / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / "shared_photo.jpg").write_bytes(photo)
    iru("hashes", "import", str(hashes))
    iru("detect")
    ws = iru.open()
    try:
        with ws.archive.query() as conn:
            found = conn.execute(
                "SELECT subject_id, account_id FROM signals WHERE detector = 'known-media'"
            ).fetchall()
    finally:
        ws.close()
    assert found == [("3_3000000000000000001", UPLOADER["id"])]


# --- 2. Flattened output gives the same records ----------------------------------------


def test_flattened_referenced_tweets_with_empty_media_objects_are_kept() -> None:
    lines = twarc_flatten(RESPONSE)
    retweet_line = lines[0]
    assert retweet_line["referenced_tweets"][0]["attachments"]["media"] == [{}]
    assert lines[2]["referenced_tweets"][0]["author"] == {}  # the reply's unincluded author
    path_items = [
        item for line in lines for item in FMT._read_line(1, json.dumps(line).encode("utf-8"))
    ]
    assert not [i for i in path_items if isinstance(i, Rejected)]
    posts = {p.post_id: p for p in path_items if isinstance(p, Post)}
    assert posts[ORIGINAL["id"]].media_ids == ["3_3000000000000000001"]
    assert posts[LOST["id"]].media_ids == ["3_3000000000000000007"]
    owners = {(m.media_id, m.post_id, m.account_id) for m in path_items if isinstance(m, Media)}
    assert ("3_3000000000000000001", ORIGINAL["id"], UPLOADER["id"]) in owners
    assert ("3_3000000000000000007", LOST["id"], UNINCLUDED["id"]) in owners
    assert not [o for o in owners if o[2] == RETWEETER["id"]]


def test_flattened_and_response_forms_store_the_same_records(
    tmp_path: Path, database_urls: tuple[str, ...]
) -> None:
    response = write_lines(tmp_path / "responses.jsonl", [RESPONSE])
    flat = write_lines(tmp_path / "flattened.jsonl", twarc_flatten(RESPONSE))
    assert detect_format(flat).name == detect_format(response).name == "twitter-v2"
    from_response = ingest(tmp_path / "ws-response", database_urls[0], response)
    from_flat = ingest(tmp_path / "ws-flat", database_urls[1], flat)
    try:
        expected = snapshot(from_response)
        assert snapshot(from_flat) == expected
        assert expected["quarantine"] == []
        assert len(expected["posts"]) == 6
        assert len(expected["media"]) == 4
        assert len(expected["accounts"]) == 5
        kinds = sorted(row[2] for row in expected["interactions"])
        assert kinds == ["mention", "mention", "quote", "reply", "repost"]
    finally:
        from_response.close()
        from_flat.close()


# --- 3. User listings: accounts, and follow edges with the listing's subject ------------

SUBJECT = "2000000000000000009"
LISTED = [
    user(1, "listed_one", pinned_tweet_id="3100000000000000001"),
    user(2, "listed_two"),
    {"id": "2000000000000000003", "name": "Only Defaults", "username": "listed_three"},
]
PINNED = tweet("3100000000000000001", LISTED[0], "2024-04-30T10:00:00.000Z", "Pinned hello")


def listing(endpoint: str, retrieved: str | None = RETRIEVED) -> dict[str, Any]:
    """One page of `twarc2 followers|following|users` output."""
    url = {
        "followers": f"https://api.twitter.com/2/users/{SUBJECT}/followers?max_results=1000",
        "following": f"https://api.twitter.com/2/users/{SUBJECT}/following?max_results=1000",
        "users": "https://api.twitter.com/2/users?ids=2000000000000000001,2000000000000000002",
    }[endpoint]
    twarc: dict[str, Any] = {"url": url, "version": "2.14.0"}
    if retrieved is not None:
        twarc["retrieved_at"] = retrieved
    return {
        "data": copy.deepcopy(LISTED),
        "includes": {"tweets": [PINNED]},
        "meta": {"result_count": len(LISTED)},
        "__twarc": twarc,
    }


def read_objects(objects: list[dict[str, Any]]) -> list[Any]:
    return [
        item
        for number, obj in enumerate(objects, start=1)
        for item in FMT._read_line(number, json.dumps(obj).encode("utf-8"))
    ]


@pytest.mark.parametrize("flattened", [False, True], ids=["response", "flattened"])
@pytest.mark.parametrize(
    ("endpoint", "follows"),
    [("followers", "to subject"), ("following", "from subject"), ("users", None)],
)
def test_user_listings_give_accounts_and_follow_edges(
    endpoint: str, follows: str | None, flattened: bool
) -> None:
    page = listing(endpoint)
    items = read_objects(twarc_flatten(page) if flattened else [page])
    assert not [i for i in items if isinstance(i, Rejected)]
    accounts = {a.account_id: a for a in items if isinstance(a, Account)}
    assert set(accounts) == {u["id"] for u in LISTED}
    assert accounts["2000000000000000001"].handle == "listed_one"
    assert accounts["2000000000000000001"].followers_count == 10
    assert accounts["2000000000000000003"].display_name == "Only Defaults"
    assert {p.post_id for p in items if isinstance(p, Post)} == {PINNED["id"]}
    edges = {
        (e.kind, e.src_account_id, e.dst_account_id, e.created_at.isoformat())
        for e in items
        if isinstance(e, Interaction)
    }
    listed = [u["id"] for u in LISTED]
    expected = {
        "to subject": {(InteractionKind.FOLLOW, u, SUBJECT, RETRIEVED) for u in listed},
        "from subject": {(InteractionKind.FOLLOW, SUBJECT, u, RETRIEVED) for u in listed},
        None: set(),
    }[follows]
    assert edges == expected


def test_flattened_user_listing_is_recognised(tmp_path: Path) -> None:
    flat = write_lines(tmp_path / "followers-flat.jsonl", twarc_flatten(listing("followers")))
    assert detect_format(flat).name == "twitter-v2"


def test_follow_listing_without_a_retrieval_time_keeps_the_accounts() -> None:
    items = read_objects([listing("followers", retrieved=None)])
    assert len([a for a in items if isinstance(a, Account)]) == 3
    rejects = [r for r in items if isinstance(r, Rejected)]
    assert [r.locator for r in rejects] == [f"line 1: data[{n}]" for n in range(3)]
    assert all("retrieved_at" in r.reason for r in rejects)
    assert not [e for e in items if isinstance(e, Interaction)]


def test_user_listing_forms_and_paths_store_the_same(
    tmp_path: Path, database_urls: tuple[str, ...]
) -> None:
    pages = [listing("followers"), listing("following"), listing("users")]
    response = write_lines(tmp_path / "listings.jsonl", pages)
    flat = write_lines(
        tmp_path / "listings-flat.jsonl", [line for page in pages for line in twarc_flatten(page)]
    )
    bulk = open_workspace(tmp_path / "bulk", database_urls[0], ingest_bulk=True)
    report = bulk.ingest_engine().run([response])
    per_record = ingest(tmp_path / "per-record", database_urls[1], response, bulk=False)
    from_flat = ingest(tmp_path / "flat", database_urls[2], flat)
    try:
        expected = snapshot(bulk)
        assert report.bulk_batches == 0  # user objects have no author: the row reader took them
        assert report.quarantined == 0
        assert snapshot(per_record) == expected
        assert snapshot(from_flat) == expected
        assert len(expected["accounts"]) == 3
        assert len(expected["interactions"]) == 6  # 3 followers, 3 followed
        assert len(expected["posts"]) == 1
    finally:
        for ws in (bulk, per_record, from_flat):
            ws.close()


def test_a_follow_listing_seen_on_two_days_is_one_edge_each(
    tmp_path: Path, database_url: str
) -> None:
    first = write_lines(tmp_path / "first.jsonl", [listing("followers")])
    second = write_lines(
        tmp_path / "second.jsonl", [listing("followers", retrieved="2024-05-10T00:00:00+00:00")]
    )
    ws = ingest(tmp_path / "ws", database_url, first, second)
    try:
        state = snapshot(ws)  # also asserts no key is stored twice
        assert len(state["interactions"]) == 3
        observed = {str(row["observed_at"])[:10] for row in ws.database.iter_accounts()}
        assert observed == {"2024-05-10"}  # the newer listing's snapshot
    finally:
        ws.close()
