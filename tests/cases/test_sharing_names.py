"""Shared accounts carry the name they show: a Telegram channel without a username is more
than a bare number in STIX and MISP (issue 16, item 6); on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stix2validator import ValidationOptions, validate_instance, validate_string

from iru.cases.sharing import SharedTarget, SharingContext, misp_event, stix_bundle

from ..conftest import Iru

CONTEXT = SharingContext(unit="DE", created=datetime(2024, 3, 7, 12, 0, tzinfo=UTC))
CHANNEL = "channel1000000001"
NAME = "Synthetic Channel"


def _user_accounts(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["user_id"]: o for o in bundle["objects"] if o["type"] == "user-account"}


def _misp_names(event: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each user-account object's attributes by relation, keyed by its user-id."""
    found = {}
    for obj in event["Object"]:
        relations = {a["object_relation"]: a["value"] for a in obj["Attribute"]}
        found[relations["user-id"]] = relations
    return found


def _targets() -> list[SharedTarget]:
    decided = datetime(2024, 3, 6, 9, 30, tzinfo=UTC)
    return [
        SharedTarget("telegram", CHANNEL, "", None, "referred", decided, display_name=NAME),
        SharedTarget("twitter", "1001", "synthetic_x", None, "referred", decided),
    ]


def test_stix_user_account_has_the_display_name() -> None:
    bundle = stix_bundle(_targets(), CONTEXT)
    accounts = _user_accounts(bundle)
    assert accounts[CHANNEL]["display_name"] == NAME
    assert "account_login" not in accounts[CHANNEL]
    assert "display_name" not in accounts["1001"]
    names = {o["name"] for o in bundle["objects"] if o["type"] == "indicator"}
    assert f"telegram account {NAME} ({CHANNEL})" in names
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]


def test_misp_user_account_has_the_display_name() -> None:
    event = misp_event(_targets(), CONTEXT)["Event"]
    found = _misp_names(event)
    assert found[CHANNEL]["display-name"] == NAME
    assert "username" not in found[CHANNEL]
    assert "display-name" not in found["1001"]


def test_exports_name_a_referred_channel_read_from_telegram(iru: Iru, tmp_path: Path) -> None:
    export = tmp_path / "export" / "result.json"
    export.parent.mkdir()
    export.write_text(
        json.dumps(
            {
                "name": NAME,
                "type": "public_channel",
                "id": 1000000001,
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date": "2021-02-01T10:00:00",
                        "date_unixtime": "1612173600",
                        "from": NAME,
                        "from_id": 1000000001,  # the 2020 style
                        "text": "a synthetic post",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    iru("ingest", str(export))
    iru("users", "add", "root", "--role", "admin", "--unit", "EU")
    iru("users", "add", "anna", "--role", "analyst", "--unit", "DE", "--user", "root")
    iru("decide", f"telegram:{CHANNEL}", "refer", "--reason", "synthetic", "--user", "anna")
    stix_out, misp_out = tmp_path / "bundle.json", tmp_path / "event.json"
    iru("export", "stix", "--out", str(stix_out), "--user", "anna")
    iru("export", "misp", "--format", "json", "--out", str(misp_out), "--user", "anna")
    text = stix_out.read_text(encoding="utf-8")
    validation = validate_string(text, ValidationOptions(version="2.1"))
    assert validation.is_valid, [str(e) for e in validation.errors]
    assert _user_accounts(json.loads(text))[CHANNEL]["display_name"] == NAME
    event = json.loads(misp_out.read_text(encoding="utf-8"))["Event"]
    assert _misp_names(event)[CHANNEL]["display-name"] == NAME
