"""The detection ledger (which archive files are scored), the stored account assessments, and
the journal of accounts whose new signals are stored but not yet assessed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from iru.detect.assess import Assessment
from iru.detect.resurgence import ResurgenceLink
from iru.storage.database import Database
from iru.storage.schema import assessments, detect_files, resurgence_links

_CHUNK = 500
_MANY = 5_000


class DetectionStore:
    """Reads and writes detection state in one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def processed(self) -> set[str]:
        with self.database.engine.connect() as conn:
            return {str(p) for (p,) in conn.execute(select(detect_files.c.path))}

    def mark_processed(self, path: str, signals: int) -> None:
        stmt = (
            self.database.dialect_insert()(detect_files)
            .values(path=path, signals=signals, processed_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[detect_files.c.path])
        )
        with self.database.engine.begin() as conn:
            conn.execute(stmt)

    def mark_merged(self, output: str, inputs: Iterable[str]) -> None:
        """Record a compacted file as scored, with its inputs' signal count (they stay
        listed until :meth:`forget` drops them, after the inputs are deleted)."""
        names = list(inputs)
        with self.database.engine.begin() as conn:
            total = conn.execute(
                select(func.coalesce(func.sum(detect_files.c.signals), 0)).where(
                    detect_files.c.path.in_(names)
                )
            ).scalar_one()
            conn.execute(
                self.database.dialect_insert()(detect_files)
                .values(path=output, signals=int(total), processed_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=[detect_files.c.path])
            )

    def forget(self, paths: Iterable[str]) -> int:
        """Drop ledger rows of files that no longer exist; returns how many."""
        names = list(paths)
        removed = 0
        with self.database.engine.begin() as conn:
            for start in range(0, len(names), _CHUNK):
                chunk = names[start : start + _CHUNK]
                removed += conn.execute(
                    delete(detect_files).where(detect_files.c.path.in_(chunk))
                ).rowcount
        return removed

    def save_assessments(
        self,
        rows: Iterable[Assessment],
        model: str = "",
        local: Mapping[tuple[str, str], float] | None = None,
    ) -> int:
        """Upsert assessments made by ``model`` ("" for rules only), with their local scores."""
        now = datetime.now(UTC)
        local = local or {}
        values = [
            {
                "platform": a.platform,
                "account_id": a.account_id,
                "score": a.score,
                "label": a.label,
                "reasons": json.dumps(a.reasons, ensure_ascii=False),
                "signals": a.signals,
                "assessed_at": now,
                "model": model,
                "local_score": local.get((a.platform, a.account_id)),
                "language": a.language or None,
            }
            for a in rows
        ]
        stmt = self.database.dialect_insert()(assessments)
        stmt = stmt.on_conflict_do_update(
            index_elements=[assessments.c.platform, assessments.c.account_id],
            set_={
                c: stmt.excluded[c]
                for c in (
                    "score",
                    "label",
                    "reasons",
                    "signals",
                    "assessed_at",
                    "model",
                    "local_score",
                    "language",
                )
            },
        )
        with self.database.engine.begin() as conn:
            for start in range(0, len(values), _MANY):
                conn.execute(stmt, values[start : start + _MANY])  # executemany
        return len(values)

    def save_links(self, links: Iterable[ResurgenceLink]) -> int:
        """Upsert resurgence links (a link found again keeps its first ``linked_at``)."""
        now = datetime.now(UTC)
        values = [
            {
                "platform": link.platform,
                "account_id": link.account_id,
                "predecessor_id": link.predecessor_id,
                "confidence": link.confidence,
                "evidence": json.dumps(link.evidence, sort_keys=True),
                "explanation": link.explanation,
                "first_post_at": link.first_post_at,
                "linked_at": now,
            }
            for link in links
        ]
        insert = self.database.dialect_insert()
        with self.database.engine.begin() as conn:
            for start in range(0, len(values), _CHUNK):
                stmt = insert(resurgence_links).values(values[start : start + _CHUNK])
                stmt = stmt.on_conflict_do_update(
                    index_elements=[
                        resurgence_links.c.platform,
                        resurgence_links.c.account_id,
                        resurgence_links.c.predecessor_id,
                    ],
                    set_={c: stmt.excluded[c] for c in ("confidence", "evidence", "explanation")},
                )
                conn.execute(stmt)
        return len(values)

    def links(self) -> list[dict[str, Any]]:
        with self.database.engine.connect() as conn:
            query = select(resurgence_links).order_by(
                resurgence_links.c.platform, resurgence_links.c.account_id
            )
            return [dict(r._mapping) for r in conn.execute(query)]

    def by_account(self) -> dict[tuple[str, str], dict[str, Any]]:
        with self.database.engine.connect() as conn:
            return {
                (r.platform, r.account_id): dict(r._mapping)
                for r in conn.execute(select(assessments))
            }


class PendingAccounts:
    """Accounts whose new signals are stored but whose assessment has not finished.

    A detection run adds a file's accounts here before it marks the file scored and
    clears the journal once its assessment is stored, so a run killed in between (the
    file no longer pending) still has those accounts assessed by the next run. One JSON
    line per file; a line cut short by a kill belongs to a file not yet marked scored
    (scored again next time), so it is skipped."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, keys: Iterable[tuple[str, str]]) -> None:
        rows = sorted(set(keys))
        if not rows:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(rows, ensure_ascii=False, separators=(",", ":")) + "\n")

    def keys(self) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return found
        for line in lines:
            try:
                rows = json.loads(line)
            except ValueError:
                continue  # cut short by a kill
            found.update((str(p), str(a)) for p, a in rows)
        return found

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
