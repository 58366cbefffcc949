"""Known-content hash lists: read, validate and normalise the lists an IRU imports.

Formats: ``gifct-csv``, ``tat-json`` and ``pdq-plain`` exactly as specified in
:mod:`iru.sim.hashlists`, plus ``tcap``, Tech Against Terrorism's TCAP v2 records
(one digest each: ``{"id", "hash_digest", "algorithm", "ideology", "file_type",
"deleted", "updated_on"}``) as a JSON array or JSON Lines, labelled
``tcap/<ideology>``, and ``iru-export``, what ``iru export hashes`` writes (CSV or
a JSON array with ``hash_type``, ``value``, ``label``, ``source``, ``created_at``;
its other columns are ignored), so one workspace's list imports into another;
``auto`` sniffs which. Digests become lowercase hex.

Every row is validated (hex of the right length for its hash type, a non-empty
label and source without control characters, an ISO 8601 time). A bad row never
stops the import and is never dropped silently: it lands in
:attr:`KnownHashList.rejected` with the file, line (or record) and reason, and the
good rows are kept. Valid rows not used (deleted TCAP records, algorithms iru does
not match, repeats) land in :attr:`KnownHashList.skipped`. A file that cannot be
read as its format at all (not UTF-8, not JSON, a wrong CSV header) raises
:class:`HashListError`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal, get_args

from iru.domain import utc

HashType = Literal["sha256", "md5", "pdq"]
HASH_TYPES: Final[tuple[HashType, ...]] = get_args(HashType)
HEX_LENGTHS: Final[dict[HashType, int]] = {"sha256": 64, "md5": 32, "pdq": 64}

ListFormat = Literal["gifct-csv", "tat-json", "tcap", "pdq-plain", "iru-export"]
LIST_FORMATS: Final[tuple[ListFormat, ...]] = get_args(ListFormat)

GIFCT_CSV_HEADER: Final = ("hash_type", "hash_value", "label", "source", "created_at")
# The columns of ``iru export hashes`` an import needs (created_at may be empty or absent).
IRU_EXPORT_COLUMNS: Final = ("hash_type", "value", "label", "source")
TCAP_ALGORITHMS: Final[dict[str, HashType]] = {
    "sha256": "sha256",
    "sha-256": "sha256",
    "md5": "md5",
    "pdq": "pdq",
}
DEFAULT_LABEL: Final = "unlabelled"
_TAT_ORDER: Final[tuple[HashType, ...]] = ("pdq", "md5", "sha256")

_HEX = re.compile(r"[0-9a-fA-F]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s*")
_PDQ_LINE = re.compile(r"[0-9a-fA-F]{64}(?: .*)?")


class HashListError(ValueError):
    """A hash-list file that cannot be read as its format at all."""


class RowError(ValueError):
    """One row of a hash list is malformed; the reason is the message."""


@dataclass(frozen=True, slots=True)
class KnownHashEntry:
    """One known digest: its type, lowercase hex value, what it is and who listed it."""

    hash_type: HashType
    value: str
    label: str
    source: str
    created_at: datetime | None = None
    ref: str | None = None  # the record's id in its list (tat-json, tcap), for evidence


@dataclass(frozen=True, slots=True)
class RowIssue:
    """A row that was not imported: where it is and why."""

    path: str
    location: str  # "line 7" or "record 3 (line 12)"
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.location}: {self.reason}"


@dataclass(frozen=True)
class KnownHashList:
    """The entries of one imported list, with every row that was not imported and why."""

    entries: tuple[KnownHashEntry, ...] = ()
    rejected: tuple[RowIssue, ...] = ()
    skipped: tuple[RowIssue, ...] = ()
    path: str = ""
    fmt: str = ""

    def __len__(self) -> int:
        return len(self.entries)

    def of_type(self, hash_type: HashType) -> tuple[KnownHashEntry, ...]:
        """The entries of one hash type, in list order."""
        return tuple(e for e in self.entries if e.hash_type == hash_type)


def hash_type_of(name: str) -> HashType:
    """The hash type called ``name``; RowError for one iru does not know."""
    for known in HASH_TYPES:
        if name == known:
            return known
    raise RowError(f"unknown hash type {name!r}; expected one of {', '.join(HASH_TYPES)}")


def check_hex(hash_type: str, value: object) -> str:
    """The digest as lowercase hex; RowError when it is not hex of ``hash_type``'s length."""
    want = HEX_LENGTHS[hash_type_of(hash_type)]
    if not isinstance(value, str):
        raise RowError(f"{hash_type} digest is not a string: {value!r}")
    if not _HEX.fullmatch(value):
        raise RowError(f"{hash_type} digest is not hexadecimal: {value!r}")
    if len(value) != want:
        raise RowError(f"{hash_type} digest has {len(value)} hex digits, expected {want}")
    return value.lower()


