"""The bulk path for twarc2 response files: Arrow's C++ JSON parser plus one DuckDB query.

Parsing tweets one by one in Python caps ingest near 15,000 posts/s. Here a chunk
of response lines is parsed by ``pyarrow.json`` against an explicit schema and
normalised to posts, media, interactions and accounts by a single DuckDB query,
with the same mapping as :mod:`iru.ingest.twitter_v2` (a test holds the two to
identical output). A chunk the fast path cannot take whole — invalid JSON, a
field of the wrong type, a missing id, date or author (so a user listing, whose
``data`` are user objects without ``author_id``), flattened tweets — is handed to
the per-record reader, so every bad record is still quarantined with
its line and reason.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.json as pa_json

from iru.domain import Account, Record
from iru.domain.columns import SCHEMAS, conform
from iru.ingest.base import ColumnBatch, ProgressCallback, Rejected, guard_line, open_input
from iru.ingest.handles import X_MENTION

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
        ("referenced_tweets", pa.list_(pa.struct([("type", pa.string()), ("id", pa.string())]))),
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

# Tweets of a chunk, each with its line, and the per-line lookups the slow path builds.
_NORMALISE = """
CREATE OR REPLACE TEMP TABLE tweets AS
  SELECT line, t.* FROM (SELECT line, unnest(data) AS t FROM resp)
  UNION ALL
  SELECT line, t.* FROM (SELECT line, unnest(includes.tweets) AS t FROM resp);
CREATE OR REPLACE TEMP VIEW tweet_authors AS
  SELECT line, t.id AS ref_id, last(t.author_id ORDER BY pos) AS author_id
  FROM (SELECT line, unnest(includes.tweets) AS t, generate_subscripts(includes.tweets, 1) AS pos
        FROM resp)
  WHERE t.author_id IS NOT NULL GROUP BY ALL;
CREATE OR REPLACE TEMP VIEW line_tweets AS
  SELECT line, t.id AS tweet_id, last(t.author_id ORDER BY src, pos) AS author_id,
    last(t.created_at ORDER BY src, pos) AS created_at
  FROM (SELECT line, 0 AS src, unnest(data) AS t, generate_subscripts(data, 1) AS pos FROM resp
        UNION ALL
        SELECT line, 1, unnest(includes.tweets), generate_subscripts(includes.tweets, 1)
        FROM resp)
  GROUP BY ALL;
CREATE OR REPLACE TEMP VIEW line_media AS
  SELECT line, m.media_key, last(m ORDER BY pos) AS m
  FROM (SELECT line, unnest(includes.media) AS m, generate_subscripts(includes.media, 1) AS pos
        FROM resp)
  GROUP BY ALL;
"""
_CHECK = """
SELECT
  (SELECT count(*) FROM resp WHERE data IS NULL AND includes IS NULL)
  + (SELECT count(*) FROM tweets WHERE id IS NULL OR created_at IS NULL OR author_id IS NULL)
  + (SELECT count(*) FROM (SELECT unnest(includes.users) AS u FROM resp) WHERE u.id IS NULL)
  + (SELECT count(*) FROM (SELECT unnest(includes.media) AS m FROM resp) WHERE m.media_key IS NULL)
"""
_POSTS = """
SELECT 'twitter' AS platform, id AS post_id, author_id AS account_id, created_at,
  coalesce(text, '') AS text, lang, conversation_id,
  list_filter(referenced_tweets, lambda r: r.type = 'replied_to')[-1].id AS reply_to_post_id,
  in_reply_to_user_id AS reply_to_account_id,
  list_filter(referenced_tweets, lambda r: r.type = 'retweeted')[-1].id AS repost_of_post_id,
  list_filter(referenced_tweets, lambda r: r.type = 'quoted')[-1].id AS quote_of_post_id,
  NULL::VARCHAR AS forwarded_from,
  coalesce(list_transform(entities.hashtags, lambda h: h.tag), []) AS hashtags,
  coalesce(list_transform(entities.urls, lambda u: coalesce(u.expanded_url, u.url)), []) AS urls,
  coalesce(list_transform(list_filter(entities.mentions, lambda m: regexp_full_match(
    coalesce(m.id, '@' || m.username), '{X_MENTION}')), lambda m: coalesce(m.id, m.username)), [])
    AS mentions,
  coalesce(attachments.media_keys, []) AS media_ids,
  public_metrics.like_count AS like_count, public_metrics.retweet_count AS repost_count,
  public_metrics.reply_count AS reply_count, public_metrics.quote_count AS quote_count,
  public_metrics.impression_count AS view_count
