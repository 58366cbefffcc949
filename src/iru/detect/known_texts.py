"""Known-text lists: the propaganda texts a unit already knows, for near-duplicate matching.

Format ``texts-jsonl``: UTF-8 JSON Lines, one object per line,

    {"text": "…", "label": "terrorist-content/abc", "source": "partner-unit"}

``text`` is required, a non-empty string; ``label`` and ``source`` are optional
(default label ``known-text``, default source the list's file name) and, when
given, must be non-empty strings without control characters. Other keys are
ignored. Blank lines are skipped; a UTF-8 byte-order mark is allowed.

Parsing is pure: bytes in, :class:`KnownTextList` out. A line that cannot be used
(not UTF-8, not JSON, not an object, a missing, empty or non-string text, a bad
label or source, a text too short to compare) is never dropped silently: it lands
in :attr:`KnownTextList.rejected` with its line number, the reason and its raw
bytes. A text repeating an earlier line's text lands in
:attr:`KnownTextList.skipped`; the first one is kept.

Too short means fewer characters, once normalised as the near-duplicate detector
normalises them, than the detector's shingle length: such a text has no shingles
of its own and could only ever match a post that is exactly it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

from iru.detect.near_duplicate import NearDuplicateTextDetector, normalise_text

TEXTS_FORMAT: Final = "texts-jsonl"
DEFAULT_LABEL: Final = "known-text"
MIN_TEXT_CHARS: Final[int] = NearDuplicateTextDetector().shingle
"""The least normalised length of a useful known text: the detector's default shingle length."""

_BOM: Final = b"\xef\xbb\xbf"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class KnownTextEntry:
    """One known text: what it says, what it is and who listed it, and where it was read."""

    text: str
    label: str
    source: str
    line: int


@dataclass(frozen=True, slots=True)
class TextIssue:
    """A line that was not imported: its number, why, and its bytes as read."""

    line: int
    reason: str
    raw: bytes

    @property
    def location(self) -> str:
        return f"line {self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


@dataclass(frozen=True)
class KnownTextList:
    """The entries of one list, with every line that was not imported and why."""

    entries: tuple[KnownTextEntry, ...] = ()
    rejected: tuple[TextIssue, ...] = ()
    skipped: tuple[TextIssue, ...] = ()
    fmt: str = TEXTS_FORMAT

    def __len__(self) -> int:
        return len(self.entries)


class _LineError(ValueError):
    """One line cannot be used; the reason is the message."""


def _optional_name(record: dict[str, object], key: str, default: str) -> str:
    value = record.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _LineError(f"{key} is not a string: {value!r}")
    value = value.strip()
    if not value:
        raise _LineError(f"{key} is empty")
    if _CONTROL.search(value):
        raise _LineError(f"{key} contains a control character: {value!r}")
    return value


def _entry(raw: bytes, number: int, source: str, min_chars: int) -> KnownTextEntry:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _LineError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _LineError(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(record, dict):
        raise _LineError(f"not a JSON object but {type(record).__name__}")
    if "text" not in record or record["text"] is None:
        raise _LineError('missing "text"')
    text = record["text"]
    if not isinstance(text, str):
        raise _LineError(f"text is not a string: {text!r}")
    if not text.strip():
        raise _LineError("text is empty")
    label = _optional_name(record, "label", DEFAULT_LABEL)
    listed_by = _optional_name(record, "source", source)
    length = len(normalise_text(text))
    if length < min_chars:
        raise _LineError(
            f"text too short to match: {length} character(s) once normalised, fewer than "
            f"the {min_chars}-character shingles the near-duplicate-text detector compares"
        )
    return KnownTextEntry(text, label, listed_by, number)


def parse_known_texts(
    data: bytes, source: str, *, min_chars: int = MIN_TEXT_CHARS
) -> KnownTextList:
    """Read a ``texts-jsonl`` list; ``source`` labels entries that name none (the file name)."""
    entries: list[KnownTextEntry] = []
    rejected: list[TextIssue] = []
    skipped: list[TextIssue] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(data.removeprefix(_BOM).split(b"\n"), start=1):
        raw = line.removesuffix(b"\r")
        if not raw.strip():
            continue
        try:
            entry = _entry(raw, number, source, min_chars)
        except _LineError as exc:
            rejected.append(TextIssue(number, str(exc), raw))
            continue
        earlier = first_line.setdefault(entry.text, number)
        if earlier != number:
            skipped.append(TextIssue(number, f"repeats the text of line {earlier}", raw))
            continue
        entries.append(entry)
    return KnownTextList(tuple(entries), tuple(rejected), tuple(skipped))


def looks_like_known_texts(data: bytes) -> bool:
    """Whether the first non-blank line is a JSON object with a ``text`` key."""
    for raw in data.removeprefix(_BOM).split(b"\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return False
        return isinstance(record, dict) and "text" in record
    return False


__all__ = [
    "DEFAULT_LABEL",
    "MIN_TEXT_CHARS",
    "TEXTS_FORMAT",
    "KnownTextEntry",
    "KnownTextList",
    "TextIssue",
    "looks_like_known_texts",
    "parse_known_texts",
]
