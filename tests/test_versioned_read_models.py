"""Read models kept per data version (iru.engine.readers.versioned): versions read at most
every few seconds, values computed once however many ask, bounded by count and weight."""

from __future__ import annotations

import threading
import time

import pytest

from iru.engine.readers.versioned import DataVersions, Memo


def test_versions_are_read_at_most_every_check_and_at_once_after_a_change() -> None:
    now = [0.0]
    reads = {"data": 0, "cases": 0}

    def data() -> int:
        reads["data"] += 1
        return reads["data"]

    def cases() -> int:
        reads["cases"] += 1
        return reads["cases"]

    versions = DataVersions(data, cases, check_seconds=1.0, clock=lambda: now[0])
    assert versions.data() == 1 and versions.data() == 1 and versions.cases() == 1
    now[0] = 0.5
    assert versions.data() == 1
    now[0] = 1.5
    assert versions.data() == 2 and versions.cases() == 2
    versions.changed()
    assert versions.data() == 3 and versions.cases() == 3


def test_one_computation_per_key_however_many_ask() -> None:
    memo: Memo[str, int] = Memo(10)
    calls = 0
    entered = threading.Event()
    release = threading.Event()

    def slow() -> int:
        nonlocal calls
        calls += 1
        entered.set()
        release.wait(10)
        return 42

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(memo.get("k", slow)))
    first.start()
    entered.wait(10)
    others = [
        threading.Thread(target=lambda: results.append(memo.get("k", slow))) for _ in range(8)
    ]
    for thread in others:
        thread.start()
    time.sleep(0.05)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert results == [42] * 9 and calls == 1
    assert memo.get("k", lambda: 0) == 42 and "k" in memo


def test_a_failed_computation_is_not_kept_and_the_waiting_try_again() -> None:
    memo: Memo[str, int] = Memo(10)

    def broken() -> int:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        memo.get("k", broken)
    assert "k" not in memo and memo.get("k", lambda: 7) == 7


def test_least_recently_used_out_first_by_count_and_by_weight() -> None:
    memo: Memo[str, str] = Memo(3)
    for key in "abc":
        memo.put(key, key)
    memo.get("a", lambda: "?")  # a is used: b is now the oldest
    memo.put("d", "d")
    assert "b" not in memo and all(k in memo for k in "acd")
    heavy: Memo[str, str] = Memo(100, max_weight=10, weigh=len)
    heavy.put("x", "12345")
    heavy.put("y", "12345")
    heavy.put("z", "123")
    assert "x" not in heavy and heavy.weight == 8
    heavy.put("huge", "0123456789AB")  # larger than the whole memo: served, not kept
    assert "huge" not in heavy and heavy.weight == 8
    assert heavy.get("huge", lambda: "0123456789AB") == "0123456789AB"
    heavy.clear()
    assert len(heavy) == 0 and heavy.weight == 0
