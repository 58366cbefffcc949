"""Reads X/Twitter API v2 data as twarc2 writes it: whole API responses, or flattened tweets.

A response line holds ``data`` (the tweets asked for) and ``includes`` (the users,
referenced tweets and media they point to). twarc2's ``flatten`` writes one tweet a
line instead, with ``author``, ``in_reply_to_user``, mentioned users,
``attachments.media`` and the full ``referenced_tweets`` expanded in place (``{}``
where the response's includes lacked the object). Both give the same records. A
``data`` of user objects (``twarc2 users``/``followers``/``following``) gives accounts,
and follow edges where the listing's subject is known (see twitter_v2_users).

A media item belongs to the post that uploaded it: a retweet shows the original's
media, so those are the original post's, by its author (and stored once per media key
across the archive, see :func:`iru.storage.archive.archive_wide_rows`).

Decoding uses typed msgspec structs (:mod:`iru.ingest.twitter_v2_model`, with the
mapping of a tweet to records), the fast path; a line that fails it is decoded
again item by item, so one bad tweet is quarantined and its neighbours are kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import msgspec

from iru.domain import Record
from iru.ingest.base import (
    ColumnBatch,
    ProgressCallback,
    Rejected,
    error_reason,
    guard_line,
    iter_lines,
)
from iru.ingest.twitter_v2_columnar import read_bulk
from iru.ingest.twitter_v2_model import (
    PLATFORM,
    _account,
    _author_of,
    _generic_decoder,
    _Includes,
    _Lookup,
    _MediaItem,
    _Response,
    _response_decoder,
    _Twarc,
    _Tweet,
    _tweet_records,
    _User,
)
from iru.ingest.twitter_v2_users import follow_edge, listing_subject, looks_like_user

if TYPE_CHECKING:
    from iru.ingest.examples import IngestExample


def _raw(value: object) -> bytes:
    return msgspec.json.encode(value)


def _convert_items(
    items: object, kind: type[msgspec.Struct], where: str
) -> Iterator[msgspec.Struct | Rejected]:
    if not isinstance(items, list):
        items = [items]
    for number, item in enumerate(items):
        try:
            yield msgspec.convert(item, kind, from_attributes=False)
        except msgspec.ValidationError as exc:
            yield Rejected(locator=f"{where}[{number}]", reason=error_reason(exc), raw=_raw(item))


class TwitterV2Format:
    """X/Twitter API v2 JSON lines as written by twarc2 (responses or flattened tweets)."""

    name: ClassVar[str] = "twitter-v2"
    description: ClassVar[str] = (
        "X/Twitter API v2 responses or flattened tweets, one per line (twarc2)"
    )

    @classmethod
    def examples(cls) -> Sequence[IngestExample]:
        """Small synthetic files and the records they must give (:mod:`iru.ingest.examples`)."""
        from iru.ingest.examples import twitter_v2_examples

        return twitter_v2_examples()

    def sniff(self, head: bytes, first_line: bytes) -> bool:
        try:
            obj = _generic_decoder.decode(first_line)
        except msgspec.DecodeError:
            return False
        if not isinstance(obj, dict):
            return False
        if "data" in obj and ("includes" in obj or "meta" in obj or "__twarc" in obj):
            return True
        if "id" in obj and looks_like_user(obj):
            # A flattened user listing: one user a line, with twarc2's metadata.
            return "__twarc" in obj or ("username" in obj and "name" in obj)
        return "id" in obj and "text" in obj and ("author_id" in obj or "author" in obj)

    def read(
        self, path: Path, progress: ProgressCallback | None = None
    ) -> Iterator[Record | Rejected]:
        for number, line in iter_lines(path, progress):
            yield from guard_line(self._read_line, number, line)

    def read_batches(
        self, path: Path, progress: ProgressCallback | None = None, chunk_bytes: int = 1 << 24
    ) -> Iterator[ColumnBatch | Record | Rejected]:
        """Response files in bulk (see twitter_v2_columnar); other lines one by one."""
        return read_bulk(path, progress, chunk_bytes, self._read_line)

    def _read_line(self, number: int, line: bytes) -> Iterator[Record | Rejected]:
        where = f"line {number}"
        try:
            # Fast path: a well-formed response decodes straight into typed structs.
            response = _response_decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError):
            response = None
        if (
            response is not None
            and (response.data is not None or response.includes is not None)
            and not _holds_users(response)
        ):
            yield from self._read_response(response, where)
            return
        try:
            obj = _generic_decoder.decode(line)
        except msgspec.DecodeError as exc:
            yield Rejected(locator=where, reason=f"invalid JSON: {exc}", raw=line)
            return
        if not isinstance(obj, dict):
            yield Rejected(locator=where, reason="expected a JSON object", raw=line)
        elif "data" in obj or "includes" in obj:
            # Slow path: keep every valid item, reject each invalid one by itself.
            yield from self._salvage_response(obj, where)
        elif looks_like_user(obj):
            yield from self._read_flat_user(obj, where)
        else:
            yield from self._read_flat(obj, line, where)

    def _read_response(self, response: _Response, where: str) -> Iterator[Record | Rejected]:
        observed = response.twarc.retrieved_at if response.twarc else None
        data = response.data
        tweets = [data] if isinstance(data, _Tweet) else (data or [])
        lookup = _Lookup(response.includes, tweets)
        if response.includes is not None:
            for user in response.includes.users:
                yield _account(user, observed)
        included = response.includes.tweets if response.includes is not None else []
        for label, group in (("data", tweets), ("includes.tweets", included)):
            for index, tweet in enumerate(group):
                yield from self._records_or_reject(tweet, lookup, f"{where}: {label}[{index}]")

    def _salvage_response(self, obj: dict[str, object], where: str) -> Iterator[Record | Rejected]:
        includes_obj = obj.get("includes") or {}
        if not isinstance(includes_obj, dict):
            yield Rejected(
                locator=f"{where}: includes", reason="expected an object", raw=_raw(includes_obj)
            )
            includes_obj = {}
        twarc = _twarc_of(obj)
        observed = twarc.retrieved_at if twarc else None
        users: list[_User] = []
        media: list[_MediaItem] = []
        included: list[_Tweet] = []
        for key, kind, sink in (
            ("users", _User, users),
            ("media", _MediaItem, media),
            ("tweets", _Tweet, included),
        ):
            for item in _convert_items(includes_obj.get(key, []), kind, f"{where}: includes.{key}"):
                if isinstance(item, Rejected):
                    yield item
                else:
                    sink.append(item)  # type: ignore[arg-type]
        for user in users:
            yield _account(user, observed)
        data = obj.get("data", [])
        items = data if isinstance(data, list) else [data]
        subject = listing_subject(twarc.url if twarc else None)
        tweets: list[tuple[int, _Tweet]] = []
        for index, item in enumerate(items):
            if looks_like_user(item):
                # twarc2 users / followers / following: the data are user objects.
                yield from _listed_user(item, subject, observed, f"{where}: data[{index}]")
                continue
            try:
                tweets.append((index, msgspec.convert(item, _Tweet, from_attributes=False)))
            except msgspec.ValidationError as exc:
                yield Rejected(
                    locator=f"{where}: data[{index}]", reason=error_reason(exc), raw=_raw(item)
                )
        lookup = _Lookup(
            _Includes(users=users, tweets=included, media=media), [t for _, t in tweets]
        )
        for index, tweet in tweets:
            yield from self._records_or_reject(tweet, lookup, f"{where}: data[{index}]")
        for index, tweet in enumerate(included):
            yield from self._records_or_reject(tweet, lookup, f"{where}: includes.tweets[{index}]")

    def _read_flat(
        self, obj: dict[str, object], line: bytes, where: str
    ) -> Iterator[Record | Rejected]:
        try:
            tweet = msgspec.convert(obj, _Tweet)
        except msgspec.ValidationError as exc:
            yield Rejected(locator=where, reason=error_reason(exc), raw=line)
            return
        observed = tweet.twarc.retrieved_at if tweet.twarc else None
        raw_refs = obj.get("referenced_tweets")
        refs = list(enumerate(raw_refs)) if isinstance(raw_refs, list) else []
        # The users twarc2 expanded in place, as the response's includes.users held them.
        for label, user in _expanded_users(obj, refs):
            try:
                yield _account(msgspec.convert(user, _User), observed)
            except msgspec.ValidationError as exc:
                yield Rejected(
                    locator=f"{where}: {label}", reason=error_reason(exc), raw=_raw(user)
                )
        # The referenced tweets are whole here (as in the response's includes.tweets): they
        # are posts too, and resolve the line's edges and media owners.
        lookup = _Lookup(None, [tweet])
        for ref in tweet.referenced_tweets:
            if ref.author_id is not None:
                lookup.tweet_authors[ref.id] = ref.author_id
        whole: list[tuple[int, _Tweet]] = []
        for index, raw_ref in refs:
            if isinstance(raw_ref, dict) and "created_at" in raw_ref and "text" in raw_ref:
                try:
                    ref_tweet = msgspec.convert(raw_ref, _Tweet)
                except msgspec.ValidationError as exc:
                    yield Rejected(
                        locator=f"{where}: referenced_tweets[{index}]",
                        reason=error_reason(exc),
                        raw=_raw(raw_ref),
                    )
                    continue
                whole.append((index, ref_tweet))
                lookup.add_tweet(ref_tweet)
                if (author := _author_of(ref_tweet)) is not None:
                    lookup.tweet_authors[ref_tweet.id] = author
        yield from self._records_or_reject(tweet, lookup, where)
        for index, ref_tweet in whole:
            yield from self._records_or_reject(
                ref_tweet, lookup, f"{where}: referenced_tweets[{index}]"
            )

    def _read_flat_user(self, obj: dict[str, object], where: str) -> Iterator[Record | Rejected]:
        """One user of a flattened user listing, and its expanded pinned tweet."""
        twarc = _twarc_of(obj)
        observed = twarc.retrieved_at if twarc else None
        subject = listing_subject(twarc.url if twarc else None)
        yield from _listed_user(obj, subject, observed, where)
        pinned = obj.get("pinned_tweet")
        if isinstance(pinned, dict) and "created_at" in pinned and "text" in pinned:
            try:
                tweet = msgspec.convert(pinned, _Tweet)
            except msgspec.ValidationError as exc:
                yield Rejected(
                    locator=f"{where}: pinned_tweet", reason=error_reason(exc), raw=_raw(pinned)
                )
                return
            yield from self._records_or_reject(tweet, _Lookup(None), f"{where}: pinned_tweet")

    @staticmethod
    def _records_or_reject(
        tweet: _Tweet, lookup: _Lookup, where: str
    ) -> Iterator[Record | Rejected]:
        try:
            records = list(_tweet_records(tweet, lookup))
        except ValueError as exc:
            yield Rejected(locator=where, reason=str(exc), raw=_raw(tweet))
            return
        yield from records


def _holds_users(response: _Response) -> bool:
    """Whether a response's data are (or include) user objects, read as tweets here."""
    data = response.data
    tweets = [data] if isinstance(data, _Tweet) else (data or [])
    return any(t.username is not None or t.name is not None for t in tweets)


