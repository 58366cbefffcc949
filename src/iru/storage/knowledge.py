"""What the unit knows beyond the posts: known-content hashes and texts, indicator files, labels.

Each import is idempotent: the same list, file or label read twice is stored once,
and a label imported again with another value replaces the old one for its source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from iru.domain.knowledge import LABELS, HashRow, LabelRow, TextRow
from iru.storage.database import Database
from iru.storage.schema import indicator_sets, known_hashes, known_texts, labels

_CHUNK = 500


class KnowledgeStore:
    """Reads and writes the knowledge tables of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add_hashes(self, rows: Sequence[HashRow], list_sha256: str) -> int:
        """Store known hashes; returns how many were new."""
        now = datetime.now(UTC)
        values = [
            {
                "hash_type": r.hash_type,
                "value": r.value,
                "label": r.label,
                "source": r.source,
                "created_at": r.created_at,
                "list_sha256": list_sha256,
                "imported_at": now,
            }
            for r in rows
        ]
        insert = self.database.dialect_insert()
        new = 0
        with self.database.engine.begin() as conn:
            for start in range(0, len(values), _CHUNK):
                stmt = (
                    insert(known_hashes)
                    .values(values[start : start + _CHUNK])
                    .on_conflict_do_nothing(
                        index_elements=[
                            known_hashes.c.hash_type,
                            known_hashes.c.value,
                            known_hashes.c.label,
                        ]
                    )
                    .returning(known_hashes.c.id)
                )
                new += len(conn.execute(stmt).all())
        return new

    def hashes(self) -> list[dict[str, Any]]:
        with self.database.engine.connect() as conn:
            query = select(known_hashes).order_by(known_hashes.c.hash_type, known_hashes.c.value)
            return [dict(r._mapping) for r in conn.execute(query)]

    def sha256_labels(self, digests: Iterable[str]) -> dict[str, set[str]]:
        """The hash-list labels of each SHA-256 that is on a known-content list."""
        found: dict[str, set[str]] = {}
        wanted = sorted(set(digests))
        with self.database.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                query = select(known_hashes.c.value, known_hashes.c.label).where(
                    (known_hashes.c.hash_type == "sha256")
                    & known_hashes.c.value.in_(wanted[start : start + _CHUNK])
                )
                for value, label in conn.execute(query):
                    found.setdefault(str(value), set()).add(str(label))
        return found

    def hash_counts(self) -> dict[str, int]:
        with self.database.engine.connect() as conn:
            rows = conn.execute(
                select(known_hashes.c.hash_type, func.count()).group_by(known_hashes.c.hash_type)
            )
            return {str(t): int(n) for t, n in rows}

    def add_texts(self, rows: Sequence[TextRow], list_sha256: str) -> int:
        """Store known texts, keyed by the SHA-256 of the text; returns how many were new.

        A text already stored (from this list or another) keeps its first label and source.
        """
        now = datetime.now(UTC)
        values: dict[str, dict[str, Any]] = {}
        for r in rows:
            key = hashlib.sha256(r.text.encode("utf-8")).hexdigest()
            values.setdefault(
                key,
                {
                    "text_sha256": key,
                    "text": r.text,
                    "label": r.label,
                    "source": r.source,
                    "list_sha256": list_sha256,
                    "imported_at": now,
                },
            )
        unique = list(values.values())
        insert = self.database.dialect_insert()
        new = 0
        with self.database.engine.begin() as conn:
            for start in range(0, len(unique), _CHUNK):
                stmt = (
                    insert(known_texts)
                    .values(unique[start : start + _CHUNK])
                    .on_conflict_do_nothing(index_elements=[known_texts.c.text_sha256])
                    .returning(known_texts.c.text_sha256)
                )
                new += len(conn.execute(stmt).all())
        return new

    def texts(self) -> list[dict[str, Any]]:
        """Every known text, in a stable order (by label, then text hash)."""
        with self.database.engine.connect() as conn:
            query = select(known_texts).order_by(known_texts.c.label, known_texts.c.text_sha256)
            return [dict(r._mapping) for r in conn.execute(query)]

    def text_count(self) -> int:
        with self.database.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(known_texts)).scalar_one())

    def add_indicator_set(
        self, name: str, version: str, sha256: str, rules: int, content: str
    ) -> bool:
        """Store one version of an indicator file; False when that version is already stored.

        A different file under a name and version already stored is refused: versions are
        immutable, so an analyst must bump the version to change the rules.
        """
        with self.database.engine.begin() as conn:
            existing = conn.execute(
                select(indicator_sets.c.sha256).where(
                    (indicator_sets.c.name == name) & (indicator_sets.c.version == version)
                )
            ).scalar_one_or_none()
            if existing is not None:
                if existing != sha256:
                    raise ValueError(
                        f"indicator set {name!r} version {version!r} is already stored with other "
                        "content; give the changed file a new version"
                    )
                return False
            conn.execute(
                indicator_sets.insert().values(
                    name=name,
                    version=version,
                    sha256=sha256,
                    rules=rules,
                    content=content,
                    imported_at=datetime.now(UTC),
                )
            )
        return True

    def indicator_sets(self) -> list[dict[str, Any]]:
        with self.database.engine.connect() as conn:
            query = select(indicator_sets).order_by(
                indicator_sets.c.name, indicator_sets.c.imported_at
            )
            return [dict(r._mapping) for r in conn.execute(query)]

    def add_labels(self, rows: Iterable[LabelRow], source: str) -> tuple[int, int]:
        """Upsert labels from one source; returns (new, changed)."""
        now = datetime.now(UTC)
        values = {(r.platform, r.account_id): r.label for r in rows}
        new = changed = 0
        with self.database.engine.begin() as conn:
            current = {
                (p, a): lab
                for p, a, lab in conn.execute(
                    select(labels.c.platform, labels.c.account_id, labels.c.label).where(
                        labels.c.source == source
                    )
                )
            }
            inserts = []
            for (platform, account_id), label in values.items():
                before = current.get((platform, account_id))
                if before is None:
                    inserts.append(
                        {
                            "platform": platform,
                            "account_id": account_id,
                            "source": source,
                            "label": label,
                            "labelled_at": now,
                        }
                    )
                    new += 1
                elif before != label:
                    conn.execute(
                        labels.update()
                        .where(
                            (labels.c.platform == platform)
                            & (labels.c.account_id == account_id)
                            & (labels.c.source == source)
                        )
                        .values(label=label, labelled_at=now)
                    )
                    changed += 1
            if inserts:
                conn.execute(labels.insert(), inserts)
        return new, changed

    def label_counts(self) -> dict[str, int]:
        with self.database.engine.connect() as conn:
            rows = conn.execute(select(labels.c.label, func.count()).group_by(labels.c.label))
            return {str(lab): int(n) for lab, n in rows}


__all__ = ["LABELS", "HashRow", "KnowledgeStore", "LabelRow", "TextRow"]
