"""Reads iru's own JSON Lines schema: one account, post, media or interaction per line.

For any source without a reader of its own (a scraper, another tool's export): map
it to these records and iru ingests it. The schema is generated from the classes
below (``iru.ingest.jsonl.json_schema``) and kept in docs/schema/ with docs/jsonl.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from iru.domain import Account, Interaction, InteractionKind, Media, Post, Record, interaction_id
from iru.ingest.base import (
    TOO_DEEP,
    ProgressCallback,
    Rejected,
    checked_line,
    error_reason,
    iter_lines,
)
from iru.ingest.export_media import file_in_export

if TYPE_CHECKING:
    from iru.ingest.examples import IngestExample


class AccountLine(Account, frozen=True, kw_only=True, tag="account", tag_field="type"):
    """An account record (``"type": "account"``)."""


class PostLine(Post, frozen=True, kw_only=True, tag="post", tag_field="type"):
    """A post record (``"type": "post"``)."""


class MediaLine(Media, frozen=True, kw_only=True, tag="media", tag_field="type"):
    """A media record (``"type": "media"``)."""


class InteractionLine(
    msgspec.Struct, frozen=True, kw_only=True, tag="interaction", tag_field="type"
):
    """An interaction edge (``"type": "interaction"``); ``interaction_id`` is derived when absent."""

    platform: str
    kind: InteractionKind
    src_account_id: str
    created_at: datetime
    dst_account_id: str | None = None
    post_id: str | None = None
    dst_post_id: str | None = None
    interaction_id: str | None = None

    def to_record(self) -> Interaction:
        return Interaction(
            platform=self.platform,
            interaction_id=self.interaction_id
            or interaction_id(self.kind, self.src_account_id, self.dst_account_id, self.post_id),
            kind=self.kind,
            src_account_id=self.src_account_id,
            dst_account_id=self.dst_account_id,
            post_id=self.post_id,
            dst_post_id=self.dst_post_id,
            created_at=self.created_at,
        )


JsonlRecord = AccountLine | PostLine | MediaLine | InteractionLine
_decoder = msgspec.json.Decoder(JsonlRecord)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one line, generated from the record classes."""
    schema = msgspec.json.schema(JsonlRecord)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://iru.example/schema/iru-record.schema.json"
    schema["title"] = "iru JSONL record"
    return schema


class JsonlFormat:
    """iru's own schema: one JSON object per line with ``"type"`` naming the record."""

    name: ClassVar[str] = "jsonl"
    description: ClassVar[str] = "iru's own JSON Lines records (account, post, media, interaction)"

    @classmethod
    def examples(cls) -> Sequence[IngestExample]:
        """Small synthetic files and the records they must give (:mod:`iru.ingest.examples`)."""
        from iru.ingest.examples import jsonl_examples

        return jsonl_examples()

    def sniff(self, head: bytes, first_line: bytes) -> bool:
        if not first_line.startswith(b"{") or b'"platform"' not in first_line:
            return False
        try:
            obj = msgspec.json.decode(first_line)
        except msgspec.DecodeError:
            return False
        return isinstance(obj, dict) and obj.get("type") in {
            "account",
            "post",
            "media",
            "interaction",
        }

    def read(
        self, path: Path, progress: ProgressCallback | None = None
    ) -> Iterator[Record | Rejected]:
        for number, line in iter_lines(path, progress):
            try:
                record = _decoder.decode(line)
            except msgspec.ValidationError as exc:
                yield Rejected(locator=f"line {number}", reason=error_reason(exc), raw=line)
                continue
            except msgspec.DecodeError as exc:
                yield Rejected(locator=f"line {number}", reason=f"invalid JSON: {exc}", raw=line)
                continue
            except RecursionError:
                yield Rejected(locator=f"line {number}", reason=TOO_DEEP, raw=line)
                continue
            if isinstance(record, MediaLine) and record.local_path is not None:
                # A downloaded file is named relative to this file's folder, and only there.
                local = file_in_export(path.parent, record.local_path)
                record = msgspec.structs.replace(record, local_path=local)
            out = record.to_record() if isinstance(record, InteractionLine) else record
            yield from checked_line((out,), number, line)
