"""iru's own JSONL schema: reading, rejecting, and the published JSON Schema kept in step."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import jsonschema

from iru.domain import Account, Interaction, InteractionKind, Media, Post
from iru.ingest.base import Rejected
from iru.ingest.jsonl import JsonlFormat, json_schema

from .conftest import DATA, EXAMPLES, ROOT

FMT = JsonlFormat()
SAMPLE = EXAMPLES / "jsonl" / "forum-export.jsonl"
SCHEMA_FILE = ROOT / "docs" / "schema" / "iru-record.schema.json"


def test_reads_every_record_type() -> None:
    items = list(FMT.read(SAMPLE))
    counts = Counter(
        kind.__name__
        for i in items
        for kind in (Account, Post, Media, Interaction)
        if isinstance(i, kind)
    )
    assert counts == {"Account": 2, "Post": 2, "Media": 1, "Interaction": 2}
    posts = [i for i in items if isinstance(i, Post)]
    reply = posts[1]
    # An offset timestamp is the same instant in UTC.
    assert reply.created_at == datetime(2024, 3, 4, 17, 45, 10, tzinfo=UTC)
    assert reply.reply_to_post_id == "t-77/p-1"
    follow = [i for i in items if isinstance(i, Interaction)][1]
    assert follow.kind is InteractionKind.FOLLOW
    assert follow.interaction_id == "follow:u-1002>u-1001"
    media = next(i for i in items if isinstance(i, Media))
    assert media.sha256 and media.sha256.startswith("3f1c")
    assert any(isinstance(i, Account) and i.handle == "rüzgar_01" for i in items)


def test_bad_lines_are_rejected_and_good_ones_kept() -> None:
    items = list(FMT.read(DATA / "jsonl" / "malformed.jsonl"))
    rejects = {r.locator: r.reason for r in items if isinstance(r, Rejected)}
    assert set(rejects) == {"line 2", "line 3", "line 4", "line 5", "line 6", "line 7"}
    assert "created_at" in rejects["line 2"]
    assert "comment" in rejects["line 3"]
    assert "post_id" in rejects["line 4"]
    assert "kind" in rejects["line 5"]
    assert rejects["line 6"].startswith("invalid JSON")
    assert "followers_count" in rejects["line 7"]
    assert [p.post_id for p in items if isinstance(p, Post)] == ["p-1", "p-4"]


def test_published_schema_is_current_and_validates_the_example() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json_schema(), (
        "docs/schema/iru-record.schema.json is stale: regenerate it (see docs/jsonl.md)"
    )
    validator = jsonschema.Draft202012Validator(json_schema())
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        validator.validate(json.loads(line))
    bad = json.loads(
        (DATA / "jsonl" / "malformed.jsonl").read_text(encoding="utf-8").splitlines()[4]
    )
    assert not validator.is_valid(bad)


def test_sniff() -> None:
    line = SAMPLE.read_bytes().splitlines()[0]
    assert FMT.sniff(line, line)
    assert not FMT.sniff(b'{"data": []}', b'{"data": []}')
