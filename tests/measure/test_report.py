"""The transparency and impact figures, computed on hand-made records."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from iru.measure.report import (
    DayPoint,
    EventRecord,
    EvidenceRecord,
    ReferralRecord,
    ResurgenceRecord,
    annex_iii,
    breakdown,
    durations,
    evidence,
    kaplan_meier,
    median_survival,
    order_compliance,
    outcomes,
    parse_period,
    percentile,
    resurgence,
    transparency,
)
from iru.measure.report_figures import Table, table_lines
from iru.measure.report_html import render_html, render_pdf
from iru.measure.report_impact import ReachFigures, impact, removed_accounts, summary, survival

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def referral(  # noqa: PLR0917 - a test builder
    reference: str,
    status: str,
    events: tuple[tuple[str, float], ...] = (),
    kind: str = "referral",
    platform: str = "twitter",
    language: str = "ar",
    **extra: object,
) -> ReferralRecord:
    received = next((h for s, h in events if s == "received"), None)
    return ReferralRecord(
        reference=reference,
        kind=kind,
        platform=platform,
        account_id=reference.lower(),
        language=language,
        status=status,
        created_at=at(-1),
        received_at=at(received) if received is not None else None,
        events=tuple(EventRecord(s, at(h)) for s, h in events),
        **extra,  # type: ignore[arg-type]
    )


ROWS = [
    referral("A", "removed", (("received", 0), ("removed", 2)), first_seen=at(-100)),
    referral("B", "removed", (("received", 0), ("removed", 6)), platform="telegram"),
    referral("C", "rejected", (("received", 0), ("rejected", 3)), language="en"),
    referral("D", "received", (("received", 0),), language="en"),
    referral("E", "restored", (("received", 0), ("removed", 4), ("restored", 9))),
    referral("F", "queued"),
    referral("G", "failed"),
]


def test_periods() -> None:
    year = parse_period("2026")
    assert (year.start, year.end) == (
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    q1 = parse_period("2026-Q1")
    assert q1.end == datetime(2026, 4, 1, tzinfo=UTC) and q1.label == "2026-Q1"
    assert parse_period("2026-q4").end == datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_period("2026-02").end == datetime(2026, 3, 1, tzinfo=UTC)
    span = parse_period("2026-01-01..2026-03-31")
    assert span.contains(datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    assert not span.contains(datetime(2026, 4, 1, tzinfo=UTC)) and not span.contains(None)
    for bad in ("2026-Q5", "26", "2026-13", "2026-03-31..2026-01-01", "2026-01-01..x"):
        with pytest.raises(ValueError, match=r"period|date"):
            parse_period(bad)


def test_statistics() -> None:
    assert percentile([], 50) is None
    assert percentile([1.0, 3.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 90) == pytest.approx(61.6)
    assert durations([None, 2.0, 4.0]) == {
        "n": 2,
        "median_hours": 3.0,
        "p90_hours": 3.8,
        "max_hours": 4.0,
    }
    # Kaplan–Meier: four accounts, one still up (censored) at 5 h.
    curve = kaplan_meier([(2.0, True), (4.0, True), (5.0, False), (6.0, True)])
    assert curve == [(0.0, 1.0), (2.0, 0.75), (4.0, 0.5), (6.0, 0.0)]
    assert median_survival(curve) == 4.0
    assert median_survival(kaplan_meier([(1.0, False)])) is None


def test_outcomes_rates_and_breakdowns() -> None:
    o = outcomes(ROWS)
    assert (o["made"], o["delivered"], o["removed"], o["restored"]) == (7, 5, 3, 1)
    assert (o["rejected"], o["open"], o["failed"], o["not_sent"]) == (1, 1, 1, 1)
    assert o["removal_rate"] == 0.75  # 3 removed (one since restored) of 4 decided
    assert o["removed_of_delivered"] == 0.6
    by_language = {r["key"]: r for r in breakdown(ROWS, lambda r: r.language)}
    assert by_language["ar"]["made"] == 5 and by_language["ar"]["median_hours_to_removal"] == 4.0
    assert by_language["en"]["removal_rate"] == 0.0
    by_platform = {r["key"]: r["made"] for r in breakdown(ROWS, lambda r: r.platform)}
    assert by_platform == {"telegram": 1, "twitter": 6}


def test_orders_within_the_hour_and_annex_iii() -> None:
    orders = [
        referral("O1", "removed", (("received", 0), ("removed", 0.5)), kind="removal_order",
                 clock_status="met", order_reasons=("incites",), cross_border=True),
        referral("O2", "removed", (("received", 0), ("removed", 2)), kind="removal_order",
                 clock_status="breached", order_reasons=("incites", "threatens")),
        referral("O3", "clarification", (("received", 0),), kind="removal_order",
                 clock_status="paused"),
        referral("O4", "rejected", (("received", 0),), kind="removal_order", clock_status="closed"),
        referral("O5", "sent", kind="removal_order"),
    ]  # fmt: skip
    orders[2] = replace(
        orders[2],
        events=(
            EventRecord("received", at(0)),
            EventRecord("clarification", at(0.2), ("insufficient_information",)),
            EventRecord("clarification", at(0.4), ("insufficient_information", "manifest_errors")),
        ),
    )
    c = order_compliance([*orders, *ROWS])
    assert (c["orders"], c["received"], c["within_the_hour"], c["beyond_the_hour"]) == (5, 4, 1, 1)
    assert (c["pending"], c["not_executed"], c["not_received"]) == (1, 1, 1)
    assert c["compliance_rate"] == 0.5 and c["cross_border"] == 1
    assert c["reasons"] == {"incites": 2, "threatens": 1}
    a = annex_iii(orders)
    assert a["cases"] == 1 and a["orders"] == 1
    assert a["by_ground"] == {
        "force_majeure": 0,
        "manifest_errors": 1,
        "insufficient_information": 1,
    }


def test_resurgence_and_evidence() -> None:
    links = [
        ResurgenceRecord("twitter", "n1", "a", at(10), at(8), at(2), at(20)),
        ResurgenceRecord("twitter", "n2", "a", at(11), None, at(2), None),
    ]
    r = resurgence(links)
    assert (r["resurgent_accounts"], r["predecessors"], r["rereferred"]) == (2, 1, 1)
    assert r["time_to_rereferral"]["median_hours"] == 12.0
    assert r["time_to_resurge"]["median_hours"] == 6.0
    entries = [
        EvidenceRecord("capture", "x", 10, at(-24 * 400), "post", "DE"),  # before the period
        EvidenceRecord("capture", "y", 5, at(0), "profile", "DE"),
        EvidenceRecord("capture", "z", 7, at(1), "post", "FR"),  # another unit's
        EvidenceRecord("purge", "x", 10, at(2), "post", "DE"),
        EvidenceRecord("purge", "z", 7, at(2), "post", "EU"),
        EvidenceRecord("capture", "w", 1, datetime(2027, 1, 5, tzinfo=UTC), "post", "DE"),
    ]
    e = evidence(entries, "DE", parse_period("2026"))
    assert (e["captured"], e["captured_bytes"], e["purged"], e["purged_bytes"]) == (1, 5, 1, 10)
    assert (e["held_at_end"], e["held_bytes_at_end"]) == (1, 5)
    assert e["captured_by_kind"] == {"profile": 1}


def test_transparency_is_limited_to_the_period() -> None:
    late = ReferralRecord(
        "Z", "referral", "twitter", "z", "ar", "sent", datetime(2025, 5, 1, tzinfo=UTC)
    )
    t = transparency([*ROWS, late], [], [], unit="DE", period=parse_period("2026-Q1"), now=at(30))
    assert t["totals"]["made"] == 7 and t["languages"] == 2 and t["platforms"] == 2
    assert t["time_to_removal"]["referral"] == {
        "n": 3,
        "median_hours": 4.0,
        "p90_hours": 5.6,
        "max_hours": 6.0,
    }
    assert t["time_to_removal_hours"] == [2.0, 4.0, 6.0]


def test_impact_measures() -> None:
    assert [k for k, _ in removed_accounts(ROWS)] == [
        ("twitter", "a"),
        ("twitter", "e"),
        ("telegram", "b"),
    ]
    s = survival(ROWS, now=at(20))
    assert (
        s["accounts"] == 1 and s["removed"] == 1 and s["median_hours"] == 102.0
    )  # only A was seen
    reach = ReachFigures(
        total=100.0,
        removed=40.0,
        gains=((at(2), 25.0), (at(4), 10.0), (at(6), 5.0)),
        window_days=30,
    )
    series = [DayPoint(date(2026, 3, 1), 12.5, 3), DayPoint(date(2025, 3, 1), 1.0, 1)]
    f = impact(ROWS, [], series, reach, now=at(20), unit="DE", period=parse_period("2026"))
    r = f["reach"]
    assert (r["referrals_made"], r["accounts_removed"], r["reach_removed"]) == (7, 3, 40.0)
    assert r["share_of_reach_removed"] == 0.4 and r["reach_removed_per_referral"] == pytest.approx(
        5.714, abs=1e-3
    )
    assert r["cumulative"][-1] == {"at": at(6).isoformat(), "referrals": 7, "reach_removed": 40.0}
    assert [p["day"] for p in f["exposures"]] == ["2026-03-01"] and f["exposures_total"] == 12.5
    assert f["speed"]["to_removal"]["median_hours"] == 4.0
    assert f["speed"]["to_receipt"]["median_hours"] == 1.0
    assert summary(f)["reach_removed_per_referral"] == r["reach_removed_per_referral"]


def test_renderings() -> None:
    t = transparency(ROWS, [], [], unit="DE", period=parse_period("2026"), now=at(30))
    page = render_html("transparency", t)
    assert page.startswith("<!DOCTYPE html>") and page.count("data:image/png;base64,") >= 4
    assert "<script" not in page and 'src="http' not in page and 'dir="auto"' in page
    reach = ReachFigures(total=10.0, removed=4.0, gains=((at(2), 4.0),), window_days=30)
    f = impact(ROWS, [], [DayPoint(date(2026, 3, 1), 1.0, 1)], reach, now=at(20), unit="وحدة")
    assert "وحدة" in render_html("impact", f)
    buffer = io.BytesIO()
    render_pdf("transparency", t, buffer)
    assert buffer.getvalue().startswith(b"%PDF")
    lines = table_lines(Table("x", ("a", "bb"), [[1, None], [2.5, "long text"]]))
    assert lines == ["a    bb       ", "---  ---------", "1    -        ", "2.5  long text"]
