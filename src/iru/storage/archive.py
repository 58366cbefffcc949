"""The post archive: posts, media and interactions in Parquet, partitioned by platform and day.

Layout: ``<root>/<table>/platform=<p>/day=<YYYY-MM-DD>/part-<run>-<seq>.parquet``
(Hive style, so DuckDB and Dask read the partitions as columns). Files are written
to a temporary name and renamed, so a reader — or a run resumed after kill -9 —
never sees half a file. Each table is deduplicated by its key on write (within the
row's day, or across the platform for media and follow edges, whose day the key does
not fix); queries go through DuckDB views named after the tables.
"""

from __future__ import annotations

import itertools
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from iru.domain.columns import KEYS, SCHEMAS
from iru.ingest.sanitise import platform_problem
from iru.storage.compaction import JOURNAL_GLOB, finish_compactions, live_files
from iru.storage.key_index import KeyIndex

TABLES = tuple(SCHEMAS)
GENERATION = ".generation"  # rewritten after every write that adds rows
ARCHIVE_WIDE = "*"  # the "day" under which a platform's archive-wide keys are cached
_DICTIONARY_COLUMNS = ("platform", "lang", "kind", "detector", "label", "subject")


def archive_wide_rows(table: str, rows: pa.Table) -> list[bool] | None:
    """Which rows are deduplicated across every day of their platform, not in their day alone.

    A row's day comes from its ``created_at``. For a post, or an edge a post carries,
    the key fixes that time, so its partition is fixed. Not so for a media item (one
    row per (platform, media id), owned by the post that uploaded it, however many
    posts and days later it is shared again) or an edge no post carries (a follow,
    dated when it was seen): these are checked against the whole platform.
    """
    mask = _wide_mask(table, rows)
    return None if mask is None else mask.to_pylist()


def _wide_mask(table: str, rows: pa.Table) -> pa.Array | None:
    """:func:`archive_wide_rows` as a boolean array."""
    if table == "media":
        return pa.array(np.ones(rows.num_rows, bool))
    if table == "interactions":
        return pc.is_null(rows.column("post_id").combine_chunks())
    return None


def _without(
    keep: pa.Array, keys: pa.Array, seen: set[str], where: pa.Array | None = None
) -> pa.Array:
    """``keep`` less the rows (of ``where``, if given) whose key is in ``seen``."""
    if not seen:
        return keep
    hit = pc.is_in(keys, value_set=pa.array(list(seen), pa.string()))
    return pc.and_(keep, pc.invert(hit if where is None else pc.and_(where, hit)))


def _grouped(platforms: pa.Array, days: pa.Array) -> bool:
    """Whether rows are ordered by (platform, day) already."""
    if len(platforms) < 2:
        return True
    same = pc.equal(platforms[1:], platforms[:-1])
    ordered = pc.or_(
        pc.greater(platforms[1:], platforms[:-1]),
        pc.and_(same, pc.greater_equal(days[1:], days[:-1])),
    )
    return bool(pc.all(ordered).as_py())


