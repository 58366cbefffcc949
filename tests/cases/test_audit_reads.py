"""Audited reads written in batches (iru.storage.audit.ReadAuditBuffer): in order, chained,
everything written on close, with synchronous writes and other processes alongside — on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from iru.storage.audit import AuditStore, ReadAuditBuffer
from iru.storage.database import Database
from iru.workspace import Workspace

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_many_concurrent_reads_make_one_valid_chain(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    store.append("setup", "DE", "users.add", "user:anna", at=T0)
    buffer = ReadAuditBuffer(store, interval=0.01, max_events=7)
    threads, per_thread = 8, 40
    start = threading.Barrier(threads + 1)
    errors: list[BaseException] = []
    other = Database(workspace.settings.database_url)  # another process's writes meanwhile

    def reader(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                at = T0 + timedelta(seconds=i)
                buffer.add(f"u{n}", "DE", "account.read", f"twitter:{n}", after={"i": i}, at=at)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    try:
        for i in range(5):  # a synchronous write, as a decision is, in its own transaction
            AuditStore(other).append("anna", "DE", "case.decide", f"twitter:{i}", at=T0)
    finally:
        other.dispose()
    for worker in workers:
        worker.join()
    buffer.close()
    assert errors == []
    events = list(store.events())
    total = 1 + 5 + threads * per_thread
    assert [e.seq for e in events] == list(range(1, total + 1))
    report = store.verify()
    assert report.ok and report.checked == total and report.head == events[-1].hash
    # Each reader's events in the order it made them.
    for n in range(threads):
        mine = [e.after["i"] for e in events if e.actor == f"u{n}" and e.after]
        assert mine == list(range(per_thread))


def test_close_writes_everything_and_later_reads_at_once(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    buffer = ReadAuditBuffer(store, interval=3600.0, max_events=10_000)  # never on its own
    for i in range(25):
        buffer.add("anna", "DE", "queue.read", "unit:DE", after={"items": i}, at=T0)
    assert buffer.pending == 25 and list(store.events()) == []
    buffer.close()
    assert buffer.pending == 0
    assert [e.after for e in store.events()] == [{"items": i} for i in range(25)]
    buffer.add("anna", "DE", "account.read", "twitter:1", at=T0)  # after close: written now
    assert [e.action for e in store.events()][-1] == "account.read"
    assert store.verify().ok


def test_the_interval_or_the_batch_size_writes_them(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    buffer = ReadAuditBuffer(store, interval=0.05)
    try:
        buffer.add("anna", "DE", "queue.read", "unit:DE", at=T0)
        deadline = time.monotonic() + 10
        while not list(store.events()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(list(store.events())) == 1
    finally:
        buffer.close()
    full = ReadAuditBuffer(store, interval=3600.0, max_events=3)
    try:
        for i in range(3):
            full.add("anna", "DE", "queue.read", "unit:DE", after={"i": i}, at=T0)
        deadline = time.monotonic() + 10
        while len(list(store.events())) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(list(store.events())) == 4
    finally:
        full.close()
    assert store.verify().ok


def test_an_event_the_log_refuses_is_refused_when_added(workspace: Workspace) -> None:
    buffer = ReadAuditBuffer(AuditStore(workspace.database))
    try:
        with pytest.raises(ValueError, match="non-empty actor"):
            buffer.add(" ", "DE", "queue.read", "unit:DE", at=T0)
        with pytest.raises(ValueError):
            buffer.add("anna", "DE", "queue.read", "unit:DE", at=datetime(2025, 3, 1))  # naive
        with pytest.raises(ValueError):
            buffer.add("anna", "DE", "queue.read", "x", after={"n": float("nan")}, at=T0)
        assert buffer.pending == 0
    finally:
        buffer.close()


def test_a_failed_write_keeps_the_events_for_the_next(workspace: Workspace) -> None:
    store = AuditStore(workspace.database)
    buffer = ReadAuditBuffer(store, interval=3600.0)
    buffer.add("anna", "DE", "queue.read", "unit:DE", after={"n": 1}, at=T0)
    real = store.append_all
    calls = 0

    def failing_once(entries):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database busy")
        return real(entries)

    store.append_all = failing_once  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        buffer.flush()
    buffer.add("anna", "DE", "queue.read", "unit:DE", after={"n": 2}, at=T0)
    assert buffer.flush() == 2
    assert [e.after for e in store.events()] == [{"n": 1}, {"n": 2}]
    buffer.close()
