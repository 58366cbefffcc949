"""The contract every ingest format implements, and the rejected-record value it yields.

A format reads one input file and yields iru records in a deterministic order,
interleaved with :class:`Rejected` values for records it could not use. It never
raises for a bad record: it names the record (``locator``), says why, and keeps
the raw bytes so the quarantine can hold them. It raises :class:`InputError` only
when the file as a whole cannot be read.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol, runtime_checkable

import msgspec
import pyarrow as pa

from iru.domain import Account, Record

# Called with the number of input bytes consumed since the last call.
ProgressCallback = Callable[[int], None]

# How much of a file the formats may look at to recognise it.
SNIFF_BYTES = 64 * 1024


class Rejected(msgspec.Struct, frozen=True, kw_only=True):
    """A record that could not be used: where it was, why, and its raw bytes."""

    locator: str
    reason: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class ColumnBatch:
    """Records already normalised in bulk: Arrow tables in the archive's schemas, and accounts."""

    posts: pa.Table
    media: pa.Table
    interactions: pa.Table
    accounts: list[Account]


class InputError(Exception):
    """The input as a whole cannot be opened or read (not one bad record)."""


@runtime_checkable
class IngestFormat(Protocol):
    """One platform export format. Registered under the ``iru.ingest_formats`` entry point."""

    name: ClassVar[str]
    description: ClassVar[str]

    def sniff(self, head: bytes, first_line: bytes) -> bool:
        """Whether a file starting with ``head`` (and whose first line is ``first_line``)
        is in this format."""
        ...

    def read(
        self, path: Path, progress: ProgressCallback | None = None
    ) -> Iterator[Record | Rejected]:
        """Every record of the file, in file order, with rejects in their place."""
        ...


@runtime_checkable
class BulkIngestFormat(IngestFormat, Protocol):
    """A format that can also normalise large inputs in bulk (columnar), the fast path."""

    def read_batches(
        self, path: Path, progress: ProgressCallback | None = None, chunk_bytes: int = 1 << 24
    ) -> Iterator[ColumnBatch | Record | Rejected]:
        """The same records as ``read``, mostly as ColumnBatches, rejects still in place."""
        ...


def open_input(path: Path) -> BinaryIO:
    """Open an input file for reading bytes, transparently un-gzipping ``.gz`` files."""
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def read_head(path: Path) -> tuple[bytes, bytes]:
    """The first bytes of a file and its whole first non-blank line (capped at 64 MiB)."""
    with open_input(path) as handle:
        try:
            head = handle.read(SNIFF_BYTES)
            first_line = b""
            rest = io.BytesIO(head)
            for line in rest:
                if line.strip():
                    first_line = line
                    break
            if first_line and not first_line.endswith(b"\n") and len(head) == SNIFF_BYTES:
                first_line += handle.readline(64 * 1024 * 1024)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from exc
    return head, first_line.strip()


def iter_lines(path: Path, progress: ProgressCallback | None) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without its newline) for each non-blank line."""
    number = 0
    with open_input(path) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if progress is not None:
                    progress(len(line))
                stripped = line.strip()
                if stripped:
                    yield number, stripped
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"{path}: cannot read past line {number}: {exc}") from exc


def load_document(path: Path, progress: ProgressCallback | None) -> object:
    """A whole-file JSON document (Telegram, ActivityPub), decoded without a schema."""
    with open_input(path) as handle:
        try:
            data = handle.read()
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from exc
    if progress is not None:
        progress(len(data))
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise InputError(f"{path}: not a JSON document: {exc}") from exc


def error_reason(exc: Exception) -> str:
    """One line saying why a record was rejected (msgspec errors already name the field)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text
