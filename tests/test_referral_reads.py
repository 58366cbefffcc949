"""The storage reads behind referrals, sharing exports and reports: typed rows, SQL kept in storage.

:class:`~iru.storage.account_facts.AccountFacts` (names, languages, a target's profile),
:class:`~iru.storage.post_reads.PostReads` (newest posts with media, first posts, per-day
exposures, a detector's signals), and the reads and writes added to the case, referral and
knowledge stores, on SQLite (and PostgreSQL where the suite has one).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from iru.detect.assess import Assessment
from iru.domain import Account, Interaction, InteractionKind, Media, Post
from iru.domain.columns import SCHEMAS, to_table
from iru.domain.knowledge import HashRow
from iru.storage.account_facts import AccountFacts, AccountName
from iru.storage.assessments import DetectionStore
from iru.storage.audit import AUDIT_CHAIN, locked_transaction
from iru.storage.cases import CaseStore
from iru.storage.database import Database
from iru.storage.knowledge import KnowledgeStore
from iru.storage.post_reads import POST_COLUMNS, MediaFile, PostReads
from iru.storage.referrals import ReferralStore
from iru.storage.urls import UNPARSEABLE, redact_url
from iru.workspace import Workspace

T0 = datetime(2025, 3, 1, 10, tzinfo=UTC)


def _accounts(database: Database) -> None:
    database.write_ingest_batch(
        [
            Account(platform="f", account_id="S", handle="sup", display_name="Sup", language="en"),
            Account(platform="f", account_id="U", handle="u"),
            Account(platform="g", account_id="S", handle="other"),
        ],
        [],
    )


def test_account_facts_names_languages_and_profile(workspace: Workspace) -> None:
    database = workspace.database
    _accounts(database)
    facts = AccountFacts(database)
    names = facts.names({("f", "S"), ("f", "U"), ("f", "nobody")})
    assert names == {("f", "S"): AccountName("sup", "Sup"), ("f", "U"): AccountName("u", None)}
    assert facts.languages() == {("f", "S"): "en"}

    assert facts.profile("f", "nobody") is None
    plain = facts.profile("f", "U")
    assert plain is not None and plain.assessment is None
    assert plain.account is not None and plain.account["handle"] == "u"
    DetectionStore(database).save_assessments(
        [Assessment("f", "V", 0.8, "supporter", reasons=["marker"], language="de")]
    )
    assessed_only = facts.profile("f", "V")
    assert assessed_only is not None and assessed_only.account is None
    assert assessed_only.assessment is not None
    assert assessed_only.assessment.score == 0.8
    assert assessed_only.assessment.reasons == ("marker",)
    assert assessed_only.assessment.language == "de"


def test_refer_decisions_stand_at_their_approval(workspace: Workspace) -> None:
    database = workspace.database
    store = CaseStore(database)
    with locked_transaction(database, AUDIT_CHAIN) as conn:
        first = store.open_case(conn, "f", "S", unit="DE", user="ana", now=T0)
        second = store.open_case(conn, "f", "U", unit="DE", user="ana", now=T0)
        store.add_decision(conn, first.case_id, decision="monitor", reason="", user="ana", now=T0)
        one = store.add_decision(
            conn, first.case_id, decision="refer", reason="r", user="ana", now=T0
        )
        later = T0 + timedelta(hours=2)
        two = store.add_decision(
            conn,
            second.case_id,
            decision="refer",
            reason="r",
            user="ana",
            now=later,
            approved_by="ben",
        )
    everything = {(d.case_id, d.decision_id, d.at) for d in store.refer_decisions()}
    assert everything == {(first.case_id, one, T0), (second.case_id, two, later)}
    only = store.refer_decisions([second.case_id])
    assert [(d.case_id, d.decision_id) for d in only] == [(second.case_id, two)]
    assert store.refer_decisions([]) == []


def test_referral_events_of_several_and_the_account_status(workspace: Workspace) -> None:
    database = workspace.database
    _accounts(database)
    store = ReferralStore(database)
    with locked_transaction(database, AUDIT_CHAIN) as conn:
        ids = [
            store.insert(
                conn,
                reference=f"IRU-DE-2025-{n:06d}",
                kind="referral",
                case_id=n,
                unit="DE",
                platform="f",
                account_id="S",
                status="sent",
                connector="export",
                idempotency_key=f"key-{n}",
                package_sha256="",
                package_json="",
                target_hours=24.0,
                created_by="ana",
                created_at=T0,
                updated_at=T0,
            )
            for n in (1, 2, 3)
        ]
        for rid, status, hours in (
            (ids[0], "removed", 3),
            (ids[0], "received", 1),
            (ids[1], "received", 2),
        ):
            store.add_event(
                conn,
                referral_id=rid,
                seq=None,
                status=status,
                at=T0 + timedelta(hours=hours),
                detail="",
                form_json='{"grounds": []}' if status == "removed" else None,
                source="analyst",
                recorded_by="ana",
                recorded_at=T0,
            )
        store.set_account_status(conn, "f", "S", "removed")
    found = store.events_of({ids[0], ids[2]})
    assert list(found) == [ids[0]]
    assert [(e.status, e.at) for e in found[ids[0]]] == [
        ("received", T0 + timedelta(hours=1)),
        ("removed", T0 + timedelta(hours=3)),
    ]
    assert found[ids[0]][1].form_json == '{"grounds": []}'
    assert store.events_of(set()) == {}
    statuses = {(a["platform"], a["account_id"]): a["status"] for a in database.iter_accounts()}
    assert statuses[("f", "S")] == "removed"
    assert statuses[("g", "S")] != "removed"  # the same id on another platform is left alone


def test_sha256_labels_of_listed_digests(workspace: Workspace) -> None:
    store = KnowledgeStore(workspace.database)
    listed, other = "a" * 64, "b" * 64
    store.add_hashes(
        [
            HashRow("sha256", listed, "x", "list", None),
            HashRow("sha256", listed, "y", "list", None),
            HashRow("md5", other[:32], "z", "list", None),
        ],
        "c" * 64,
    )
    assert store.sha256_labels([listed, other, listed]) == {listed: {"x", "y"}}
    assert store.sha256_labels([]) == {}


def _post(post_id: str, account_id: str, hours: float, **more: object) -> Post:
    return Post(
        platform="f",
        post_id=post_id,
        account_id=account_id,
        created_at=T0 + timedelta(hours=hours),
        text=f"text {post_id}",
        **more,  # type: ignore[arg-type]
    )


def _archive(ws: Workspace) -> None:
    posts = [
        _post("p1", "S", 0),
        _post("p2", "S", 26, media_ids=["m1", "m2"]),
        _post("p3", "U", 27, repost_of_post_id="p1"),
    ]
    ws.archive.write("posts", to_table(posts, "posts"))
    media = Media(
        platform="f",
        media_id="m1",
        post_id="p2",
        account_id="S",
        created_at=T0 + timedelta(hours=26),
        url="https://media.example/m1.jpg",
        mime_type="image/jpeg",
    )
    ws.archive.write("media", to_table([media], "media"))
    repost = Interaction(
        platform="f",
        interaction_id="i1",
        kind=InteractionKind.REPOST,
        src_account_id="U",
        dst_account_id="S",
        created_at=T0 + timedelta(hours=27),
        post_id="p3",
        dst_post_id="p1",
    )
    ws.archive.write("interactions", to_table([repost], "interactions"))
    signal = {
        "platform": "f",
        "signal_id": "s1",
        "detector": "known-media",
        "subject": "media",
        "subject_id": "m1",
        "account_id": "S",
        "label": "listed",
        "score": 1.0,
        "explanation": "",
        "evidence": '{"hash_type": "sha256"}',
        "created_at": T0,
    }
    ws.archive.write("signals", pa.Table.from_pylist([signal], schema=SCHEMAS["signals"]))


def test_post_reads_of_an_empty_archive(workspace: Workspace) -> None:
    reads = PostReads(workspace.archive)
    assert reads.first_posts([("f", "S")]) == {}
    assert reads.supporter_days([("f", "S")], [1.0], [True]) == []
    assert reads.signals_of("known-media") == []
    assert reads.newest_posts("f", "S", 5) == []


def test_post_reads_of_posts_media_days_and_signals(workspace: Workspace) -> None:
    _archive(workspace)
    reads = PostReads(workspace.archive)
    assert reads.first_posts([("f", "S"), ("f", "nobody")]) == {("f", "S"): T0}
    assert reads.first_posts([]) == {}

    newest = reads.newest_posts("f", "S", 1)
    assert len(newest) == 1
    post = newest[0]
    assert tuple(post.columns) == POST_COLUMNS
    assert post.columns["post_id"] == "p2"
    assert post.media == (
        ("m1", MediaFile("https://media.example/m1.jpg", "image/jpeg", None, None)),
        ("m2", MediaFile()),  # not in the archive: nothing known of it
    )
    assert [p.columns["post_id"] for p in reads.newest_posts("f", "S", 5)] == ["p2", "p1"]

    # S a supporter with an audience of 5, U not one with 2: S's own posts count 5 each,
    # U's repost of p1 counts U's audience on U's day.
    days = reads.supporter_days([("f", "S"), ("f", "U")], [5.0, 2.0], [True, False])
    assert [(d.day, d.exposure, d.active) for d in days] == [
        ("2025-03-01", 5.0, 1),
        ("2025-03-02", 7.0, 1),
    ]
    assert reads.supporter_days([], [], []) == []

    (match,) = reads.signals_of("known-media")
    assert (match.platform, match.account_id, match.label) == ("f", "S", "listed")
    assert match.evidence == '{"hash_type": "sha256"}'
    assert reads.signals_of("language") == []


def test_urls_are_shown_without_their_password(workspace: Workspace) -> None:
    assert redact_url("postgresql+psycopg://iru:secret@db/iru") == (
        "postgresql+psycopg://iru:***@db/iru"
    )
    assert redact_url("not a url") == UNPARSEABLE
    assert redact_url("not a url", unparseable="***") == "***"
    database = workspace.database
    assert "secret" not in database.redacted_url
    assert database.redacted_url == redact_url(database.url)
    with database.connection() as conn:
        assert CaseStore(database).case(conn, "f", "S", "DE") is None
