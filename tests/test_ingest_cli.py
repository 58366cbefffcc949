"""``iru ingest`` end to end through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .conftest import DATA, EXAMPLES, Iru
from .store_snapshot import snapshot


def test_ingest_all_examples_then_export_and_stats(iru: Iru) -> None:
    result = iru("ingest", str(EXAMPLES))
    assert "accepted" in result.output and "quarantined 0" in result.output
    exported = iru("export", "accounts", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0])[:7] == [
        "platform",
        "account_id",
        "handle",
        "score",
        "label",
        "impact",
        "status",
    ]
    platforms = {r["platform"] for r in rows}
    assert platforms == {"twitter", "telegram", "activitypub", "forum-example"}
    desk = next(r for r in rows if r["handle"] == "relay_desk_ar")
    assert desk["status"] == "active" and desk["score"] == "" and desk["followers_count"] == "5230"
    stats = json.loads(iru("stats", "--format", "json").output)
    assert stats["platforms"]["twitter"]["posts"] == 6
    assert stats["platforms"]["twitter"]["accounts"] == 5
    assert stats["languages"]["ar"] >= 1
    assert {d["day"] for d in stats["days"] if d["platform"] == "twitter"} == {
        "2024-03-01",
        "2024-03-02",
    }
    assert stats["interaction_kinds"]["repost"] >= 2


def test_reingesting_changes_nothing(iru: Iru) -> None:
    iru("ingest", str(EXAMPLES), str(DATA / "twitter" / "malformed.jsonl"))
    ws = iru.open()
    before = snapshot(ws)
    ws.close()
    second = iru("ingest", str(EXAMPLES), str(DATA / "twitter" / "malformed.jsonl"))
    assert "accepted 0," in second.output
    ws = iru.open()
    assert snapshot(ws) == before
    ws.close()


def test_both_twarc_forms_give_one_set_of_posts(iru: Iru) -> None:
    first = iru("ingest", str(EXAMPLES / "twitter" / "search-responses.jsonl"))
    assert "accepted" in first.output
    second = iru("ingest", "--format", "twitter-v2", str(EXAMPLES / "twitter" / "flattened.jsonl"))
    assert "accepted 0," in second.output  # the flattened file holds the very same tweets


def test_malformed_records_are_quarantined_and_listed(iru: Iru) -> None:
    result = iru("ingest", str(DATA / "twitter" / "malformed.jsonl"))
    assert "quarantined 6" in result.output
    listed = json.loads(iru("quarantine", "list", "--format", "json").output)
    assert len(listed) == 6
    by_locator = {r["locator"]: r for r in listed}
    assert by_locator["line 3: data[1]"]["reason"].startswith("Invalid RFC3339")
    assert by_locator["line 3: data[1]"]["source"].endswith("malformed.jsonl")
    assert by_locator["line 3: data[1]"]["format"] == "twitter-v2"
    assert "yesterday" in by_locator["line 3: data[1]"]["raw"]
    table = iru("quarantine", "list").output
    assert "line 5" in table


def test_nothing_usable_or_unopenable_input_fails_with_one_line(iru: Iru, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text('{"data": [{"id": 1}]}\n', encoding="utf-8")
    result = iru("ingest", "--format", "twitter-v2", str(garbage), ok=False)
    assert result.exit_code == 1
    assert "nothing usable" in result.output
    missing = iru("ingest", str(tmp_path / "nope.json"), ok=False)
    assert missing.exit_code == 1 and "no such file" in missing.output
    unknown = tmp_path / "notes.json"
    unknown.write_text('{"hello": "world"}', encoding="utf-8")
    result = iru("ingest", str(unknown), ok=False)
    assert "format not recognised" in result.output
    result = iru("ingest", "--format", "bogus", str(unknown), ok=False)
    assert result.exit_code == 2 and "unknown --format" in result.output


def test_ingest_reads_gzip(iru: Iru, tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "responses.jsonl.gz"
    packed.write_bytes(
        gzip.compress((EXAMPLES / "twitter" / "search-responses.jsonl").read_bytes())
    )
    result = iru("ingest", str(packed))
    assert "accepted 20," in result.output  # 5 accounts + 6 posts + 2 media + 7 interactions


def test_db_upgrade_command(iru: Iru) -> None:
    assert "at revision 0008" in iru("db", "upgrade").output
    assert iru("db", "current").output.startswith("0008")
