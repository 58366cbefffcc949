"""The hash-chained audit log: the chain rule, tampering found and located, concurrent
appends, and ``iru audit verify | list`` — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from iru.cases.audit import AuditEvent, verify_chain
from iru.cases.chain import GENESIS_HASH, canonical_json, chain_hash
from iru.storage.audit import AuditStore
from iru.storage.database import Database
from iru.workspace import Workspace

from ..conftest import Iru

T0 = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)


def _chain(n: int) -> list[AuditEvent]:
    events = [
        AuditEvent.create(
            1, at=T0, actor="ana", unit="nl-iru", action="case.read", subject="twitter:1"
        )
    ]
    for i in range(2, n + 1):
        events.append(
            events[-1].following(
                at=T0 + timedelta(seconds=i),
                actor="ana",
                unit="nl-iru",
                action="case.decide",
                subject=f"twitter:{i}",
                before={"status": "open"},
                after={"status": "referred", "i": i},
            )
        )
    return events


def _fill(store: AuditStore, n: int = 5) -> list[AuditEvent]:
    return [
        store.append(
            "ana",
            "nl-iru",
            "case.decide",
            f"twitter:{i}",
            before={"status": "open"} if i % 2 else None,
            after={"status": "referred", "reason": "glorifies attack — تمجيد", "at": T0},
            at=T0 + timedelta(minutes=i),
        )
        for i in range(1, n + 1)
    ]


def test_canonical_json_and_the_hash_rule() -> None:
    assert canonical_json({"b": 1, "a": [T0, "é"]}) == (
        '{"a":["2025-03-01T08:00:00.123456Z","é"],"b":1}'.encode()
    )
    event = _chain(1)[0]
    assert event.prev_hash == GENESIS_HASH == "0" * 64
    assert event.hash == chain_hash(event.body())
    assert "hash" not in event.body() and event.body()["prev_hash"] == GENESIS_HASH


def test_pure_chain_verifies_and_locates_breaks() -> None:
    events = _chain(6)
    report = verify_chain(events)
    assert (report.ok, report.checked, report.first_broken, report.head) == (
        True,
        6,
        None,
        events[-1].hash,
    )
    assert verify_chain([]).ok
    # Reordered.
    swapped = [events[0], events[2], events[1], *events[3:]]
    assert verify_chain(swapped).first_broken == 3
    # Deleted.
    gap = verify_chain([*events[:2], *events[3:]])
    assert (gap.first_broken, gap.reason) == (4, "seq 3 missing before it")
    # Changed content.
    edited = verify_chain([*events[:4], replace(events[4], actor="mallory"), events[5]])
    assert (edited.first_broken, edited.reason) == (5, "content does not match its hash")
    # Forged: re-hashed after the edit, so the next link's prev_hash gives it away.
    forged = replace(events[2], subject="twitter:999")
    forged = replace(forged, hash=chain_hash(forged.body()))
    report = verify_chain([*events[:2], forged, *events[3:]])
    assert report.first_broken == 4 and "seq 3" in report.reason
    assert report.checked == 6


def test_append_round_trips_and_verifies(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    assert store.verify().ok and store.verify().checked == 0
    written = _fill(store)
    assert [e.seq for e in written] == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(written))
    read = list(store.events(chunk=2))
    assert read == written
    assert list(store.events(since_seq=3)) == written[3:]
    assert [e.seq for e in store.events(subject="twitter:2")] == [2]
    report = store.verify()
    assert report.ok and report.checked == 5 and report.head == written[-1].hash


def _execute(database: Database, sql: str, **params: object) -> None:
    with database.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_edited_after_is_found(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    _fill(store)
    _execute(
        workspace.database,
        'UPDATE audit_log SET "after" = :after WHERE seq = 3',
        after=json.dumps({"status": "dismissed"}),
    )
    report = store.verify()
    assert not report.ok
    assert (report.first_broken, report.reason) == (3, "content does not match its hash")
    assert report.checked == 5


def test_unreadable_json_is_a_break_not_a_crash(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    _fill(store, 3)
    _execute(workspace.database, "UPDATE audit_log SET \"before\" = '{oops' WHERE seq = 2")
    assert store.verify().first_broken == 2


def test_deleted_middle_row_is_found(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    _fill(store)
    _execute(workspace.database, "DELETE FROM audit_log WHERE seq = 3")
    report = store.verify()
    assert (report.ok, report.first_broken, report.reason) == (
        False,
        4,
        "seq 3 missing before it",
    )


def test_swapped_rows_are_found(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    _fill(store)
    columns = ("at", "actor", "unit", "action", "subject", "before", "after", "prev_hash", "hash")
    with workspace.database.engine.begin() as conn:
        rows = {
            r.seq: r._mapping
            for r in conn.execute(text("SELECT * FROM audit_log WHERE seq IN (2, 3)"))
        }
        for seq, other in ((2, 3), (3, 2)):
            assignments = ", ".join(f'"{c}" = :{c}' for c in columns)
            conn.execute(
                text(f"UPDATE audit_log SET {assignments} WHERE seq = :seq"),
                {**{c: rows[other][c] for c in columns}, "seq": seq},
            )
    report = store.verify()
    assert not report.ok and report.first_broken == 2


def test_forged_hash_breaks_the_next_link(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    written = _fill(store)
    forged = replace(written[2], after={"status": "dismissed"})
    forged = replace(forged, hash=chain_hash(forged.body()))
    _execute(
        workspace.database,
        'UPDATE audit_log SET "after" = :after, hash = :hash WHERE seq = 3',
        after=canonical_json(forged.after).decode(),
        hash=forged.hash,
    )
    report = store.verify()
    assert report.first_broken == 4
    assert report.reason == "prev_hash does not match the hash of seq 3"


def test_concurrent_appends_keep_one_chain(workspace: Workspace) -> None:
    url = workspace.settings.database_url
    AuditStore(workspace.database).append("setup", "local", "case.read", "x", at=T0)
    per_thread = 25
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        database = Database(url)  # its own engine and connections, like another process
        try:
            store = AuditStore(database)
            start.wait()
            for i in range(per_thread):
                store.append(name, "local", "case.read", f"{name}:{i}", after={"i": i})
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
    events = list(AuditStore(workspace.database).events())
    assert [e.seq for e in events] == list(range(1, 2 * per_thread + 2))
    assert {e.actor for e in events} == {"setup", "t1", "t2"}
    report = AuditStore(workspace.database).verify()
    assert report.ok and report.checked == 2 * per_thread + 1


def test_cli_verify_and_list(iru: Iru) -> None:
    assert iru("audit", "verify").output == f"audit log intact: 0 events, head {'0' * 12}\n"
    ws = iru.open()
    try:
        written = _fill(AuditStore(ws.database), 4)
    finally:
        ws.close()
    result = iru("audit", "verify")
    assert result.output == f"audit log intact: 4 events, head {written[-1].hash[:12]}\n"
    listed = json.loads(iru("audit", "list", "--format", "json").output)
    assert [row["seq"] for row in listed] == [1, 2, 3, 4]
    assert listed[0]["after"]["status"] == "referred" and listed[0]["hash"] == written[0].hash
    only = json.loads(iru("audit", "list", "--subject", "twitter:2", "--format", "json").output)
    assert [row["subject"] for row in only] == ["twitter:2"]
    csv_lines = iru("audit", "list", "--format", "csv").output.splitlines()
    assert csv_lines[0] == "seq,at,actor,unit,action,subject,before,after,prev_hash,hash"
    assert len(csv_lines) == 5
    assert "audit log" in iru("audit", "list").output
    # Listing is not itself audited.
    assert "4 events" in iru("audit", "verify").output

    ws = iru.open()
    try:
        _execute(ws.database, "DELETE FROM audit_log WHERE seq = 2")
    finally:
        ws.close()
    broken = iru("audit", "verify", ok=False)
    assert broken.exit_code == 1
    lines = broken.output.strip().splitlines()
    assert len(lines) == 1 and "audit log broken at seq 3: seq 2 missing before it" in lines[0]


def test_an_anchor_outside_the_database_catches_a_cut_or_rebuilt_log(
    iru: Iru, tmp_path: Path
) -> None:
    ws = iru.open()
    try:
        _fill(AuditStore(ws.database), 4)
    finally:
        ws.close()
    anchor = tmp_path / "anchor.json"
    assert "seq 4" in iru("audit", "anchor", "--out", str(anchor)).output
    assert "4 events" in iru("audit", "verify", "--anchor", str(anchor)).output
    ws = iru.open()
    try:
        store = AuditStore(ws.database)
        _fill(store, 2)  # the log grows: the anchor still holds
        assert "6 events" in iru("audit", "verify", "--anchor", str(anchor)).output
        # Cut the tail off (a consistent chain, but shorter than the anchor knows).
        _execute(ws.database, "DELETE FROM audit_log WHERE seq >= 3")
    finally:
        ws.close()
    assert "intact" in iru("audit", "verify").output  # the chain alone cannot tell
    cut = iru("audit", "verify", "--anchor", str(anchor), ok=False)
    assert cut.exit_code == 1 and "cut short" in cut.output
    # Rebuilt whole with other events up to and past the anchored seq.
    ws = iru.open()
    try:
        _execute(ws.database, "DELETE FROM audit_log")
        rebuilt = AuditStore(ws.database)
        for i in range(5):
            rebuilt.append("mallory", "nl-iru", "case.read", f"twitter:{i}", at=T0)
    finally:
        ws.close()
    rewritten = iru("audit", "verify", "--anchor", str(anchor), ok=False)
    assert "rewritten" in rewritten.output
