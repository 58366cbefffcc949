"""The workbench's per-account read model over the account index: posts, signals, edges, volume.

Pages must answer in milliseconds, so they read one account through a DuckDB copy of the
archive sorted by account (:class:`iru.storage.account_index.AccountIndexStore`, kept in
``cache/account-index.duckdb`` and rebuilt when the archive's files change). This read
model gives the pages that index's rows as plain mappings (column name to value), in the
index's column order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from iru.storage.account_index import AccountIndexStore, IndexCursor
from iru.storage.archive import Archive

__all__ = ["AccountIndex"]


def _plain(row: Any) -> dict[str, Any]:
    """A row's fields by name, in order (values shared, not copied)."""
    return {f.name: getattr(row, f.name) for f in fields(row)}


class AccountIndex:
    """The workbench's read index; thread-safe (one DuckDB connection, a cursor per call)."""

    def __init__(
        self,
        archive: Archive,
        path: Path,
        *,
        recheck_seconds: float = 10.0,
        background: bool = False,
    ) -> None:
        self.store = AccountIndexStore(
            archive, path, recheck_seconds=recheck_seconds, background=background
        )

    @property
    def archive(self) -> Archive:
        return self.store.archive

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def recheck_seconds(self) -> float:
        return self.store.recheck_seconds

    def fingerprint(self) -> str:
        """The archive's generation: it changes whenever rows are added."""
        return self.store.fingerprint()

    def generation(self) -> str:
        """The archive generation the index answers for now: what read models built from
        it are keyed on (with ``background``, it moves once a rebuild is swapped in)."""
        return self.store.generation()

    def connection(self) -> IndexCursor:
        """A cursor on an index that matches the archive (rebuilt first when it does not)."""
        return self.store.connection()

    def close(self) -> None:
        self.store.close()

    # -- reads -----------------------------------------------------------------------------

    def posts(self, platform: str, account_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The account's newest posts, newest first."""
        return [_plain(p) for p in self.store.posts(platform, account_id, limit)]

    def signals(self, platform: str, account_id: str) -> list[dict[str, Any]]:
        """Every post signal of the account."""
        return [_plain(s) for s in self.store.signals(platform, account_id)]

    def media(self, platform: str, media_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The media among ``media_ids`` the index holds, by media id."""
        return {m.media_id: _plain(m) for m in self.store.media(platform, media_ids)}

    def neighbours(self, platform: str, account_id: str, limit: int = 40) -> list[dict[str, Any]]:
        """The accounts it interacts with most, both ways: (other, kind, direction, n)."""
        return [_plain(n) for n in self.store.neighbours(platform, account_id, limit)]

    # -- many accounts of one platform at once: the same rows, by account id -----------------

    def posts_of(
        self, platform: str, account_ids: Sequence[str], limit: int = 50
    ) -> dict[str, list[dict[str, Any]]]:
        found = self.store.posts_of(platform, account_ids, limit)
        return {a: [_plain(p) for p in rows] for a, rows in found.items()}

    def signals_of(
        self, platform: str, account_ids: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        found = self.store.signals_of(platform, account_ids)
        return {a: [_plain(s) for s in rows] for a, rows in found.items()}

    def neighbours_of(
        self, platform: str, account_ids: Sequence[str], limit: int = 40
    ) -> dict[str, list[dict[str, Any]]]:
        found = self.store.neighbours_of(platform, account_ids, limit)
        return {a: [_plain(n) for n in rows] for a, rows in found.items()}

    def daily(self, days: int = 14) -> list[dict[str, Any]]:
        """Posts per day, platform and language over the newest ``days`` days."""
        return [_plain(d) for d in self.store.daily(days)]
