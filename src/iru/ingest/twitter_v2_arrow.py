"""twarc2 responses parsed by Arrow, normalised to iru's tables with Arrow compute and numpy.

:func:`normalise` applies :func:`iru.ingest.twitter_v2_model._tweet_records` (and the
ingest engine's in-batch account merge) to whole columns of a chunk of response lines:
no Python loop runs per tweet. Posts and edges come by day (the archive's partition)
and within a day in the per-record reader's order (line by line; a line's ``data``
before its ``includes.tweets``; a tweet's reference edges before its mentions), media
in that order, so "first one wins" deduplication keeps the same rows.

Where the per-record reader would reject an item, or where the two could read it
differently (a missing id, date or author, an empty author, a list item without its
required field), :func:`normalise` returns None and the caller reads the chunk line
by line instead, so the quarantine names each bad record's line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from iru.domain.columns import SCHEMAS, conform
from iru.ingest.arrow_ops import (
    Index,
    Mask,
    bool_mask,
    constant,
    flatten,
    join,
    or_else,
    pick,
    regroup,
    run_ends,
    struct_fields,
    take_or_null,
    through,
    to_numpy,
    truthy,
    whole,
)
from iru.ingest.handles import X_MENTION

PLATFORM = "twitter"
_MENTION = f"^(?:{X_MENTION})$"
# twitter_v2_model._RT_PREFIX: Python's \w on str is a letter or digit of any script, or "_".
_RT_PREFIX = r"^RT @[\p{L}\p{N}_]+:"
_SEP = "\x1f"  # between a line number and a key in a composite lookup key
_REF_KINDS = {"retweeted": "repost", "quoted": "quote", "replied_to": "reply"}
_MEDIA_KINDS = pa.array(["photo", "video", "animated_gif"])
_TS = pa.timestamp("us", tz="UTC")
_DAY = 86_400_000_000  # microseconds

# Account's fields as columns (Account(**row) rebuilds one).
ACCOUNT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("handle", pa.string()),
        ("display_name", pa.string()),
        ("description", pa.string()),
        ("profile_image_url", pa.string()),
        ("url", pa.string()),
        ("location", pa.string()),
        ("language", pa.string()),
        ("created_at", _TS),
        ("followers_count", pa.int64()),
        ("following_count", pa.int64()),
        ("post_count", pa.int64()),
        ("listed_count", pa.int64()),
        ("verified", pa.bool_()),
        ("protected", pa.bool_()),
        ("observed_at", _TS),
    ]
)
# Account field <- (user field, metric field or None).
_USER_FIELDS = {
    "handle": ("username", None),
    "display_name": ("name", None),
    "description": ("description", None),
    "profile_image_url": ("profile_image_url", None),
    "url": ("url", None),
    "location": ("location", None),
    "created_at": ("created_at", None),
    "followers_count": ("public_metrics", "followers_count"),
    "following_count": ("public_metrics", "following_count"),
    "post_count": ("public_metrics", "tweet_count"),
    "listed_count": ("public_metrics", "listed_count"),
    "verified": ("verified", None),
    "protected": ("protected", None),
}


@dataclass(frozen=True, slots=True)
class Normalised:
    """A chunk's records: archive tables, and accounts (ACCOUNT_SCHEMA) merged within it."""

    posts: pa.Table
    media: pa.Table
    interactions: pa.Table
    accounts: pa.Table


class _Fallback(Exception):
    """The chunk holds something only the per-record reader reads the same way."""


def _required(*arrays: pa.Array) -> None:
    for array in arrays:
        if array.null_count:
            raise _Fallback


def _by_day(day: Index, rank: Index) -> Index:
    """The rows by day, and within a day in the per-record reader's order (a stable sort:
    rows of one rank keep theirs). Stored so, rows need no sorting into the archive's
    daily partitions, and the first of two rows with one key is still the one kept."""
    return np.lexsort((rank, day))


