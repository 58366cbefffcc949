"""``iru report transparency`` and ``iru report impact`` on a unit's real referrals.

A small simulated world is ingested and detected; a unit refers four accounts and orders
two removed (export connector, no platform), records the platforms' answers by hand —
one order removed within the hour, one beyond it after an Annex III request for
clarification — and one referral sits on a restricted case. The reports must give
those figures on SQLite and PostgreSQL, scope by unit, and be audited.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from iru.cases.connectors import PlatformEvent
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.storage.audit import AuditStore
from iru.storage.evidence import DEFAULT_RETENTION
from iru.storage.schema import cases, decisions, referrals

from .conftest import AUTHORITY, Iru


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-world") / "world"
    simulate(WorldConfig(seed=12, days=2, scale=0.01), out)
    return out


def _reference(output: str) -> str:
    return output.split("referral ")[1].split(maxsplit=1)[0]


def _unit_with_referrals(iru: Iru, world: Path) -> dict[str, str]:
    """Referrals A–C and F (F on a restricted case), removal orders D and E, delivered."""
    iru("ingest", str(world / "twitter"), str(world / "follows.jsonl"))
    iru("label", "import", str(world / "knowledge" / "labels.csv"))
    iru("indicators", "import", str(world / "knowledge" / "indicators.toml"))
    iru("detect")
    iru("users", "add", "root", "--role", "admin", "--unit", "EU", "--contact", "EU desk")
    for name, unit in (("anna", "DE"), ("fabien", "FR")):
        iru("users", "add", name, "--role", "analyst", "--unit", unit, "--user", "root")
    iru.runner.env = {"IRU_CONNECTOR": "export", "IRU_AUTHORITY": json.dumps(AUTHORITY)}
    queue = list(
        csv.DictReader(
            io.StringIO(iru("queue", "--user", "anna", "--format", "csv", "--top", "6").output)
        )
    )
    assert len(queue) == 6
    a, b, c, d, e, f = (f"{r['platform']}:{r['account_id']}" for r in queue)
    refs = {}
    for name, target in (("A", a), ("B", b), ("C", c)):
        refs[name] = _reference(
            iru("decide", target, "refer", "--reason", "r", "--user", "anna").output
        )
    iru("decide", f, "hold", "--reason", "op X", "--contact", "desk", "--user", "anna")
    refs["F"] = _reference(iru("decide", f, "refer", "--reason", "r", "--user", "anna").output)
    for name, target, grounds in (("D", d, ("incites", "threatens")), ("E", e, ("incites",))):
        iru("decide", target, "refer", "--reason", "order", "--user", "anna", "--no-package")
        flags = [x for g in grounds for x in ("--ground", g)]
        refs[name] = iru("refer", target, "--order", *flags, "--user", "anna").output.split()[1]
    assert "delivered 6 of 6" in iru("deliver", "--user", "anna").output
    return refs


def test_transparency_and_impact_reports(iru: Iru, world: Path, tmp_path: Path) -> None:
    refs = _unit_with_referrals(iru, world)
    now = datetime.now(UTC)
    t0 = now - timedelta(days=2)

    def status(name: str, value: str, minutes: float) -> None:
        at = (t0 + timedelta(minutes=minutes)).isoformat()
        iru("referrals", "status", refs[name], value, "--at", at, "--user", "anna")

    for name in ("A", "B", "C", "D", "E"):
        status(name, "received", 0)
    status("A", "removed", 300)  # 5 h: within the unit's 24 h target
    status("B", "rejected", 120)
    status("D", "removed", 30)  # within the hour
    ws = iru.open()
    try:
        # As if the cases were opened, decided and referred before the platforms answered.
        with ws.database.engine.begin() as conn:
            conn.execute(update(cases).values(opened_at=t0 - timedelta(hours=3)))
            conn.execute(update(decisions).values(decided_at=t0 - timedelta(hours=2)))
            conn.execute(
                update(decisions)
                .where(decisions.c.approved_at.is_not(None))
                .values(approved_at=t0 - timedelta(hours=2))
            )
            conn.execute(update(referrals).values(created_at=t0 - timedelta(hours=1)))
        # E: the platform asks for clarification on an Annex III form.
        service = ws.referral_service()
        row = service.store.get(refs["E"])
        assert row is not None
        form = {"grounds": ["insufficient_information"], "explanation": "which URL?"}
        event = PlatformEvent(
            seq=0, status="clarification", at=t0 + timedelta(minutes=10), form=form
        )
        assert service.apply_event(row, event, source="analyst", actor="anna", now=now)
        # Evidence kept past retention is purged (a tombstone in the manifest).
        store = ws.evidence_store()
        old = now - timedelta(days=300)
        store.capture("twitter:x", "post", b"old", source="t", captured_by="anna", unit="DE",
                      mime_type="text/plain", now=old)  # fmt: skip
        assert store.purge(DEFAULT_RETENTION, "anna", "DE", now=now) == 1
    finally:
        ws.close()
    status("E", "clarification_received", 20)
    status("E", "removed", 90)  # 70 min after the hour restarted: breached

    year = str(now.year)
    out = tmp_path / "t.json"
    said = iru("report", "transparency", "--period", year, "--out", str(out), "--user", "anna")
    assert "1 of 2 order(s) within the hour" in said.output
    t = json.loads(out.read_text())
    assert t["totals"]["made"] == 6 and t["totals"]["removed"] == 3
    assert t["totals"]["rejected"] == 1 and t["totals"]["open"] == 2
    assert t["totals"]["removal_rate"] == 0.75
    assert t["by_kind"]["referral"]["removal_rate"] == 0.5
    assert t["by_kind"]["removal_order"]["removal_rate"] == 1.0
    orders = t["removal_orders"]
    assert (orders["within_the_hour"], orders["beyond_the_hour"]) == (1, 1)
    assert orders["compliance_rate"] == 0.5 and orders["cross_border"] == 2
    assert orders["reasons"] == {"incites": 2, "threatens": 1}
    assert t["annex_iii"]["cases"] == 1
    assert t["annex_iii"]["by_ground"]["insufficient_information"] == 1
    assert t["time_to_removal"]["referral"]["median_hours"] == 5.0
    assert t["time_to_removal"]["removal_order"]["median_hours"] == 1.0
    assert t["referral_targets"] == {"met": 1, "breached": 1}  # C has waited two days
    assert sum(r["made"] for r in t["by_platform"]) == 6
    assert sum(r["made"] for r in t["by_language"]) == 6
    assert t["evidence"]["captured"] > 6 and t["evidence"]["purged"] == 1
    # Another unit sees the shared cases only: not F, on anna's restricted (held) case.
    iru("report", "transparency", "--period", year, "--out", str(out), "--user", "fabien")
    assert json.loads(out.read_text())["totals"]["made"] == 5
    # A period without referrals is empty; the HTML and PDF renderings.
    iru(
        "report",
        "transparency",
        "--period",
        f"{now.year - 1}-Q2",
        "--out",
        str(out),
        "--user",
        "anna",
    )
    assert json.loads(out.read_text())["totals"]["made"] == 0
    page = tmp_path / "t.html"
    iru("report", "transparency", "--period", year, "--out", str(page), "--user", "anna")
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "data:image/png;base64," in text
    assert 'dir="auto"' in text and "http://" not in text and "https://" not in text
    pdf = tmp_path / "t.pdf"
    iru("report", "transparency", "--period", year, "--out", str(pdf), "--user", "anna")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    refused = iru(
        "report",
        "transparency",
        "--period",
        "2026-Q5",
        "--out",
        str(out),
        "--user",
        "anna",
        ok=False,
    )
    assert refused.exit_code == 1 and "--period" in refused.stderr

    impact = json.loads(iru("report", "impact", "--format", "json", "--user", "anna").output)
    reach = impact["reach"]
    assert reach["referrals_made"] == 6 and reach["accounts_removed"] == 3
    assert 0 < reach["reach_removed"] <= reach["total_reach"]
    assert reach["reach_removed_per_referral"] == pytest.approx(
        reach["reach_removed"] / 6, abs=1e-3
    )
    assert impact["exposures"] and impact["exposures_total"] > 0
    assert impact["survival"]["accounts"] == 6 and impact["survival"]["removed"] == 3
    speed = impact["speed"]
    assert speed["to_removal"]["n"] == 3 and speed["to_removal"]["median_hours"] == 1.5
    assert speed["to_receipt"]["median_hours"] == 1.0
    assert speed["to_refer_from_case"]["median_hours"] == 2.0
    assert speed["to_refer_from_decision"]["median_hours"] == 1.0
    assert "reach removed" in iru("report", "impact", "--user", "anna").output
    assert "<!DOCTYPE html>" in iru("report", "impact", "--format", "html", "--user", "anna").output
    ws = iru.open()
    try:
        actions = [e.action for e in AuditStore(ws.database).events()]
    finally:
        ws.close()
    assert actions.count("report.transparency") == 5 and actions.count("report.impact") == 3
    assert "audit log intact" in iru("audit", "verify").output
