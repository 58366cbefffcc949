"""STIX 2.1 bundles and MISP events of referred accounts: valid, deterministic, marked, lean."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance, validate_string

from iru.cases.sharing import (
    MISP_SUCCESSOR,
    MISP_USER_ACCOUNT,
    RESURGENCE_RELATIONSHIP,
    KnownHash,
    SharedEvidence,
    SharedTarget,
    SharingContext,
    misp_event,
    profile_url,
    stix_bundle,
    to_json,
)

DECIDED = datetime(2024, 3, 6, 9, 30, tzinfo=UTC)
CONTEXT = SharingContext(unit="DE", created=datetime(2024, 3, 7, 12, 0, tzinfo=UTC))
EVIDENCE = "7639914d507faaed70a2f1c374f2c5cabc307af90c9148f4c7603e72595ab112"
KNOWN_SHA = "3f1c8a2b9d7e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
KNOWN_MD5 = "0cc175b9c0f1b6a831c399e269772661"
KNOWN_PDQ = "f" * 16 + "0" * 48
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
# Warnings the validator may give, and why they are accepted (see iru.cases.sharing.stix).
ACCEPTED_WARNINGS = {
    "244",  # account-type: platforms outside account-type-ov (telegram, activitypub, ...)
    "202",  # relationship-types: the custom resurgence-of between user-accounts
}
# MISP describeTypes: the categories each type used here may take (category_type_mappings).
MISP_CATEGORIES = {
    "sha256": {
        "Payload delivery",
        "Artifacts dropped",
        "Payload installation",
        "External analysis",
    },
    "md5": {"Payload delivery", "Artifacts dropped", "Payload installation", "External analysis"},
    "text": {
        "Internal reference",
        "Antivirus detection",
        "Payload delivery",
        "Artifacts dropped",
        "Payload installation",
        "Persistence mechanism",
        "Network activity",
        "Payload type",
        "Attribution",
        "External analysis",
        "Financial fraud",
        "Support Tool",
        "Social network",
        "Person",
        "Other",
    },
    "link": {
        "Internal reference",
        "Antivirus detection",
        "Payload delivery",
        "External analysis",
        "Support Tool",
    },
}
USER_ACCOUNT_RELATIONS = {"username", "user-id", "account-type", "link", "display-name"}


def targets() -> list[SharedTarget]:
    old = SharedTarget(
        platform="twitter",
        account_id="1001",
        handle="nashir_news",
        profile_url=profile_url("twitter", "1001"),
        status="referred",
        decided_at=DECIDED - timedelta(days=30),
        score=0.97,
        label="supporter",
        language="ar",
    )
    new = SharedTarget(
        platform="twitter",
        account_id="1002",
        handle="nashir_news2",
        profile_url=profile_url("twitter", "1002"),
        status="referred",
        decided_at=DECIDED,
        score=0.93,
        label="supporter",
        language="ar",
        evidence=[
            (EVIDENCE, "post", "https://x.com/nashir_news2/status/1", DECIDED - timedelta(hours=1)),
            SharedEvidence(EVIDENCE, "page", "file:capture-on-analyst-laptop.html"),
        ],
        predecessor_id="1001",
        known_hashes=[
            ("sha256", KNOWN_SHA, "nashir-video-7"),
            KnownHash("md5", KNOWN_MD5, "nashir-video-7"),
            ("pdq", KNOWN_PDQ, "nashir-poster-2"),
        ],
    )
    channel = SharedTarget(
        platform="telegram",
        account_id="2001",
        handle="",
        profile_url=None,
        status="referred",
        decided_at=DECIDED,
        predecessor_id="1999",  # gone before iru knew it: not a target itself
        known_hashes=[("sha256", KNOWN_SHA, "nashir-video-7")],
    )
    return [new, channel, old]


def _validate(document: dict[str, object]) -> list[str]:
    """Validate a bundle twice (dict and text); fail on errors, return the warnings."""
    options = ValidationOptions(version="2.1")
    result = validate_instance(document, options)
    assert result.is_valid, [str(e) for e in result.errors]
    assert not result.errors
    from_text = validate_string(to_json(document), options)
    assert from_text.is_valid, [str(e) for e in from_text.errors]
    warnings = [str(w) for w in result.warnings or ()]
    found = [re.search(r": \{(\d+)\} ", w) for w in warnings]  # "<id>: {<code>} <message>"
    codes = {m.group(1) if m else "?" for m in found}
    assert codes <= ACCEPTED_WARNINGS, warnings
    return warnings


def _by_type(bundle: dict[str, object], kind: str) -> list[dict[str, object]]:
    objects = bundle["objects"]
    assert isinstance(objects, list)
    return [o for o in objects if o["type"] == kind]


def test_the_bundle_validates_and_says_what_each_account_is() -> None:
    bundle = stix_bundle(targets(), CONTEXT)
    warnings = _validate(bundle)
    print("stix2-validator warnings:", *warnings, sep="\n  ")
    assert bundle["type"] == "bundle"
    accounts = {o["user_id"]: o for o in _by_type(bundle, "user-account")}
    assert set(accounts) == {"1001", "1002", "2001", "1999"}
    assert accounts["1002"]["account_login"] == "nashir_news2"
    assert accounts["1002"]["account_type"] == "twitter"
    assert accounts["2001"]["account_type"] == "telegram"
    indicators = {o["name"]: o for o in _by_type(bundle, "indicator")}
    assert len(indicators) == 3
    new = indicators["twitter account @nashir_news2"]
    assert new["pattern"] == (
        "[user-account:user_id = '1002' AND user-account:account_type = 'twitter']"
    )
    assert new["pattern_type"] == "stix"
    assert new["valid_from"].startswith("2024-03-06T09:30:00")
    assert new["indicator_types"] == ["malicious-activity"]
    assert new["confidence"] == 93
    assert set(new["labels"]) == {"terrorist-content", "language:ar", "assessment:supporter"}
    hashes = [o["hashes"] for o in _by_type(bundle, "file")]
    assert {"SHA-256": EVIDENCE} in hashes and {"SHA-256": KNOWN_SHA} in hashes
    assert {"MD5": KNOWN_MD5} in hashes and {"x_pdq": KNOWN_PDQ} in hashes
    assert len(hashes) == 4  # the shared known hash once, however many accounts posted it
    # Every evidence file and known item is tied to its account by an observed-data.
    ids = {o["id"]: o for o in bundle["objects"]}
    observed = [
        o for o in _by_type(bundle, "observed-data") if accounts["1002"]["id"] in o["object_refs"]
    ]
    assert len(observed) == 1
    refs = {ids[r]["type"] for r in observed[0]["object_refs"]}
    assert refs == {"user-account", "file", "url"}
    assert observed[0]["first_observed"].startswith("2024-03-06T08:30:00")
    based_on = [r for r in _by_type(bundle, "relationship") if r["relationship_type"] == "based-on"]
    assert {(r["source_ref"], r["target_ref"]) for r in based_on} >= {
        (new["id"], observed[0]["id"])
    }
    # It parses back with the library that built it.
    assert stix2.parse(bundle, allow_custom=True).id == bundle["id"]


def test_the_resurgence_is_a_relationship_between_the_accounts() -> None:
    bundle = stix_bundle(targets(), CONTEXT)
    accounts = {o["user_id"]: o["id"] for o in _by_type(bundle, "user-account")}
    links = {
        (r["source_ref"], r["target_ref"])
        for r in _by_type(bundle, "relationship")
        if r["relationship_type"] == RESURGENCE_RELATIONSHIP
    }
    assert links == {(accounts["1002"], accounts["1001"]), (accounts["2001"], accounts["1999"])}


def test_every_object_is_tlp_amber_and_every_sdo_is_the_units() -> None:
    bundle = stix_bundle(targets(), CONTEXT)
    (identity,) = _by_type(bundle, "identity")
    assert identity["name"] == "DE" and identity["identity_class"] == "organization"
    (marking,) = _by_type(bundle, "marking-definition")
    assert marking["id"] == TLP_AMBER and marking["definition"] == {"tlp": "amber"}
    for obj in bundle["objects"]:
        if obj["type"] == "marking-definition":
            continue
        assert obj["object_marking_refs"] == [TLP_AMBER], obj["id"]
        if obj["type"] in ("indicator", "observed-data", "relationship"):
            assert obj["created_by_ref"] == identity["id"]
            assert obj["created"] == obj["modified"] == "2024-03-07T12:00:00.000Z"


def test_the_same_inputs_give_byte_identical_json() -> None:
    first = to_json(stix_bundle(targets(), CONTEXT))
    again = to_json(stix_bundle(list(reversed(targets())), CONTEXT))
    assert first == again
    assert to_json(misp_event(targets(), CONTEXT)) == to_json(
        misp_event(reversed(targets()), CONTEXT)
    )
    for obj in json.loads(first)["objects"]:
        version = uuid.UUID(obj["id"].split("--")[1]).version
        assert version == (5 if obj["type"] in ("user-account", "file", "url") else 4), obj["id"]
    # Another unit, or another moment, is another document.
    other = SharingContext(unit="FR", created=CONTEXT.created)
    assert to_json(stix_bundle(targets(), other)) != first
    # Random ids on request: still valid, never the same twice.
    loose = stix_bundle(targets(), CONTEXT, deterministic_ids=False)
    _validate(loose)
    assert loose["id"] != stix_bundle(targets(), CONTEXT, deterministic_ids=False)["id"]


def test_awkward_values_stay_inside_the_pattern() -> None:
    odd = SharedTarget(
        platform="forum-example",
        account_id="o'neil\\x",
        handle="o'neil",
        profile_url=None,
        status="referred",
        decided_at=DECIDED,
    )
    bundle = stix_bundle([odd], CONTEXT)
    _validate(bundle)
    (indicator,) = _by_type(bundle, "indicator")
    assert "user_id = 'o\\'neil\\\\x'" in indicator["pattern"]


def test_nothing_beyond_the_target_leaves_the_unit() -> None:
    for document in (stix_bundle(targets(), CONTEXT), misp_event(targets(), CONTEXT)):
        text = to_json(document)
        assert "file:capture-on-analyst-laptop.html" not in text  # local locators stay home
        assert "https://x.com/nashir_news2/status/1" in text  # web sources are shared


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SharingContext(unit="DE", created=datetime(2024, 3, 7))
    with pytest.raises(ValueError, match="hash"):
        SharedTarget(
            "twitter", "1", "", None, "referred", DECIDED, known_hashes=[("tlsh", "x", "y")]
        )


def test_the_misp_event_has_the_shape_misp_takes() -> None:
    document = misp_event(targets(), CONTEXT)
    assert set(document) == {"Event"}
    event = document["Event"]
    for key in (
        "uuid",
        "info",
        "date",
        "threat_level_id",
        "analysis",
        "distribution",
        "Attribute",
        "Object",
    ):
        assert key in event
    assert event["date"] == "2024-03-07"
    assert event["threat_level_id"] in {"1", "2", "3", "4"}
    assert event["analysis"] in {"0", "1", "2"}
    assert event["distribution"] in {"0", "1", "2", "3", "4"}
    assert event["published"] is False
    assert {"name": "tlp:amber"} in event["Tag"]
    uuids = [event["uuid"]]

    def check_attribute(attribute: dict[str, object]) -> None:
        assert attribute["category"] in MISP_CATEGORIES[attribute["type"]], attribute
        assert isinstance(attribute["to_ids"], bool)
        assert attribute["distribution"] in {"0", "1", "2", "3", "4", "5"}
        assert attribute["value"]
        uuids.append(attribute["uuid"])

    for attribute in event["Attribute"]:
        check_attribute(attribute)
    pairs = [(a["type"], a["value"]) for a in event["Attribute"]]
    assert len(pairs) == len(set(pairs))  # MISP refuses duplicates within an event
    assert ("sha256", EVIDENCE) in pairs and ("sha256", KNOWN_SHA) in pairs
    assert ("md5", KNOWN_MD5) in pairs and ("text", KNOWN_PDQ) in pairs
    known = {a["value"]: a for a in event["Attribute"]}
    assert known[KNOWN_SHA]["to_ids"] is True and known[EVIDENCE]["to_ids"] is False
    accounts = {}
    for obj in event["Object"]:
        assert obj["name"] == MISP_USER_ACCOUNT["name"]
        assert obj["template_uuid"] == MISP_USER_ACCOUNT["template_uuid"]
        assert obj["meta-category"] == "misc"
        uuids.append(obj["uuid"])
        relations = {a["object_relation"]: a["value"] for a in obj["Attribute"]}
        assert set(relations) <= USER_ACCOUNT_RELATIONS
        assert {"username", "user-id"} & set(relations)  # the template's requiredOneOf
        for attribute in obj["Attribute"]:
            check_attribute(attribute)
        accounts[relations["user-id"]] = obj
    assert set(accounts) == {"1001", "1002", "2001", "1999"}
    new = {a["object_relation"]: a["value"] for a in accounts["1002"]["Attribute"]}
    assert new == {
        "username": "nashir_news2",
        "user-id": "1002",
        "account-type": "twitter",
        "link": "https://x.com/i/user/1002",
    }
    assert (
        "0.93" in accounts["1002"]["comment"] and "terrorist-content" in accounts["1002"]["comment"]
    )
    for value in uuids:
        assert uuid.UUID(value).version == 5
    assert len(uuids) == len(set(uuids))
    known_uuids = set(uuids)
    references = [r for obj in event["Object"] for r in obj["ObjectReference"]]
    for reference in references:
        assert reference["referenced_uuid"] in known_uuids
        assert reference["object_uuid"] in {o["uuid"] for o in event["Object"]}
    successor = {
        (r["object_uuid"], r["referenced_uuid"])
        for r in references
        if r["relationship_type"] == MISP_SUCCESSOR
    }
    assert (accounts["1002"]["uuid"], accounts["1001"]["uuid"]) in successor
    assert (accounts["2001"]["uuid"], accounts["1999"]["uuid"]) in successor