def _check_text(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise RowError(f"{what} is not a string: {value!r}")
    if not value:
        raise RowError(f"{what} is empty")
    if value != value.strip():
        raise RowError(f"{what} has leading or trailing whitespace: {value!r}")
    if _CONTROL.search(value):
        raise RowError(f"{what} contains a control character: {value!r}")
    return value


def _parse_time(what: str, value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RowError(f"{what} is not a string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RowError(f"{what} is not an ISO 8601 time: {value!r}") from None
    return utc(parsed)


class _Collector:
    """Gathers entries, rejected and skipped rows while a file is parsed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.entries: list[KnownHashEntry] = []
        self.rejected: list[RowIssue] = []
        self.skipped: list[RowIssue] = []
        self._seen: dict[tuple[str, str, str], str] = {}

    def add(self, entry: KnownHashEntry, location: str) -> None:
        key = (entry.hash_type, entry.value, entry.label)
        first = self._seen.get(key)
        if first is not None:
            self.skip(
                location, f"repeats {entry.hash_type} {entry.value} / {entry.label} of {first}"
            )
            return
        self._seen[key] = location
        self.entries.append(entry)

    def reject(self, location: str, reason: str) -> None:
        self.rejected.append(RowIssue(self.path, location, reason))

    def skip(self, location: str, reason: str) -> None:
        self.skipped.append(RowIssue(self.path, location, reason))

    def result(self, fmt: str) -> KnownHashList:
        return KnownHashList(
            tuple(self.entries), tuple(self.rejected), tuple(self.skipped), self.path, fmt
        )


# -- gifct-csv ---------------------------------------------------------------------


def _gifct_csv(text: str, out: _Collector) -> None:
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise HashListError(f"{out.path}: line 1: unreadable CSV header: {exc}") from None
    if header is None or tuple(header) != GIFCT_CSV_HEADER:
        raise HashListError(
            f"{out.path}: line 1: header must be {','.join(GIFCT_CSV_HEADER)}, got {header!r}"
        )
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.reject(f"line {line}", f"malformed CSV: {exc}")
            continue
        if not row:  # a blank line is no row
            continue
        where = f"line {line}"
        try:
            if len(row) != len(GIFCT_CSV_HEADER):
                raise RowError(f"has {len(row)} fields, expected {len(GIFCT_CSV_HEADER)}")
            hash_type, value, label, source, created = row
            hash_type = hash_type.strip().lower()
            entry = KnownHashEntry(
                hash_type=hash_type_of(hash_type),
                value=check_hex(hash_type, value),
                label=_check_text("label", label),
                source=_check_text("source", source),
                created_at=_parse_time("created_at", created),
            )
        except RowError as exc:
            out.reject(where, str(exc))
            continue
        out.add(entry, where)


# -- JSON: tat-json and tcap -------------------------------------------------------


def _json_array(text: str, path: str) -> Iterator[tuple[str, object]]:
    """("record N (line L)", value) of each element of a top-level JSON array."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HashListError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(items, list):
        raise HashListError(f"{path}: expected a JSON array")
    # The text is valid JSON: walk it again with raw_decode to learn each element's line.
    decoder, pos, line, counted = json.JSONDecoder(), text.index("[") + 1, 1, 0
    for number, value in enumerate(items, start=1):
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # \s* always matches
        line += text.count("\n", counted, pos)
        counted = pos
        pos = decoder.raw_decode(text, pos)[1]
        pos = _SPACE.match(text, pos).end() + 1  # type: ignore[union-attr]  # past the comma
        yield f"record {number} (line {line})", value


def _json_objects(text: str, path: str) -> Iterator[tuple[str, dict[str, Any] | RowError]]:
    """(location, object or what is wrong with it) of each record of a JSON array or JSON Lines."""
    if text.lstrip().startswith("["):
        records: Iterator[tuple[str, object]] = _json_array(text, path)
    else:
        records = _json_lines(text)
    for where, value in records:
        if isinstance(value, dict | RowError):
            yield where, value
        else:
            yield where, RowError(f"is not a JSON object: {value!r}")


def _json_lines(text: str) -> Iterator[tuple[str, object]]:
    for number, raw in enumerate(text.split("\n"), start=1):  # not splitlines: U+2028 is text
        if raw.strip():
            try:
                yield f"line {number}", json.loads(raw)
            except json.JSONDecodeError as exc:
                yield f"line {number}", RowError(f"invalid JSON: {exc.msg} at column {exc.colno}")


def _ref(record: dict[str, Any]) -> str | None:
    ref = record.get("id")
    if ref is None:
        return None
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        raise RowError(f"id is neither an integer nor a string: {ref!r}")
    return str(ref)


def _tat_json(text: str, out: _Collector, source: str) -> None:
    for where, record in _json_objects(text, out.path):
        try:
            if isinstance(record, RowError):
                raise record
            ref = _ref(record)
            label = _check_text("classification", record.get("classification"))
            created = _parse_time("first_seen", record.get("first_seen"))
            digests = [(t, check_hex(t, record[t])) for t in _TAT_ORDER if record.get(t)]
            if not digests:
                raise RowError("has none of sha256, md5, pdq")
        except RowError as exc:
            out.reject(where, str(exc))
            continue
        for hash_type, value in digests:
            out.add(KnownHashEntry(hash_type, value, label, source, created, ref), where)


def _tcap(text: str, out: _Collector, source: str) -> None:
    for where, record in _json_objects(text, out.path):
        try:
            if isinstance(record, RowError):
                raise record
            ref = _ref(record)
            deleted = record.get("deleted", False)
            if not isinstance(deleted, bool):
                raise RowError(f"deleted is not true or false: {deleted!r}")
            algorithm = record.get("algorithm")
            if not isinstance(algorithm, str) or not algorithm.strip():
                raise RowError(f"algorithm is missing or not a string: {algorithm!r}")
            hash_type = TCAP_ALGORITHMS.get(algorithm.strip().lower())
            if deleted:
                out.skip(where, f"deleted on TCAP (id {ref})")
                continue
            if hash_type is None:
                out.skip(where, f"algorithm {algorithm!r} is not matched by iru (id {ref})")
                continue
            value = check_hex(hash_type, record.get("hash_digest"))
            ideology = record.get("ideology")
            label = "tcap/" + (_check_text("ideology", ideology) if ideology else "unknown")
            created = _parse_time("updated_on", record.get("updated_on"))
        except RowError as exc:
            out.reject(where, str(exc))
            continue
        out.add(KnownHashEntry(hash_type, value, label, source, created, ref), where)


# -- iru-export: what `iru export hashes` writes, as CSV or a JSON array --------------


def _iru_csv(text: str, path: str) -> Iterator[tuple[str, dict[str, Any] | RowError]]:
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = [name.strip() for name in next(reader, None) or []]
    except csv.Error as exc:
        raise HashListError(f"{path}: line 1: unreadable CSV header: {exc}") from None
    missing = [c for c in IRU_EXPORT_COLUMNS if c not in header]
    if missing:
        raise HashListError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    while True:
        where = f"line {reader.line_num + 1}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield where, RowError(f"malformed CSV: {exc}")
            continue
        if not row:
            continue
        if len(row) != len(header):
            yield where, RowError(f"has {len(row)} fields, expected {len(header)}")
        else:
            yield where, dict(zip(header, row, strict=True))


def _iru_export(text: str, out: _Collector, source: str) -> None:
    if text.lstrip().startswith("["):
        records = _json_objects(text, out.path)
    else:
        records = _iru_csv(text, out.path)
    for where, record in records:
        try:
            if isinstance(record, RowError):
                raise record
            hash_type = hash_type_of(_check_text("hash_type", record.get("hash_type")).lower())
            entry = KnownHashEntry(
                hash_type=hash_type,
                value=check_hex(hash_type, record.get("value")),
                label=_check_text("label", record.get("label")),
                source=_check_text("source", record.get("source") or source),
                created_at=_parse_time("created_at", record.get("created_at")),
            )
        except RowError as exc:
            out.reject(where, str(exc))
            continue
        out.add(entry, where)


def _is_iru_export_header(line: str) -> bool:
    columns = {name.strip() for name in line.split(",")}
    return set(IRU_EXPORT_COLUMNS) <= columns


# -- pdq-plain ---------------------------------------------------------------------


def _pdq_plain(text: str, out: _Collector, source: str, default_label: str) -> None:
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.startswith("#"):
            continue
        where = f"line {number}"
        value, sep, label = line.partition(" ")
        try:
            value = check_hex("pdq", value)
            label = _check_text("label", label) if sep else default_label
        except RowError as exc:
            out.reject(where, str(exc))
            continue
        out.add(KnownHashEntry("pdq", value, label, source), where)


# -- entry points ------------------------------------------------------------------


def sniff_format(text: str) -> ListFormat:
    """The format of a hash list's text; HashListError when it fits none."""
    head = text.lstrip()
    if not head:
        return "pdq-plain"  # an empty list
    if head.startswith("["):
        # The first record tells tat-json (three digests) from tcap (one digest each).
        window = head[:4096]
        if '"hash_digest"' in window or '"algorithm"' in window:
            return "tcap"
        if '"hash_type"' in window and '"value"' in window:
            return "iru-export"
        return "tat-json"
    if head.startswith("{"):
        return "tcap"  # JSON Lines: TCAP's one record per line
    first = head.split("\n", 1)[0].rstrip("\r")
    if first.replace(" ", "").lower() == ",".join(GIFCT_CSV_HEADER):
        return "gifct-csv"
    if _is_iru_export_header(first):
        return "iru-export"
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if line.strip() and not line.startswith("#"):
            if _PDQ_LINE.fullmatch(line):
                return "pdq-plain"
            break
    raise HashListError(f"cannot tell the hash-list format from its first line {first[:80]!r}")


def parse_hash_list(
    data: bytes | str,
    fmt: ListFormat | Literal["auto"] = "auto",
    *,
    name: str = "<hash list>",
    source: str | None = None,
    default_label: str = DEFAULT_LABEL,
) -> KnownHashList:
    """Parse a hash list held in memory; ``name`` is what errors call the file.

    ``source`` names the contributor for formats whose rows do not (tat-json, tcap,
    pdq-plain; default: ``name``); ``default_label`` labels bare pdq-plain lines.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise HashListError(f"{name}: not UTF-8 (byte {exc.start})") from None
    else:
        text = data.removeprefix("\ufeff")
    try:
        _check_text("default label", default_label)
        src = _check_text("source", source if source is not None else name)
    except RowError as exc:
        raise ValueError(str(exc)) from None
    chosen: ListFormat = sniff_format(text) if fmt == "auto" else fmt
    out = _Collector(name)
    if chosen == "gifct-csv":
        _gifct_csv(text, out)
    elif chosen == "tat-json":
        _tat_json(text, out, src)
    elif chosen == "tcap":
        _tcap(text, out, src)
    elif chosen == "pdq-plain":
        _pdq_plain(text, out, src, default_label)
    elif chosen == "iru-export":
        _iru_export(text, out, src)
    else:
        raise ValueError(
            f"unknown hash-list format {fmt!r}; expected one of {LIST_FORMATS} or 'auto'"
        )
    return out.result(chosen)


def load_hash_list(
    path: Path | str,
    fmt: ListFormat | Literal["auto"] = "auto",
    *,
    source: str | None = None,
    default_label: str = DEFAULT_LABEL,
) -> KnownHashList:
    """Read a hash list from ``path`` (``auto`` sniffs the format; see the module docstring)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise HashListError(f"{file}: cannot read: {exc.strerror or exc}") from None
    return parse_hash_list(
        data, fmt, name=str(file), source=source or file.name, default_label=default_label
    )
