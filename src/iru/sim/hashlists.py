"""Known-content hash lists written by the simulator, in the formats `iru hashes import` reads.

Three formats. All are UTF-8 without a byte-order mark, lines end in "\\n" (never
"\\r\\n"), the last line ends in "\\n", and output is deterministic: the same entries in
any order give byte-identical files. Hex digests are lowercase: SHA-256 is 64 hex
digits, MD5 32, PDQ 64 (the 256 bits, bit 255 first, as ThreatExchange's
`pdq_hasher` and the PDQ reference tools write them). Times are UTC, ISO 8601 to the
second with a "Z": `2024-05-01T12:00:00Z` (sub-second parts are dropped). A label
says what the content is, by convention `terrorist-content/<outlet-code>`; labels
and sources are non-empty, have no leading or trailing whitespace and no control
characters (no tab, CR or LF), and may contain spaces and commas.

Entries are ordered by (created_at, label, sha256, md5, pdq); exact duplicate
entries are written once.

gifct-csv
    A CSV file (RFC 4180 quoting: a field is double-quoted only when it holds a
    comma or a double quote; a double quote inside is doubled), one row per hash,
    after a header row that is always exactly

        hash_type,hash_value,label,source,created_at

    `hash_type` is `pdq`, `md5` or `sha256`; `hash_value` the hex digest; `label` the
    entry's label; `source` who contributed the hash (one value per file, "iru-sim"
    unless told otherwise); `created_at` when the hash entered the list. Each entry
    gives three rows in the order pdq, md5, sha256. No two rows share (hash_type,
    hash_value, label): the first one is kept. An empty list is the header alone.
    GIFCT's hash-sharing database has no public export format; this one keeps to
    its vocabulary (hash type, label, contributing member, date), with lowercase
    algorithm names as hash types (`pdq` as ThreatExchange names the signal type).

tat-json
    One JSON array (two-space indent, keys in the order below, ASCII only with
    other characters as \\uXXXX escapes, a final newline) of objects, one per entry,
    resembling Tech Against Terrorism's TCAP hash-list records:

        {"id": 1, "sha256": "…", "md5": "…", "pdq": "…",
         "classification": "terrorist-content/abc", "first_seen": "2024-05-01T12:00:00Z"}

    `id` counts from 1 in file order; `classification` is the label; `first_seen`
    is created_at. An empty list is `[]`. (TCAP's own v2 API sends one record per
    digest, as {"id", "hash_digest", "algorithm", "ideology", "file_type",
    "deleted", "updated_on"}; this file keeps the three digests of one file together.)

pdq-plain
    One PDQ hash per line, optionally followed by one space and the label (the rest
    of the line). ThreatExchange's local-file exchange reads the bare form, one hash
    per line, when told the signal type; the label is this format's addition:

        0f3c…e1 terrorist-content/abc

    Lines are sorted (by PDQ hash, then label) and unique. With labels (the
    default) there is one line per distinct (pdq, label), so a hash listed under
    two labels appears twice; without labels, one line per distinct PDQ hash. An
    empty list is an empty file. A reader should skip blank lines and lines
    starting with "#"; none are written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

from iru.domain import require_zone, utc

if TYPE_CHECKING:
    from iru.sim.media import MediaFile

HashListFormat = Literal["gifct-csv", "tat-json", "pdq-plain"]
HASH_LIST_FORMATS: Final[tuple[HashListFormat, ...]] = get_args(HashListFormat)
GIFCT_CSV_HEADER: Final = ("hash_type", "hash_value", "label", "source", "created_at")
TAT_JSON_KEYS: Final = ("id", "sha256", "md5", "pdq", "classification", "first_seen")

_HEX = {"sha256": re.compile(r"[0-9a-f]{64}"), "md5": re.compile(r"[0-9a-f]{32}")}
_HEX["pdq"] = _HEX["sha256"]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_text(what: str, value: str) -> None:
    if not value or value != value.strip() or _CONTROL.search(value):
        raise ValueError(
            f"{what} must be non-empty, without surrounding whitespace or control characters: {value!r}"
        )


def timestamp(value: datetime) -> str:
    """A time as the hash lists write it: UTC, to the second, with a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def outlet_label(outlet_code: str) -> str:
    """The conventional label of an outlet's content: terrorist-content/<outlet-code>."""
    _check_text("outlet code", outlet_code)
    return f"terrorist-content/{outlet_code}"


