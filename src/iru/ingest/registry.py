"""Finds the installed ingest formats (entry points) and picks one for a file."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from iru.ingest.base import (
    TOO_DEEP,
    IngestFormat,
    QuarantinedInput,
    UnrecognisedInput,
    read_head,
)

ENTRY_POINT_GROUP = "iru.ingest_formats"

# Auto-detection tries the most specific formats first.
_SNIFF_ORDER = ("activitypub", "telegram", "jsonl", "twitter-v2")


@cache
def available_formats() -> dict[str, IngestFormat]:
    """Every registered format by its stable name; built-in ones register like plugins."""
    found: dict[str, IngestFormat] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        fmt = cls()
        if not isinstance(fmt, IngestFormat):
            raise TypeError(
                f"ingest format {entry.name!r} ({entry.value}) lacks sniff/read/examples"
            )
        if fmt.name != entry.name:
            raise ValueError(
                f"ingest format {entry.value} is named {fmt.name!r}, registered as {entry.name!r}"
            )
        if entry.name in found:
            raise ValueError(f"two ingest formats registered as {entry.name!r}")
        found[entry.name] = fmt
    return found


def get_format(name: str) -> IngestFormat:
    formats = available_formats()
    if name not in formats:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(sorted(formats))}")
    return formats[name]


def detect_format(path: Path) -> IngestFormat:
    """The format a file is in, judged from its first bytes.

    UnrecognisedInput when none fits; QuarantinedInput when the file is nested too
    deeply for any sniffer to decode it (it goes to the quarantine whole).
    """
    head, first_line = read_head(path)
    if not head.strip():
        raise UnrecognisedInput(f"{path}: file is empty", reason="empty file")
    formats = available_formats()
    ordered = [n for n in _SNIFF_ORDER if n in formats] + sorted(
        n for n in formats if n not in _SNIFF_ORDER
    )
    too_deep = False
    for name in ordered:
        try:
            if formats[name].sniff(head, first_line):
                return formats[name]
        except RecursionError:
            too_deep = True
    if too_deep:
        raise QuarantinedInput(f"{path}: {TOO_DEEP}", locator="file", reason=TOO_DEEP, raw=head)
    reason = f"not a known export format (tried {', '.join(ordered)})"
    raise UnrecognisedInput(
        f"{path}: format not recognised (tried {', '.join(ordered)}); name it with --format",
        reason=reason,
    )
