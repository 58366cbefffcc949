"""Log-in without HTTP: passwords, lock-out, server-side sessions and API tokens.

The rules of docs/web.md, "Authentication", shared by the web workbench and the CLI
(this module imports no web framework):

* passwords are hashed with Argon2id (argon2-cffi) and need at least 12 characters;
  a user sets their own, an admin anyone's; a new password ends the user's sessions;
* five failed log-ins within 15 minutes lock the account for 15 minutes; a wrong
  password, an unknown name, a disabled or a locked user all get the same message
  ("wrong name or password"), the right password of a locked user too: a lock never
  confirms a guess. Every attempt during a lock counts as a failure, so five more
  within the window renew the lock for another 15 minutes from the last of them;
  an unknown name is checked against a dummy hash, so it takes as long as a known one;
* a session is a random id of which only the SHA-256 is stored, with its CSRF token;
  it ends after ``session_hours``, after ``idle_minutes`` without a request, on log-out
  or when the user is disabled;
* an API token (``iru_<random>``) is shown once and stored as its SHA-256.

Every log-in, failure, lock, log-out, password change and token change is audited
(subject ``user:<name>``); no password, session id or token is ever written to the
audit log or to the logs.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from iru.cases.access import Action, PermissionDenied, Principal, allowed, authorize
from iru.domain import require_zone, utc
from iru.storage.audit import AUDIT_CHAIN, AuditStore, locked_transaction
from iru.storage.auth import TOKEN_COLUMNS, AuthStore, Credentials
from iru.storage.database import Database, Transaction

log = logging.getLogger(__name__)

WRONG = "wrong name or password"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
LOCK_AFTER = 5  # failures ...
FAILURE_WINDOW = timedelta(minutes=15)  # ... within this long ...
LOCK_FOR = timedelta(minutes=15)  # ... lock the account this long
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at / last_used_at are written at most this often
TOKEN_PREFIX = "iru_"


class LoginRefused(Exception):
    """The log-in failed; the message is fit to show (it says nothing an attacker may use)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class SessionGrant:
    """A new session: ``token`` is the raw session id (it goes, signed, into the cookie)."""

    token: str
    csrf_token: str
    principal: Principal
    expires_at: datetime

    def __repr__(self) -> str:  # never the secrets, should one land in a log
        return f"SessionGrant(principal={self.principal!r}, expires_at={self.expires_at!r})"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live session: who it is and the CSRF token its unsafe requests must carry."""

    principal: Principal
    csrf_token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"SessionInfo(principal={self.principal!r}, expires_at={self.expires_at!r})"


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_password(password: str) -> None:
    """Raise ValueError when ``password`` is too short or too long to be set."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"a password may have at most {MAX_PASSWORD} characters")


