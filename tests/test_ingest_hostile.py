"""Hostile input to ``iru ingest``: every good record kept, every bad one quarantined, run goes on.

Issue 16, items 10-14: records nested 100,000 levels deep, NUL bytes in text, counts
beyond 64 bits or negative, a truncated ``.jsonl.gz``, FIFOs and link loops in a folder.
On SQLite and PostgreSQL; all data synthetic.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from iru.ingest.base import TOO_DEEP
from iru.storage.schema import accounts

from .conftest import EXAMPLES, Iru

DEPTH = 100_000
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH
WHEN = "2024-05-01T10:00:00Z"


def _post(post_id: str, **extra: Any) -> str:
    record = {
        "type": "post",
        "platform": "forum",
        "post_id": post_id,
        "account_id": "acct-1",
        "created_at": WHEN,
        "text": f"synthetic text {post_id}",
    }
    return json.dumps({**record, **extra})


def _account(account_id: str, **extra: Any) -> str:
    return json.dumps({"type": "account", "platform": "forum", "account_id": account_id, **extra})


def _stored(iru: Iru, sql: str) -> list[tuple[Any, ...]]:
    ws = iru.open()
    try:
        with ws.archive.query() as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        ws.close()


def _quarantine(iru: Iru) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(iru("quarantine", "list", "--format", "json").output)
    return rows


def _account_row(iru: Iru, account_id: str) -> dict[str, Any] | None:
    ws = iru.open()
    try:
        with ws.database.engine.connect() as conn:
            row = conn.execute(
                sa.select(accounts).where(accounts.c.account_id == account_id)
            ).first()
            return dict(row._mapping) if row is not None else None
    finally:
        ws.close()


# -- item 10: nesting too deep ---------------------------------------------------------


def test_deep_records_are_quarantined_and_later_lines_and_files_are_read(
    iru: Iru, tmp_path: Path
) -> None:
    lines = tmp_path / "a.jsonl"
    lines.write_text(
        "\n".join(
            [
                _post("p1"),
                DEEP_ARRAY,
                _post("p2", extra=json.loads("[" * 50 + "]" * 50)),
                DEEP_OBJECT,
                _post("p3"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    # twarc2 lines: a flattened tweet file and a response file, each with deep lines
    # between good ones (the response file goes through the bulk path).
    flat = (EXAMPLES / "twitter" / "flattened.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "flat.jsonl").write_text(
        "\n".join([flat[0], DEEP_OBJECT, *flat[1:], DEEP_ARRAY]) + "\n", encoding="utf-8"
    )
    responses = (EXAMPLES / "twitter" / "search-responses.jsonl").read_text(encoding="utf-8")
    deep_response = json.dumps({"data": [], "includes": {}})[:-1] + ', "x": ' + DEEP_OBJECT + "}"
    (tmp_path / "responses.jsonl").write_text(
        deep_response + "\n" + responses + '{"data": ' + DEEP_ARRAY + "}\n", encoding="utf-8"
    )
    last = tmp_path / "z_last.jsonl"
    last.write_text(_post("p4") + "\n", encoding="utf-8")
    result = iru("ingest", str(tmp_path))
    assert "quarantined 6" in result.output
    posts = {row[0] for row in _stored(iru, "SELECT post_id FROM posts WHERE platform = 'forum'")}
    assert posts == {"p1", "p2", "p3", "p4"}
    twitter = _stored(iru, "SELECT count(*) FROM posts WHERE platform = 'twitter'")[0][0]
    assert twitter > 0
    rows = {(Path(q["source"]).name, q["locator"]): q["reason"] for q in _quarantine(iru)}
    assert rows == {
        # A top-level array is refused by the schema before its depth matters.
        ("a.jsonl", "line 2"): "Expected `object`, got `array`",
        ("a.jsonl", "line 4"): TOO_DEEP,
        ("flat.jsonl", "line 2"): TOO_DEEP,
        ("flat.jsonl", f"line {len(flat) + 2}"): TOO_DEEP,
        ("responses.jsonl", "line 1"): TOO_DEEP,
        ("responses.jsonl", f"line {len(responses.splitlines()) + 2}"): TOO_DEEP,
    }


@pytest.mark.parametrize(
    ("example", "name"),
    [("telegram/result.json", "result.json"), ("activitypub/outbox.json", "outbox.json")],
)
def test_a_document_too_deep_is_quarantined_whole_and_the_run_goes_on(
    iru: Iru, tmp_path: Path, example: str, name: str
) -> None:
    text = (EXAMPLES / example).read_text(encoding="utf-8").rstrip()
    assert text.endswith("}")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / name).write_text(text[:-1] + ', "deep": ' + DEEP_ARRAY + "}", encoding="utf-8")
    (tmp_path / "later.jsonl").write_text(_post("after") + "\n", encoding="utf-8")
    result = iru("ingest", str(folder), str(tmp_path / "later.jsonl"))
    assert "nested too deeply" in result.output
    assert _stored(iru, "SELECT post_id FROM posts") == [("after",)]
    (row,) = _quarantine(iru)
    assert Path(row["source"]).name == name and row["reason"] == TOO_DEEP


# -- item 11: NUL in text ------------------------------------------------------------------


def test_nul_is_removed_from_text_the_same_on_both_databases(iru: Iru, tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_text(
        "\n".join(
            [
                _account("acct-1", handle="syn\u0000th", display_name="Synthetic\u0000 One"),
                _post("p-nul", text="before\u0000after", hashtags=["tag\u0000x"]),
                _post("p-ok"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = iru("ingest", str(path))
    assert "accepted 3" in result.output and "quarantined 0" in result.output
    account = _account_row(iru, "acct-1")
    assert account is not None
    assert (account["handle"], account["display_name"]) == ("synth", "Synthetic One")
    rows = _stored(iru, "SELECT post_id, text, hashtags FROM posts ORDER BY post_id")
    assert rows[0] == ("p-nul", "beforeafter", ["tagx"])


def test_a_failing_statement_never_prints_the_rows(iru: Iru) -> None:
    ws = iru.open()
    try:
        ws.database.ensure_schema()
        with pytest.raises(SQLAlchemyError) as failure, ws.database.engine.begin() as conn:
            conn.execute(
                accounts.insert().values(
                    platform=None, account_id="synthetic-private-marker", handle="private-handle"
                )
            )
    finally:
        ws.close()
    assert "synthetic-private-marker" not in str(failure.value)
    assert "private-handle" not in str(failure.value)


# -- item 12: counts out of range ----------------------------------------------------------


def test_counts_beyond_64_bits_or_negative_are_quarantined_naming_the_field(
    iru: Iru, tmp_path: Path
) -> None:
    path = tmp_path / "counts.jsonl"
    path.write_text(
        "\n".join(
            [
                _post("p-big", like_count=2**64),
                _post("p-huge", view_count=10**40),
                _post("p-neg", repost_count=-3),
                _account("acct-big", followers_count=2**63),
                _account("acct-neg", following_count=-1),
                _post("p-max", like_count=2**63 - 1),
                _account("acct-ok", followers_count=12),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    # A twarc2 response with a negative count takes the bulk path.
    tweet = {
        "id": "9001",
        "text": "synthetic",
        "author_id": "501",
        "created_at": "2024-05-01T10:00:00.000Z",
        "public_metrics": {"like_count": -7, "retweet_count": 1},
    }
    # ... and NUL in a text there is removed as on the per-record path.
    tweet_ok = {**tweet, "id": "9002", "text": "clean\u0000ed", "public_metrics": {"like_count": 7}}
    users = [{"id": "501", "username": "synthetic_501", "name": "Syn\u0000thetic"}]
    (tmp_path / "responses.jsonl").write_text(
        json.dumps({"data": [tweet, tweet_ok], "includes": {"users": users}}) + "\n",
        encoding="utf-8",
    )
    iru("ingest", str(tmp_path))
    posts = _stored(iru, "SELECT post_id FROM posts ORDER BY post_id")
    assert posts == [("9002",), ("p-max",)]
    assert _stored(iru, "SELECT text FROM posts WHERE post_id = '9002'") == [("cleaned",)]
    bulk_account = _account_row(iru, "501")
    assert bulk_account is not None and bulk_account["display_name"] == "Synthetic"
    assert _account_row(iru, "acct-ok") is not None
    assert _account_row(iru, "acct-big") is None and _account_row(iru, "acct-neg") is None
    reasons = {q["locator"]: q["reason"] for q in _quarantine(iru)}
    assert reasons["line 1: post forum/p-big"].startswith("like_count is too large")
    assert reasons["line 2: post forum/p-huge"].startswith("view_count is too large")
    assert reasons["line 3: post forum/p-neg"].startswith("repost_count is negative (-3)")
    assert reasons["line 4: account forum/acct-big"].startswith("followers_count is too large")
    assert reasons["line 5: account forum/acct-neg"].startswith("following_count is negative")
    assert reasons["post twitter/9001"].startswith("like_count is negative (-7)")


def test_unsafe_platforms_and_nul_in_identifiers_are_quarantined_with_their_line(
    iru: Iru, tmp_path: Path
) -> None:
    """A platform names an archive folder: ``x/../..`` must never write outside it; a NUL
    in an id would merge two records if removed, so the record is refused instead."""
    path = tmp_path / "ids.jsonl"
    path.write_text(
        "\n".join(
            [
                _post("p-trav", platform="x/../../../../escaped"),
                _post("p-nulplat", platform="nul\u0000byte"),
                _post("p-empty", platform=""),
                _post("p-id\u0000"),
                _post("p-id"),
                _post("p-ment", mentions=["acct\u00002"]),
                _post("p-eq", platform="a=b"),
                _post(""),
                _post("p-noauthor", account_id=""),
                _post("p-long" + "x" * 3000),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = iru("ingest", str(path))
    assert "accepted 1" in result.output and "quarantined 9" in result.output
    assert _stored(iru, "SELECT platform, post_id FROM posts") == [("forum", "p-id")]
    assert not (tmp_path / "escaped").exists()
    assert not any(p.name == "escaped" for p in iru.workspace.parent.rglob("escaped"))
    reasons = {q["locator"]: q["reason"] for q in _quarantine(iru)}
    assert "is not a plain name" in reasons["line 1: post x/../../../../escaped/p-trav"]
    assert "is not a plain name" in reasons["line 2: post nulbyte/p-nulplat"]
    assert "is not a plain name" in reasons["line 3: post /p-empty"]
    assert reasons["line 4: post forum/p-id"] == "post_id holds a NUL byte"
    assert reasons["line 6: post forum/p-ment"] == "mentions holds a NUL byte"
    # "=" would break the archive's hive partitioning for every later query.
    assert "is not a plain name" in reasons["line 7: post a=b/p-eq"]
    assert reasons["line 8: post forum/"] == "post_id is empty"
    assert reasons["line 9: post forum/p-noauthor"] == "account_id is empty"
    assert reasons[f"line 10: post forum/p-long{'x' * 3000}"].endswith("2,048 characters")
    stats = iru("stats")
    assert stats.exit_code == 0, stats.output


def test_bulk_tweets_with_an_empty_id_are_quarantined(iru: Iru, tmp_path: Path) -> None:
    """The bulk (columnar) path refuses what the per-record path refuses: an empty id."""
    tweets = [
        {"id": ident, "text": "synthetic", "author_id": "501", "created_at": WHEN}
        for ident in ("", "9101")
    ]
    users = [{"id": "501", "username": "synthetic_501", "name": "Synthetic"}]
    (tmp_path / "responses.jsonl").write_text(
        json.dumps({"data": tweets, "includes": {"users": users}}) + "\n", encoding="utf-8"
    )
    iru("ingest", str(tmp_path / "responses.jsonl"))
    assert _stored(iru, "SELECT post_id FROM posts") == [("9101",)]
    reasons = [q["reason"] for q in _quarantine(iru)]
    assert reasons == ["post_id is empty"]


# -- item 13: truncated gzip ---------------------------------------------------------------


def _gzip_cut(lines: list[str], keep: float) -> tuple[bytes, int]:
    """Gzipped lines cut at ``keep`` of their size, and how many whole lines precede the cut."""
    packed = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    cut = packed[: int(len(packed) * keep)]
    readable = zlib.decompressobj(wbits=31).decompress(cut)
    return cut, readable.count(b"\n")


def _noise(n: int) -> str:
    return zlib.crc32(str(n).encode()).to_bytes(4, "big").hex() * 8


def test_truncated_jsonl_gz_keeps_the_lines_before_the_break(iru: Iru, tmp_path: Path) -> None:
    lines = [_post(f"g{n:05d}", text=_noise(n)) for n in range(3000)]
    cut, whole = _gzip_cut(lines, 0.6)
    assert 1000 < whole < 3000
    (tmp_path / "posts.jsonl.gz").write_bytes(cut)
    (tmp_path / "z.jsonl").write_text(_post("after") + "\n", encoding="utf-8")
    result = iru("ingest", str(tmp_path))
    assert "truncated" in result.output
    stored = {row[0] for row in _stored(iru, "SELECT post_id FROM posts")}
    assert {f"g{n:05d}" for n in range(whole)} <= stored and "after" in stored
    assert len(stored) in (whole + 1, whole + 2)  # the cut line may happen to be whole
    breaks = [q for q in _quarantine(iru) if "truncated" in q["reason"]]
    assert len(breaks) == 1 and Path(breaks[0]["source"]).name == "posts.jsonl.gz"
    assert breaks[0]["locator"].startswith("line ")


def test_truncated_twarc_gz_keeps_the_lines_before_the_break_in_bulk(
    iru: Iru, tmp_path: Path
) -> None:
    users = [{"id": "700", "username": "synthetic_700", "name": "S"}]
    lines = [
        json.dumps(
            {
                "data": [
                    {
                        "id": str(10_000 + n),
                        "text": _noise(n),
                        "author_id": "700",
                        "created_at": "2024-05-01T10:00:00.000Z",
                    }
                ],
                "includes": {"users": users},
            }
        )
        for n in range(3000)
    ]
    cut, whole = _gzip_cut(lines, 0.5)
    (tmp_path / "responses.jsonl.gz").write_bytes(cut)
    result = iru("ingest", str(tmp_path / "responses.jsonl.gz"))
    assert "truncated" in result.output
    stored = _stored(iru, "SELECT count(*) FROM posts")[0][0]
    assert whole <= stored <= whole + 1 and whole > 1000
    (row,) = _quarantine(iru)
    assert "truncated" in row["reason"] and Path(row["source"]).name == "responses.jsonl.gz"


# -- item 14: FIFOs, link loops, broken links ---------------------------------------------


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging if something opens a FIFO."""

    def fail(*_: object) -> None:
        raise TimeoutError("ingest blocked")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_fifos_and_link_loops_in_a_folder_are_reported_and_never_block(
    iru: Iru, tmp_path: Path, alarm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line
    folder = tmp_path / "exports"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "posts.jsonl").write_text(_post("p1") + "\n", encoding="utf-8")
    os.mkfifo(folder / "pipe.jsonl")
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "self.jsonl").symlink_to(folder / "self.jsonl")
    (folder / "gone.jsonl").symlink_to(folder / "missing.jsonl")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8synthetic")
    result = iru("ingest", str(folder))
    rows = {
        cells[0]: cells[1]
        for line in result.output.splitlines()
        if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) == 2
    }
    assert rows[str(folder / "pipe.jsonl")] == "not a regular file: a FIFO (named pipe)"
    assert rows[str(folder / "sub" / "loop")] == (
        "a symbolic link loop (links back to a folder above it)"
    )
    assert rows[str(folder / "self.jsonl")] == "a symbolic link loop"
    assert rows[str(folder / "gone.jsonl")].startswith("a broken symbolic link")
    assert rows[f"{folder}: 1 .jpg file"].startswith("not named like an export")
    assert "skipped 5 file(s)" in result.output
    assert _stored(iru, "SELECT post_id FROM posts") == [("p1",)]
    named = iru("ingest", str(folder / "pipe.jsonl"), ok=False)
    assert named.exit_code == 1 and "not a regular file: a FIFO" in named.output
