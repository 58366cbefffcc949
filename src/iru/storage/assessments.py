"""The detection ledger (which archive files are scored) and the stored account assessments."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from iru.detect.assess import Assessment
from iru.storage.database import Database
from iru.storage.schema import assessments, detect_files

_CHUNK = 500


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

    def save_assessments(self, rows: Iterable[Assessment]) -> int:
        now = datetime.now(UTC)
        values = [
            {
                "platform": a.platform,
                "account_id": a.account_id,
                "score": a.score,
                "label": a.label,
                "reasons": json.dumps(a.reasons, ensure_ascii=False),
                "signals": a.signals,
                "assessed_at": now,
            }
            for a in rows
        ]
        insert = self.database.dialect_insert()
        with self.database.engine.begin() as conn:
            for start in range(0, len(values), _CHUNK):
                stmt = insert(assessments).values(values[start : start + _CHUNK])
                stmt = stmt.on_conflict_do_update(
                    index_elements=[assessments.c.platform, assessments.c.account_id],
                    set_={
                        c: stmt.excluded[c]
                        for c in ("score", "label", "reasons", "signals", "assessed_at")
                    },
                )
                conn.execute(stmt)
        return len(values)

    def by_account(self) -> dict[tuple[str, str], dict[str, Any]]:
        with self.database.engine.connect() as conn:
            return {
                (r.platform, r.account_id): dict(r._mapping)
                for r in conn.execute(select(assessments))
            }