FROM tweets
""".replace("{X_MENTION}", X_MENTION)  # the mention rule of iru.ingest.handles
# A retweet's media are the original's (see twitter_v2_model._media_owner): its post, its author
# (from the line, else the repost edge's target) and time (from the line, else the retweet's).
_MEDIA_ROWS = """
WITH shown AS (
  SELECT line, id, author_id, created_at,
    list_filter(referenced_tweets, lambda r: r.type = 'retweeted')[-1].id AS repost_of,
    entities.mentions[1].id AS first_mention, unnest(attachments.media_keys) AS key
  FROM tweets
), k AS (
  SELECT s.line, s.key, coalesce(s.repost_of, s.id) AS id,
    CASE WHEN s.repost_of IS NULL THEN s.author_id
      ELSE coalesce(lt.author_id, ta.author_id, s.first_mention) END AS author_id,
    CASE WHEN s.repost_of IS NULL THEN s.created_at
      ELSE coalesce(lt.created_at, s.created_at) END AS created_at
  FROM shown s
  LEFT JOIN line_tweets lt ON lt.line = s.line AND lt.tweet_id = s.repost_of
  LEFT JOIN tweet_authors ta ON ta.line = s.line AND ta.ref_id = s.repost_of
)
SELECT 'twitter' AS platform, k.key AS media_id, k.id AS post_id, k.author_id AS account_id,
  k.created_at,
  CASE coalesce(lm.m.type, 'photo') WHEN 'photo' THEN 'photo' WHEN 'video' THEN 'video'
    WHEN 'animated_gif' THEN 'animated_gif' ELSE 'other' END AS kind,
  coalesce(lm.m.url, lm.m.preview_image_url) AS url, NULL::VARCHAR AS mime_type,
  lm.m.width AS width, lm.m.height AS height, lm.m.duration_ms AS duration_ms,
  lm.m.alt_text AS alt_text, NULL::VARCHAR AS sha256, NULL::VARCHAR AS md5, NULL::VARCHAR AS pdq
FROM k LEFT JOIN line_media lm ON lm.line = k.line AND lm.media_key = k.key
WHERE k.author_id IS NOT NULL
"""
_INTERACTIONS = """
WITH refs AS (
  SELECT t.line, t.id, t.author_id, t.created_at, t.in_reply_to_user_id,
    t.entities.mentions[1].id AS first_mention,
    unnest(t.referenced_tweets) AS r
  FROM tweets t
), ref_edges AS (
  SELECT refs.*, CASE r.type WHEN 'retweeted' THEN 'repost' WHEN 'quoted' THEN 'quote'
    ELSE 'reply' END AS kind, ta.author_id AS ref_author
  FROM refs LEFT JOIN tweet_authors ta ON ta.line = refs.line AND ta.ref_id = r.id
  WHERE r.type IN ('retweeted', 'quoted', 'replied_to')
), targeted AS (
  SELECT *, CASE
      WHEN kind = 'reply' AND in_reply_to_user_id IS NOT NULL THEN in_reply_to_user_id
      WHEN ref_author IS NULL AND kind = 'repost' THEN first_mention
      ELSE ref_author END AS target
  FROM ref_edges
), mentions AS (
  SELECT id, author_id, created_at, text,
    list_filter(referenced_tweets, lambda r: r.type = 'retweeted')[-1].id AS repost_of,
    unnest(entities.mentions) AS m, generate_subscripts(entities.mentions, 1) AS n
  FROM tweets
)
SELECT 'twitter' AS platform, kind || ':' || id || '>' || coalesce(target, '') AS interaction_id,
  kind, author_id AS src_account_id, target AS dst_account_id, id AS post_id,
  r.id AS dst_post_id, created_at
FROM targeted
UNION ALL
SELECT 'twitter', 'mention:' || id || '>' || coalesce(m.id, '@' || m.username), 'mention',
  author_id, coalesce(m.id, '@' || m.username), id, NULL, created_at
FROM mentions
WHERE NOT (repost_of IS NOT NULL AND n = 1 AND regexp_matches(coalesce(text, ''), '^RT @\\w+:'))
  AND regexp_full_match(coalesce(m.id, '@' || m.username), '{X_MENTION}')
