"""One UTC conversion with one rule for naive times (iru.domain.utc), the zone check apart.

Synthetic times only. The rule: a naive time is UTC already (what SQLite and DuckDB give
back); where a time must say its zone, ``require_zone`` refuses it before converting.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from iru.cases.chain import rfc3339
from iru.cases.sharing import SharingContext
from iru.domain import require_zone, utc

SRC = Path(__file__).resolve().parents[1] / "src" / "iru"


def test_a_naive_time_is_taken_as_utc() -> None:
    moment = utc(datetime(2026, 3, 1, 6, 0))
    assert moment == datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert moment.tzinfo is UTC


def test_an_aware_time_is_converted_whatever_its_zone() -> None:
    plus_two = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    london_winter = datetime(2026, 1, 15, 6, 0, tzinfo=ZoneInfo("Europe/London"))  # offset 0
    assert utc(plus_two) == datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert utc(plus_two).tzinfo is UTC
    assert utc(london_winter).tzinfo is UTC
    assert utc(london_winter).hour == 6


def test_the_zone_check_is_apart_from_the_conversion() -> None:
    aware = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert require_zone(aware) is aware
    with pytest.raises(ValueError, match="decided_at without a time zone"):
        require_zone(datetime(2026, 3, 1, 6, 0), "decided_at")


def test_places_that_need_a_zone_still_refuse_a_naive_time() -> None:
    with pytest.raises(ValueError, match="time without a time zone"):
        rfc3339(datetime(2026, 3, 1, 6, 0))
    with pytest.raises(ValueError, match="created without a time zone"):
        SharingContext(unit="unit-test", created=datetime(2026, 3, 1, 6, 0))
    later = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    assert rfc3339(later) == "2026-03-01T06:00:00.000000Z"


def test_no_module_defines_its_own_utc_conversion() -> None:
    """The five helpers of old (two rules) are gone; only iru.domain.records.utc remains."""
    names = {"utc", "_utc", "as_utc", "to_utc", "_to_utc", "utc_from_db"}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in names:
                found.append(f"{path.relative_to(SRC)}:{node.name}")
    assert found == ["domain/records.py:utc"]
