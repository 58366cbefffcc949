"""Hash chains: canonical JSON, the link hash, and finding the first broken link.

Every link (an audit event, an evidence manifest entry) is hashed over the canonical
JSON of all its fields except ``hash`` itself, ``prev_hash`` included, so changing,
deleting, reordering or re-hashing one link breaks the chain at that link or the next.
Canonical JSON: keys sorted, no whitespace, UTF-8 (not ASCII-escaped), and times as
RFC 3339 in UTC with microseconds and ``Z``. NaN and infinities are refused.

Pure: no I/O. A chain only proves that nothing *inside* it changed; a truncated tail
looks like a shorter valid chain, so keep the head hash somewhere else (a report, a
referral package) to anchor it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from iru.domain import require_zone, utc

GENESIS_HASH = "0" * 64


def rfc3339(moment: datetime) -> str:
    """``2024-03-01T06:00:00.000000Z``: UTC, microseconds, ``Z``; a naive time is refused."""
    return utc(require_zone(moment)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON-able in a hash chain: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """The one byte string a value hashes as (see the module docstring)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    ).encode("utf-8")


def json_safe(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A mapping as it will read back from its canonical JSON (times become strings)."""
    if value is None:
        return None
    loaded = json.loads(canonical_json(dict(value)))
    assert isinstance(loaded, dict)
    return loaded


def chain_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a link's fields other than ``hash``."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


class Link(Protocol):
    """One link of a chain: its number, its predecessor's hash, its own hash, its body."""

    @property
    def seq(self) -> int: ...

    @property
    def prev_hash(self) -> str: ...

    @property
    def hash(self) -> str: ...

    def body(self) -> dict[str, Any]:
        """Every field except ``hash`` (``prev_hash`` included), JSON-able."""
        ...


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of checking a chain: intact, or where and why it first breaks."""

    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str = ""
    head: str = GENESIS_HASH  # the hash of the last link checked

    def summary(self, what: str) -> str:
        """One line for people, e.g. ``audit log intact: 3 events, head 1a2b3c4d5e6f``."""
        if self.ok:
            return f"{what} intact: {self.checked} entries, head {self.head[:12]}"
        return f"{what} broken at seq {self.first_broken}: {self.reason}"


def verify_links(links: Iterable[Link]) -> ChainReport:
    """Check links given in stored order (seq 1, 2, ...); stream, keep the first break.

    A link breaks when its seq is not the one after its predecessor's (a deleted,
    duplicated or reordered row), when its ``prev_hash`` is not its predecessor's hash
    (a predecessor edited and re-hashed), or when its hash does not match its content.
    Every link is read, so ``checked`` counts them all.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    broken: tuple[int, str] | None = None
    for link in links:
        checked += 1
        if broken is None:
            if link.seq != expected_seq:
                if link.seq > expected_seq:
                    missing = (
                        f"seq {expected_seq}"
                        if link.seq == expected_seq + 1
                        else f"seq {expected_seq}..{link.seq - 1}"
                    )
                    broken = (link.seq, f"{missing} missing before it")
                else:
                    broken = (link.seq, f"out of order or duplicated (expected seq {expected_seq})")
            elif link.prev_hash != prev_hash:
                before = f"seq {link.seq - 1}" if link.seq > 1 else "the genesis"
                broken = (link.seq, f"prev_hash does not match the hash of {before}")
            elif chain_hash(link.body()) != link.hash:
                broken = (link.seq, "content does not match its hash")
        expected_seq = link.seq + 1
        prev_hash = link.hash
    if broken is not None:
        return ChainReport(False, checked, broken[0], broken[1], prev_hash)
    return ChainReport(True, checked, None, "", prev_hash)


__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "Link",
    "canonical_json",
    "chain_hash",
    "json_safe",
    "rfc3339",
    "verify_links",
]
