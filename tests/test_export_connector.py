"""The export connector: package files, an .eml that parses back, an index, idempotent resends."""

from __future__ import annotations

import csv
import email.policy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from iru.cases.evidence import content_address
from iru.cases.packages import (
    Package,
    PostItem,
    Target,
    authority_from_mapping,
    build_referral,
    build_removal_order,
    make_package,
)
from iru.cases.tco import Reason, referral_from_json
from iru.engine.adapters.export import INDEX_FIELDS, ExportConnector, ExportReceipt

T0 = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
SENDER = "IRU Example <iru@police.example>"
KEY = "9f1c2d4e-0000-4000-8000-000000000012"


def target() -> Target:
    return Target(
        platform="telegram",
        account_id="channel1500008131",
        handle="example_channel",
        display_name="قناة تجريبية",
        profile_url=None,
        language="ar",
        score=0.8,
        reasons=("indicators",),
        profile_sha256=content_address(b"profile"),
        posts=(
            PostItem(
                post_id="channel1500008131/1",
                url=None,
                created_at=T0,
                text="نص تجريبي placeholder release text #tag",
                language="ar",
                sha256=content_address(b"post-1"),
            ),
        ),
    )


def referral_package(reference: str = "IRU-EU-2026-000012") -> Package:
    t = target()
    return make_package(build_referral(t, reference=reference, created_at=T0), t)


def connector(tmp_path: Path) -> ExportConnector:
    return ExportConnector(
        tmp_path / "outbox", sender=SENDER, recipients={"telegram": "abuse@messenger.example"}
    )


def parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        message = BytesParser(policy=email.policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    return message


def index_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "index.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == INDEX_FIELDS
        return list(reader)


def test_delivery_writes_the_files_and_an_email(tmp_path: Path) -> None:
    package = referral_package()
    export = connector(tmp_path)
    assert export.name == "export"
    receipt = export.deliver(package, idempotency_key=KEY, now=T0 + timedelta(hours=1))
    assert isinstance(receipt, ExportReceipt)
    assert receipt.connector == "export"
    assert receipt.reference == package.reference
    assert not receipt.replayed
    assert receipt.written_at == T0 + timedelta(hours=1)
    assert receipt.files == (
        "telegram/IRU-EU-2026-000012.json",
        "telegram/IRU-EU-2026-000012.html",
        "telegram/IRU-EU-2026-000012.eml",
    )
    outbox = tmp_path / "outbox"
    assert (outbox / receipt.files[0]).read_bytes() == package.json_bytes
    assert (outbox / receipt.files[1]).read_text(encoding="utf-8") == package.html
    assert not list((outbox / "telegram").glob("*.partial"))

    message = parse(outbox / receipt.files[2])
    assert message["From"] == SENDER
    assert message["To"] == "abuse@messenger.example"
    assert message["Subject"] == (
        "[referral] IRU-EU-2026-000012 — telegram account @example_channel"
    )
    assert message["Message-ID"] == receipt.message_id
    assert receipt.message_id.endswith("@police.example>")
    assert message["X-Iru-Package-SHA256"] == package.sha256
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert package.sha256 in plain.get_content()
    assert "https://t.me/example_channel/1" in plain.get_content()
    assert html.get_content().rstrip("\r\n") == package.html
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    attached = attachments[0]
    assert attached.get_content_type() == "application/json"
    assert attached.get_filename() == "IRU-EU-2026-000012.json"
    assert attached.get_content() == package.json_bytes
    assert referral_from_json(attached.get_content()) == package.form

    rows = index_rows(outbox / "telegram")
    assert rows == [
        {
            "reference": "IRU-EU-2026-000012",
            "kind": "referral",
            "platform": "telegram",
            "account_id": "channel1500008131",
            "package_sha256": package.sha256,
            "idempotency_key": KEY,
            "written_at": "2026-11-29T14:00:00.000000Z",
            "eml_file": "IRU-EU-2026-000012.eml",
        }
    ]


def test_second_delivery_is_a_replay(tmp_path: Path) -> None:
    package = referral_package()
    export = connector(tmp_path)
    first = export.deliver(package, idempotency_key=KEY, now=T0)
    folder = tmp_path / "outbox" / "telegram"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    second = export.deliver(package, idempotency_key=KEY, now=T0 + timedelta(minutes=30))
    assert second.replayed
    assert replace(second, replayed=False) == first
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    assert after == before
    assert len(index_rows(folder)) == 1
    # A fresh connector over the same outbox gives the same message id.
    again = connector(tmp_path).deliver(package, idempotency_key=KEY, now=T0)
    assert again.message_id == first.message_id


def test_another_package_under_the_same_reference_is_refused(tmp_path: Path) -> None:
    export = connector(tmp_path)
    package = referral_package()
    export.deliver(package, idempotency_key=KEY, now=T0)
    t = target()
    changed = make_package(
        build_referral(t, reference=package.reference, created_at=T0, target_response_hours=48), t
    )
    assert changed.sha256 != package.sha256
    with pytest.raises(ValueError, match="IRU-EU-2026-000012"):
        export.deliver(changed, idempotency_key=KEY, now=T0)
    with pytest.raises(ValueError, match="IRU-EU-2026-000012"):
        export.deliver(package, idempotency_key="another-key", now=T0)
    with pytest.raises(ValueError, match="already used"):
        export.deliver(referral_package("IRU-EU-2026-000013"), idempotency_key=KEY, now=T0)
    folder = tmp_path / "outbox" / "telegram"
    assert len(index_rows(folder)) == 1
    assert (folder / "IRU-EU-2026-000012.json").read_bytes() == package.json_bytes


def test_index_grows_one_row_per_reference_and_unknown_platforms_get_a_placeholder(
    tmp_path: Path,
) -> None:
    export = ExportConnector(tmp_path / "outbox", sender="iru@police.example", recipients={})
    export.deliver(referral_package("R-1"), idempotency_key="k1", now=T0)
    receipt = export.deliver(referral_package("R-2"), idempotency_key="k2", now=T0)
    assert receipt.message_id != export.message_id("k1")
    folder = tmp_path / "outbox" / "telegram"
    assert [r["reference"] for r in index_rows(folder)] == ["R-1", "R-2"]
    assert parse(folder / "R-2.eml")["To"] == "abuse@telegram.invalid"


def test_removal_order_email_carries_the_order_text(tmp_path: Path) -> None:
    authority = authority_from_mapping(
        {
            "issuing_member_state": "NL",
            "type": "law_enforcement",
            "name": "Example National Police — IRU",
            "representative": "J. Example",
            "post": "Head of Unit",
            "address": "Examplestraat 1, Example City",
            "telephone": "+31 00 000 0000",
            "email": "iru@police.example",
            "feedback_contact": "tco-feedback@police.example",
            "redress_body": "District Court of Example City",
            "redress_time_limit": "6 weeks",
            "providers": {
                "telegram": {
                    "addressee": "Example Messenger Inc.",
                    "contact_point": "tco@messenger.example",
                    "member_state": "NL",
                }
            },
        }
    )
    t = target()
    order = build_removal_order(
        t,
        authority,
        reference="NL-IRU-2026-0042",
        issued_at=T0,
        reasons={Reason.INCITES},
        additional_reasons=None,
    )
    package = make_package(order, t)
    receipt = connector(tmp_path).deliver(package, idempotency_key=KEY, now=T0)
    message = parse(tmp_path / "outbox" / receipt.files[2])
    assert message["Subject"].startswith("[removal_order] NL-IRU-2026-0042 — telegram")
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "SECTION G — Redress" in plain.get_content()


def test_unsafe_references_are_refused(tmp_path: Path) -> None:
    package = replace(referral_package(), reference="../escape")
    with pytest.raises(ValueError, match="cannot name a file"):
        connector(tmp_path).deliver(package, idempotency_key=KEY, now=T0)
    assert not (tmp_path / "escape.json").exists()
