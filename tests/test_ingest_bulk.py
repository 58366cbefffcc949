"""The bulk (Arrow) path for twarc2 responses stores exactly what the per-record path does."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from iru.domain import Post
from iru.domain.columns import SCHEMAS, to_table
from iru.engine.pipeline.ingest import IngestEngine, IngestReport
from iru.ingest.bulk import parsed_chunks
from iru.storage import key_index
from iru.storage.archive import Archive
from iru.workspace import Workspace

from . import shared
from .conftest import DATA, EXAMPLES, open_workspace
from .store_snapshot import snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from twarc_fixture import write_twarc_file


def _ingest(
    root: Path, sources: list[Path], bulk: bool, chunk_mb: int = 1
) -> tuple[Workspace, IngestReport]:
    ws = open_workspace(root, ingest_bulk=bulk, ingest_chunk_mb=chunk_mb)
    report = ws.ingest_engine().run(sources)
    return ws, report


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~6 MB: several 1 MB chunks, one bad tweet in some of them (made once per run)."""
    return shared.once(tmp_path_factory, "bulk-stream", _write_stream) / "stream.jsonl"


def _write_stream(folder: Path) -> None:
    folder.mkdir(parents=True)
    write_twarc_file(folder / "stream.jsonl", posts=12_000, seed=3, accounts=3_000, bad_every=4_999)


@pytest.mark.parametrize(
    "source",
    [
        EXAMPLES / "twitter" / "search-responses.jsonl",
        EXAMPLES / "twitter" / "flattened.jsonl",
        DATA / "twitter" / "malformed.jsonl",
    ],
    ids=lambda p: p.name,
)
def test_bulk_and_per_record_paths_agree_on_samples(tmp_path: Path, source: Path) -> None:
    slow, slow_report = _ingest(tmp_path / "slow", [source], bulk=False)
    fast, fast_report = _ingest(tmp_path / "fast", [source], bulk=True)
    assert snapshot(fast) == snapshot(slow)
    assert fast_report.quarantined == slow_report.quarantined
    assert slow_report.bulk_batches == 0
    # Whole, well-formed responses take the bulk path; the others fall back record by record.
    assert fast_report.bulk_batches == (1 if source.name == "search-responses.jsonl" else 0)
    slow.close()
    fast.close()


def test_bulk_and_per_record_paths_agree_on_a_stream(tmp_path: Path, stream: Path) -> None:
    slow, slow_report = _ingest(tmp_path / "slow", [stream], bulk=False)
    fast, fast_report = _ingest(tmp_path / "fast", [stream], bulk=True)
    expected = snapshot(slow)
    assert snapshot(fast) == expected
    assert len(expected["quarantine"]) == 2  # tweets 4,999 and 9,998 have bad dates
    assert fast_report.accepted == slow_report.accepted
    # The bulk path really ran: the chunks without a bad tweet went through it.
    assert fast_report.tables["posts"].read == slow_report.tables["posts"].read
    assert fast_report.bulk_batches >= 3
    slow.close()
    fast.close()


# -- the column-wise mapping, case by case, across chunk edges and worker processes -------

_T1, _T2 = "2024-05-02T00:00:00+00:00", "2024-05-03T00:00:00+00:00"


def _tweet(ident: str, author: str, day: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "author_id": author,
        "created_at": f"2024-05-{day:02d}T10:00:00.000Z",
        "text": extra.pop("text", f"synthetic {ident}"),
        **extra,
    }


def _user(ident: str, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "username": f"user_{ident}", "name": f"User {ident}", **extra}


def _response(
    data: list[dict[str, Any]],
    users: list[dict[str, Any]] = (),  # type: ignore[assignment]
    tweets: list[dict[str, Any]] = (),  # type: ignore[assignment]
    media: list[dict[str, Any]] = (),  # type: ignore[assignment]
    retrieved: str | None = _T1,
) -> str:
    line: dict[str, Any] = {
        "data": data,
        "includes": {"users": list(users), "tweets": list(tweets), "media": list(media)},
    }
    if retrieved is not None:
        line["__twarc"] = {"retrieved_at": retrieved}
    return json.dumps(line, ensure_ascii=False)


