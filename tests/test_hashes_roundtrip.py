"""`iru export hashes` reads back with `iru hashes import`: the same list in a fresh workspace.

Issue 16, item 8. Run on SQLite and PostgreSQL; synthetic digests only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from iru.detect.hashlists import parse_hash_list, sniff_format

from .conftest import PG_ADMIN, Iru

_KEY = ("hash_type", "value", "label", "source", "created_at")


def _digest(kind: str, seed: int) -> str:
    data = f"synthetic-{kind}-{seed}".encode()
    if kind == "md5":
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    return hashlib.sha256(data).hexdigest()


def _seed_lists(tmp_path: Path) -> list[Path]:
    """Two source lists in different formats, so the export holds several sources."""
    gifct = tmp_path / "gifct.csv"
    rows = ["hash_type,hash_value,label,source,created_at"]
    for seed in range(4):
        rows.append(
            f"sha256,{_digest('sha256', seed)},terrorist-content/outlet{seed},"
            f"sim-gifct,2025-01-0{seed + 1}T08:00:00+00:00"
        )
        rows.append(f"md5,{_digest('md5', seed)},terrorist-content/outlet{seed},sim-gifct,")
    gifct.write_text("\n".join(rows) + "\n", encoding="utf-8")
    pdq = tmp_path / "pdq.txt"
    pdq.write_text(
        "".join(f"{_digest('pdq', seed)} perceptual/set{seed}\n" for seed in range(3)),
        encoding="utf-8",
    )
    return [gifct, pdq]


@contextmanager
def _fresh_database(database_url: str) -> Iterator[str]:
    """Another empty database of the same kind (SQLite: a file in the workspace)."""
    if not database_url:
        yield ""
        return
    name = f"iru_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{database_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _hash_list(iru: Iru) -> list[dict[str, Any]]:
    out = json.loads(iru("export", "hashes", "--format", "json").output)
    return sorted(
        ({k: row[k] for k in _KEY} for row in out), key=lambda r: (r["value"], r["label"])
    )


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_into_a_fresh_workspace_gives_the_same_list(
    tmp_path: Path, database_url: str, fmt: str
) -> None:
    first = Iru(tmp_path / "first", database_url)
    for path in _seed_lists(tmp_path):
        first("hashes", "import", str(path))
    exported = tmp_path / f"exported.{fmt}"
    first("export", "hashes", "--format", fmt, "--out", str(exported))
    before = _hash_list(first)
    assert len(before) == 11

    with _fresh_database(database_url) as second_url:
        second = Iru(tmp_path / "second", second_url)
        result = second("hashes", "import", str(exported))
        assert "hash list (iru-export): 11 read, 11 new, 0 quarantined" in result.output
        assert _hash_list(second) == before
        # Read again, nothing changes; naming the format works as auto-detection does.
        again = second("hashes", "import", str(exported), "--format", "iru-export")
        assert "11 read, 0 new" in again.output
        assert _hash_list(second) == before


def test_export_format_is_sniffed_and_bad_rows_are_quarantined_not_dropped() -> None:
    good = _digest("sha256", 9)
    csv_text = (
        "hash_type,value,label,source,list_sha256,created_at,imported_at\n"
        f"sha256,{good},terrorist-content/x,sim,{'0' * 64},,2025-02-01T00:00:00+00:00\n"
        "sha256,nothex,terrorist-content/x,sim,,,\n"
        f"crc32,{good},terrorist-content/x,sim,,,\n"
    )
    assert sniff_format(csv_text) == "iru-export"
    parsed = parse_hash_list(csv_text, name="export.csv")
    assert [(e.hash_type, e.value, e.source) for e in parsed.entries] == [("sha256", good, "sim")]
    assert [(r.location, r.reason.split(":")[0]) for r in parsed.rejected] == [
        ("line 3", "sha256 digest is not hexadecimal"),
        ("line 4", "unknown hash type 'crc32'; expected one of sha256, md5, pdq"),
    ]
    json_text = json.dumps(
        [{"hash_type": "md5", "value": _digest("md5", 1), "label": "l", "source": "s"}]
    )
    assert sniff_format(json_text) == "iru-export"
    assert len(parse_hash_list(json_text, name="export.json")) == 1