class AuthService:
    """Passwords, sessions and tokens of one workspace's users."""

    def __init__(
        self,
        database: Database,
        *,
        session_hours: int = 12,
        idle_minutes: int = 60,
        clock: Callable[[], datetime] | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.database = database
        self.store = AuthStore(database)
        self.audit = AuditStore(database)
        self.session_hours = session_hours
        self.idle_minutes = idle_minutes
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.hasher = hasher or PasswordHasher()  # Argon2id, the library's defaults
        self._dummy: str | None = None

    def now(self, now: datetime | None = None) -> datetime:
        return utc(require_zone(now if now is not None else self.clock()))

    # -- passwords -------------------------------------------------------------------------

    def set_password(
        self, actor: Principal | None, name: str, password: str, now: datetime | None = None
    ) -> None:
        """Set ``name``'s password: the user themself, or an admin. Without an actor (the
        console, bootstrapping) only a user who has no password yet. Ends their sessions."""
        when = self.now(now)
        creds = self.store.credentials(name)
        if creds is None:
            raise LookupError(f"unknown user {name!r}")
        if actor is None:
            if creds.password_hash is not None:
                raise PermissionDenied(
                    "changing a password needs an acting user (the user themself or an admin)"
                )
            actor = creds.principal
        elif actor.name != name:
            authorize(actor, Action.USERS_MANAGE)
        elif not actor.active:
            raise PermissionDenied(f"user {name} is disabled")
        check_password(password)
        password_hash = self.hasher.hash(password)
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            self.store.set_password_hash(conn, name, password_hash)
            ended = self.store.revoke_sessions_of(conn, name, when)
            self.audit.append_in(
                conn,
                actor.name,
                actor.unit,
                "users.passwd",
                f"user:{name}",
                after={"sessions_ended": ended},
                at=when,
            )

    def _verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; without a hash, a dummy one takes as long."""
        if password_hash is None:
            if self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_urlsafe(24))
            password_hash = self._dummy  # its password is random: it never matches
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    # -- log-in and log-out ----------------------------------------------------------------

    def login(
        self, name: str, password: str, *, now: datetime | None = None, client: str = ""
    ) -> SessionGrant:
        """A new session for ``name``, or :class:`LoginRefused`."""
        when = self.now(now)
        creds = self.store.credentials(name) if name else None
        right = self._verify(creds.password_hash if creds else None, password)
        if creds is None:
            log.info("log-in refused: unknown name")
            raise LoginRefused(WRONG)
        principal = creds.principal
        if not principal.active or creds.password_hash is None:
            self._refused(principal, "disabled" if not principal.active else "no password", when)
            raise LoginRefused(WRONG)
        if creds.locked_until is not None and creds.locked_until > when:
            # Right or wrong, the same answer, and it counts: a lock confirms no guess.
            self._failed(principal, when, reason="locked")
            raise LoginRefused(WRONG)
        if not right:
            self._failed(principal, when)
            raise LoginRefused(WRONG)
        assert creds.password_hash is not None
        return self._grant(creds, password, when, client)

    def _refused(self, principal: Principal, reason: str, when: datetime) -> None:
        """A refusal that does not count towards a lock (the user is disabled)."""
        log.info("log-in refused for %s: %s", principal.name, reason)
        self.audit.append(
            principal.name,
            principal.unit,
            "users.login_failed",
            f"user:{principal.name}",
            after={"reason": reason},
            at=when,
        )

    def _failed(self, principal: Principal, when: datetime, reason: str = "wrong password") -> None:
        """A failed attempt (a wrong password, or any password during a lock): count it,
        and lock — or renew the lock — at the fifth within the window."""
        log.info("log-in refused for %s: %s", principal.name, reason)
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            fresh = self.store.credentials(principal.name, conn)
            failures, first = (fresh.failed_logins, fresh.first_failed_at) if fresh else (0, None)
            if first is None or when - first >= FAILURE_WINDOW:
                failures, first = 0, when
            failures += 1
            self._audit_in(conn, principal, "users.login_failed", when, reason=reason)
            standing = fresh.locked_until if fresh is not None else None
            locked_until = standing if standing is not None and standing > when else None
            if failures >= LOCK_AFTER:
                locked_until = max(locked_until or when, when + LOCK_FOR)
                log.warning("account %s locked after %d failed log-ins", principal.name, failures)
                self._audit_in(
                    conn,
                    principal,
                    "users.locked",
                    when,
                    failures=failures,
                    until=locked_until.isoformat(),
                )
                failures, first = 0, None
            self.store.set_failures(
                conn,
                principal.name,
                failed_logins=failures,
                first_failed_at=first,
                locked_until=locked_until,
            )

    def _grant(
        self, creds: Credentials, password: str, when: datetime, client: str
    ) -> SessionGrant:
        principal = creds.principal
        assert creds.password_hash is not None
        rehash = (
            self.hasher.hash(password)
            if self.hasher.check_needs_rehash(creds.password_hash)
            else None
        )
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = when + timedelta(hours=self.session_hours)
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            fresh = self.store.credentials(principal.name, conn)
            if fresh is None or not fresh.principal.active or fresh.password_hash is None:
                raise LoginRefused(WRONG)  # disabled meanwhile: nothing is written
            if fresh.locked_until is not None and fresh.locked_until > when:
                raise LoginRefused(WRONG)  # locked meanwhile (by concurrent guesses)
            if rehash is not None:
                self.store.set_password_hash(conn, principal.name, rehash)
            self.store.set_failures(
                conn, principal.name, failed_logins=0, first_failed_at=None, locked_until=None
            )
            self.store.add_session(
                conn,
                sha256_hex(token),
                user=principal.name,
                csrf_token=csrf_token,
                now=when,
                expires_at=expires_at,
                client=client,
            )
            self._audit_in(conn, principal, "users.login", when, client=client[:200])
        log.info("%s logged in", principal.name)
        return SessionGrant(token, csrf_token, fresh.principal, expires_at)

    def _audit_in(
        self, conn: Transaction, principal: Principal, action: str, when: datetime, **after: Any
    ) -> None:
        self.audit.append_in(
            conn,
            principal.name,
            principal.unit,
            action,
            f"user:{principal.name}",
            after=after or None,
            at=when,
        )

    def session(self, token: str, now: datetime | None = None) -> SessionInfo | None:
        """The live session of ``token`` (the raw session id), or None."""
        if not token:
            return None
        when = self.now(now)
        row = self.store.session(sha256_hex(token))
        if (
            row is None
            or row.revoked_at is not None
            or when >= row.expires_at
            or when - row.last_seen_at >= timedelta(minutes=self.idle_minutes)
        ):
            return None
        creds = self.store.credentials(row.user)
        if creds is None or not creds.principal.active:
            return None
        if when - row.last_seen_at >= TOUCH_EVERY:
            self.store.touch_session(row.session_id_sha256, when)
        return SessionInfo(creds.principal, row.csrf_token, row.expires_at)

    def logout(self, token: str, now: datetime | None = None) -> bool:
        """End the session of ``token``; False when it was not live."""
        if not token:
            return False
        when = self.now(now)
        digest = sha256_hex(token)
        row = self.store.session(digest)
        if row is None:
            return False
        creds = self.store.credentials(row.user)
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            if not self.store.revoke_session(conn, digest, when):
                return False
            unit = creds.principal.unit if creds else "none"
            self.audit.append_in(conn, row.user, unit, "users.logout", f"user:{row.user}", at=when)
        return True

    # -- API tokens ------------------------------------------------------------------------

    def create_token(
        self, actor: Principal, name: str, user: str, now: datetime | None = None
    ) -> str:
        """A new API token for ``user`` (an admin for anyone, a user for themself); the
        raw token is returned once and never stored."""
        when = self.now(now)
        name = name.strip()
        if not name or len(name) > 200:
            raise ValueError("a token needs a name of 1 to 200 characters")
        _may_act_for(actor, user)
        target = self.store.credentials(user)
        if target is None:
            raise LookupError(f"unknown user {user!r}")
        if not target.principal.active:
            raise ValueError(f"user {user} is disabled")
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            token_id = self.store.add_token(
                conn,
                name=name,
                user=user,
                token_sha256=sha256_hex(raw),
                created_by=actor.name,
                now=when,
            )
            self.audit.append_in(
                conn,
                actor.name,
                actor.unit,
                "tokens.create",
                f"user:{user}",
                after={"token_id": token_id, "name": name},
                at=when,
            )
        return raw

    def token_principal(self, raw: str, now: datetime | None = None) -> Principal | None:
        """Who a raw API token acts for, or None (unknown, revoked, user disabled)."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        when = self.now(now)
        row = self.store.token_by_sha256(sha256_hex(raw))
        if row is None or row.revoked_at is not None:
            return None
        creds = self.store.credentials(row.user)
        if creds is None or not creds.principal.active:
            return None
        if row.last_used_at is None or when - row.last_used_at >= TOUCH_EVERY:
            self.store.touch_token(row.token_id, when)
        return creds.principal

    def revoke_token(self, actor: Principal, token_id: int, now: datetime | None = None) -> None:
        """Revoke a token: an admin any, a user their own."""
        when = self.now(now)
        row = self.store.token(token_id)
        if row is None:
            raise LookupError(f"no token {token_id}")
        _may_act_for(actor, row.user)
        if row.revoked_at is not None:
            raise ValueError(f"token {token_id} is revoked already")
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            self.store.revoke_token(conn, token_id, when)
            self.audit.append_in(
                conn,
                actor.name,
                actor.unit,
                "tokens.revoke",
                f"user:{row.user}",
                after={"token_id": token_id, "name": row.name},
                at=when,
            )

    def tokens(self, actor: Principal) -> list[dict[str, Any]]:
        """The tokens ``actor`` may see (an admin all, a user their own); never a secret."""
        if allowed(actor, Action.USERS_MANAGE):
            rows = self.store.tokens()
        else:
            _may_act_for(actor, actor.name)
            rows = self.store.tokens(actor.name)
        return [row.as_dict() for row in rows]


def _may_act_for(actor: Principal, user: str) -> None:
    """An active user for themself, an admin for anyone; else PermissionDenied."""
    if actor.name != user:
        authorize(actor, Action.USERS_MANAGE)
    elif not actor.active:
        raise PermissionDenied(f"user {actor.name} is disabled")


__all__ = [
    "TOKEN_COLUMNS",
    "WRONG",
    "AuthService",
    "LoginRefused",
    "SessionGrant",
    "SessionInfo",
    "check_password",
    "sha256_hex",
]
