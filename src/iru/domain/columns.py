"""The columnar form of iru's records: one Arrow schema per archive table, and the conversion.

The Parquet archive, the bulk ingest path and later the Dask engine all speak these
schemas, so they live beside the records they mirror.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import pyarrow as pa

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
            ("content_warning", pa.string()),
            ("sensitive", pa.bool_()),
            ("poll_options", _STRINGS),
            ("author_signature", pa.string()),
            ("edited_at", _TS),
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
            ("local_path", pa.string()),
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
    # Detector findings on posts and media, partitioned like the item they are about.
    "signals": pa.schema(
        [
            ("platform", pa.string()),
            ("signal_id", pa.string()),
            ("detector", pa.string()),
            ("subject", pa.string()),
            ("subject_id", pa.string()),
            ("account_id", pa.string()),
            ("label", pa.string()),
            ("score", pa.float64()),
            ("explanation", pa.string()),
            ("evidence", pa.string()),  # JSON object
            ("created_at", _TS),  # when the post or media item was created
        ]
    ),
}
KEYS = {
    "posts": "post_id",
    "media": "media_id",
    "interactions": "interaction_id",
    "signals": "signal_id",
}


def conform(rows: pa.Table, table: str) -> pa.Table:
    """``rows`` in ``table``'s current schema: columns it lacks (an archive file written
    before they were added) as nulls, extra ones dropped, types cast."""
    schema = SCHEMAS[table]
    columns = [
        rows.column(field.name) if field.name in rows.column_names else _empty(field, rows.num_rows)
        for field in schema
    ]
    return pa.Table.from_arrays(columns, names=schema.names).cast(schema)


def _empty(field: pa.Field, length: int) -> pa.Array:
    """A column the rows lack: empty lists for a list column (as records default), else nulls."""
    if pa.types.is_list(field.type):
        return pa.array([[]] * length, field.type)
    return pa.nulls(length, field.type)


def to_table(records: Sequence[msgspec.Struct], table: str) -> pa.Table:
    """Records of one kind as an Arrow table in that table's schema."""
    schema = SCHEMAS[table]
    return pa.table(
        {name: [getattr(r, name) for r in records] for name in schema.names}, schema=schema
    )
