"""Referred accounts as a MISP event: the JSON MISP's ``/events/add`` takes, built directly.

The event (``info``, ``date``, ``threat_level_id`` 2 = medium, ``analysis`` 2 = completed,
``distribution`` 0 = the receiving organisation only, unpublished) is tagged
``tlp:amber``. Per target:

* a ``user-account`` object (the MISP object template of that name and uuid):
  ``username`` (the handle), ``user-id``, ``display-name`` (the name it shows: all a
  Telegram channel without a username has beside its number), ``account-type`` (the
  platform: ``twitter`` for Twitter/X as in the template's defaults, else the platform's
  own name) and ``link`` (the profile), category Social network (External analysis for the link). MISP has no
  generic social-media-profile template; the object's comment carries the decision date,
  reason category, score, label and language;
* event attributes for its hashes, referenced from the account object (``related-to``):
  evidence ``sha256`` (External analysis, not for IDS) and its web source as ``link``;
  known content ``sha256``/``md5`` (Payload delivery, for IDS) and PDQ as ``text``
  (Payload delivery, not for IDS): MISP's describeTypes has no PDQ type. An attribute
  is stored once per type and value, as MISP refuses duplicates within an event;
* for a resurgence, an object reference ``successor-of`` (MISP's relationship list) to
  the predecessor's ``user-account`` object (a minimal one when it is not itself a
  target).

Attributes and objects inherit the event's distribution (5). Every uuid is uuid5 of stable
inputs, so the same inputs give the same event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from iru.cases.sharing.records import (
    REFERRAL_CATEGORY,
    SharedTarget,
    SharingContext,
    account_type,
    evidence_key,
    is_web,
    ordered_targets,
    profile_url,
    seed_uuid,
    targets_key,
)

MISP_USER_ACCOUNT = {
    "name": "user-account",
    "meta-category": "misc",
    "template_uuid": "49606b06-22f0-4ac8-8eee-2f12ad46f3d3",
    "template_version": "6",
    "description": "User-account object, defining aspects of user identification, "
    "authentication, privileges and other relevant data points.",
}
MISP_SUCCESSOR = "successor-of"
_INHERIT = "5"  # distribution of attributes and objects: as the event


def _attribute(
    uid: uuid.UUID, type_: str, category: str, value: str, comment: str = "", *, to_ids: bool
) -> dict[str, Any]:
    return {
        "uuid": str(uid),
        "type": type_,
        "category": category,
        "value": value,
        "to_ids": to_ids,
        "distribution": _INHERIT,
        "comment": comment,
        "disable_correlation": False,
    }


class _Event:
    """Collects event attributes (one per type and value) and account objects."""

    def __init__(self, context: SharingContext) -> None:
        self.context = context
        self.attributes: dict[tuple[str, str], dict[str, Any]] = {}
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}

    def attribute(
        self, type_: str, category: str, value: str, comment: str, *, to_ids: bool
    ) -> str:
        key = (type_, value)
        if key not in self.attributes:
            uid = seed_uuid(self.context, "misp-attribute", type_, value)
            self.attributes[key] = _attribute(uid, type_, category, value, comment, to_ids=to_ids)
        return str(self.attributes[key]["uuid"])

    def account(  # noqa: PLR0917 - the object's attributes, in the template's order
        self,
        platform: str,
        account_id: str,
        handle: str,
        link: str | None,
        comment: str,
        display_name: str | None = None,
    ) -> dict[str, Any]:
        key = (platform, account_id)
        if key in self.objects:
            return self.objects[key]
        uid = seed_uuid(self.context, "misp-object", platform, account_id)
        values = [
            ("username", "text", handle),
            ("user-id", "text", account_id),
            ("display-name", "text", display_name or ""),
            ("account-type", "text", account_type(platform)),
            ("link", "link", link or ""),
        ]
        attributes = [
            {
                "object_relation": relation,
                **_attribute(
                    uuid.uuid5(uid, relation),
                    type_,
                    "External analysis" if type_ == "link" else "Social network",
                    value,
                    to_ids=False,
                ),
            }
            for relation, type_, value in values
            if value
        ]
        self.objects[key] = {
            "uuid": str(uid),
            **MISP_USER_ACCOUNT,
            "distribution": _INHERIT,
            "comment": comment,
            "Attribute": attributes,
            "ObjectReference": [],
        }
        return self.objects[key]

    @staticmethod
    def refer(source: dict[str, Any], target_uuid: str, relationship: str, comment: str) -> None:
        uid = uuid.uuid5(uuid.UUID(source["uuid"]), f"{relationship}\x1f{target_uuid}")
        if any(r["uuid"] == str(uid) for r in source["ObjectReference"]):
            return
        source["ObjectReference"].append(
            {
                "uuid": str(uid),
                "object_uuid": source["uuid"],
                "referenced_uuid": target_uuid,
                "relationship_type": relationship,
                "comment": comment,
            }
        )

    def hashes(self, target: SharedTarget) -> None:
        """The target's evidence and known-content hashes, referenced from its object."""
        source = self.objects[target.key]
        for item in sorted(target.evidence, key=evidence_key):
            what = f"evidence ({item.kind})"
            uid = self.attribute("sha256", "External analysis", item.sha256, what, to_ids=False)
            self.refer(source, uid, "related-to", what)
            if is_web(item.source):
                uid = self.attribute(
                    "link", "External analysis", item.source, f"source of {what}", to_ids=False
                )
                self.refer(source, uid, "related-to", f"source of {what}")
        for known in sorted(target.known_hashes):
            pdq = known.hash_type == "pdq"
            uid = self.attribute(
                "text" if pdq else known.hash_type,
                "Payload delivery",
                known.value,
                f"{'PDQ perceptual hash of ' if pdq else ''}known content {known.label}",
                to_ids=not pdq,
            )
            self.refer(source, uid, "related-to", f"known content {known.label}")


