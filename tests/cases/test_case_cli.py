"""``iru users``, ``iru queue``, ``iru decide``, ``iru approve`` end to end on a small world."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from iru.engine.services.cases import CaseService
from iru.sim.config import WorldConfig
from iru.storage.models import current_labels

from .. import shared
from ..conftest import Iru


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared.world(tmp_path_factory, WorldConfig(seed=12, days=2, scale=0.01))


def test_queue_decide_hold_and_approve_through_the_cli(iru: Iru, world: Path) -> None:
    iru("ingest", str(world / "twitter"), str(world / "follows.jsonl"))
    iru("label", "import", str(world / "knowledge" / "labels.csv"))
    iru("indicators", "import", str(world / "knowledge" / "indicators.toml"))
    iru("detect")
    # Nobody may act before the first user, an admin, exists.
    assert "no user given" in iru("queue", ok=False).stderr
    iru("users", "add", "root", "--role", "admin", "--unit", "EU", "--contact", "EU desk")
    refused = iru("users", "add", "eve", "--role", "analyst", "--unit", "DE", ok=False)
    assert refused.exit_code == 1 and "no user given" in refused.stderr
    for name, role, unit, contact in (
        ("anna", "analyst", "DE", "BKA desk"),
        ("fabien", "analyst", "FR", "PHAROS desk"),
        ("sven", "supervisor", "DE", ""),
    ):
        iru(
            "users",
            "add",
            name,
            "--role",
            role,
            "--unit",
            unit,
            "--contact",
            contact,
            "--user",
            "root",
        )
    rows = list(
        csv.DictReader(io.StringIO(iru("queue", "--user", "anna", "--format", "csv").output))
    )
    assert len(rows) >= 3
    priorities = [float(r["priority"]) for r in rows]
    assert priorities == sorted(priorities, reverse=True)  # no resurgences in this world
    first, second, third = (f"{r['platform']}:{r['account_id']}" for r in rows[:3])
    held = iru("decide", first, "hold", "--reason", "op NORDLICHT", "--user", "anna")
    assert "hold" in held.output
    stopped = iru("decide", first, "refer", "--reason", "x", "--user", "fabien", ok=False)
    assert stopped.exit_code == 1
    assert "unit DE" in stopped.stderr and "BKA desk" in stopped.stderr
    assert "NORDLICHT" not in stopped.stderr
    assert (
        "training label supporter"
        in iru("decide", second, "refer", "--reason", "releases", "--user", "anna").output
    )
    # Four eyes: an analyst's referral waits for a supervisor of its unit.
    iru.runner.env = {"IRU_FOUR_EYES": "true"}
    assert (
        "pending_approval"
        in iru("decide", third, "refer", "--reason", "r", "--user", "anna").output
    )
    assert iru("approve", third, "--user", "anna", ok=False).exit_code == 1
    assert "approved" in iru("approve", third, "--user", "sven").output
    after = iru("queue", "--user", "anna", "--format", "csv").output
    assert first.split(":")[1] not in after and second.split(":")[1] not in after
    assert "audit log intact" in iru("audit", "verify").output
    # Once there are users, only auditors read the log, and only their unit's events.
    assert iru("audit", "list", "--user", "anna", ok=False).exit_code == 1
    iru("users", "add", "audrey", "--role", "auditor", "--unit", "FR", "--user", "root")
    listed = json.loads(iru("audit", "list", "--user", "audrey", "--format", "json").output)
    assert listed and {e["unit"] for e in listed} == {"FR"}
    assert "NORDLICHT" not in json.dumps(listed)
    bad = iru("decide", "nonsense", "refer", "--reason", "x", "--user", "anna", ok=False)
    assert bad.exit_code == 1 and "PLATFORM:ACCOUNT_ID" in bad.stderr


def test_decide_dismiss_with_counter_speech(iru: Iru, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.jsonl"  # decisions need accounts iru holds
    accounts.write_text(
        "".join(
            json.dumps({"type": "account", "platform": "twitter", "account_id": a}) + "\n"
            for a in ("77", "78", "79")
        ),
        encoding="utf-8",
    )
    iru("ingest", str(accounts))
    iru("users", "add", "root", "--role", "admin", "--unit", "EU", "--contact", "EU desk")
    iru("users", "add", "anna", "--role", "analyst", "--unit", "DE", "--user", "root")
    said = iru(
        "decide",
        "twitter:77",
        "dismiss",
        "--counter-speech",
        "--reason",
        "argues against",
        "--user",
        "anna",
    )
    assert "twitter:77: dismissed; training label counter_speech" in said.output
    plain = iru("decide", "twitter:78", "dismiss", "--reason", "news", "--user", "anna")
    assert "training label not_supporter" in plain.output
    refused = iru(
        "decide",
        "twitter:79",
        "refer",
        "--counter-speech",
        "--reason",
        "x",
        "--user",
        "anna",
        ok=False,
    )
    assert refused.exit_code == 1
    assert "--counter-speech goes with dismiss only, not refer" in refused.stderr
    ws = iru.open()
    try:
        labels = current_labels(ws.database)
        assert labels[("twitter", "77")] == "counter_speech"
        assert labels[("twitter", "78")] == "not_supporter"
        assert ("twitter", "79") not in labels
        assert not [c for c in CaseService(ws.database).store.cases() if c.account_id == "79"]
    finally:
        ws.close()