""".replace("{X_MENTION}", X_MENTION)
# The slow path's account rule inside a chunk: a snapshot replaces the one before it when it
# is newer (an undated one only replaces undated ones), filling fields it lacks from before.
_ACCOUNTS = """
WITH u AS (
  SELECT row_number() OVER () AS pos, x.u, x.observed_at FROM (
    SELECT unnest(includes.users) AS u, "__twarc".retrieved_at AS observed_at, line
    FROM resp ORDER BY line) x
), w AS (
  SELECT *,
    max(observed_at) OVER prior AS prev_max, count(observed_at) OVER prior AS prev_dated,
    count(*) OVER prior AS prev_rows
  FROM u WINDOW prior AS (PARTITION BY u.id ORDER BY pos
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), breakers AS (
  SELECT * FROM w WHERE prev_rows = 0
    OR (observed_at IS NULL AND prev_dated = 0)
    OR (observed_at IS NOT NULL AND (prev_dated = 0 OR observed_at > prev_max))
)
SELECT u.id AS account_id,
  arg_max(u.username, pos) FILTER (u.username IS NOT NULL) AS handle,
  arg_max(u.name, pos) FILTER (u.name IS NOT NULL) AS display_name,
  arg_max(u.description, pos) FILTER (u.description IS NOT NULL) AS description,
  arg_max(u.profile_image_url, pos) FILTER (u.profile_image_url IS NOT NULL) AS profile_image_url,
  arg_max(u.url, pos) FILTER (u.url IS NOT NULL) AS url,
  arg_max(u.location, pos) FILTER (u.location IS NOT NULL) AS location,
  arg_max(u.created_at, pos) FILTER (u.created_at IS NOT NULL) AS created_at,
  arg_max(u.public_metrics.followers_count, pos)
    FILTER (u.public_metrics.followers_count IS NOT NULL) AS followers_count,
  arg_max(u.public_metrics.following_count, pos)
    FILTER (u.public_metrics.following_count IS NOT NULL) AS following_count,
  arg_max(u.public_metrics.tweet_count, pos)
    FILTER (u.public_metrics.tweet_count IS NOT NULL) AS post_count,
  arg_max(u.public_metrics.listed_count, pos)
    FILTER (u.public_metrics.listed_count IS NOT NULL) AS listed_count,
  arg_max(u.verified, pos) FILTER (u.verified IS NOT NULL) AS verified,
  arg_max(u.protected, pos) FILTER (u.protected IS NOT NULL) AS protected,
  arg_max(observed_at, pos) FILTER (observed_at IS NOT NULL) AS observed_at,
  min(pos) AS first_pos
FROM breakers GROUP BY u.id ORDER BY first_pos
"""
_ACCOUNT_COLUMNS = (
    "account_id",
    "handle",
    "display_name",
    "description",
    "profile_image_url",
    "url",
    "location",
    "created_at",
    "followers_count",
    "following_count",
    "post_count",
    "listed_count",
    "verified",
    "protected",
    "observed_at",
)


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


def _arrow(conn: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    relation = conn.sql(query)
    assert relation is not None
    return relation.to_arrow_table()


def normalise_chunk(conn: duckdb.DuckDBPyConnection, chunk: bytes) -> ColumnBatch | None:
    """The chunk's records, or None when it needs the per-record reader."""
    try:
        table = pa_json.read_json(io.BytesIO(chunk), parse_options=_PARSE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows == 0:
        return None
    resp = table.append_column("line", pa.array(range(table.num_rows), pa.int64()))
    conn.register("resp", resp)
    try:
        conn.execute(_NORMALISE)
        ((problems,),) = conn.execute(_CHECK).fetchall()
        if problems:
            return None
        posts = conform(_arrow(conn, _POSTS), "posts")
        media = conform(_arrow(conn, _MEDIA_ROWS), "media")
        interactions = _arrow(conn, _INTERACTIONS)
        interactions = interactions.select(SCHEMAS["interactions"].names).cast(
            SCHEMAS["interactions"]
        )
        account_rows = _arrow(conn, _ACCOUNTS)
    finally:
        conn.unregister("resp")
        conn.execute("DROP TABLE IF EXISTS tweets")
    columns = {name: account_rows.column(name).to_pylist() for name in _ACCOUNT_COLUMNS}
    accounts = [
        Account(platform="twitter", **dict(zip(_ACCOUNT_COLUMNS, values, strict=True)))
        for values in zip(*columns.values(), strict=True)
    ]
    return ColumnBatch(posts=posts, media=media, interactions=interactions, accounts=accounts)


def read_bulk(
    path: Path,
    progress: ProgressCallback | None,
    chunk_bytes: int,
    read_line: Callable[[int, bytes], Iterator[Record | Rejected]],
) -> Iterator[ColumnBatch | Record | Rejected]:
    """Every chunk as a ColumnBatch, or line by line through ``read_line`` when it must be.

    The next chunk is parsed and normalised on a worker thread (Arrow and DuckDB
    release the GIL) while the caller stores the current one.
    """
    conn = duckdb.connect(config={"threads": os.cpu_count() or 1})
    chunks = iter_chunks(path, progress, chunk_bytes)

    def step() -> tuple[int, bytes, ColumnBatch | None] | None:
        item = next(chunks, None)
        if item is None:
            return None
        first_line, chunk = item
        return first_line, chunk, normalise_chunk(conn, chunk)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="iru-bulk") as pool:
        pending = pool.submit(step)
        try:
            while (done := pending.result()) is not None:
                pending = pool.submit(step)
                first_line, chunk, batch = done
                if batch is not None:
                    yield batch
                    continue
                for offset, raw_line in enumerate(chunk.split(b"\n")):
                    line = raw_line.strip()
                    if line:
                        yield from guard_line(read_line, first_line + offset, line)
        finally:
            pending.cancel()
            with contextlib.suppress(Exception):
                pending.result()
            conn.close()
