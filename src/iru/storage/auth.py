"""Web log-in in the database: password hashes, lock-out counters, sessions, API tokens.

Plain reads and writes; the rules (who may set a password, when an account locks, when
a session ends) live in :mod:`iru.engine.services.auth`. Secrets are never stored: a
password as its Argon2id hash, a session id and an API token as their SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from iru.cases.access import Principal, Role
from iru.domain import utc
from iru.storage.database import Database
from iru.storage.schema import api_tokens, users, web_sessions

TOKEN_COLUMNS = (
    "token_id",
    "name",
    "user",
    "created_by",
    "created_at",
    "last_used_at",
    "revoked_at",
)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    """A stored time that may be missing, as UTC (SQLite gives it back naive)."""
    return utc(moment) if moment is not None else None


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user as log-in sees them."""

    principal: Principal
    password_hash: str | None
    failed_logins: int
    first_failed_at: datetime | None
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    session_id_sha256: str
    user: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    client: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    token_id: int
    name: str
    user: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {column: getattr(self, column) for column in TOKEN_COLUMNS}


def _session(row: Any) -> SessionRow:
    return SessionRow(
        session_id_sha256=str(row.session_id_sha256),
        user=str(row.user),
        csrf_token=str(row.csrf_token),
        created_at=utc(row.created_at),
        last_seen_at=utc(row.last_seen_at),
        expires_at=utc(row.expires_at),
        revoked_at=_utc_or_none(row.revoked_at),
        client=str(row.client or ""),
    )


def _token(row: Any) -> TokenRow:
    return TokenRow(
        token_id=int(row.token_id),
        name=str(row.name),
        user=str(row.user),
        created_by=str(row.created_by),
        created_at=utc(row.created_at),
        last_used_at=_utc_or_none(row.last_used_at),
        revoked_at=_utc_or_none(row.revoked_at),
    )


class AuthStore:
    """The log-in columns and tables of one database.

    Methods taking a ``conn`` write inside the caller's transaction (so that the change
    and its audit event commit together); the others open their own.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- users' credentials ----------------------------------------------------------------

    def credentials(self, name: str, conn: Connection | None = None) -> Credentials | None:
        query = select(users).where(users.c.name == name)
        if conn is None:
            with self.database.engine.connect() as own:
                row = own.execute(query).first()
        else:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Credentials(
            principal=Principal(str(row.name), Role(row.role), str(row.unit), bool(row.active)),
            password_hash=str(row.password_hash) if row.password_hash else None,
            failed_logins=int(row.failed_logins or 0),
            first_failed_at=_utc_or_none(row.first_failed_at),
            locked_until=_utc_or_none(row.locked_until),
        )

    def set_password_hash(self, conn: Connection, name: str, password_hash: str) -> None:
        """A new hash; a new password also clears the failures and any lock."""
        conn.execute(
            users.update()
            .where(users.c.name == name)
            .values(
                password_hash=password_hash,
                failed_logins=0,
                first_failed_at=None,
                locked_until=None,
            )
        )

    def set_failures(
        self,
        conn: Connection,
        name: str,
        *,
        failed_logins: int,
        first_failed_at: datetime | None,
        locked_until: datetime | None,
    ) -> None:
        conn.execute(
            users.update()
            .where(users.c.name == name)
            .values(
                failed_logins=failed_logins,
                first_failed_at=first_failed_at,
                locked_until=locked_until,
            )
        )

    # -- sessions --------------------------------------------------------------------------

    def add_session(
        self,
        conn: Connection,
        session_id_sha256: str,
        *,
        user: str,
        csrf_token: str,
        now: datetime,
        expires_at: datetime,
        client: str,
    ) -> None:
        conn.execute(
            web_sessions.insert().values(
                session_id_sha256=session_id_sha256,
                user=user,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
                client=client[:200],
            )
        )

    def session(self, session_id_sha256: str) -> SessionRow | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(
                select(web_sessions).where(web_sessions.c.session_id_sha256 == session_id_sha256)
            ).first()
        return _session(row) if row is not None else None

    def touch_session(self, session_id_sha256: str, now: datetime) -> None:
        with self.database.engine.begin() as conn:
            conn.execute(
                web_sessions.update()
                .where(web_sessions.c.session_id_sha256 == session_id_sha256)
                .values(last_seen_at=now)
            )

    def revoke_session(self, conn: Connection, session_id_sha256: str, now: datetime) -> bool:
        """Revoke one live session; False when there was none."""
        result = conn.execute(
            web_sessions.update()
            .where(
                (web_sessions.c.session_id_sha256 == session_id_sha256)
                & web_sessions.c.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    def revoke_sessions_of(self, conn: Connection, user: str, now: datetime) -> int:
        """Revoke every live session of ``user``; how many there were."""
        result = conn.execute(
            web_sessions.update()
            .where((web_sessions.c.user == user) & web_sessions.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)

    # -- API tokens ------------------------------------------------------------------------

    def add_token(
        self,
        conn: Connection,
        *,
        name: str,
        user: str,
        token_sha256: str,
        created_by: str,
        now: datetime,
    ) -> int:
        result = conn.execute(
            api_tokens.insert().values(
                name=name,
                user=user,
                token_sha256=token_sha256,
                created_by=created_by,
                created_at=now,
            )
        )
        key = result.inserted_primary_key
        return int(key[0]) if key is not None else 0

    def token_by_sha256(self, token_sha256: str) -> TokenRow | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(
                select(api_tokens).where(api_tokens.c.token_sha256 == token_sha256)
            ).first()
        return _token(row) if row is not None else None

    def token(self, token_id: int) -> TokenRow | None:
        with self.database.engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.token_id == token_id)).first()
        return _token(row) if row is not None else None

    def touch_token(self, token_id: int, now: datetime) -> None:
        with self.database.engine.begin() as conn:
            conn.execute(
                api_tokens.update()
                .where(api_tokens.c.token_id == token_id)
                .values(last_used_at=now)
            )

    def revoke_token(self, conn: Connection, token_id: int, now: datetime) -> bool:
        result = conn.execute(
            api_tokens.update()
            .where((api_tokens.c.token_id == token_id) & api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    def tokens(self, user: str | None = None) -> list[TokenRow]:
        """Every token (of ``user``, when given), oldest first; never the secret."""
        query = select(*(api_tokens.c[c] for c in TOKEN_COLUMNS)).order_by(api_tokens.c.token_id)
        if user is not None:
            query = query.where(api_tokens.c.user == user)
        with self.database.engine.connect() as conn:
            return [_token(r) for r in conn.execute(query)]


__all__ = ["TOKEN_COLUMNS", "AuthStore", "Credentials", "SessionRow", "TokenRow"]
