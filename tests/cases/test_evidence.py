"""The evidence store: content addressing, the chained manifest, tampering found,
retention purge with tombstones, and ``iru evidence`` — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from iru.cases.evidence import PURGE, blob_path, content_address
from iru.storage.audit import AuditStore
from iru.storage.database import Database
from iru.storage.evidence import EvidenceAltered, EvidenceMissing, EvidenceStore
from iru.workspace import Workspace

from ..conftest import Iru

T0 = datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
POST = b'{"id": "1700000000000000001", "text": "synthetic propaganda sample"}'
MEDIA = b"\x89PNG\r\n\x1a\n synthetic image bytes"


def _store(ws: Workspace) -> EvidenceStore:
    return EvidenceStore(ws.database, ws.root / "evidence")


def _capture(
    store: EvidenceStore, data: bytes, subject: str, at: datetime, kind: str = "post"
) -> str:
    entry = store.capture(
        subject,
        kind,
        data,
        source=f"https://x.example/{subject}",
        captured_by="ana",
        unit="nl-iru",
        mime_type="application/json" if kind == "post" else "image/png",
        now=at,
    )
    return entry.sha256


def _blobs(root: Path) -> list[Path]:
    return sorted(p for p in (root / "sha256").rglob("*") if p.is_file())


def test_capture_is_content_addressed_and_idempotent(workspace: Workspace) -> None:
    store = _store(workspace)
    first = store.capture(
        "twitter:1",
        "post",
        POST,
        source="https://x.example/1",
        captured_by="ana",
        unit="nl-iru",
        mime_type="application/json",
        now=T0,
    )
    second = store.capture(
        "case:7",
        "post",
        POST,
        source="archive:twitter/2025-01-10.parquet#3",
        captured_by="ben",
        unit="nl-iru",
        mime_type="application/json",
        now=T0 + timedelta(hours=1),
    )
    digest = content_address(POST)
    assert first.sha256 == second.sha256 == digest
    assert (first.seq, second.seq) == (1, 2) and second.prev_hash == first.hash
    assert first.metadata["subject"] == "twitter:1" and first.size == len(POST)
    (blob,) = _blobs(store.root)
    assert blob == store.root / blob_path(digest)
    assert blob.relative_to(store.root).parts == ("sha256", digest[:2], digest[2:4], digest)
    assert stat.S_IMODE(blob.stat().st_mode) == 0o444
    assert store.get(digest) == POST
    assert list(store.entries()) == [first, second]
    report = store.verify()
    assert report.ok and report.entries == 2 and report.held == 1 and report.purged == 0
    assert report.summary().startswith("evidence intact: 2 manifest entries, 1 items held")
    events = list(AuditStore(workspace.database).events())
    assert [(e.action, e.subject, e.actor) for e in events] == [
        ("evidence.capture", "twitter:1", "ana"),
        ("evidence.capture", "case:7", "ben"),
    ]
    assert events[0].after is not None and events[0].after["sha256"] == digest
    assert [e.after["blob"] for e in events if e.after] == ["stored", "held"]
    assert AuditStore(workspace.database).verify().ok


def test_bad_capture_is_refused_and_leaves_no_entry(workspace: Workspace) -> None:
    store = _store(workspace)
    with pytest.raises(ValueError, match="kind must be one of"):
        _capture(store, POST, "twitter:1", T0, kind="video")
    with pytest.raises(ValueError, match="not a SHA-256"):
        store.get("../../etc/passwd")
    assert list(store.entries()) == []
    assert list(AuditStore(workspace.database).events()) == []


def test_altered_blob_is_detected(workspace: Workspace) -> None:
    store = _store(workspace)
    digest = _capture(store, POST, "twitter:1", T0)
    other = _capture(store, MEDIA, "twitter:1", T0, kind="media")
    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(POST.replace(b"propaganda", b"harmless!!"))
    report = store.verify()
    assert not report.ok and report.chain.ok
    assert report.altered == [digest] and report.missing == []
    assert report.first_problem() == f"evidence blob altered: {digest}"
    with pytest.raises(EvidenceAltered):
        store.get(digest)
    assert store.get(other) == MEDIA
    # Capturing the true bytes again repairs the file, and the audit log says so.
    _capture(store, POST, "twitter:1", T0 + timedelta(minutes=5))
    assert store.verify().ok
    last = list(AuditStore(workspace.database).events())[-1]
    assert last.after is not None and last.after["blob"] == "repaired"


def test_missing_blob_is_detected(workspace: Workspace) -> None:
    store = _store(workspace)
    digest = _capture(store, MEDIA, "telegram:chan/5", T0, kind="media")
    store.path(digest).unlink()
    report = store.verify()
    assert not report.ok and report.missing == [digest] and report.altered == []
    assert report.summary() == f"evidence blob missing: {digest}"
    with pytest.raises(EvidenceMissing):
        store.get(digest)


def test_edited_manifest_row_is_detected(workspace: Workspace) -> None:
    store = _store(workspace)
    for i in range(3):
        _capture(store, POST + bytes([i]), f"twitter:{i}", T0 + timedelta(minutes=i))
    with workspace.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE evidence_manifest SET source = 'https://elsewhere' WHERE seq = 2")
        )
    report = store.verify()
    assert not report.ok and report.missing == [] and report.altered == []
    assert report.chain.first_broken == 2
    assert report.first_problem() == (
        "evidence manifest broken at seq 2: content does not match its hash"
    )


def test_purge_removes_only_expired_items_and_leaves_tombstones(workspace: Workspace) -> None:
    store = _store(workspace)
    audit = AuditStore(workspace.database)
    old = _capture(store, POST, "twitter:1", T0)
    recaptured = _capture(store, MEDIA, "twitter:2", T0, kind="media")
    _capture(store, MEDIA, "case:9", T0 + timedelta(days=150), kind="media")
    now = T0 + timedelta(days=190)
    retention = timedelta(days=183)

    assert store.purge(retention, actor="sup", unit="nl-iru", now=now) == 1
    assert not store.path(old).exists()
    assert store.get(recaptured) == MEDIA
    tombstone = list(store.entries())[-1]
    assert (tombstone.seq, tombstone.action, tombstone.sha256) == (4, PURGE, old)
    assert (tombstone.actor, tombstone.at, tombstone.size) == ("sup", now, len(POST))
    assert "183 days" in tombstone.source
    report = store.verify()
    assert report.ok, report.summary()
    assert (report.entries, report.held, report.purged, report.missing) == (4, 1, 1, [])
    with pytest.raises(EvidenceMissing):
        store.get(old)

    events = list(audit.events())
    assert [e.action for e in events] == ["evidence.capture"] * 3 + ["evidence.purge"]
    purge = events[-1]
    assert (purge.subject, purge.actor, purge.at) == (f"sha256:{old}", "sup", now)
    assert purge.before is not None and purge.before["subjects"] == ["twitter:1"]
    assert purge.after == {"manifest_seq": 4, "retention_days": 183.0}
    assert audit.verify().ok

    # Nothing more is due; later, the recaptured item expires too.
    assert store.purge(retention, actor="sup", unit="nl-iru", now=now) == 0
    later = T0 + timedelta(days=150 + 184)
    assert store.purge(retention, actor="sup", unit="nl-iru", now=later) == 1
    assert _blobs(store.root) == []
    # Captured again after its purge, an item is held again.
    _capture(store, POST, "twitter:1", later)
    report = store.verify()
    assert report.ok and report.held == 1 and report.purged == 1 and report.entries == 6
    assert audit.verify().ok and audit.verify().checked == 6


def test_edited_tombstone_is_detected(workspace: Workspace) -> None:
    store = _store(workspace)
    _capture(store, POST, "twitter:1", T0)
    store.purge(timedelta(days=1), actor="sup", unit="nl-iru", now=T0 + timedelta(days=2))
    with workspace.database.engine.begin() as conn:
        conn.execute(text("UPDATE evidence_manifest SET action = 'capture' WHERE seq = 2"))
    report = store.verify()
    assert not report.ok and report.chain.first_broken == 2


def test_cli_capture_verify_purge(iru: Iru, tmp_path: Path) -> None:
    sample = tmp_path / "post.json"
    sample.write_bytes(POST)
    digest = content_address(POST)
    first = iru("evidence", "capture", "--subject", "twitter:1", "--kind", "post", str(sample))
    assert (
        first.output
        == f"captured {digest[:12]} ({len(POST)} bytes) for twitter:1 as manifest seq 1\n"
    )
    again = iru(
        "evidence", "capture", "--subject", "twitter:1", "--kind", "post", str(sample),
        "--source", "https://x.example/1", "--user", "ben", "--unit", "be-iru",
    )  # fmt: skip
    assert again.output.endswith("as manifest seq 2 (bytes already held)\n")
    assert iru("evidence", "verify").output.startswith(
        "evidence intact: 2 manifest entries, 1 items held, 0 purged, head "
    )
    listed = json.loads(iru("audit", "list", "--format", "json").output)
    assert [(r["actor"], r["unit"], r["after"]["mime_type"]) for r in listed] == [
        ("cli", "local", "application/json"),
        ("ben", "be-iru", "application/json"),
    ]
    assert listed[0]["after"]["source"] == "file:post.json"

    # Nothing is old enough to purge yet.
    assert iru("evidence", "purge").output == "purged 0 evidence item(s) older than 183 days\n"

    ws = iru.open()
    try:
        old = _capture(_store(ws), MEDIA, "twitter:2", T0, kind="media")
    finally:
        ws.close()
    result = iru("evidence", "purge", "--older-than-days", "30", "--user", "sup")
    assert result.output == "purged 1 evidence item(s) older than 30 days\n"
    assert "1 purged" in iru("evidence", "verify").output
    assert "audit log intact: 4 events" in iru("audit", "verify").output
    purge_events = json.loads(
        iru("audit", "list", "--subject", f"sha256:{old}", "--format", "json").output
    )
    assert [(e["action"], e["actor"]) for e in purge_events] == [("evidence.purge", "sup")]

    blob = iru.workspace / "evidence" / blob_path(digest)
    blob.chmod(0o644)
    blob.write_bytes(b"tampered")
    broken = iru("evidence", "verify", ok=False)
    assert broken.exit_code == 1
    lines = broken.output.strip().splitlines()
    assert len(lines) == 1 and f"evidence blob altered: {digest}" in lines[0]

    bad_kind = iru(
        "evidence", "capture", "--subject", "s", "--kind", "video", str(sample), ok=False
    )
    assert bad_kind.exit_code == 2
    missing = iru(
        "evidence", "capture", "--subject", "s", "--kind", "post", str(tmp_path / "nope"), ok=False
    )
    assert missing.exit_code == 1 and "cannot open" in missing.output
    empty_subject = iru(
        "evidence", "capture", "--subject", " ", "--kind", "post", str(sample), ok=False
    )
    assert empty_subject.exit_code == 1 and "non-empty subject" in empty_subject.output


def test_concurrent_captures_keep_both_chains(workspace: Workspace) -> None:
    url = workspace.settings.database_url
    _store(workspace)  # migrated before the threads start
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        database = Database(url)
        try:
            store = EvidenceStore(database, workspace.root / "evidence")
            start.wait()
            for i in range(10):
                # Half the bytes are shared between the writers, half their own.
                data = POST + (b"shared" if i % 2 else name.encode()) + bytes([i])
                _capture(store, data, f"{name}:{i}", T0 + timedelta(seconds=i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = _store(workspace)
    report = store.verify()
    assert report.ok and report.entries == 20 and report.held == 15
    assert [e.seq for e in store.entries()] == list(range(1, 21))
    audit = AuditStore(workspace.database).verify()
    assert audit.ok and audit.checked == 20