def _write_file(rows: pa.Table, folder: Path, name: str) -> None:
    """One part file, written to a temporary name and renamed into place."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    # No fsync: a file lost to a power cut is simply written again by the next run,
    # since every later step is keyed and idempotent. The rename keeps readers from
    # ever seeing half a file. Dictionary encoding only where values repeat: on ids and
    # texts it costs time and, under zstd, saves nothing.
    dictionary = [name for name in _DICTIONARY_COLUMNS if name in rows.column_names]
    pq.write_table(rows, tmp, compression="zstd", use_dictionary=dictionary)
    tmp.rename(folder / name)


@dataclass(slots=True)
class WriteResult:
    new: int = 0
    duplicates: int = 0


class Archive:
    """The Parquet archive under one folder, with per-partition key indexes for deduplication."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._run = uuid.uuid4().hex[:12]
        self._seq = 0
        self._known: dict[tuple[str, str, str], KeyIndex] = {}
        self._behind: ThreadPoolExecutor | None = None  # see writing_behind
        self._pending: deque[Future[object]] = deque()
        self._depth = 0

    def partition_dir(self, table: str, platform: str, day: str) -> Path:
        """The folder of one partition; a platform that is not a plain name is refused
        (ingest quarantines such records first: this guards every other writer)."""
        if platform_problem(platform) is not None:
            raise ValueError(f"platform {platform[:80]!r} cannot name an archive folder")
        return self.root / table / f"platform={platform}" / f"day={day}"

    def remove_partial_files(self) -> int:
        """Finish what a killed compaction left (see :mod:`iru.storage.compaction`) and
        delete temporary files a killed run left behind; returns how many."""
        removed = finish_compactions(self.root, TABLES)
        for table in TABLES:
            for tmp in (self.root / table).glob("platform=*/day=*/.*.tmp"):
                tmp.unlink(missing_ok=True)
                removed += 1
        for tmp in self.root.glob(f"{GENERATION}.*.tmp"):
            tmp.unlink(missing_ok=True)
        return removed

    def known_keys(self, table: str, platform: str, day: str) -> KeyIndex:
        """The keys already stored in one partition (read once, then kept up to date)."""
        cache_key = (table, platform, day)
        keys = self._known.get(cache_key)
        if keys is None:
            keys = KeyIndex()
            for path in live_files(self.partition_dir(table, platform, day)):
                column = pq.read_table(path, columns=[KEYS[table]]).column(0).combine_chunks()
                keys.add(column, column.to_pylist())
            self._known[cache_key] = keys
        return keys

    def archive_wide_keys(self, table: str, platform: str) -> KeyIndex:
        """The keys of the rows deduplicated platform-wide (see :func:`archive_wide_rows`)."""
        cache_key = (table, platform, ARCHIVE_WIDE)
        keys = self._known.get(cache_key)
        if keys is None:
            keys = KeyIndex()
            columns = [KEYS[table]] + (["post_id"] if table == "interactions" else [])
            folder = self.root / table / f"platform={platform}"
            for path in (p for day in sorted(folder.glob("day=*")) for p in live_files(day)):
                stored = pq.read_table(path, columns=columns)
                wide = _wide_mask(table, stored)
                if wide is not None:
                    column = stored.column(0).filter(wide).combine_chunks()
                    keys.add(column, column.to_pylist())
            self._known[cache_key] = keys
        return keys

    def write(self, table: str, batch: pa.Table) -> WriteResult:
        """Store the rows of ``batch`` whose keys are new, one file per (platform, day)."""
        result = WriteResult()
        if batch.num_rows == 0:
            return result
        # Rows grouped by partition (slices are free): one stable sort unless they come
        # grouped already; within a partition they keep their order, so of two rows with one
        # key the first is kept. The earliest post carrying a media item owns it, whatever
        # order rows came in.
        platforms = batch.column("platform").combine_chunks()
        days = pc.cast(batch.column("created_at"), pa.date32()).combine_chunks()
        if table == "media" or not _grouped(platforms, days):
            keys = [("platform", "ascending"), ("day", "ascending")]
            if table == "media":
                keys += [("created_at", "ascending"), ("post_id", "ascending")]
            order = pc.sort_indices(batch.append_column("day", days), sort_keys=keys)
            batch, platforms, days = batch.take(order), platforms.take(order), days.take(order)
        change = pc.or_(
            pc.not_equal(platforms[1:], platforms[:-1]), pc.not_equal(days[1:], days[:-1])
        )
        bounds = [0, *(np.flatnonzero(change.to_numpy(zero_copy_only=False)) + 1), len(batch)]
        for start, stop in itertools.pairwise(bounds):
            day = days[start].as_py()
            part = batch.slice(start, stop - start)
            self._write_partition(table, platforms[start].as_py(), day.isoformat(), part, result)
        if result.new:
            self._after_files(self._bump_generation)
        return result

    @contextmanager
    def writing_behind(self, depth: int = 32) -> Iterator[None]:
        """Within: part files are encoded and renamed into place by one writer thread, in
        the order they were decided, while the caller goes on (Arrow's Parquet writer
        releases the GIL); at most ``depth`` files wait. Keys are deduplicated at once, so
        :meth:`write` still answers what is new. Leaving waits for every file and raises
        the first failure. A run killed meanwhile loses only files a re-run writes again."""
        if self._behind is not None:
            yield
            return
        self._behind = ThreadPoolExecutor(1, thread_name_prefix="iru-archive")
        self._depth = depth
        failed = True
        try:
            yield
            failed = False
        finally:
            behind, self._behind = self._behind, None
            behind.shutdown(wait=True)
            pending, self._pending = self._pending, deque()
        if not failed:
            for future in pending:
                future.result()

    def _land(self, rows: pa.Table, folder: Path, name: str) -> None:
        if self._behind is None:
            _write_file(rows, folder, name)
            return
        self._after_files(partial(_write_file, rows, folder, name))

    def _after_files(self, step: Callable[[], object]) -> None:
        """Run ``step`` now, or after the files waiting to be written."""
        if self._behind is None:
            step()
            return
        while self._pending and (len(self._pending) >= self._depth or self._pending[0].done()):
            self._pending.popleft().result()
        self._pending.append(self._behind.submit(step))

    def generation(self) -> str:
        """A token that changes whenever rows are added (readers cache against it)."""
        marker = self.root / GENERATION
        try:
            return marker.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            if not self.root.exists():
                return ""
            return self._bump_generation()

    def bump_generation(self) -> str:
        """Mark the archive changed without adding rows (after a compaction)."""
        return self._bump_generation()

    def _bump_generation(self) -> str:
        token = uuid.uuid4().hex
        tmp = self.root / f"{GENERATION}.{token}.tmp"
        tmp.write_text(token, encoding="ascii")
        tmp.replace(self.root / GENERATION)
        return token

    def _write_partition(
        self, table: str, platform: str, day: str, part: pa.Table, result: WriteResult
    ) -> None:
        known = self.known_keys(table, platform, day)
        keys = part.column(KEYS[table]).combine_chunks()
        key_list = keys.to_pylist()
        # The first row of each key in the batch, unless the partition holds the key.
        first = pa.array(np.arange(len(keys), dtype=np.int32))
        keep = _without(
            pc.equal(pc.index_in(keys, value_set=keys), first), keys, known.found(key_list)
        )
        wide = _wide_mask(table, part)
        everywhere: KeyIndex | None = None
        if wide is not None and pc.any(wide).as_py():
            # Checked against the whole platform too (see archive_wide_rows).
            everywhere = self.archive_wide_keys(table, platform)
            keep = _without(keep, keys, everywhere.found(key_list), wide)
        new = pc.sum(keep).as_py() or 0
        result.duplicates += part.num_rows - new
        if not new:
            return
        rows = part
        if new < part.num_rows:
            rows = part.filter(keep)
            keys = rows.column(KEYS[table]).combine_chunks()
            key_list = keys.to_pylist()
        known.add(keys, key_list)
        wide_rows = _wide_mask(table, rows)
        if everywhere is not None and wide_rows is not None:
            wide_keys = pc.filter(keys, wide_rows)
            everywhere.add(wide_keys, wide_keys.to_pylist())
        self._seq += 1
        folder = self.partition_dir(table, platform, day)
        self._land(rows, folder, f"part-{self._run}-{self._seq:06d}.parquet")
        result.new += new

    def files(self, table: str) -> list[Path]:
        """Every stored part file of a table, in a stable order (without the inputs of a
        compaction that committed but was cut short before deleting them)."""
        return [
            path
            for folder in sorted((self.root / table).glob("platform=*/day=*"))
            for path in live_files(folder)
        ]

    def has_rows(self, table: str) -> bool:
        return any((self.root / table).glob("platform=*/day=*/*.parquet"))

    def has_posts_of(self, platform: str, account_id: str) -> bool:
        """Whether the archive holds a post of the account."""
        if not self.has_rows("posts"):
            return False
        with self.query() as db:
            found = db.execute(
                "SELECT 1 FROM posts WHERE platform = ? AND account_id = ? LIMIT 1",
                [platform, account_id],
            ).fetchone()
        return found is not None

    def newest(self, table: str) -> datetime | None:
        """The latest ``created_at`` stored in ``table`` (None when it is empty)."""
        if not self.has_rows(table):
            return None
        with self.query() as conn:
            row = conn.execute(f"SELECT max(created_at) FROM {table}").fetchone()
        return row[0] if row else None

    @contextmanager
    def query(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection with one view per table (empty views for empty tables)."""
        conn = duckdb.connect()
        try:
            self.create_views(conn)
            yield conn
        finally:
            conn.close()

    def create_views(self, conn: duckdb.DuckDBPyConnection, *, temporary: bool = False) -> None:
        """One view per table on ``conn`` (temporary ones leave a database file untouched)."""
        kind = "TEMP VIEW" if temporary else "VIEW"
        for table, schema in SCHEMAS.items():
            if self.has_rows(table):
                pattern = str(self.root / table / "*" / "*" / "*.parquet")
                if any((self.root / table).glob(f"platform=*/day=*/{JOURNAL_GLOB}")):
                    # A compaction is being finished: name the live files one by one.
                    names = ", ".join(f"'{_sql_string(str(p))}'" for p in self.files(table))
                    pattern_sql = f"[{names}]"
                else:
                    pattern_sql = f"'{_sql_string(pattern)}'"
                # By name, so files written before a column was added read it as null.
                source = (
                    f"read_parquet({pattern_sql}, hive_partitioning = true, union_by_name = true)"
                )
                found = {
                    row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
                }
                missing = "".join(
                    f", NULL::{_sql_type(field.type)} AS {field.name}"
                    for field in schema
                    if field.name not in found
                )
                conn.execute(f"CREATE {kind} {table} AS SELECT *{missing} FROM {source}")
            else:
                conn.register(f"_{table}_empty", schema.empty_table())
                conn.execute(
                    f"CREATE {kind} {table} AS SELECT *, NULL::VARCHAR AS day FROM _{table}_empty"
                )


def _sql_type(arrow_type: pa.DataType) -> str:
    """DuckDB's name for a column type of the archive schemas."""
    if pa.types.is_list(arrow_type):
        return _sql_type(arrow_type.value_type) + "[]"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ"
    names = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.float64(): "DOUBLE"}
    return names.get(arrow_type, "BOOLEAN" if pa.types.is_boolean(arrow_type) else "VARCHAR")


def _sql_string(value: str) -> str:
    return value.replace("'", "''")
