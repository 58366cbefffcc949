"""The post archive: posts, media and interactions in Parquet, partitioned by platform and day.

Layout: ``<root>/<table>/platform=<p>/day=<YYYY-MM-DD>/part-<run>-<seq>.parquet``
(Hive style, so DuckDB and Dask read the partitions as columns). Files are written
to a temporary name and renamed, so a reader — or a run resumed after kill -9 —
never sees half a file. Each table is deduplicated by its key on write; queries go
through DuckDB views named after the tables.
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

TABLES = tuple(SCHEMAS)
GENERATION = ".generation"  # rewritten after every write that adds rows


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
        return self.root / table / f"platform={platform}" / f"day={day}"

    def remove_partial_files(self) -> int:
        """Delete temporary files a killed run left behind; returns how many."""
        removed = 0
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
            for path in sorted(self.partition_dir(table, platform, day).glob("*.parquet")):
                column = pq.read_table(path, columns=[KEYS[table]]).column(0)
                keys.update(column.to_pylist())
            self._known[cache_key] = keys
        return keys

    def write(self, table: str, batch: pa.Table) -> WriteResult:
        """Store the rows of ``batch`` whose keys are new, one file per (platform, day)."""
        result = WriteResult()
        if batch.num_rows == 0:
            return result
        days = pc.cast(batch.column("created_at"), pa.date32())
        platforms = batch.column("platform")
        for platform in pc.unique(platforms).to_pylist():
            in_platform = pc.equal(platforms, platform)
            for day in pc.unique(pc.filter(days, in_platform)).to_pylist():
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
        keep: list[int] = []
        for index, key in enumerate(part.column(KEYS[table]).to_pylist()):
            if key in known:
                result.duplicates += 1
            else:
                known.add(key)
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
        """Every stored part file of a table, in a stable order."""
        return sorted((self.root / table).glob("platform=*/day=*/*.parquet"))

    def has_rows(self, table: str) -> bool:
        return any((self.root / table).glob("platform=*/day=*/*.parquet"))

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
                conn.execute(
                    f"CREATE {kind} {table} AS SELECT * FROM read_parquet("
                    f"'{_sql_string(pattern)}', hive_partitioning = true)"
                )
            else:
                conn.register(f"_{table}_empty", schema.empty_table())
                conn.execute(
                    f"CREATE {kind} {table} AS SELECT *, NULL::VARCHAR AS day FROM _{table}_empty"
                )


def _sql_string(value: str) -> str:
    return value.replace("'", "''")