@dataclass(frozen=True)
class KnownHash:
    """One known file on a hash list: its three digests, what it is, when it was listed."""

    sha256: str
    md5: str
    pdq: str
    label: str
    created_at: datetime

    def __post_init__(self) -> None:
        for name, pattern in _HEX.items():
            value = getattr(self, name).lower()
            if not pattern.fullmatch(value):
                raise ValueError(f"{name} is not a hex digest of the right length: {value!r}")
            object.__setattr__(self, name, value)
        _check_text("label", self.label)
        object.__setattr__(self, "created_at", utc(require_zone(self.created_at, "created_at")))

    @classmethod
    def of(cls, media: MediaFile, label: str, created_at: datetime) -> KnownHash:
        """The hash-list entry of a simulated media file."""
        return cls(media.sha256, media.md5, media.pdq, label, created_at)

    def sort_key(self) -> tuple[datetime, str, str, str, str]:
        return (self.created_at, self.label, self.sha256, self.md5, self.pdq)


def _ordered(entries: Iterable[KnownHash]) -> list[KnownHash]:
    return sorted(set(entries), key=KnownHash.sort_key)


def _gifct_csv(entries: list[KnownHash], source: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(GIFCT_CSV_HEADER)
    seen: set[tuple[str, str, str]] = set()
    for entry in entries:
        for hash_type in ("pdq", "md5", "sha256"):
            key = (hash_type, getattr(entry, hash_type), entry.label)
            if key not in seen:
                seen.add(key)
                writer.writerow((*key, source, timestamp(entry.created_at)))
    return buffer.getvalue()


def _tat_json(entries: list[KnownHash]) -> str:
    records = [
        dict(
            zip(
                TAT_JSON_KEYS,
                (n, e.sha256, e.md5, e.pdq, e.label, timestamp(e.created_at)),
                strict=True,
            )
        )
        for n, e in enumerate(entries, start=1)
    ]
    return json.dumps(records, indent=2, ensure_ascii=True) + "\n"


def _pdq_plain(entries: list[KnownHash], labels: bool) -> str:
    lines = {f"{e.pdq} {e.label}" if labels else e.pdq for e in entries}
    return "".join(f"{line}\n" for line in sorted(lines))


def render_hash_list(
    entries: Iterable[KnownHash],
    fmt: HashListFormat,
    *,
    source: str = "iru-sim",
    labels: bool = True,
) -> bytes:
    """The hash list as file bytes; `source` is for gifct-csv, `labels` for pdq-plain."""
    ordered = _ordered(entries)
    if fmt == "gifct-csv":
        _check_text("source", source)
        text = _gifct_csv(ordered, source)
    elif fmt == "tat-json":
        text = _tat_json(ordered)
    elif fmt == "pdq-plain":
        text = _pdq_plain(ordered, labels)
    else:
        raise ValueError(f"unknown hash list format {fmt!r}; expected one of {HASH_LIST_FORMATS}")
    return text.encode("utf-8")


def write_hash_list(
    entries: Iterable[KnownHash],
    path: Path | str,
    fmt: HashListFormat,
    *,
    source: str = "iru-sim",
    labels: bool = True,
) -> None:
    """Write the hash list to `path` in format `fmt` (see the module docstring)."""
    Path(path).write_bytes(render_hash_list(entries, fmt, source=source, labels=labels))