def _twarc_of(obj: dict[str, object]) -> _Twarc | None:
    """A line's ``__twarc`` metadata; None when absent or not of twarc2's shape."""
    twarc = obj.get("__twarc")
    if not twarc:
        return None
    try:
        return msgspec.convert(twarc, _Twarc)
    except msgspec.ValidationError:
        return None


def _listed_user(
    item: object, subject: tuple[str, str] | None, observed: datetime | None, where: str
) -> Iterator[Record | Rejected]:
    """A user of a listing as an account, and its follow edge with the listing's subject."""
    try:
        user = msgspec.convert(item, _User, from_attributes=False)
    except msgspec.ValidationError as exc:
        yield Rejected(locator=where, reason=error_reason(exc), raw=_raw(item))
        return
    yield _account(user, observed)
    if subject is None:
        return
    if observed is None:
        yield Rejected(
            locator=where,
            reason=(
                f"follow edge with account {subject[0]} has no date: "
                "the line's __twarc.retrieved_at is missing"
            ),
            raw=_raw(item),
        )
    elif (edge := follow_edge(PLATFORM, subject, user.id, observed)) is not None:
        yield edge


def _expanded_users(
    tweet: dict[str, object], refs: list[tuple[int, object]]
) -> Iterator[tuple[str, object]]:
    """(locator, user object) for each user twarc2's flatten expanded into a tweet line.

    The author and replied-to user of the tweet and of each referenced tweet, and each
    mentioned user (a mention merged with its user object carries ``name``). ``{}``,
    twarc2's stand-in for a user the response did not include, is no user.
    """
    holders: list[tuple[str, object]] = [("", tweet)]
    holders += [(f"referenced_tweets[{index}].", ref) for index, ref in refs]
    for prefix, holder in holders:
        if not isinstance(holder, dict):
            continue
        for key in ("author", "in_reply_to_user"):
            user = holder.get(key)
            if isinstance(user, dict) and user:
                yield f"{prefix}{key}", user
        entities = holder.get("entities")
        mentions = entities.get("mentions") if isinstance(entities, dict) else None
        for number, mention in enumerate(mentions if isinstance(mentions, list) else []):
            if isinstance(mention, dict) and "name" in mention:
                yield f"{prefix}entities.mentions[{number}]", mention
