"""The local ingest engine: read inputs, batch records, deduplicate, store, quarantine.

Every write is idempotent: archive files are deduplicated by key and land by atomic
rename, in the order the batches were read (a writer thread encodes them while the
next batch is read, see :meth:`Archive.writing_behind`); accounts and rejects go in
one SQL transaction per batch (idempotent upserts). A run killed anywhere and run
again therefore ends with exactly the store of one clean run.

Bulk batches bring their accounts as columns (:class:`AccountTableBatch`): the record
check and the skipping of snapshots no newer than one already stored run column-wise,
and Account records are built only for the accounts sent to the database.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from iru.domain import Account, Interaction, Media, Post, Record, utc
from iru.domain.columns import to_table
from iru.engine.pipeline.account_columns import StoredSnapshots, account_records, suspect_rows
from iru.ingest.base import (
    TOO_DEEP,
    BulkIngestFormat,
    ColumnBatch,
    IngestFormat,
    InputError,
    ProgressCallback,
    QuarantinedInput,
    Rejected,
    UnrecognisedInput,
)
from iru.ingest.bulk import AccountTableBatch
from iru.ingest.inputs import (
    COMPANION_FILES,
    INPUT_SUFFIXES,
    NOT_AN_EXPORT_NAME,
    InputFile,
    collect_inputs,
    describe_unreadable,
    expand_inputs,
)
from iru.ingest.registry import detect_format, get_format
from iru.ingest.sanitise import check_record, check_table, record_locator, record_raw
from iru.storage.archive import Archive
from iru.storage.database import Database, QuarantineRow

__all__ = ["COMPANION_FILES", "INPUT_SUFFIXES", "IngestEngine", "IngestReport", "expand_inputs"]


@dataclass(slots=True)
class TableCounts:
    read: int = 0
    new: int = 0
    duplicates: int = 0


@dataclass(slots=True)
class IngestReport:
    """What one ``iru ingest`` did, per record kind and per file."""

    tables: dict[str, TableCounts] = field(
        default_factory=lambda: {
            name: TableCounts() for name in ("accounts", "posts", "media", "interactions")
        }
    )
    quarantined: int = 0
    quarantined_new: int = 0
    bulk_batches: int = 0  # chunks normalised by a format's bulk path
    # Seconds spent storing, per store; the rest of a run is reading, parsing and normalising
    # (overlapped with storing where the format has a bulk path).
    seconds: dict[str, float] = field(default_factory=lambda: {"archive": 0.0, "database": 0.0})
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, format)
    unreadable: list[str] = field(default_factory=list)  # one line per input that failed
    # Files in a folder that are not exports, or not regular files: (path, reason); files
    # not named like an export are counted per (folder, suffix) instead.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    other_files: dict[tuple[str, str], int] = field(default_factory=dict)
    # Inputs read only in part (a truncated .gz, a document too deep): the rest is quarantined.
    partly_read: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(t.new for t in self.tables.values())

    @property
    def duplicates(self) -> int:
        return sum(t.duplicates for t in self.tables.values())

    @property
    def usable(self) -> int:
        return sum(t.read for t in self.tables.values())

    @property
    def skipped_count(self) -> int:
        return len(self.skipped) + sum(self.other_files.values())

    def skipped_rows(self) -> list[tuple[str, str]]:
        """(what, why) of every file passed over, other files grouped by folder and suffix."""
        rows = list(self.skipped)
        for (folder, suffix), count in sorted(self.other_files.items()):
            noun = "file" if count == 1 else "files"
            rows.append((f"{folder}: {count:,} {suffix} {noun}", NOT_AN_EXPORT_NAME))
        return rows


def _newer(candidate: Account, current: Account) -> bool:
    if candidate.observed_at is None:
        return current.observed_at is None
    return current.observed_at is None or candidate.observed_at > current.observed_at


def _merge(current: Account, candidate: Account) -> Account:
    """The database's upsert rule, applied inside a batch: newer wins, gaps are filled."""
    if not _newer(candidate, current):
        return current
    fields = {
        name: getattr(candidate, name)
        if getattr(candidate, name) is not None
        else getattr(current, name)
        for name in Account.__struct_fields__
    }
    return Account(**fields)


def _account_in_utc(account: Account) -> Account:
    """The account with its times in UTC (:func:`iru.domain.utc`: a naive one is UTC already)."""
    changes = {
        name: utc(value)
        for name in ("created_at", "observed_at")
        if isinstance(value := getattr(account, name), datetime) and value.tzinfo is not UTC
    }
    return msgspec.structs.replace(account, **changes) if changes else account


class _Batch:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.accounts: dict[tuple[str, str], Account] = {}
        self.posts: list[Post] = []
        self.media: list[Media] = []
        self.interactions: list[Interaction] = []
        self.rejects: list[QuarantineRow] = []
        self.size = 0


