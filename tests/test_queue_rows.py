"""One queue row for the CLI and the workbench (iru.engine.readers.queue)."""

from __future__ import annotations

from datetime import UTC, datetime

from iru.cases.triage import Candidate, QueueItem
from iru.engine.readers.queue import QueueRow, queue_rows, reference_time

NOW = datetime(2025, 1, 7, tzinfo=UTC)


def _item() -> QueueItem:
    candidate = Candidate(
        platform="twitter",
        account_id="42",
        handle="someone",
        confidence=0.912345,
        impact=0.1234567,
        last_post_at=NOW,
        language="ar",
        predecessor_removed=True,
    )
    return QueueItem(candidate, priority=0.12345678, urgency=0.98765, why=["a", "b"])


def test_one_row_rounded_once_printed_two_ways() -> None:
    (row,) = queue_rows([_item()])
    assert row == QueueRow(
        "twitter", "42", "someone", 0.9123, 0.12346, 0.988, 0.123457, "ar", ("a", "b"), True
    )
    assert row.cli(3) == {
        "position": 3,
        "platform": "twitter",
        "account_id": "42",
        "handle": "someone",
        "score": 0.9123,
        "impact": 0.12346,
        "urgency": 0.988,
        "priority": 0.123457,
        "language": "ar",
        "why": "a; b",
    }
    assert row.web() == {
        "platform": "twitter",
        "account_id": "42",
        "handle": "someone",
        "score": 0.9123,
        "impact": 0.12346,
        "urgency": 0.988,
        "priority": 0.123457,
        "language": "ar",
        "why": ["a", "b"],
        "resurgent": True,
    }


def test_urgency_is_measured_from_the_newest_data_when_it_is_older() -> None:
    older = datetime(2024, 1, 1, tzinfo=UTC)
    assert reference_time(NOW, older) == older
    assert reference_time(NOW, None) == NOW
    assert reference_time(older, NOW) == older