def _keyed(lines: Index, keys: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(pa.array(lines).cast(pa.string()), keys, _SEP)


def _lookup_last(lines: Index, keys: pa.Array, at_lines: Index, at_keys: pa.Array) -> Index:
    """For each (line, key) asked, the position of the last entry with that line and key
    (-1: none), as a dict built over the entries in order would answer."""
    if len(keys) == 0 or len(at_keys) == 0:
        return np.full(len(at_keys), -1, np.int64)
    table = _keyed(lines, keys)[::-1]
    found = pc.index_in(_keyed(at_lines, at_keys), value_set=table, skip_nulls=True)
    hit = to_numpy(pc.fill_null(found, -1)).astype(np.int64)
    return np.where(hit >= 0, len(keys) - 1 - hit, -1)


@dataclass(frozen=True, slots=True)
class _Tweets:
    """Every tweet of a chunk (its ``data``, then its ``includes.tweets``), with what
    their records need, and the per-record reader's order of them."""

    fields: dict[str, pa.Array]
    line: Index
    included: Mask
    rank: Index  # each tweet's place in the per-record reader's order
    day: Index  # each tweet's day (UTC), its archive partition
    refs: dict[str, pa.Array]
    ref_of: Index
    mentions: dict[str, pa.Array]
    mention_of: Index
    repost: Index  # position in refs of each tweet's last "retweeted" reference, or -1

    @property
    def size(self) -> int:
        return len(self.line)


def _tweets(data: pa.Array, includes: dict[str, pa.Array]) -> _Tweets:
    data_items, data_lines = flatten(data)
    included_items, included_lines = flatten(includes["tweets"])
    lines = np.concatenate([data_lines, included_lines])
    # Line by line, a line's data before its included tweets (a stable sort keeps them so).
    # Within one line the tweets are already in that order, which is all lookups need.
    order = np.argsort(lines, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    tweets = pa.concat_arrays([data_items, included_items])
    fields = struct_fields(tweets)
    _required(fields["id"], fields["created_at"], fields["author_id"])
    if not truthy(fields["author_id"]).all():
        raise _Fallback  # the per-record reader takes "" for no author
    size = len(tweets)
    refs, ref_of = flatten(fields["referenced_tweets"])
    ref_fields = struct_fields(refs)
    _required(ref_fields["type"], ref_fields["id"])
    entities = struct_fields(fields["entities"])
    mentions, mention_of = flatten(entities["mentions"])
    mention_fields = struct_fields(mentions)
    _required(mention_fields["username"])
    retweeted = bool_mask(pc.equal(ref_fields["type"], "retweeted"))
    return _Tweets(
        fields=fields | {f"entities.{k}": v for k, v in entities.items()},
        line=lines,
        included=np.arange(len(lines)) >= len(data_items),
        rank=rank,
        day=to_numpy(pc.cast(fields["created_at"], pa.int64())).astype(np.int64) // _DAY,
        refs=ref_fields,
        ref_of=ref_of,
        mentions=mention_fields,
        mention_of=mention_of,
        repost=pick(ref_of, retweeted, size),
    )


def _mention_targets(mentions: dict[str, pa.Array]) -> tuple[pa.Array, pa.Array, Mask]:
    """(edge target, the post's mention value, whether an X account can be so named)."""
    target = or_else(mentions["id"], join("@", mentions["username"]))
    valid = bool_mask(pc.match_substring_regex(target, _MENTION))
    return target, or_else(mentions["id"], mentions["username"]), valid


def _posts(t: _Tweets) -> pa.Table:
    f = t.fields
    size = t.size
    refs = t.refs

    def last_ref(kind: str) -> pa.Array:
        return take_or_null(
            refs["id"], pick(t.ref_of, bool_mask(pc.equal(refs["type"], kind)), size)
        )

    hashtags, hashtag_of = flatten(f["entities.hashtags"])
    tags = struct_fields(hashtags)["tag"]
    urls, url_of = flatten(f["entities.urls"])
    url_fields = struct_fields(urls)
    _required(tags, url_fields["url"])
    _, mention_values, valid = _mention_targets(t.mentions)
    keys, key_of = flatten(struct_fields(f["attachments"])["media_keys"])
    _required(keys)
    metrics = struct_fields(f["public_metrics"])
    columns = {
        "platform": constant(PLATFORM, size),
        "post_id": f["id"],
        "account_id": f["author_id"],
        "created_at": f["created_at"],
        "text": pc.fill_null(f["text"], ""),
        "lang": f["lang"],
        "conversation_id": f["conversation_id"],
        "reply_to_post_id": last_ref("replied_to"),
        "reply_to_account_id": f["in_reply_to_user_id"],
        "repost_of_post_id": last_ref("retweeted"),
        "quote_of_post_id": last_ref("quoted"),
        "hashtags": regroup(tags, hashtag_of, size),
        "urls": regroup(or_else(url_fields["expanded_url"], url_fields["url"]), url_of, size),
        "mentions": regroup(mention_values.filter(pa.array(valid)), t.mention_of[valid], size),
        "media_ids": regroup(keys, key_of, size),
        "like_count": metrics["like_count"],
        "repost_count": metrics["retweet_count"],
        "reply_count": metrics["reply_count"],
        "quote_count": metrics["quote_count"],
        "view_count": metrics["impression_count"],
    }
    return conform(pa.table(columns), "posts").take(pa.array(_by_day(t.day, t.rank)))


def _media(t: _Tweets, includes: dict[str, pa.Array]) -> pa.Table:
    """twitter_v2_model._media_owner and _media_record, per attached media key."""
    f = t.fields
    keys, tweet = flatten(struct_fields(f["attachments"])["media_keys"])
    repost = t.repost[tweet]
    is_repost = repost >= 0
    repost_of = take_or_null(t.refs["id"], repost)
    # The original, when the line holds it: its author and time.
    original = _lookup_last(t.line, f["id"], t.line[tweet], repost_of)
    found = original >= 0
    # Else the reference's author (flattened form), else the first mention's id.
    first_mention = pick(t.mention_of, np.ones(len(t.mention_of), bool), t.size, last=False)
    fallback_owner = or_else(
        take_or_null(t.refs["author_id"], repost),
        take_or_null(t.mentions["id"], first_mention[tweet]),
    )
    own_id = f["id"].take(pa.array(tweet))
    own_author = f["author_id"].take(pa.array(tweet))
    own_time = f["created_at"].take(pa.array(tweet))
    post_id = pc.if_else(pa.array(is_repost), repost_of, own_id)
    account_id = pc.if_else(
        pa.array(is_repost),
        pc.if_else(pa.array(found), take_or_null(f["author_id"], original), fallback_owner),
        own_author,
    )
    created_at = pc.if_else(pa.array(found), take_or_null(f["created_at"], original), own_time)
    # What the line's includes.media say of each key (the last object with that key).
    media_items, media_line = flatten(includes["media"])
    details = struct_fields(media_items)
    _required(details["media_key"])
    at = _lookup_last(media_line, details["media_key"], t.line[tweet], keys)
    kind = or_else(take_or_null(details["type"], at), constant("photo", len(keys)))
    known = pc.is_in(kind, value_set=_MEDIA_KINDS)
    columns = {
        "platform": constant(PLATFORM, len(keys)),
        "media_id": keys,
        "post_id": post_id,
        "account_id": account_id,
        "created_at": created_at,
        "kind": pc.if_else(known, kind, "other"),
        "url": or_else(
            take_or_null(details["url"], at), take_or_null(details["preview_image_url"], at)
        ),
        "width": take_or_null(details["width"], at),
        "height": take_or_null(details["height"], at),
        "duration_ms": take_or_null(details["duration_ms"], at),
        "alt_text": take_or_null(details["alt_text"], at),
    }
    # A retweet whose original's author is nowhere on the line: its media wait for it.
    owned = to_numpy(pc.is_valid(account_id)).astype(np.bool_)
    kept = np.flatnonzero(owned)[np.argsort(t.rank[tweet[owned]], kind="stable")]
    return conform(pa.table(columns).take(pa.array(kept)), "media")


def _interactions(t: _Tweets) -> pa.Table:
    """twitter_v2_model._tweet_records' edges: references, then mentions, per tweet."""
    f = t.fields
    refs = t.refs
    is_edge = bool_mask(pc.is_in(refs["type"], value_set=pa.array(list(_REF_KINDS))))
    ref_index = np.flatnonzero(is_edge)
    tweet = t.ref_of[ref_index]
    kind = pc.take(refs["type"], pa.array(ref_index))
    for source, name in _REF_KINDS.items():
        kind = pc.if_else(pc.equal(kind, source), name, kind)
    ref_id = pc.take(refs["id"], pa.array(ref_index))
    included = np.flatnonzero(t.included)
    author_of_ref = _lookup_last(
        t.line[included], f["id"].take(pa.array(included)), t.line[tweet], ref_id
    )
    author_of_ref = through(included, author_of_ref)
    target = or_else(
        pc.take(refs["author_id"], pa.array(ref_index)), take_or_null(f["author_id"], author_of_ref)
    )
    reply_to = f["in_reply_to_user_id"].take(pa.array(tweet))
    is_reply = bool_mask(pc.equal(kind, "reply"))
    target = pc.if_else(pa.array(is_reply & truthy(reply_to)), reply_to, target)
    counts = np.bincount(t.mention_of, minlength=t.size)
    first_mention = pick(t.mention_of, np.ones(len(t.mention_of), bool), t.size, last=False)
    unnamed_repost = (
        bool_mask(pc.equal(kind, "repost"))
        & to_numpy(pc.is_null(target)).astype(bool)
        & (counts[tweet] > 0)
    )
    target = pc.if_else(
        pa.array(unnamed_repost), take_or_null(t.mentions["id"], first_mention[tweet]), target
    )
    post_id = f["id"].take(pa.array(tweet))
    references = {
        "interaction_id": join(kind, ":", post_id, ">", pc.fill_null(target, "")),
        "kind": kind,
        "src_account_id": f["author_id"].take(pa.array(tweet)),
        "dst_account_id": target,
        "post_id": post_id,
        "dst_post_id": ref_id,
        "created_at": f["created_at"].take(pa.array(tweet)),
    }
    # Mentions: valid targets, less a retweet's own "RT @x:" (the repost edge).
    mention_target, _, valid = _mention_targets(t.mentions)
    by = t.mention_of
    text = pc.fill_null(f["text"], "")
    own_rt = run_ends(by, last=False) & (t.repost[by] >= 0)  # a retweet's first mention ...
    candidates = np.flatnonzero(own_rt)
    own_rt[candidates] = bool_mask(  # ... when the retweet's text starts "RT @name:"
        pc.match_substring_regex(text.take(pa.array(by[candidates])), _RT_PREFIX)
    )
    keep = np.flatnonzero(valid & ~own_rt)
    by_kept = by[keep]
    mention_post = f["id"].take(pa.array(by_kept))
    mention_dst = pc.take(mention_target, pa.array(keep))
    mentions = {
        "interaction_id": join("mention:", mention_post, ">", mention_dst),
        "kind": constant("mention", len(keep)),
        "src_account_id": f["author_id"].take(pa.array(by_kept)),
        "dst_account_id": mention_dst,
        "post_id": mention_post,
        "dst_post_id": pa.nulls(len(keep), pa.string()),
        "created_at": f["created_at"].take(pa.array(by_kept)),
    }
    of = np.concatenate([tweet, by_kept])
    order = _by_day(t.day[of], t.rank[of])
    schema = SCHEMAS["interactions"]
    columns = [
        constant(PLATFORM, len(order))
        if name == "platform"
        else pa.concat_arrays([references[name], mentions[name]]).take(pa.array(order))
        for name in schema.names
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _accounts(includes: dict[str, pa.Array], observed_by_line: pa.Array) -> pa.Table:
    """Each user's snapshots merged as the engine's batch does (``_merge``), in first-seen
    order: a snapshot replaces the state when newer (an undated one only while every one
    before was undated), taking the fields it has and keeping the others."""
    users, user_line = flatten(includes["users"])
    fields = struct_fields(users)
    _required(fields["id"])
    groups = to_numpy(pc.dictionary_encode(fields["id"]).indices).astype(np.int64)
    count = int(groups.max()) + 1 if len(groups) else 0
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    observed = observed_by_line.take(pa.array(user_line))
    stamps = to_numpy(pc.fill_null(pc.cast(observed, pa.int64()), 0)).astype(np.int64)
    dated = to_numpy(pc.is_valid(observed)).astype(bool)
    # Dense ranks of the dates (0: undated), so a group-wise running max fits in int64.
    ranks = np.zeros(len(stamps), np.int64)
    if dated.any():
        ranks[dated] = np.unique(stamps[dated], return_inverse=True)[1] + 1
    width = int(ranks.max()) + 1 if len(ranks) else 1
    keyed = sorted_groups * width + ranks[order]
    running = np.maximum.accumulate(keyed) - sorted_groups * width if len(keyed) else keyed
    before = np.zeros(len(running), np.int64)
    before[1:] = running[:-1]
    before[run_ends(sorted_groups, last=False)] = 0  # nothing before a group's first snapshot
    sorted_dated = dated[order]
    accept = np.where(sorted_dated, ranks[order] > before, before == 0)

    def merged(values: pa.Array) -> pa.Array:
        valid = to_numpy(pc.is_valid(values)).astype(bool)[order]
        picked = pick(sorted_groups, accept & valid, count)
        return take_or_null(values, through(order, picked))

    first = pick(sorted_groups, np.ones(len(order), bool), count, last=False)
    metrics = struct_fields(fields["public_metrics"])
    columns: dict[str, pa.Array] = {
        "platform": constant(PLATFORM, count),
        "account_id": fields["id"].take(pa.array(order[first])),
        "language": pa.nulls(count, pa.string()),
        "observed_at": merged(observed),
    }
    for name, (source, metric) in _USER_FIELDS.items():
        columns[name] = merged(metrics[metric] if metric is not None else fields[source])
    return pa.Table.from_arrays(
        [columns[name] for name in ACCOUNT_SCHEMA.names], schema=ACCOUNT_SCHEMA
    )


def normalise(responses: pa.Table) -> Normalised | None:
    """A chunk of parsed response lines as records; None when it needs the per-record reader."""
    if responses.num_rows == 0:
        return None
    data = whole(responses.column("data"))
    includes_array = whole(responses.column("includes"))
    if pc.any(pc.and_(pc.is_null(data), pc.is_null(includes_array))).as_py():
        return None  # not a response (a flattened tweet, a user line, ...)
    includes = struct_fields(includes_array)
    observed = struct_fields(whole(responses.column("__twarc")))["retrieved_at"]
    try:
        tweets = _tweets(data, includes)
        return Normalised(
            posts=_posts(tweets),
            media=_media(tweets, includes),
            interactions=_interactions(tweets),
            accounts=_accounts(includes, observed),
        )
    except _Fallback:
        return None
