"""What the SQL store holds of given accounts: names, languages, a target's profile.

Reads for the services that show an account to someone outside the unit (a referral
package, a STIX or MISP export) and for the reports: typed rows, no SQL outside storage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from iru.storage.database import Database
from iru.storage.schema import accounts, assessments

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AccountName:
    """How an account calls itself: its handle (empty when unknown) and display name."""

    handle: str
    display_name: str | None


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    """The account's stored assessment, as a referral package cites it."""

    score: float
    reasons: tuple[Any, ...]
    language: str | None


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """An account's stored profile (every column of its row) and its assessment."""

    account: dict[str, Any] | None
    assessment: StoredAssessment | None


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class AccountFacts:
    """Reads of the accounts and assessments tables of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def names(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], AccountName]:
        """(handle, display name) of each stored account of ``keys``."""
        found: dict[tuple[str, str], AccountName] = {}
        with self.database.engine.connect() as conn:
            for chunk in _chunks(sorted({a for _, a in keys})):
                query = select(
                    accounts.c.platform,
                    accounts.c.account_id,
                    accounts.c.handle,
                    accounts.c.display_name,
                ).where(accounts.c.account_id.in_(chunk))
                for platform, account_id, handle, name in conn.execute(query):
                    if (platform, account_id) in keys:
                        found[(platform, account_id)] = AccountName(str(handle or ""), name or None)
        return found

    def languages(self) -> dict[tuple[str, str], str]:
        """The language each stored profile gives (accounts that give none are left out)."""
        query = select(accounts.c.platform, accounts.c.account_id, accounts.c.language)
        with self.database.engine.connect() as conn:
            return {(str(p), str(a)): str(lang) for p, a, lang in conn.execute(query) if lang}

    def profile(self, platform: str, account_id: str) -> StoredProfile | None:
        """The account's stored row and assessment; None when iru holds neither."""
        with self.database.engine.connect() as conn:
            row = conn.execute(
                select(accounts).where(
                    (accounts.c.platform == platform) & (accounts.c.account_id == account_id)
                )
            ).first()
            found = conn.execute(
                select(assessments.c.score, assessments.c.reasons, assessments.c.language).where(
                    (assessments.c.platform == platform) & (assessments.c.account_id == account_id)
                )
            ).first()
        if row is None and found is None:
            return None
        assessment = (
            StoredAssessment(
                float(found.score), tuple(json.loads(found.reasons or "[]")), found.language
            )
            if found is not None
            else None
        )
        return StoredProfile(dict(row._mapping) if row is not None else None, assessment)


__all__ = ["AccountFacts", "AccountName", "StoredAssessment", "StoredProfile"]
