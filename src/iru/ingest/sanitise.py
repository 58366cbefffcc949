"""The one check every record passes on its way to the store, whatever reader made it.

The ingest engine runs it on each record a reader yields, and on the rows of a bulk
batch, so no reader has to repeat it:

- Every integer field (counts, sizes, durations) must fit a signed 64-bit column
  (Parquet, SQLite and PostgreSQL alike) and none of them can be negative:
  ``0 <= n < 2**63``. A record with a value outside is quarantined, the reason naming
  the field.
- U+0000 (NUL) is removed from every free-text field, list items included. PostgreSQL
  cannot store it in text and it carries nothing a reader sees, so it is dropped the same
  way on both databases and in the archive (other characters are kept as they are).
- An identifier (the platform, any ``*_id`` field, id lists, mentions) holding a NUL is
  quarantined instead: removing it would merge two different records into one.
- An identifier cannot be empty (a required one, or an optional one given as ``""``:
  absent is None), and no
  identifier is longer than 2,048 characters: records sharing ``""`` would collapse
  into one.
- The platform names a folder of the archive (``platform=<name>``), so it must be a
  plain name: 1-64 letters, digits, ``.``, ``_`` or ``-``, starting with a letter or a
  digit. Anything else (``x/../../tmp``, a NUL, an empty name) is quarantined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from iru.domain import Account, Interaction, Media, Post, Record

INT_MAX = 2**63 - 1
NUL = "\x00"
PLATFORM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Fields that name records rather than carry text: a NUL there is refused, not removed.
_IDENTIFIERS = frozenset({"platform", "forwarded_from", "mentions"})


ID_MAX = 2048


def is_identifier(name: str) -> bool:
    return name in _IDENTIFIERS or name.endswith(("_id", "_ids"))


def platform_problem(platform: str) -> str | None:
    """Why ``platform`` cannot name an archive partition, or None when it can."""
    if PLATFORM_NAME.fullmatch(platform):
        return None
    shown = platform.replace(NUL, "\\0")[:80]
    return (
        f"platform {shown!r} is not a plain name (1-64 letters, digits, '.', '_' or '-', "
        "starting with a letter or a digit)"
    )


# The record class behind each archive table (its columns are the record's fields).
TABLE_RECORDS: dict[str, type[Post] | type[Media] | type[Interaction]] = {
    "posts": Post,
    "media": Media,
    "interactions": Interaction,
}


def int_problem(name: str, value: int) -> str | None:
    """Why an integer field's value cannot be stored, or None when it can."""
    if value < 0:
        return f"{name} is negative ({value}); it must be between 0 and {INT_MAX}"
    if value > INT_MAX:
        digits = len(str(value)) if value.bit_length() < 4000 else "thousands of"
        return f"{name} is too large ({digits} digits); it must be between 0 and {INT_MAX}"
    return None


def _without_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, list):
        return [item.replace(NUL, "") if isinstance(item, str) else item for item in value]
    return value


def check_record(record: Record) -> Record | str:
    """The record ready to store (NUL removed from its text), or why it cannot be stored."""
    problem = platform_problem(record.platform)
    if problem is not None:
        return problem
    changes: dict[str, object] = {}
    for name in record.__struct_fields__:
        value = getattr(record, name)
        if isinstance(value, str) and is_identifier(name):
            if not value:  # required, or given as "" (None when absent)
                return f"{name} is empty"
            if len(value) > ID_MAX:
                return f"{name} is longer than {ID_MAX:,} characters"
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            problem = int_problem(name, value)
            if problem is not None:
                return problem
        elif isinstance(value, str):
            if NUL in value:
                if is_identifier(name):
                    return f"{name} holds a NUL byte"
                changes[name] = _without_nul(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, int) and not isinstance(item, bool):
                    problem = int_problem(name, item)
                    if problem is not None:
                        return problem
                elif isinstance(item, str) and NUL in item:
                    if is_identifier(name):
                        return f"{name} holds a NUL byte"
                    changes[name] = _without_nul(value)
    return msgspec.structs.replace(record, **changes) if changes else record


def record_locator(record: Record) -> str:
    """Where a record is, for the quarantine, when its reader gave no line: kind, platform, id."""
    kind = next(
        (
            base.__name__.lower()
            for base in (Account, Post, Media, Interaction)
            if isinstance(record, base)
        ),
        type(record).__name__.lower(),
    )
    key = record.key
    return f"{kind} {key[0]}/{key[1]}".replace(NUL, "")


def record_raw(record: Record) -> bytes:
    """The record as JSON, what the quarantine keeps of a record that has no raw line."""
    return msgspec.json.encode(record)


@dataclass(frozen=True, slots=True)
class TableCheck:
    """A bulk table split: the rows ready to store, and the rows that need the record check."""

    clean: pa.Table
    suspect: list[Record]


def _suspect_mask(rows: pa.Table) -> pa.ChunkedArray | None:
    """True for each row with a negative integer, a NUL in a text, an empty
    identifier or an identifier too long (None: no such row)."""
    flags: list[pa.ChunkedArray] = []
    for field in rows.schema:
        column = rows.column(field.name)
        if pa.types.is_integer(field.type):
            flags.append(pc.fill_null(pc.less(column, 0), False))
        elif pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            flags.append(pc.fill_null(pc.match_substring(column, NUL), False))
            if is_identifier(field.name):
                lengths = pc.utf8_length(column)
                flags.append(pc.fill_null(pc.greater(lengths, ID_MAX), False))
                flags.append(pc.fill_null(pc.equal(lengths, 0), False))
        elif pa.types.is_list(field.type) and pa.types.is_string(field.type.value_type):
            items = pc.list_flatten(column)
            if len(items) == 0:
                continue
            bad = pc.fill_null(pc.match_substring(items, NUL), False)
            parents = pc.list_parent_indices(column)
            hit = pc.filter(parents, bad)
            if len(hit):
                mask = pc.is_in(pa.array(range(rows.num_rows), pa.int64()), value_set=hit)
                flags.append(pa.chunked_array([mask]))
    hits = [flag for flag in flags if pc.any(flag).as_py()]
    if not hits:
        return None
    combined = hits[0]
    for flag in hits[1:]:
        combined = pc.or_(combined, flag)
    return combined


def check_table(table: str, rows: pa.Table) -> TableCheck:
    """Split a bulk table: rows that pass as they are, and the others as records.

    The others (a negative count, a NUL in a text, an empty or overlong id) go through :func:`check_record` like
    any record, to be cleaned or quarantined. Values beyond 64 bits cannot be in an
    Arrow int64 column, so a bulk reader already hands those to its per-record path.
    """
    kind = TABLE_RECORDS[table]
    mask = _suspect_mask(rows) if rows.num_rows else None
    if mask is None:
        return TableCheck(rows, [])
    fields = set(kind.__struct_fields__)
    suspect: list[Record] = [
        kind(**{name: value for name, value in row.items() if name in fields})
        for row in rows.filter(mask).to_pylist()
    ]
    return TableCheck(rows.filter(pc.invert(mask)), suspect)