def _edge_cases() -> list[str]:
    """Responses holding each case the mapping treats apart (see twitter_v2_model)."""
    rt_mention = {"username": "user_101", "id": "101"}
    return [
        # An original with a video, and its retweet on the same line (media owned by the original).
        _response(
            [
                _tweet("1", "101", attachments={"media_keys": ["m1"]}),
                _tweet(
                    "2",
                    "102",
                    day=2,
                    text="RT @user_101: synthetic 1",
                    referenced_tweets=[{"type": "retweeted", "id": "1"}],
                    entities={"mentions": [rt_mention]},
                    attachments={"media_keys": ["m1"]},
                ),
                # Quoting a tweet of the line's data: only included tweets name an author.
                _tweet("12", "102", referenced_tweets=[{"type": "quoted", "id": "1"}]),
            ],
            users=[_user("101", public_metrics={"followers_count": 5}), _user("102")],
            media=[{"media_key": "m1", "type": "video", "preview_image_url": "https://p/1"}],
        ),
        # A retweet whose original is nowhere on the line: its media go to the first mention.
        _response(
            [
                _tweet(
                    "3",
                    "102",
                    day=2,
                    text="RT @bob: elsewhere",
                    referenced_tweets=[{"type": "retweeted", "id": "99"}],
                    entities={
                        "mentions": [
                            {"username": "bob", "id": "109"},
                            {"username": "eve", "id": "110"},
                        ]
                    },
                    attachments={"media_keys": ["m2"]},
                )
            ],
            users=[_user("102", description="newer", public_metrics={"followers_count": 7})],
            retrieved=_T2,
        ),
        # A reply, and a quote of an included tweet; mentions of every kind.
        _response(
            [
                _tweet(
                    "4",
                    "103",
                    referenced_tweets=[{"type": "replied_to", "id": "1"}],
                    in_reply_to_user_id="111",
                    entities={
                        "mentions": [
                            {"username": "carol"},
                            {"username": "bad-handle!"},
                            {"username": "dave", "id": ""},
                            {"username": "user_101", "id": "101"},
                        ],
                        "hashtags": [{"tag": "one"}, {"tag": "two"}],
                        "urls": [
                            {"url": "https://t.co/a", "expanded_url": ""},
                            {"url": "https://t.co/b", "expanded_url": "https://b.example/"},
                        ],
                    },
                    public_metrics={"like_count": 3, "impression_count": 40},
                ),
                _tweet(
                    "5",
                    "103",
                    day=3,
                    text="not a retweet @user_101",
                    referenced_tweets=[{"type": "quoted", "id": "6"}, {"type": "other", "id": "7"}],
                    entities={"mentions": [rt_mention]},
                ),
            ],
            users=[_user("103"), _user("101", name=None, location="older", description="x")],
            tweets=[_tweet("6", "104", text="original"), _tweet("1", "101", text="original")],
            retrieved="2024-05-01T00:00:00+00:00",
        ),
        # Undated snapshots, media of every kind, the same media key on another day.
        _response(
            [
                _tweet("8", "105", day=4, attachments={"media_keys": ["m3", "m4", "m1"]}),
                _tweet(
                    "9",
                    "105",
                    day=4,
                    text="RT @user_104: original",
                    referenced_tweets=[{"type": "retweeted", "id": "6"}],
                    attachments={"media_keys": ["m5"]},
                ),
            ],
            users=[_user("105"), _user("105", verified=True), _user("106", protected=True)],
            tweets=[_tweet("6", "104", text="original")],
            media=[
                {"media_key": "m3", "type": "animated_gif", "url": "https://g/3", "width": 10},
                {"media_key": "m4", "type": "hologram", "duration_ms": 5, "alt_text": "a"},
                {"media_key": "m3", "type": "photo", "url": "https://g/3b"},
            ],
            retrieved=None,
        ),
        # A data-less line holding only includes, then a newer snapshot of u1.
        _response([], users=[_user("107")], tweets=[_tweet("10", "107", day=5)]),
        _response(
            [_tweet("11", "101", day=5)], users=[_user("101", url="https://u1")], retrieved=_T2
        ),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
@pytest.mark.parametrize("chunk_bytes", [700, 1 << 20], ids=["line-sized chunks", "one chunk"])
def test_bulk_agrees_on_each_mapping_case(tmp_path: Path, suffix: str, chunk_bytes: int) -> None:
    text = "\n".join(_edge_cases() * 3) + "\n"
    source = tmp_path / f"cases{suffix}"
    if suffix.endswith(".gz"):
        source.write_bytes(gzip.compress(text.encode()))
    else:
        source.write_text(text, encoding="utf-8")
    slow, slow_report = _ingest(tmp_path / "slow", [source], bulk=False)
    fast = open_workspace(tmp_path / "fast", ingest_bulk=True)
    report = IngestEngine(fast.database, fast.archive, chunk_bytes=chunk_bytes).run([source])
    assert snapshot(fast) == snapshot(slow)
    assert report.quarantined == slow_report.quarantined == 0
    assert report.bulk_batches >= (10 if chunk_bytes < 1000 else 1)
    slow.close()
    fast.close()


def test_a_chunk_with_a_bad_line_is_read_line_by_line_with_its_line_numbers(
    tmp_path: Path,
) -> None:
    lines = _edge_cases()
    lines[3] = lines[3].replace('"created_at": "2024-05-04T10:00:00.000Z"', '"created_at": 5', 1)
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(lines * 4) + "\n", encoding="utf-8")
    slow, _ = _ingest(tmp_path / "slow", [source], bulk=False)
    fast = open_workspace(tmp_path / "fast", ingest_bulk=True)
    report = IngestEngine(fast.database, fast.archive, chunk_bytes=3000).run([source])
    expected = snapshot(slow)
    assert snapshot(fast) == expected
    wanted = sorted(f"line {n}: data[0]" for n in (4, 10, 16, 22))
    assert sorted(q[2] for q in expected["quarantine"]) == wanted
    assert report.bulk_batches > 0
    slow.close()
    fast.close()


