"""The workbench's typed reads (iru.storage.workbench_reads), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from iru.cases.access import Role
from iru.cases.holds import Hold
from iru.detect.assess import Assessment
from iru.detect.resurgence import ResurgenceLink
from iru.domain import Account
from iru.storage.assessments import DetectionStore
from iru.storage.cases import CaseStore
from iru.storage.workbench_reads import (
    AccountProfile,
    DataVersion,
    StoredAccount,
    StoredAssessment,
    StoredResurgenceLink,
)
from iru.workspace import Workspace

WHEN = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _seed(ws: Workspace) -> None:
    ws.database.write_ingest_batch(
        [
            Account(
                platform="twitter",
                account_id="1",
                handle="first",
                followers_count=12,
                created_at=WHEN,
                observed_at=WHEN,
            ),
            Account(platform="twitter", account_id="2", handle="second", observed_at=WHEN),
        ],
        [],
    )
    store = DetectionStore(ws.database)
    store.save_assessments(
        [
            Assessment("twitter", "1", 0.75, "supporter", ["one reason", "two"], 3, "ar"),
            Assessment("twitter", "9", 0.25, "at_risk", [], 0, ""),  # no stored snapshot
        ]
    )
    store.save_links(
        [
            ResurgenceLink("twitter", "2", "1", 0.8125, {"handle": 1.0}, "handle alike", WHEN),
            ResurgenceLink("twitter", "3", "9", 0.5, {}, "elsewhere", None),
        ]
    )


def test_versions_change_with_their_tables(workspace: Workspace) -> None:
    reads = workspace.workbench_reads()
    assert reads.assessments_version() == DataVersion(0, "None")
    assert reads.cases_version() == DataVersion(0, "None")
    _seed(workspace)
    version = reads.assessments_version()
    assert version.rows == 2 and version.newest != "None"
    assert version.key() == (2, version.newest)
    store = CaseStore(workspace.database)
    with workspace.database.engine.begin() as conn:
        store.open_case(conn, "twitter", "1", unit="DE", user="anna", now=WHEN)
    assert reads.cases_version().rows == 1
    assert reads.cases_version() != DataVersion(0, "None")


def test_profile_reads_the_snapshot_and_the_assessment(workspace: Workspace) -> None:
    _seed(workspace)
    reads = workspace.workbench_reads()
    profile = reads.profile("twitter", "1")
    assert isinstance(profile, AccountProfile)
    account, assessed = profile.account, profile.assessment
    assert isinstance(account, StoredAccount) and isinstance(assessed, StoredAssessment)
    assert (account.handle, account.followers_count, account.status) == ("first", 12, "active")
    assert account.created_at is not None
    assert account.created_at.replace(tzinfo=UTC) == WHEN
    assert (assessed.score, assessed.label, assessed.language) == (0.75, "supporter", "ar")
    assert assessed.reasons == ("one reason", "two")
    assert account == reads.account("twitter", "1")
    assert assessed == reads.assessment("twitter", "1")
    # An account either side of the store knows, and one it does not.
    assert reads.profile("twitter", "2").assessment is None
    only_assessed = reads.profile("twitter", "9")
    assert only_assessed.account is None and only_assessed.assessment is not None
    assert only_assessed.assessment.language is None and only_assessed.assessment.reasons == ()
    assert reads.profile("twitter", "404") == AccountProfile(None, None)


def test_resurgence_links_either_way_and_labels(workspace: Workspace) -> None:
    _seed(workspace)
    reads = workspace.workbench_reads()
    links = reads.resurgence_links_of("twitter", "1")
    assert [(r.account_id, r.predecessor_id) for r in links] == [("2", "1")]
    (link,) = links
    assert isinstance(link, StoredResurgenceLink)
    assert (link.confidence, link.explanation) == (0.8125, "handle alike")
    assert [r.predecessor_id for r in reads.resurgence_links_of("twitter", "3")] == ["9"]
    assert reads.resurgence_links_of("telegram", "1") == []
    assert reads.labels() == {("twitter", "1"): "supporter", ("twitter", "9"): "at_risk"}


def test_case_on_an_account_with_its_holds(workspace: Workspace) -> None:
    _seed(workspace)
    reads = workspace.workbench_reads()
    store = CaseStore(workspace.database)
    empty = reads.case_on(store, "twitter", "1", "DE")
    assert empty.case is None and empty.holds == ()
    hold = Hold(
        "twitter", "1", "FR", "FR desk", "ongoing", "fabien", WHEN, WHEN + timedelta(days=30)
    )
    with workspace.database.engine.begin() as conn:
        store.ensure_unit(conn, "DE", "", "DE desk", WHEN)
        store.add_user(conn, "anna", Role.ANALYST, "DE", WHEN)
        store.open_case(conn, "twitter", "1", unit="DE", user="anna", now=WHEN)
        store.add_hold(conn, hold)
    found = reads.case_on(store, "twitter", "1", "DE")
    assert found.case is not None
    assert (found.case.platform, found.case.account_id, found.case.unit) == ("twitter", "1", "DE")
    assert found.case.status == "open"
    assert [(h.unit, h.contact) for h in found.holds] == [("FR", "FR desk")]
    assert reads.case_on(store, "twitter", "1", "FR").case is None


def test_many_accounts_read_at_once_as_one_by_one(workspace: Workspace) -> None:
    _seed(workspace)
    reads = workspace.workbench_reads()
    ids = ["1", "2", "9", "404", "1"]  # a repeat is read once
    profiles = reads.profiles_of("twitter", ids)
    assert set(profiles) == {"1", "2", "9", "404"}
    for account_id, profile in profiles.items():
        assert profile == reads.profile("twitter", account_id)
    assert reads.profiles_of("twitter", []) == {}
    links = reads.resurgence_links_for("twitter", ["1", "2", "3", "9", "404"])
    for account_id, found in links.items():
        assert found == reads.resurgence_links_of("twitter", account_id), account_id
    assert links["404"] == [] and len(links["1"]) == 1


def test_case_subjects_name_every_account_with_a_case_or_a_hold(workspace: Workspace) -> None:
    _seed(workspace)
    reads = workspace.workbench_reads()
    assert reads.case_subjects() == frozenset()
    store = CaseStore(workspace.database)
    hold = Hold("twitter", "2", "FR", "FR desk", "ongoing", "fabien", WHEN, WHEN)
    with workspace.database.engine.begin() as conn:
        store.ensure_unit(conn, "DE", "", "DE desk", WHEN)
        store.add_user(conn, "anna", Role.ANALYST, "DE", WHEN)
        store.open_case(conn, "twitter", "1", unit="DE", user="anna", now=WHEN)
        store.add_hold(conn, hold)  # an expired hold still names its account
    assert reads.case_subjects() == {("twitter", "1"), ("twitter", "2")}