@dataclass(slots=True)
class _FileState:
    """How far the reading of one file got: its format's name and the items read."""

    format: str
    items: int = 0


class IngestEngine:
    """Runs ingest for one workspace's database and archive."""

    def __init__(
        self,
        database: Database,
        archive: Archive,
        batch_size: int = 50_000,
        bulk: bool = True,
        chunk_bytes: int = 32 << 20,
    ) -> None:
        self.database = database
        self.archive = archive
        self.batch_size = batch_size
        self.bulk = bulk
        self.chunk_bytes = chunk_bytes
        self._stored_snapshots = StoredSnapshots()

    def run(
        self,
        paths: Sequence[Path],
        format_name: str = "auto",
        progress: Callable[[Path, int], ProgressCallback | None] | None = None,
    ) -> IngestReport:
        """Ingest every input; ``progress(path, size)`` returns a per-file byte callback."""
        report = IngestReport()
        self.archive.remove_partial_files()
        run_id = self.database.start_run("\n".join(str(p) for p in paths))
        status = "failed"
        try:
            inputs = collect_inputs(paths)
            report.skipped.extend(inputs.skipped)
            report.other_files.update(inputs.other_files)
            # Part files are encoded on a writer thread while the next batch is read; in
            # the order decided, so a run killed meanwhile is completed as before.
            with self.archive.writing_behind():
                for item in inputs.files:
                    self._ingest_file(item, format_name, report, progress)
            status = "done"
        finally:
            self.database.finish_run(
                run_id,
                status,
                {
                    "records_read": report.usable + report.quarantined,
                    "accepted": report.accepted,
                    "duplicates": report.duplicates,
                    "quarantined": report.quarantined,
                },
            )
        return report

    def _ingest_file(
        self,
        item: InputFile,
        format_name: str,
        report: IngestReport,
        progress: Callable[[Path, int], ProgressCallback | None] | None,
    ) -> None:
        """Read one file; a break part-way keeps what came before it (see ``_read_file``)."""
        path = item.path
        batch = _Batch()
        try:
            source = str(path.resolve())
        except (OSError, RuntimeError):  # a link loop
            source = str(path.absolute())
        state = _FileState(format_name)
        try:
            self._read_file(
                path,
                format_name=format_name,
                source=source,
                batch=batch,
                state=state,
                report=report,
                progress=progress,
            )
        except UnrecognisedInput as exc:
            if item.named:
                report.unreadable.append(str(exc))
            else:
                report.skipped.append((str(path), exc.reason))
        except QuarantinedInput as exc:
            self._add(
                batch,
                Rejected(locator=exc.locator, reason=exc.reason, raw=exc.raw),
                source,
                state.format,
            )
            self._flush(batch, report)
            report.partly_read.append(str(exc))
            report.files.append((str(path), state.format))
        except RecursionError:
            # A reader walked a record nested deeper than Python follows: keep what was
            # read, quarantine the rest of the file, go on with the next one.
            where = f"after record {state.items:,}"
            reason = f"{TOO_DEEP}; the rest of the file is not read"
            self._add(batch, Rejected(locator=where, reason=reason, raw=b""), source, state.format)
            self._flush(batch, report)
            report.partly_read.append(f"{path}: {where}: {reason}")
            report.files.append((str(path), state.format))
        except InputError as exc:
            self._flush(batch, report)  # what was read before the failure is kept
            report.unreadable.append(str(exc))

    def _read_file(
        self,
        path: Path,
        *,
        format_name: str,
        source: str,
        batch: _Batch,
        state: _FileState,
        report: IngestReport,
        progress: Callable[[Path, int], ProgressCallback | None] | None,
    ) -> None:
        if not path.is_file():
            raise InputError(f"{path}: {describe_unreadable(path)}")
        fmt: IngestFormat = (
            detect_format(path) if format_name == "auto" else get_format(format_name)
        )
        state.format = fmt.name
        callback = progress(path, path.stat().st_size) if progress else None
        try:
            items = (
                fmt.read_batches(path, callback, self.chunk_bytes)
                if self.bulk and isinstance(fmt, BulkIngestFormat)
                else fmt.read(path, callback)
            )
            for item in items:
                state.items += 1
                if isinstance(item, ColumnBatch):
                    self._flush(batch, report)
                    self._flush_columns(item, source, fmt.name, report)
                    continue
                self._add(batch, item, source, fmt.name)
                if batch.size >= self.batch_size:
                    self._flush(batch, report)
        except InputError:
            raise
        except (OSError, EOFError, zlib.error) as exc:  # a reader that let one through
            raise InputError(f"{path}: cannot read: {exc}") from exc
        self._flush(batch, report)
        report.files.append((str(path), fmt.name))

    @staticmethod
    def _add(batch: _Batch, item: Record | Rejected, source: str, format_name: str) -> None:
        batch.size += 1
        if not isinstance(item, Rejected):
            checked = check_record(item)
            if isinstance(checked, str):
                item = Rejected(locator=record_locator(item), reason=checked, raw=record_raw(item))
            else:
                item = checked
        if isinstance(item, Post):
            batch.posts.append(item)
        elif isinstance(item, Interaction):
            batch.interactions.append(item)
        elif isinstance(item, Account):
            account = _account_in_utc(item)
            current = batch.accounts.get(account.key)
            batch.accounts[account.key] = account if current is None else _merge(current, account)
        elif isinstance(item, Media):
            batch.media.append(item)
        else:
            batch.rejects.append(
                QuarantineRow(source, format_name, item.locator, item.reason, item.raw)
            )

    def _flush(self, batch: _Batch, report: IngestReport) -> None:
        """Store the batch and empty it, so the caller goes on filling the same one."""
        for table, records in (
            ("posts", batch.posts),
            ("media", batch.media),
            ("interactions", batch.interactions),
        ):
            if records:
                self._write_table(table, to_table(records, table), report)
        self._write_accounts(list(batch.accounts.values()), batch.rejects, report)
        batch.clear()

    def _flush_columns(
        self, batch: ColumnBatch, source: str, format_name: str, report: IngestReport
    ) -> None:
        report.bulk_batches += 1
        # Rows a bulk reader let through that the record check would not (a negative
        # count, a NUL in a text) take the per-record way: cleaned or quarantined.
        suspect = _Batch()
        for table, rows in (
            ("posts", batch.posts),
            ("media", batch.media),
            ("interactions", batch.interactions),
        ):
            checked = check_table(table, rows)
            for record in checked.suspect:
                self._add(suspect, record, source, format_name)
            if checked.clean.num_rows:
                self._write_table(table, checked.clean, report)
        accounts: list[Account] = []
        for account in batch.accounts:
            if check_record(account) is account:
                accounts.append(account)
            else:
                self._add(suspect, account, source, format_name)
        # Arrow timestamps in the archive schema are UTC already.
        self._write_accounts(accounts, [], report)
        if isinstance(batch, AccountTableBatch):
            self._write_account_table(batch.account_table, suspect, source, format_name, report)
        if suspect.size:
            self._flush(suspect, report)

    def _write_account_table(
        self, rows: pa.Table, suspect: _Batch, source: str, format_name: str, report: IngestReport
    ) -> None:
        """Accounts in columns: the record check and the skipping of snapshots no newer
        than one stored run column-wise; Account records are built only for those stored."""
        if not rows.num_rows:
            return
        flagged = suspect_rows(rows)
        if flagged is not None:
            for account in account_records(rows.filter(flagged)):
                self._add(suspect, account, source, format_name)
            rows = rows.filter(pc.invert(flagged))
        # The database's upsert keeps the newest snapshot: an older one cannot change a row.
        fresh, stamps = self._stored_snapshots.newer_rows(rows)
        chosen = rows.filter(fresh)
        if self._store_accounts(account_records(chosen), [], rows.num_rows, report):
            self._stored_snapshots.remember_rows(chosen, stamps[fresh])

    def _write_table(self, table: str, rows: pa.Table, report: IngestReport) -> None:
        started = time.perf_counter()
        result = self.archive.write(table, rows)
        report.seconds["archive"] += time.perf_counter() - started
        counts = report.tables[table]
        counts.read += rows.num_rows
        counts.new += result.new
        counts.duplicates += result.duplicates

    def _write_accounts(
        self, accounts: list[Account], rejects: list[QuarantineRow], report: IngestReport
    ) -> None:
        # A dated snapshot no newer than one this run already stored cannot change the row
        # (the upsert keeps the newest): skip it instead of sending it to the database.
        fresh = [a for a in accounts if self._stored_snapshots.is_newer(a)]
        if self._store_accounts(fresh, rejects, len(accounts), report):
            self._stored_snapshots.remember(fresh)

    def _store_accounts(
        self, fresh: list[Account], rejects: list[QuarantineRow], read: int, report: IngestReport
    ) -> bool:
        """Send ``fresh`` (of ``read`` accounts; the others are known no newer) and rejects;
        whether anything was sent (the caller then remembers the snapshots stored)."""
        counts = report.tables["accounts"]
        counts.read += read
        if not fresh and not rejects:
            counts.duplicates += read
            return False
        started = time.perf_counter()
        new_accounts, new_rejects = self.database.write_ingest_batch(fresh, rejects)
        report.seconds["database"] += time.perf_counter() - started
        report.quarantined_new += new_rejects
        report.quarantined += len(rejects)
        counts.new += new_accounts
        counts.duplicates += read - new_accounts
        return True
