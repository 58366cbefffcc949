"""The contract every ingest format implements, and the rejected-record value it yields.

A format reads one input file and yields iru records in a deterministic order,
interleaved with :class:`Rejected` values for records it could not use. It never
raises for a bad record: it names the record (``locator``), says why, and keeps
the raw bytes so the quarantine can hold them. It raises :class:`InputError` only
when the file as a whole cannot be read.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, ClassVar, Protocol, runtime_checkable

import msgspec
import pyarrow as pa

from iru.domain import Account, Record
from iru.ingest.sanitise import check_record, record_locator

if TYPE_CHECKING:
    from iru.ingest.examples import IngestExample

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


class UnrecognisedInput(InputError):
    """No installed format recognises the file (or it is empty): inside a folder it is
    skipped with ``reason``; named on its own it cannot be read."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class QuarantinedInput(InputError):
    """Part of an input, or all of it, cannot be read as records.

    That part goes to the quarantine under ``locator`` with ``reason`` (``raw``: what of
    it could be kept); the records read before it are stored and the run goes on.
    """

    def __init__(self, message: str, *, locator: str, reason: str, raw: bytes = b"") -> None:
        super().__init__(message)
        self.locator = locator
        self.reason = reason
        self.raw = raw


class TruncatedInput(QuarantinedInput, EOFError):
    """A compressed input breaks off (truncated or corrupt): what came before the break is
    read, the break is quarantined. Also an EOFError, so existing handlers see a read error."""


# How a document nested too deeply to decode is described (RecursionError in the decoder).
TOO_DEEP = "nested too deeply to read (more levels than the JSON decoder allows)"


@runtime_checkable
class IngestFormat(Protocol):
    """One platform export format. Registered under the ``iru.ingest_formats`` entry point."""

    name: ClassVar[str]
    description: ClassVar[str]

    @classmethod
    def examples(cls) -> Sequence[IngestExample]:
        """Small synthetic files and the record counts they must give: the plugin
        conformance suite reads them (``tests/test_plugin_conformance.py``)."""
        ...

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


# What breaks a compressed stream: a truncated file, a corrupt block or trailer.
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
# The first line a sniffer gets may run past the head, up to this much.
_FIRST_LINE_MAX = 64 * 1024 * 1024


def _break_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "compressed file ends before its end-of-stream marker (truncated)"
    return f"corrupt compressed data: {exc}"


class _GzipInput(gzip.GzipFile):
    """A ``.gz`` input whose sized reads return the data before a break in the stream.

    ``gzip.GzipFile.read(n)`` loses the whole block it was filling when the stream
    breaks off; here the data before the break comes back first, and the break is
    raised, as :class:`TruncatedInput`, by the next read.
    """

    _failure: TruncatedInput | None = None

    def _broken(self, exc: BaseException) -> TruncatedInput:
        where = f"after byte {self.tell():,} of the uncompressed data"
        reason = _break_reason(exc)
        return TruncatedInput(f"{self.name}: {where}: {reason}", locator=where, reason=reason)

    def read(self, size: int | None = -1) -> bytes:
        if self._failure is not None:
            raise self._failure
        if size is None or size < 0:
            try:
                return super().read(size)
            except _GZIP_ERRORS as exc:
                raise self._broken(exc) from exc
        parts: list[bytes] = []
        wanted = size
        while wanted > 0:
            try:
                piece = self.read1(wanted)
            except _GZIP_ERRORS as exc:
                failure = self._broken(exc)
                if not parts:
                    raise failure from exc
                self._failure = failure
                break
            if not piece:
                break
            parts.append(piece)
            wanted -= len(piece)
        return b"".join(parts)