def _summary(target: SharedTarget, unit: str) -> str:
    parts = [f"{target.status} on {target.decided_at.date().isoformat()}, shared by unit {unit}"]
    parts.append(f"category {target.reason_category}")
    if target.score is not None:
        parts.append(f"iru score {target.score:.2f}")
    if target.label:
        parts.append(f"label {target.label}")
    if target.language:
        parts.append(f"language {target.language}")
    return "; ".join(parts)


def misp_event(targets: Iterable[SharedTarget], context: SharingContext) -> dict[str, Any]:
    """A MISP event of the targets, as a JSON-ready dict (module docstring: shape)."""
    ordered = ordered_targets(targets)
    event = _Event(context)
    for target in ordered:
        summary = _summary(target, context.unit)
        event.account(*target.key, target.handle, target.profile_url, summary, target.display_name)
    for target in ordered:
        event.hashes(target)
        if target.predecessor_id:
            old = event.account(
                target.platform,
                target.predecessor_id,
                "",
                profile_url(target.platform, target.predecessor_id),
                "predecessor account (removed); not itself referred in this event",
            )
            event.refer(
                event.objects[target.key],
                old["uuid"],
                MISP_SUCCESSOR,
                "resurgence of a removed account",
            )
    uid = seed_uuid(context, "misp-event", context.created.isoformat(), targets_key(ordered))
    return {
        "Event": {
            "uuid": str(uid),
            "info": f"{context.unit}: {len(ordered)} account(s) referred to platforms for "
            f"removal ({REFERRAL_CATEGORY})",
            "date": context.created.date().isoformat(),
            "threat_level_id": "2",
            "analysis": "2",
            "distribution": "0",
            "published": False,
            "Tag": [{"name": "tlp:amber"}],
            "Attribute": list(event.attributes.values()),
            "Object": list(event.objects.values()),
        }
    }


__all__ = ["MISP_SUCCESSOR", "MISP_USER_ACCOUNT", "misp_event"]
