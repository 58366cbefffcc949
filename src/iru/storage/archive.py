"""The post archive: posts, media and interactions in Parquet, partitioned by platform and day.

Layout: ``<root>/<table>/platform=<p>/day=<YYYY-MM-DD>/part-<run>-<seq>.parquet``
(Hive style, so DuckDB and Dask read the partitions as columns). Files are written
to a temporary name and renamed, so a reader — or a run resumed after kill -9 —
never sees half a file. Each table is deduplicated by its key on write (within the
row's day, or across the platform for media and follow edges, whose day the key does
not fix); queries go through DuckDB views named after the tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from iru.domain.columns import KEYS, SCHEMAS
from iru.ingest.sanitise import platform_problem
from iru.storage.compaction import JOURNAL_GLOB, finish_compactions, live_files

TABLES = tuple(SCHEMAS)
GENERATION = ".generation"  # rewritten after every write that adds rows
ARCHIVE_WIDE = "*"  # the "day" under which a platform's archive-wide keys are cached


def archive_wide_rows(table: str, rows: pa.Table) -> list[bool] | None:
    """Which rows are deduplicated across every day of their platform, not in their day alone.

    A row's day comes from its ``created_at``. For a post, or an edge a post carries,
    the key fixes that time, so its partition is fixed. Not so for a media item (one
    row per (platform, media id), owned by the post that uploaded it, however many
    posts and days later it is shared again) or an edge no post carries (a follow,
    dated when it was seen): these are checked against the whole platform.
    """
    if table == "media":
        return [True] * rows.num_rows
    if table == "interactions":
        return pc.is_null(rows.column("post_id")).to_pylist()  # type: ignore[no-any-return]
    return None


@dataclass(slots=True)
class WriteResult:
    new: int = 0
    duplicates: int = 0


class Archive:
    """The Parquet archive under one folder, with per-partition key sets for deduplication."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._run = uuid.uuid4().hex[:12]
        self._seq = 0
        self._known: dict[tuple[str, str, str], set[str]] = {}

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

    def known_keys(self, table: str, platform: str, day: str) -> set[str]:
        """The keys already stored in one partition (read once, then kept up to date)."""
        cache_key = (table, platform, day)
        keys = self._known.get(cache_key)
        if keys is None:
            keys = set()
            for path in live_files(self.partition_dir(table, platform, day)):
                column = pq.read_table(path, columns=[KEYS[table]]).column(0)
                keys.update(column.to_pylist())
            self._known[cache_key] = keys
        return keys

    def archive_wide_keys(self, table: str, platform: str) -> set[str]:
        """The keys of the rows deduplicated platform-wide (see :func:`archive_wide_rows`)."""
        cache_key = (table, platform, ARCHIVE_WIDE)
        keys = self._known.get(cache_key)
        if keys is None:
            keys = set()
            columns = [KEYS[table]] + (["post_id"] if table == "interactions" else [])
            folder = self.root / table / f"platform={platform}"
            for path in (p for day in sorted(folder.glob("day=*")) for p in live_files(day)):
                stored = pq.read_table(path, columns=columns)
                wide = archive_wide_rows(table, stored) or []
                keys.update(
                    key
                    for key, is_wide in zip(stored.column(0).to_pylist(), wide, strict=True)
                    if is_wide
                )
            self._known[cache_key] = keys
        return keys

    def write(self, table: str, batch: pa.Table) -> WriteResult:
        """Store the rows of ``batch`` whose keys are new, one file per (platform, day)."""
        result = WriteResult()
        if batch.num_rows == 0:
            return result
        if table == "media":
            # The earliest post carrying a media item owns it, whatever order rows came in.
            order = [("created_at", "ascending"), ("post_id", "ascending")]
            batch = batch.take(pc.sort_indices(batch, sort_keys=order))
        days = pc.cast(batch.column("created_at"), pa.date32())
        platforms = batch.column("platform")
        for platform in pc.unique(platforms).to_pylist():
            in_platform = pc.equal(platforms, platform)
            for day in sorted(pc.unique(pc.filter(days, in_platform)).to_pylist()):
                part = batch.filter(pc.and_(in_platform, pc.equal(days, day)))
                self._write_partition(table, platform, day.isoformat(), part, result)
        if result.new:
            self._bump_generation()
        return result

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
        wide = archive_wide_rows(table, part)
        everywhere = self.archive_wide_keys(table, platform) if wide and any(wide) else set()
        keep: list[int] = []
        for index, key in enumerate(part.column(KEYS[table]).to_pylist()):
            is_wide = wide is not None and wide[index]
            if key in known or (is_wide and key in everywhere):
                result.duplicates += 1
            else:
                known.add(key)
                if is_wide:
                    everywhere.add(key)
                keep.append(index)
        if not keep:
            return
        rows = part if len(keep) == part.num_rows else part.take(pa.array(keep))
        folder = self.partition_dir(table, platform, day)
        folder.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        name = f"part-{self._run}-{self._seq:06d}.parquet"
        tmp = folder / f".{name}.tmp"
        # No fsync: a file lost to a power cut is simply written again by the next run,
        # since every later step is keyed and idempotent. The rename keeps readers from
        # ever seeing half a file.
        pq.write_table(rows, tmp, compression="zstd")
        tmp.rename(folder / name)
        result.new += len(keep)

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
