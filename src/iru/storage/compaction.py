"""Archive compaction: a partition's many small part files merged into few large ones, crash-safe.

Every ingest batch writes one small file per (platform, day) it touches, so a month of
traffic leaves thousands of files and every scan pays for opening them. Compaction
merges a partition's small files (smaller than ``target_bytes``) into files of at least
``target_bytes`` each, or one per partition-day when the day holds less.

Crash safety, in the order the steps run (a ``kill -9`` may strike between any two):

1. the merged rows are streamed, one input file at a time, into ``.<output>.tmp``
   (memory holds one input file, whatever the partition's size), and the row count read
   back from the file's footer must equal the inputs' sum;
2. a journal ``.compaction-<token>.json`` (written to a temporary name and renamed)
   names the output and its inputs;
3. ``before_commit`` runs (the engine records the output in the detection ledger);
4. the temporary file is renamed to the output — the commit point;
5. the inputs are deleted, then the journal.

:func:`finish_compactions` (run before every write and every compaction) rolls a
journal forward when its output exists (deletes the inputs left) and back when it
does not (deletes the journal; the temporary file goes with the other partial files).
Between steps 4 and 5, readers skip the inputs of a journal whose output exists
(:func:`live_files`), so no reader ever sees a row twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from iru.domain.columns import SCHEMAS

JOURNAL_GLOB = ".compaction-*.json"
DEFAULT_TARGET_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PartitionPlan:
    """One output file to write: the partition's folder and the inputs merged into it."""

    table: str
    folder: Path
    inputs: tuple[Path, ...]
    bytes_in: int


@dataclass(slots=True)
class CompactionReport:
    """What a compaction run did (and what an interrupted one left to finish)."""

    partitions: int = 0
    files_in: int = 0
    files_out: int = 0
    rows: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    recovered: int = 0
    skipped_pending: int = 0
    outputs: list[str] = field(default_factory=list)


def _journals(folder: Path) -> list[Path]:
    return sorted(folder.glob(JOURNAL_GLOB))


def _read_journal(path: Path) -> tuple[str, list[str]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["output"]), [str(name) for name in data["inputs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # gone meanwhile, or torn (never renamed into place): nothing committed


def live_files(folder: Path) -> list[Path]:
    """The partition's part files a reader should read: without the inputs of a committed
    compaction whose deletion has not finished yet, in a stable order."""
    present = {p.name: p for p in folder.glob("*.parquet")}
    for journal in _journals(folder):
        entry = _read_journal(journal)
        if entry is not None and entry[0] in present:
            for name in entry[1]:
                present.pop(name, None)
    return [present[name] for name in sorted(present)]


def finish_compactions(root: Path, tables: Iterable[str]) -> int:
    """Roll every journal under ``root`` forward or back; returns how many were finished."""
    finished = 0
    for table in tables:
        for journal in sorted((root / table).glob(f"platform=*/day=*/{JOURNAL_GLOB}")):
            entry = _read_journal(journal)
            if entry is not None and (journal.parent / entry[0]).exists():
                for name in entry[1]:
                    (journal.parent / name).unlink(missing_ok=True)
            journal.unlink(missing_ok=True)
            finished += 1
    return finished


def plan_compaction(
    root: Path,
    tables: Iterable[str],
    *,
    target_bytes: int = DEFAULT_TARGET_BYTES,
    min_files: int = 2,
    eligible: Callable[[str, Path], bool] | None = None,
) -> tuple[list[PartitionPlan], int]:
    """The outputs to write, and how many small files were left out as not ``eligible``.

    In each partition the small files (under ``target_bytes``) that are ``eligible`` are
    taken in name order and grouped until a group reaches ``target_bytes``; the last
    group is merged too, so a partition-day smaller than the target ends as one file.
    A partition with fewer than ``min_files`` such files is left as it is.
    """
    plans: list[PartitionPlan] = []
    left_out = 0
    for table in tables:
        for folder in sorted((root / table).glob("platform=*/day=*")):
            small: list[tuple[Path, int]] = []
            for path in live_files(folder):
                size = path.stat().st_size
                if size >= target_bytes:
                    continue
                if eligible is not None and not eligible(table, path):
                    left_out += 1
                    continue
                small.append((path, size))
            if len(small) < min_files:
                continue
            group: list[tuple[Path, int]] = []
            for item in small:
                group.append(item)
                if sum(size for _, size in group) >= target_bytes:
                    plans.append(_plan(table, folder, group))
                    group = []
            if len(group) > 1:
                plans.append(_plan(table, folder, group))
    return plans, left_out


def _plan(table: str, folder: Path, group: list[tuple[Path, int]]) -> PartitionPlan:
    return PartitionPlan(
        table=table,
        folder=folder,
        inputs=tuple(path for path, _ in group),
        bytes_in=sum(size for _, size in group),
    )


def _target_schema(table: str, inputs: Iterable[Path]) -> pa.Schema:
    """The archive's schema for ``table`` plus any column an input holds beyond it."""
    schema = SCHEMAS[table]
    names = set(schema.names)
    extra: list[pa.Field] = []
    for path in inputs:
        for item in pq.read_schema(path):
            if item.name not in names:
                names.add(item.name)
                extra.append(item)
    return pa.schema(list(schema) + extra)


def _conformed(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [
        rows.column(f.name).cast(f.type)
        if f.name in rows.column_names
        else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def compact_partition(
    plan: PartitionPlan, *, before_commit: Callable[[Path], None] | None = None
) -> tuple[Path, int]:
    """Merge ``plan``'s inputs into one new file, following the steps in the module's doc.

    Returns the output's path and its row count. ``before_commit`` receives the output's
    final path before it exists under that name.
    """
    token = uuid.uuid4().hex[:16]
    output = plan.folder / f"part-compact-{token}.parquet"
    tmp = plan.folder / f".{output.name}.tmp"
    schema = _target_schema(plan.table, plan.inputs)
    expected = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for path in plan.inputs:
            rows = pq.read_table(path)
            expected += rows.num_rows
            writer.write_table(_conformed(rows, schema), row_group_size=1_000_000)
    written = pq.read_metadata(tmp).num_rows
    if written != expected:
        tmp.unlink(missing_ok=True)
        raise OSError(f"compacting {plan.folder}: wrote {written} rows of {expected}")
    journal = plan.folder / f".compaction-{token}.json"
    journal_tmp = plan.folder / f".compaction-{token}.json.tmp"
    journal_tmp.write_text(
        json.dumps({"output": output.name, "inputs": [p.name for p in plan.inputs]}),
        encoding="utf-8",
    )
    journal_tmp.replace(journal)
    try:
        if before_commit is not None:
            before_commit(output)
        tmp.rename(output)
    except BaseException:
        journal.unlink(missing_ok=True)  # rolled back: the inputs stay as they were
        tmp.unlink(missing_ok=True)
        raise
    for path in plan.inputs:
        path.unlink(missing_ok=True)
    journal.unlink(missing_ok=True)
    return output, written
