"""The workbench's DuckDB account index: typed rows, and the read model's plain mappings."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

from iru.engine.readers.account_index import AccountIndex
from iru.storage.account_index import (
    AccountIndexStore,
    DailyVolume,
    IndexedMedia,
    IndexedSignal,
    Neighbour,
)
from iru.workspace import Workspace

from .small_world import small_world


def test_the_index_answers_one_accounts_rows(workspace: Workspace, tmp_path: Path) -> None:
    small_world(workspace, tmp_path)
    store = AccountIndexStore(workspace.archive, tmp_path / "cache" / "index.duckdb")
    try:
        posts = store.posts("f", "S")
        assert [p.post_id for p in posts] == ["p2", "p1"]  # newest first
        assert posts[1].urls == ["https://a.example/x"] and posts[0].media_ids == ["m1"]
        assert posts[0].created_at == datetime(2025, 3, 2, 10, tzinfo=UTC)
        assert [p.post_id for p in store.posts("f", "S", limit=1)] == ["p2"]
        assert store.posts("f", "nobody") == []
        assert sorted(store.signals("f", "S"), key=lambda s: s.detector) == [
            IndexedSignal("p1", "indicators", "marker", 0.9, "indicators on p1"),
            IndexedSignal("p1", "language", "en", 1.0, "language on p1"),
        ]
        assert store.media("f", ["m1", "m9"]) == [
            IndexedMedia("m1", "https://media.example/m1.jpg", "image/jpeg")
        ]
        assert store.media("f", []) == []
        # Follows left out (ties in count come in any order).
        assert sorted(store.neighbours("f", "S"), key=lambda n: n.kind) == [
            Neighbour("U", "mention", "out", 1),
            Neighbour("U", "quote", "in", 1),
            Neighbour("U", "repost", "in", 1),
        ]
        assert store.neighbours("f", "S", limit=1)[0].n == 1
        assert store.daily(1) == [
            DailyVolume(date(2025, 3, 2), "f", "und", 4),
        ]
        assert DailyVolume(date(2025, 3, 1), "f", "en", 1) in store.daily(14)
        cursor = store.connection()
        cursor.close()
    finally:
        store.close()


def test_the_read_model_gives_plain_rows_and_follows_the_archive(
    workspace: Workspace, tmp_path: Path
) -> None:
    index = AccountIndex(workspace.archive, tmp_path / "index.duckdb", recheck_seconds=0.0)
    try:
        assert index.posts("f", "S") == [] and index.daily() == []
        small_world(workspace, tmp_path)  # the archive changed: the index is rebuilt
        [first, _] = index.posts("f", "S")
        assert list(first) == [
            "platform",
            "account_id",
            "post_id",
            "created_at",
            "text",
            "lang",
            "urls",
            "media_ids",
            "repost_of_post_id",
            "quote_of_post_id",
            "reply_to_post_id",
        ]
        assert first["post_id"] == "p2"
        assert index.media("f", ["m1"]) == {
            "m1": {
                "media_id": "m1",
                "url": "https://media.example/m1.jpg",
                "mime_type": "image/jpeg",
            }
        }
        assert {s["detector"] for s in index.signals("f", "S")} == {"indicators", "language"}
        assert {
            (n["other"], n["kind"], n["direction"], n["n"]) for n in index.neighbours("f", "U")
        } == {
            ("S", "mention", "in", 1),
            ("S", "quote", "out", 1),
            ("S", "repost", "out", 1),
        }
        assert index.daily(1) == [
            {"day": date(2025, 3, 2), "platform": "f", "language": "und", "posts": 4}
        ]
        assert index.fingerprint() == workspace.archive.generation()
        assert index.path == tmp_path / "index.duckdb" and index.path.exists()
    finally:
        index.close()


def test_many_accounts_at_once_give_each_accounts_rows(
    workspace: Workspace, tmp_path: Path
) -> None:
    small_world(workspace, tmp_path)
    store = AccountIndexStore(workspace.archive, tmp_path / "cache" / "index.duckdb")
    try:
        ids = ["S", "U", "V", "nobody"]
        for limit in (1, 50):
            posts = store.posts_of("f", ids, limit)
            assert posts == {a: store.posts("f", a, limit) for a in ids}
        assert store.signals_of("f", ids) == {a: store.signals("f", a) for a in ids}
        for limit in (1, 40):
            found = store.neighbours_of("f", ids, limit)
            assert found == {a: store.neighbours("f", a, limit) for a in ids}
        assert store.posts_of("f", ["S"]) == {"S": store.posts("f", "S")}
        assert store.posts_of("f", []) == {} and store.neighbours_of("f", []) == {}
    finally:
        store.close()


def test_in_the_background_the_old_index_answers_until_the_new_one_is_in(
    workspace: Workspace, tmp_path: Path
) -> None:
    index = AccountIndex(
        workspace.archive, tmp_path / "index.duckdb", recheck_seconds=0.0, background=True
    )
    try:
        assert index.posts("f", "S") == []  # the first build is made at once
        empty = index.generation()
        small_world(workspace, tmp_path)  # the archive changed: rebuilt in a thread
        deadline = time.monotonic() + 60
        while index.generation() == empty and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index.generation() == workspace.archive.generation() != empty
        assert [p["post_id"] for p in index.posts("f", "S")] == ["p2", "p1"]
        assert index.posts_of("f", ["S", "U"])["S"] == index.posts("f", "S")
        assert not list(index.path.parent.glob("*.tmp"))
    finally:
        index.close()
