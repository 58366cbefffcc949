"""The post archive: posts, media and interactions in Parquet, partitioned by platform and day.

Layout: ``<root>/<table>/platform=<p>/day=<YYYY-MM-DD>/part-<run>-<seq>.parquet``
(Hive style, so DuckDB and Dask read the partitions as columns). Files are written
to a temporary name and renamed, so a reader — or a run resumed after kill -9 —
never sees half a file. Each table is deduplicated by its key on write; queries go
through DuckDB views named after the tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_TS = pa.timestamp("us", tz="UTC")
_STRINGS = pa.list_(pa.string())

SCHEMAS: dict[str, pa.Schema] = {
    "posts": pa.schema(
        [
            ("platform", pa.string()),
            ("post_id", pa.string()),
            ("account_id", pa.string()),
            ("created_at", _TS),
            ("text", pa.string()),
            ("lang", pa.string()),
            ("conversation_id", pa.string()),
            ("reply_to_post_id", pa.string()),
            ("reply_to_account_id", pa.string()),
            ("repost_of_post_id", pa.string()),
            ("quote_of_post_id", pa.string()),
            ("forwarded_from", pa.string()),
            ("hashtags", _STRINGS),
            ("urls", _STRINGS),
            ("mentions", _STRINGS),
            ("media_ids", _STRINGS),
            ("like_count", pa.int64()),
            ("repost_count", pa.int64()),
            ("reply_count", pa.int64()),
            ("quote_count", pa.int64()),
            ("view_count", pa.int64()),
        ]
    ),
    "media": pa.schema(
        [
            ("platform", pa.string()),
            ("media_id", pa.string()),
            ("post_id", pa.string()),
            ("account_id", pa.string()),
            ("created_at", _TS),
            ("kind", pa.string()),
            ("url", pa.string()),
            ("mime_type", pa.string()),
            ("width", pa.int64()),
            ("height", pa.int64()),
            ("duration_ms", pa.int64()),
            ("alt_text", pa.string()),
            ("sha256", pa.string()),
            ("md5", pa.string()),
            ("pdq", pa.string()),
        ]
    ),
    "interactions": pa.schema(
        [
            ("platform", pa.string()),
            ("interaction_id", pa.string()),
            ("kind", pa.string()),
            ("src_account_id", pa.string()),
            ("dst_account_id", pa.string()),
            ("post_id", pa.string()),
            ("dst_post_id", pa.string()),
            ("created_at", _TS),
        ]
    ),
}
KEYS = {"posts": "post_id", "media": "media_id", "interactions": "interaction_id"}
TABLES = tuple(SCHEMAS)


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
        key_name = KEYS[table]
        days = pc.strftime(batch.column("created_at"), format="%Y-%m-%d")
        groups = (
            pa.table(
                {
                    "platform": batch.column("platform"),
                    "day": days,
                    "row": pa.array(range(batch.num_rows)),
                }
            )
            .group_by(["platform", "day"])
            .aggregate([("row", "list")])
        )
        for platform, day, rows in zip(
            groups.column("platform").to_pylist(),
            groups.column("day").to_pylist(),
            groups.column("row_list").to_pylist(),
            strict=True,
        ):
            part = batch.take(pa.array(rows))
            keys = part.column(key_name).to_pylist()
            known = self.known_keys(table, platform, day)
            keep: list[int] = []
            for index, key in enumerate(keys):
                if key in known:
                    result.duplicates += 1
                else:
                    known.add(key)
                    keep.append(index)
            if keep:
                self._write_file(table, platform, day, part.take(pa.array(keep)))
                result.new += len(keep)
        return result

    def _write_file(self, table: str, platform: str, day: str, rows: pa.Table) -> None:
        folder = self.partition_dir(table, platform, day)
        folder.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        name = f"part-{self._run}-{self._seq:06d}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(rows, tmp, compression="zstd")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        tmp.rename(folder / name)

    def has_rows(self, table: str) -> bool:
        return any((self.root / table).glob("platform=*/day=*/*.parquet"))

    @contextmanager
    def query(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection with one view per table (empty views for empty tables)."""
        conn = duckdb.connect()
        try:
            for table, schema in SCHEMAS.items():
                if self.has_rows(table):
                    pattern = str(self.root / table / "*" / "*" / "*.parquet")
                    conn.execute(
                        f"CREATE VIEW {table} AS SELECT * FROM read_parquet("
                        f"'{_sql_string(pattern)}', hive_partitioning = true)"
                    )
                else:
                    conn.register(f"_{table}_empty", schema.empty_table())
                    conn.execute(
                        f"CREATE VIEW {table} AS SELECT *, NULL::VARCHAR AS day FROM _{table}_empty"
                    )
            yield conn
        finally:
            conn.close()


def _sql_string(value: str) -> str:
    return value.replace("'", "''")
