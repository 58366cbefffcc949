"""``iru export stix`` and ``iru export misp`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_string

from iru.detect.resurgence import ResurgenceLink
from iru.storage.assessments import DetectionStore
from iru.storage.audit import AuditStore

from ..conftest import Iru

MEDIA_SHA = "3f1c8a2b9d7e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
SECRET_REASON = "SECRET-NOTE informant says he runs the channel"
HOLD_REASON = "op NORDLICHT"
RECORDS = [
    {"type": "account", "platform": "twitter", "account_id": "1001", "handle": "nashir_news", "language": "ar"},
    {"type": "account", "platform": "twitter", "account_id": "1002", "handle": "nashir_news2", "language": "ar"},
    {"type": "account", "platform": "twitter", "account_id": "3001", "handle": "held_one", "language": "en"},
    {"type": "post", "platform": "twitter", "post_id": "p1", "account_id": "1001",
     "created_at": "2024-03-04T18:20:00Z", "text": "release", "lang": "ar", "media_ids": ["m1"]},
    {"type": "post", "platform": "twitter", "post_id": "p2", "account_id": "1002",
     "created_at": "2024-03-06T18:20:00Z", "text": "we are back", "lang": "ar", "media_ids": ["m2"]},
    {"type": "post", "platform": "twitter", "post_id": "p3", "account_id": "3001",
     "created_at": "2024-03-05T10:00:00Z", "text": "hello", "lang": "en"},
    {"type": "media", "platform": "twitter", "media_id": "m2", "post_id": "p2", "account_id": "1002",
     "created_at": "2024-03-06T18:20:00Z", "kind": "photo", "sha256": MEDIA_SHA},
]  # fmt: skip


@pytest.fixture
def referred(iru: Iru, tmp_path: Path) -> Path:
    """A workspace where DE referred two accounts (one the resurgence of the other) and
    FR referred a third after holding it for its own investigation."""
    world = tmp_path / "world.jsonl"
    world.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    hashes = tmp_path / "list.csv"
    hashes.write_text(
        "hash_type,hash_value,label,source,created_at\n"
        f"sha256,{MEDIA_SHA},nashir-video-7,gifct,2024-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    iru("ingest", str(world))
    iru("hashes", "import", str(hashes))
    iru("detect")  # a known-media signal on 1002's photo
    iru("users", "add", "root", "--role", "admin", "--unit", "EU")
    for name, unit in (("anna", "DE"), ("fabien", "FR")):
        iru("users", "add", name, "--role", "analyst", "--unit", unit, "--user", "root")
    for account in ("twitter:1001", "twitter:1002"):
        iru("decide", account, "refer", "--reason", SECRET_REASON, "--user", "anna")
    iru("decide", "twitter:3001", "hold", "--reason", HOLD_REASON, "--contact", "PHAROS desk",
        "--user", "fabien")  # fmt: skip
    iru("decide", "twitter:3001", "refer", "--reason", "FR refers", "--user", "fabien")
    post = tmp_path / "post.html"
    post.write_bytes(b"<html>captured post of nashir_news2</html>")
    iru("evidence", "capture", "--subject", "twitter:1002", "--kind", "post", str(post),
        "--source", "https://x.com/nashir_news2/status/2", "--user", "anna", "--unit", "DE")  # fmt: skip
    ws = iru.open()
    try:
        DetectionStore(ws.database).save_links(
            [ResurgenceLink("twitter", "1002", "1001", 0.9, {"handle": 0.9}, "handle", None)]
        )
    finally:
        ws.close()
    return post


def _export_events(iru: Iru) -> list[tuple[str, str, str, dict[str, object]]]:
    ws = iru.open()
    try:
        return [
            (e.actor, e.action, e.subject, dict(e.after or {}))
            for e in AuditStore(ws.database).events()
            if e.action.startswith("export.")
        ]
    finally:
        ws.close()


def test_stix_export_of_what_the_user_may_read(iru: Iru, referred: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "bundle.json"
    result = iru("export", "stix", "--out", str(out), "--user", "anna")
    assert "wrote 2 referred account(s)" in result.output
    assert "1 referred case(s) left out" in result.output  # FR's restricted case
    text = out.read_text(encoding="utf-8")
    validation = validate_string(text, ValidationOptions(version="2.1"))
    assert validation.is_valid, [str(e) for e in validation.errors]
    bundle = json.loads(text)
    accounts = {o["user_id"]: o for o in bundle["objects"] if o["type"] == "user-account"}
    assert set(accounts) == {"1001", "1002"}
    assert accounts["1002"]["account_login"] == "nashir_news2"
    files = [o["hashes"] for o in bundle["objects"] if o["type"] == "file"]
    evidence = hashlib.sha256(referred.read_bytes()).hexdigest()
    assert {"SHA-256": evidence} in files  # the captured evidence
    assert {"SHA-256": MEDIA_SHA} in files  # the known content its photo matched
    relationships = {
        (o["relationship_type"], o["source_ref"], o["target_ref"])
        for o in bundle["objects"]
        if o["type"] == "relationship"
    }
    assert ("resurgence-of", accounts["1002"]["id"], accounts["1001"]["id"]) in relationships
    for leak in ("3001", "held_one", SECRET_REASON, HOLD_REASON, "anna", "post.html"):
        assert leak not in text
    ((actor, action, subject, after),) = _export_events(iru)
    assert (actor, action, subject) == ("anna", "export.stix", "unit:DE")
    assert after["targets"] == 2 and after["left_out"] == 1
    assert after["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert not list(out.parent.glob(".*.partial"))
    assert "audit log intact" in iru("audit", "verify").output


def test_misp_export_likewise(iru: Iru, referred: Path, tmp_path: Path) -> None:
    out = tmp_path / "event.json"
    iru("export", "misp", "--format", "json", "--out", str(out), "--user", "anna")
    text = out.read_text(encoding="utf-8")
    event = json.loads(text)["Event"]
    assert {"name": "tlp:amber"} in event["Tag"]
    users = {
        a["value"]
        for o in event["Object"]
        for a in o["Attribute"]
        if a["object_relation"] == "user-id"
    }
    assert users == {"1001", "1002"}
    values = {(a["type"], a["value"]) for a in event["Attribute"]}
    assert ("sha256", hashlib.sha256(referred.read_bytes()).hexdigest()) in values
    assert ("sha256", MEDIA_SHA) in values
    for leak in ("3001", "held_one", SECRET_REASON, HOLD_REASON):
        assert leak not in text
    ((actor, action, subject, after),) = _export_events(iru)
    assert (actor, action, subject) == ("anna", "export.misp", "unit:DE")
    assert after["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_the_other_unit_sees_its_own_case_and_nobody_exports_nothing(
    iru: Iru, referred: Path, tmp_path: Path
) -> None:
    own = tmp_path / "fr.json"
    iru("export", "stix", "--out", str(own), "--unit", "FR", "--user", "fabien")
    accounts = [
        o["user_id"] for o in json.loads(own.read_text())["objects"] if o["type"] == "user-account"
    ]
    assert accounts == ["3001"]
    # Nothing of FR that anna may read: one line, exit 1, no file, no audit event.
    missing = tmp_path / "none.json"
    refused = iru(
        "export", "stix", "--out", str(missing), "--unit", "FR", "--user", "anna", ok=False
    )
    assert refused.exit_code == 1
    assert "nothing to export" in refused.stderr and "1 left out" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not missing.exists()
    # An admin manages users, and reads no cases.
    admin = iru("export", "misp", "--out", str(missing), "--user", "root", ok=False)
    assert admin.exit_code == 1 and "may not case.read" in admin.stderr
    unknown = iru("export", "misp", "--out", str(missing), "--user", "nobody", ok=False)
    assert unknown.exit_code == 1 and "unknown user" in unknown.stderr
    assert [e[:3] for e in _export_events(iru)] == [("fabien", "export.stix", "unit:FR")]
