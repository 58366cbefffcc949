"""What is shared about a referred account, and the helpers both sharing formats use.

A :class:`SharedTarget` carries what the receiving party needs to act on the account:
platform, account id, handle, display name (a Telegram channel without a username is
otherwise a bare number), profile link, a fixed reason *category* (never the
analyst's free-text reason, which stays in the case file), iru's score, label and
language, the SHA-256 of preserved evidence (with its source when that is a web address;
local file names are not shared), the known-content hashes its media matched, and the
account it replaces (a resurgence link). Nothing else of the case is exported.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from iru.domain import require_zone, utc

REFERRAL_CATEGORY = "terrorist-content"
# Namespace of every uuid5 iru derives for shared objects.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:iru:sharing")
HASH_TYPES = ("sha256", "md5", "pdq")
# account-type-ov of STIX 2.1 (MISP's user-account sane defaults too), where a platform has one.
ACCOUNT_TYPES = {"twitter": "twitter", "x": "twitter", "facebook": "facebook", "skype": "skype"}


class SharedEvidence(NamedTuple):
    """A preserved evidence item about the account: its SHA-256, kind and source."""

    sha256: str
    kind: str  # post | profile | media | page
    source: str  # URL or archive locator; only http(s) URLs are shared
    captured_at: datetime | None = None


class KnownHash(NamedTuple):
    """A known-content hash (from the unit's hash lists) that the account's media matched."""

    hash_type: str  # sha256 | md5 | pdq
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class SharedTarget:
    """One referred account, as much as a partner needs to act on it.

    ``evidence`` and ``known_hashes`` accept plain tuples too; they are normalised to
    :class:`SharedEvidence` and :class:`KnownHash` tuples.
    """

    platform: str
    account_id: str
    handle: str
    profile_url: str | None
    status: str
    decided_at: datetime
    reason_category: str = REFERRAL_CATEGORY  # a category, never the analyst's free text
    score: float | None = None
    label: str | None = None
    language: str | None = None
    evidence: Sequence[SharedEvidence] = ()
    predecessor_id: str | None = None  # the account this one replaces (resurgence)
    known_hashes: Sequence[KnownHash] = ()
    display_name: str | None = None  # the name the account shows, as last observed

    def __post_init__(self) -> None:
        object.__setattr__(self, "decided_at", utc(require_zone(self.decided_at, "decided_at")))
        object.__setattr__(self, "evidence", tuple(SharedEvidence(*e) for e in self.evidence))
        object.__setattr__(self, "known_hashes", tuple(KnownHash(*k) for k in self.known_hashes))
        for known in self.known_hashes:
            if known.hash_type not in HASH_TYPES:
                raise ValueError(f"cannot share a {known.hash_type!r} hash")

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.account_id)


@dataclass(frozen=True, slots=True)
class SharingContext:
    """Who shares (the unit, through the producer, iru) and when (UTC)."""

    unit: str
    producer: str = "iru"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        object.__setattr__(self, "created", utc(require_zone(self.created, "created")))


def account_type(platform: str) -> str:
    """The STIX/MISP account type of a platform: the vocabulary value, else its name."""
    name = platform.strip().lower()
    return ACCOUNT_TYPES.get(name, name)


def profile_url(platform: str, account_id: str, handle: str = "") -> str | None:
    """The public profile link of an account where the platform has a stable one."""
    name = platform.lower()
    if is_web(account_id):
        return account_id  # ActivityPub actors are their own URL
    if name in ("twitter", "x"):
        return f"https://x.com/i/user/{account_id}"  # survives handle changes
    if name == "telegram" and handle:
        return f"https://t.me/{handle}"
    return None


def is_web(source: str) -> bool:
    """True for an http(s) URL: the only kind of source that leaves the unit."""
    return source.startswith(("https://", "http://"))


def seed_uuid(context: SharingContext, *parts: str) -> uuid.UUID:
    """uuid5 of the producer, the unit and ``parts``: the same inputs, the same id."""
    return uuid.uuid5(NAMESPACE, "\x1f".join((context.producer, context.unit, *parts)))


def ordered_targets(targets: Iterable[SharedTarget]) -> list[SharedTarget]:
    """One target per account (the earliest decision), by platform and account id."""
    unique: dict[tuple[str, str], SharedTarget] = {}
    for target in sorted(targets, key=lambda t: (t.platform, t.account_id, t.decided_at)):
        unique.setdefault(target.key, target)
    return list(unique.values())


def targets_key(targets: Sequence[SharedTarget]) -> str:
    """The accounts of ``targets`` as one string, for ids of the whole document."""
    return "\x1e".join(f"{t.platform}\x1f{t.account_id}" for t in targets)


def evidence_key(item: SharedEvidence) -> tuple[str, str, str]:
    """Sort key of evidence items (their capture time may be unknown)."""
    return (item.sha256, item.kind, item.source)


def to_json(document: dict[str, Any]) -> str:
    """The document as the text iru writes: indented UTF-8 JSON, one final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


__all__ = [
    "ACCOUNT_TYPES",
    "HASH_TYPES",
    "NAMESPACE",
    "REFERRAL_CATEGORY",
    "KnownHash",
    "SharedEvidence",
    "SharedTarget",
    "SharingContext",
    "account_type",
    "evidence_key",
    "is_web",
    "ordered_targets",
    "profile_url",
    "seed_uuid",
    "targets_key",
    "to_json",
]