def test_workers_read_a_file_by_ranges_that_tile_it(tmp_path: Path) -> None:
    """Every line is parsed once, whatever the chunk size, with its own line number."""
    lines = [json.dumps({"n": n, "pad": "x" * (n % 97)}) for n in range(400)]
    source = tmp_path / "lines.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for chunk_bytes in (1, 50, 4096, 1 << 20):
        chunks = list(
            parsed_chunks(
                source,
                None,
                chunk_bytes,
                _first_numbers,
                chunks_of=lambda: iter([]),
                workers=2,
            )
        )
        seen = [(c.first_line, c.result) for c in chunks]
        assert [n for _, numbers in seen for n in numbers or []] == list(range(400))
        assert all(numbers and numbers[0] + 1 == first for first, numbers in seen)


def _first_numbers(text: bytes) -> list[int]:
    return [json.loads(line)["n"] for line in text.splitlines() if line.strip()]


def test_archive_keeps_the_first_row_of_each_key(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    schema = SCHEMAS["interactions"]
    day = datetime(2024, 5, 1, tzinfo=UTC)

    def rows(*items: tuple[str, str | None, int]) -> pa.Table:
        return pa.table(
            {
                "platform": ["twitter"] * len(items),
                "interaction_id": [key for key, _, _ in items],
                "kind": ["follow" if post is None else "mention" for _, post, _ in items],
                "src_account_id": ["a"] * len(items),
                "dst_account_id": [f"v{version}" for _, _, version in items],
                "post_id": [post for _, post, _ in items],
                "dst_post_id": [None] * len(items),
                "created_at": [day + timedelta(days=version % 2) for _, _, version in items],
            },
            schema=schema,
        )

    first = archive.write("interactions", rows(("k1", "p", 0), ("k1", "p", 2), ("f1", None, 0)))
    assert (first.new, first.duplicates) == (2, 1)
    # A follow edge is one per platform, whatever day it was seen on; a post's edge per day.
    again = archive.write("interactions", rows(("k1", "p", 4), ("f1", None, 1), ("k2", "p", 1)))
    assert (again.new, again.duplicates) == (1, 2)
    with archive.query() as db:
        stored = db.execute(
            "SELECT interaction_id, dst_account_id FROM interactions ORDER BY 1"
        ).fetchall()
    assert stored == [("f1", "v0"), ("k1", "v0"), ("k2", "v1")]


def test_files_written_behind_land_in_order_and_failures_surface(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(tmp_path / "archive")
    posts = to_table(
        [
            Post(
                platform="twitter",
                post_id=str(n),
                account_id="a",
                created_at=datetime(2024, 5, 1 + n % 3, tzinfo=UTC),
                text="t",
            )
            for n in range(30)
        ],
        "posts",
    )
    with archive.writing_behind(depth=2):
        result = archive.write("posts", posts)
        assert result.new == 30  # known at once, before the files land
    assert len(archive.files("posts")) == 3

    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("iru.storage.archive._write_file", broken)
    with pytest.raises(OSError, match="disk full"), archive.writing_behind():
        archive.write("posts", posts.slice(0, 1).set_column(1, "post_id", pa.array(["new"])))


@pytest.mark.parametrize("collide", [False, True], ids=["hashes", "every hash equal"])
def test_key_index_answers_exactly(monkeypatch: pytest.MonkeyPatch, collide: bool) -> None:
    """Membership is confirmed on the key, so even colliding hashes never merge two keys."""
    if collide:
        monkeypatch.setattr(key_index, "_hashes", lambda keys: np.zeros(len(keys), np.int64))
    index = key_index.KeyIndex()
    added: set[str] = set()
    for batch in range(12):
        keys = [f"k{batch}-{n}" for n in range(batch * 7 % 23 + 1)]
        index.add(pa.array(keys), keys)
        added.update(keys)
    assert len(index) == len(added)
    asked = [*sorted(added)[::3], "k0-99", "nope", ""]
    assert index.found(asked) == {key for key in asked if key in added}
