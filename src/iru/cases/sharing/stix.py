"""Referred accounts as a STIX 2.1 bundle, built with the ``stix2`` library.

Per target:

* a ``user-account`` SCO (``user_id``, ``account_login`` = the handle, ``display_name``,
  ``account_type`` =
  the platform: ``twitter`` for Twitter/X as in account-type-ov, else the platform's own
  name). SCO ids are stix2's deterministic UUIDv5 of those properties;
* an ``indicator`` with the pattern ``[user-account:user_id = '…' AND
  user-account:account_type = '…']`` (``pattern_type`` stix), ``indicator_types``
  ``malicious-activity``, ``valid_from`` the referral decision, ``confidence`` the
  score × 100, and ``labels``: the reason category, ``language:<code>``,
  ``assessment:<label>``;
* an ``observed-data`` of the account, its evidence (``file`` SCOs with SHA-256; web
  sources and the profile link as ``url`` SCOs) and the known content its media matched
  (``file`` SCOs with SHA-256, MD5, or PDQ under the custom hash key ``x_pdq``: STIX has
  no PDQ algorithm), and a ``based-on`` relationship from the indicator to it;
* for a resurgence, a relationship of the custom type ``resurgence-of`` from the new
  account's ``user-account`` to the old one's. Chosen over ``derived-from`` between the
  two accounts' indicators because it says what iru found (the same actor back under a
  new account) without inventing an indicator for an old account that was never
  referred; the validator reports the custom type as a warning, not an error.

Every object is marked TLP:AMBER (``object_marking_refs`` to stix2's TLP 1.0 marking
definition, which the bundle includes) and every SDO/SRO is ``created_by_ref`` the
sharing unit's ``identity``. With ``deterministic_ids`` the SDO, SRO and bundle ids are
uuid5 of stable inputs (producer, unit, object role, platform, account id) re-stamped as
version 4, since STIX asks for UUIDv4 there; ``created``/``modified`` are
``context.created``, so the same inputs give byte-identical JSON (:func:`to_json`).
Without it the ids are random UUIDv4.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from iru.cases.sharing.records import (
    SharedTarget,
    SharingContext,
    account_type,
    evidence_key,
    is_web,
    ordered_targets,
    seed_uuid,
    targets_key,
)

RESURGENCE_RELATIONSHIP = "resurgence-of"
PDQ_HASH_KEY = "x_pdq"
STIX_HASH_KEYS = {"sha256": "SHA-256", "md5": "MD5", "pdq": PDQ_HASH_KEY}


def _pattern_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class _Bundler:
    """Collects STIX objects once each, in a stable order, all marked TLP:AMBER."""

    def __init__(self, context: SharingContext, deterministic: bool) -> None:
        import stix2.v21  # loaded when a bundle is built, not on import

        self.v21: Any = stix2.v21
        self.context = context
        self.deterministic = deterministic
        amber = self.v21.TLP_AMBER
        self.objects: dict[str, Any] = {amber.id: amber}
        self.marking = [amber.id]
        self.stamp = {"created": context.created, "modified": context.created}
        self.identity = self.add(
            self.v21.Identity(
                id=self.sdo_id("identity"),
                name=context.unit,
                identity_class="organization",
                description=f"Internet Referral Unit {context.unit}, sharing through "
                f"{context.producer}",
                object_marking_refs=self.marking,
                **self.stamp,
            )
        )

    def sdo_id(self, kind: str, *parts: str) -> str:
        if not self.deterministic:
            return f"{kind}--{uuid.uuid4()}"
        seeded = seed_uuid(self.context, kind, *parts)
        return f"{kind}--{uuid.UUID(bytes=seeded.bytes, version=4)}"

    def add(self, obj: Any) -> Any:
        return self.objects.setdefault(obj.id, obj)

    def sdo(self, cls: Any, role: str, *parts: str, **properties: Any) -> Any:
        return self.add(
            cls(
                id=self.sdo_id(cls._type, role, *parts),
                created_by_ref=self.identity.id,
                object_marking_refs=self.marking,
                **self.stamp,
                **properties,
            )
        )

    def account(
        self, platform: str, account_id: str, handle: str = "", display_name: str | None = None
    ) -> Any:
        properties = {"user_id": account_id, "account_type": account_type(platform)}
        if handle:
            properties["account_login"] = handle
        if display_name:
            properties["display_name"] = display_name
        return self.add(self.v21.UserAccount(object_marking_refs=self.marking, **properties))

    def file(self, hash_type: str, value: str) -> Any:
        key = STIX_HASH_KEYS[hash_type]
        return self.add(
            self.v21.File(
                hashes={key: value},
                object_marking_refs=self.marking,
                allow_custom=key.startswith("x_"),
            )
        )

    def url(self, value: str) -> Any:
        return self.add(self.v21.URL(value=value, object_marking_refs=self.marking))

    def observed_refs(self, target: SharedTarget, account: Any) -> list[str]:
        """The account, its profile link, evidence and known content: observed together."""
        refs = [account.id]
        if target.profile_url and is_web(target.profile_url):
            refs.append(self.url(target.profile_url).id)
        for item in sorted(target.evidence, key=evidence_key):
            refs.append(self.file("sha256", item.sha256).id)
            if is_web(item.source):
                refs.append(self.url(item.source).id)
        for known in sorted(target.known_hashes):
            refs.append(self.file(known.hash_type, known.value).id)
        return list(dict.fromkeys(refs))


def _indicator(bundler: _Bundler, target: SharedTarget) -> Any:
    platform, account_id = target.key
    labels = [target.reason_category]
    if target.language:
        labels.append(f"language:{target.language}")
    if target.label:
        labels.append(f"assessment:{target.label}")
    extra: dict[str, Any] = {}
    if target.score is not None:
        extra["confidence"] = max(0, min(100, round(target.score * 100)))
    shown = f"@{target.handle}" if target.handle else account_id
    if not target.handle and target.display_name:
        shown = f"{target.display_name} ({account_id})"  # a channel without a username
    return bundler.sdo(
        bundler.v21.Indicator,
        "account",
        platform,
        account_id,
        name=f"{platform} account {shown}",
        description=f"Account {target.status} to {platform} for removal "
        f"({target.reason_category}); shared by unit {bundler.context.unit}.",
        pattern=f"[user-account:user_id = '{_pattern_value(account_id)}' AND "
        f"user-account:account_type = '{_pattern_value(account_type(platform))}']",
        pattern_type="stix",
        valid_from=target.decided_at,
        indicator_types=["malicious-activity"],
        labels=labels,
        **extra,
    )


def stix_bundle(
    targets: Iterable[SharedTarget], context: SharingContext, *, deterministic_ids: bool = True
) -> dict[str, Any]:
    """A STIX 2.1 bundle of the targets, as a JSON-ready dict (module docstring: shape)."""
    ordered = ordered_targets(targets)
    bundler = _Bundler(context, deterministic_ids)
    accounts = {
        t.key: bundler.account(t.platform, t.account_id, t.handle, t.display_name) for t in ordered
    }
    for target in ordered:
        platform, account_id = target.key
        account = accounts[target.key]
        indicator = _indicator(bundler, target)
        seen = [c for c in (e.captured_at for e in target.evidence) if c is not None]
        observed = bundler.sdo(
            bundler.v21.ObservedData,
            "observed",
            platform,
            account_id,
            first_observed=min(seen, default=target.decided_at),
            last_observed=max(seen, default=target.decided_at),
            number_observed=1,
            object_refs=bundler.observed_refs(target, account),
        )
        bundler.sdo(
            bundler.v21.Relationship,
            "based-on",
            platform,
            account_id,
            relationship_type="based-on",
            source_ref=indicator.id,
            target_ref=observed.id,
        )
        if target.predecessor_id:
            old = accounts.get((platform, target.predecessor_id)) or bundler.account(
                platform, target.predecessor_id
            )
            bundler.sdo(
                bundler.v21.Relationship,
                RESURGENCE_RELATIONSHIP,
                platform,
                account_id,
                target.predecessor_id,
                relationship_type=RESURGENCE_RELATIONSHIP,
                source_ref=account.id,
                target_ref=old.id,
                description="The source account is the return of the target account, "
                "which the platform had removed (iru resurgence link).",
            )
    bundle = bundler.v21.Bundle(
        id=bundler.sdo_id("bundle", context.created.isoformat(), targets_key(ordered)),
        objects=list(bundler.objects.values()),
        allow_custom=True,  # the x_pdq hash key
    )
    document: dict[str, Any] = json.loads(bundle.serialize())
    return document


__all__ = ["PDQ_HASH_KEY", "RESURGENCE_RELATIONSHIP", "STIX_HASH_KEYS", "stix_bundle"]
