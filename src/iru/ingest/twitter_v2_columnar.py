"""The bulk path for twarc2 response files: Arrow's C++ JSON parser, then Arrow compute.

Parsing tweets one by one in Python caps ingest near 15,000 posts/s. Here chunks of
response lines are parsed by ``pyarrow.json`` against an explicit schema, on a pool of
worker processes (:mod:`iru.ingest.bulk`), and normalised to posts, media, interactions
and accounts column-wise (:mod:`iru.ingest.twitter_v2_arrow`), with the same mapping as
:mod:`iru.ingest.twitter_v2` (a test holds the two to identical output). A chunk the
fast path cannot take whole — invalid JSON, a field of the wrong type, a missing id,
date or author (so a user listing, whose ``data`` are user objects without
``author_id``), flattened tweets — is handed to the per-record reader, so every bad
record is still quarantined with its line and reason.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json

from iru.domain import Record
from iru.ingest.base import ColumnBatch, ProgressCallback, Rejected, guard_line, open_input
from iru.ingest.bulk import AccountTableBatch, parsed_chunks
from iru.ingest.twitter_v2_arrow import Normalised, normalise

_TS = pa.timestamp("us", tz="UTC")
_METRICS = pa.struct(
    [
        ("retweet_count", pa.int64()),
        ("reply_count", pa.int64()),
        ("like_count", pa.int64()),
        ("quote_count", pa.int64()),
        ("impression_count", pa.int64()),
    ]
)
_TWEET = pa.struct(
    [
        ("id", pa.string()),
        ("created_at", _TS),
        ("author_id", pa.string()),
        ("text", pa.string()),
        ("lang", pa.string()),
        ("conversation_id", pa.string()),
        ("in_reply_to_user_id", pa.string()),
        (
            "referenced_tweets",
            pa.list_(
                pa.struct([("type", pa.string()), ("id", pa.string()), ("author_id", pa.string())])
            ),
        ),
        (
            "entities",
            pa.struct(
                [
                    (
                        "mentions",
                        pa.list_(pa.struct([("username", pa.string()), ("id", pa.string())])),
                    ),
                    ("hashtags", pa.list_(pa.struct([("tag", pa.string())]))),
                    (
                        "urls",
                        pa.list_(pa.struct([("url", pa.string()), ("expanded_url", pa.string())])),
                    ),
                ]
            ),
        ),
        ("attachments", pa.struct([("media_keys", pa.list_(pa.string()))])),
        ("public_metrics", _METRICS),
    ]
)
_USER = pa.struct(
    [
        ("id", pa.string()),
        ("username", pa.string()),
        ("name", pa.string()),
        ("description", pa.string()),
        ("location", pa.string()),
        ("url", pa.string()),
        ("profile_image_url", pa.string()),
        ("created_at", _TS),
        ("protected", pa.bool_()),
        ("verified", pa.bool_()),
        (
            "public_metrics",
            pa.struct(
                [
                    ("followers_count", pa.int64()),
                    ("following_count", pa.int64()),
                    ("tweet_count", pa.int64()),
                    ("listed_count", pa.int64()),
                ]
            ),
        ),
    ]
)
_MEDIA = pa.struct(
    [
        ("media_key", pa.string()),
        ("type", pa.string()),
        ("url", pa.string()),
        ("preview_image_url", pa.string()),
        ("width", pa.int64()),
        ("height", pa.int64()),
        ("duration_ms", pa.int64()),
        ("alt_text", pa.string()),
    ]
)
RESPONSE_SCHEMA = pa.schema(
    [
        ("data", pa.list_(_TWEET)),
        (
            "includes",
            pa.struct(
                [
                    ("users", pa.list_(_USER)),
                    ("tweets", pa.list_(_TWEET)),
                    ("media", pa.list_(_MEDIA)),
                ]
            ),
        ),
        ("__twarc", pa.struct([("retrieved_at", _TS)])),
    ]
)
_PARSE = pa_json.ParseOptions(explicit_schema=RESPONSE_SCHEMA, unexpected_field_behavior="ignore")


# One block per chunk: the worker processes are the parallelism.
_READ = pa_json.ReadOptions(use_threads=False, block_size=1 << 30)


def iter_chunks(
    path: Path, progress: ProgressCallback | None, chunk_bytes: int
) -> Iterator[tuple[int, bytes]]:
    """(number of the chunk's first line, whole lines) of about ``chunk_bytes`` each."""
    line = 1
    rest = b""
    with open_input(path) as handle:
        while True:
            block = handle.read(chunk_bytes)
            if progress is not None and block:
                progress(len(block))
            if not block:
                if rest:
                    yield line, rest
                return
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            chunk, rest = data[:cut], data[cut:]
            yield line, chunk
            line += chunk.count(b"\n")


def parse_chunk(chunk: bytes) -> Normalised | None:
    """The chunk's records in columns, or None when it needs the per-record reader."""
    try:
        table = pa_json.read_json(io.BytesIO(chunk), read_options=_READ, parse_options=_PARSE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return normalise(table)


def read_bulk(
    path: Path,
    progress: ProgressCallback | None,
    chunk_bytes: int,
    read_line: Callable[[int, bytes], Iterator[Record | Rejected]],
    workers: int | None = None,
) -> Iterator[ColumnBatch | Record | Rejected]:
    """Every chunk as a ColumnBatch, or line by line through ``read_line`` when it must be.

    Chunks are parsed and normalised on worker processes (see :mod:`iru.ingest.bulk`)
    while the caller stores the ones before them.
    """
    chunks = parsed_chunks(
        path,
        progress,
        chunk_bytes,
        parse_chunk,
        chunks_of=lambda: iter_chunks(path, progress, chunk_bytes),
        workers=workers,
    )
    for chunk in chunks:
        done = chunk.result
        if done is not None:
            yield AccountTableBatch(
                posts=done.posts,
                media=done.media,
                interactions=done.interactions,
                accounts=[],
                account_table=done.accounts,
            )
            continue
        for offset, raw_line in enumerate(chunk.text.split(b"\n")):
            line = raw_line.strip()
            if line:
                yield from guard_line(read_line, chunk.first_line + offset, line)