def open_input(path: Path) -> BinaryIO:
    """Open an input file for reading bytes, transparently un-gzipping ``.gz`` files."""
    try:
        if path.suffix == ".gz":
            return _GzipInput(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def too_deep(line: bytes) -> bool:
    """Whether a JSON text is nested more deeply than the decoder can follow."""
    try:
        msgspec.json.decode(line)
    except RecursionError:
        return True
    except msgspec.DecodeError:
        return False
    return False


def _first_line(path: Path, lines: Iterator[bytes]) -> bytes:
    """The first non-blank line that is not nested too deeply to decode."""
    deep = 0
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if not too_deep(stripped):
            return stripped
        deep += 1
        if deep >= 16:
            break
    if deep:
        raise QuarantinedInput(
            f"{path}: {TOO_DEEP}", locator="file", reason=f"{TOO_DEEP}; no line could be decoded"
        )
    return b""


def _head_lines(head: bytes, handle: BinaryIO) -> Iterator[bytes]:
    """The lines of ``head``; one it cuts off, and the lines after it, read on from ``handle``."""
    *whole, tail = head.split(b"\n")
    yield from whole
    if len(head) < SNIFF_BYTES:
        yield tail
        return
    try:
        yield tail + handle.readline(_FIRST_LINE_MAX)
        while line := handle.readline(_FIRST_LINE_MAX):
            yield line
    except (OSError, *_GZIP_ERRORS):
        return  # the reader meets the same break and reports it


def read_head(path: Path) -> tuple[bytes, bytes]:
    """The first bytes of a file and its first usable non-blank line (capped at 64 MiB).

    A line nested too deeply to decode is passed over for the next one, so one such
    record does not hide the file's format from the sniffers.
    """
    with open_input(path) as handle:
        try:
            head = handle.read(SNIFF_BYTES)
        except (OSError, *_GZIP_ERRORS) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from exc
        return head, _first_line(path, _head_lines(head, handle))


def iter_lines(path: Path, progress: ProgressCallback | None) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without its newline) for each non-blank line.

    A gzip stream that breaks off raises :class:`TruncatedInput` after the last whole line.
    """
    number = 0
    with open_input(path) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if progress is not None:
                    progress(len(line))
                stripped = line.strip()
                if stripped:
                    yield number, stripped
        except _GZIP_ERRORS as exc:
            reason = _break_reason(exc)
            raise TruncatedInput(
                f"{path}: line {number + 1}: {reason}", locator=f"line {number + 1}", reason=reason
            ) from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot read past line {number}: {exc}") from exc


def checked_line(
    items: Iterable[Record | Rejected], number: int, line: bytes
) -> Iterator[Record | Rejected]:
    """The records of one line through the store's record check, a refused one rejected
    with the line's place (``line 12: post twitter/9001``) so the analyst can find it."""
    for item in items:
        if isinstance(item, Rejected):
            yield item
            continue
        checked = check_record(item)
        if isinstance(checked, str):
            where = f"line {number}: {record_locator(item)}"
            yield Rejected(locator=where, reason=checked, raw=line)
        else:
            yield checked


def guard_line(
    read_line: Callable[[int, bytes], Iterator[Record | Rejected]], number: int, line: bytes
) -> Iterator[Record | Rejected]:
    """``read_line``'s records of one line, each checked (:func:`checked_line`); a line
    nested too deeply to decode is rejected."""
    try:
        yield from checked_line(read_line(number, line), number, line)
    except RecursionError:
        yield Rejected(locator=f"line {number}", reason=TOO_DEEP, raw=line)


def load_document(path: Path, progress: ProgressCallback | None) -> object:
    """A whole-file JSON document (Telegram, ActivityPub), decoded without a schema.

    A document nested too deeply to decode goes to the quarantine whole
    (:class:`QuarantinedInput`), with its first 64 KiB.
    """
    with open_input(path) as handle:
        try:
            data = handle.read()
        except (OSError, *_GZIP_ERRORS) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from exc
    if progress is not None:
        progress(len(data))
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise InputError(f"{path}: not a JSON document: {exc}") from exc
    except RecursionError:
        raise QuarantinedInput(
            f"{path}: {TOO_DEEP}", locator="document", reason=TOO_DEEP, raw=data[:SNIFF_BYTES]
        ) from None


def error_reason(exc: Exception) -> str:
    """One line saying why a record was rejected (msgspec errors already name the field)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text
