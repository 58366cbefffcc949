"""The SQL database behind a workspace: connection, migrations, and the writes ingest needs.

SQLite (WAL) is the default; any SQLAlchemy URL for PostgreSQL (``postgresql+psycopg://``)
works the same. Every write here is idempotent and keyed by natural keys, so a run
killed at any point and run again converges on the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.resources import files
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Engine, bindparam, create_engine, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, ExceptionContext

from iru.domain import Account
from iru.domain.errors import DatabaseError
from iru.domain.quarantine import QuarantineRow
from iru.storage.schema import accounts, ingest_runs, quarantine
from iru.storage.urls import redact_url

if TYPE_CHECKING:  # alembic loads only when a migration is checked or run (not on every open)
    from alembic.config import Config

_ACCOUNT_FIELDS = [c.name for c in accounts.columns if c.name != "status"]
_CHUNK = 500


# An open unit of work on the database, as the stores' methods take it: what they write
# through one commits (or rolls back) together. Callers outside storage only pass it on,
# from :meth:`Database.connection` or :func:`iru.storage.audit.locked_transaction`.
Transaction: TypeAlias = Connection


def _no_nul(text: str) -> str:
    return text.replace("\x00", "\\x00")


def _without_row_details(context: ExceptionContext) -> None:
    """Drop PostgreSQL's DETAIL from an error: it quotes the row ("Failing row contains ...")."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            error.args = (error.args[0].split("\nDETAIL:", 1)[0], *error.args[1:])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# ``revision = "0008"`` / ``down_revision = None`` in a migration file (alembic's template).
_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)(?:\s*:[^=\n]+)?\s*=\s*(None|"([^"\n]*)"|'([^'\n]*)')\s*$""",
    re.MULTILINE,
)


def head_from_files() -> str | None:
    """The head revision, read from the migration files as text without importing alembic.

    None when any file is not plainly one ``revision``/``down_revision`` pair or the files
    do not form one line of history: then only alembic itself can tell.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (files("iru.storage") / "migrations" / "versions").iterdir():
        if not path.name.endswith(".py") or path.name.startswith("_"):
            continue
        found: dict[str, str | None] = {}
        for match in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")):
            if match.group(1) in found:
                return None
            value = match.group(3) if match.group(3) is not None else match.group(4)
            found[match.group(1)] = value
        if set(found) != {"revision", "down_revision"} or not found["revision"]:
            return None
        revisions.add(str(found["revision"]))
        if found["down_revision"] is not None:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("iru.storage") / "migrations"))
    config.attributes["connection"] = connection
    return config


class Database:
    """One SQL database: opened from a URL, migrated to head on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        # hide_parameters: an error never prints the rows it was writing (personal data).
        self.engine: Engine = create_engine(
            url, future=True, pool_pre_ping=True, hide_parameters=True
        )
        self._upsert: tuple[str, list[tuple[str, Any]], bool] | None = None
        event.listen(self.engine, "handle_error", _without_row_details)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def redacted_url(self) -> str:
        """The database's URL with any password hidden, fit for messages."""
        return redact_url(self.url)

    @contextmanager
    def connection(self) -> Iterator[Transaction]:
        """A connection for reads that belong together; closed (and rolled back) after."""
        with self.engine.connect() as conn:
            yield conn

    # -- migrations -------------------------------------------------------------------------

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        with self.engine.connect() as conn:
            return ScriptDirectory.from_config(_alembic_config(conn)).get_current_head()

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except Exception as exc:
            raise DatabaseError(f"cannot open database {redact_url(self.url)}: {exc}") from exc

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision`` (``iru db upgrade``)."""
        from alembic import command

        with self.engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)

    def downgrade(self, revision: str) -> None:
        from alembic import command

        with self.engine.begin() as conn:
            command.downgrade(_alembic_config(conn), revision)

    def ensure_schema(self) -> None:
        """Migrate to head when the database is empty or behind.

        A database already at the head its migration files name is left as it is without
        loading alembic (a quarter of a second on every command); anything else, or any
        doubt, goes through alembic.
        """
        if (stored := self._stored_revision()) is not None and stored == head_from_files():
            return
        if self.current_revision() != self.head_revision():
            self.upgrade()

    def _stored_revision(self) -> str | None:
        """The one revision in ``alembic_version`` (None: no table, no row, several, an error)."""
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except Exception:  # the alembic path below reports what is wrong
            return None
        return str(rows[0][0]) if len(rows) == 1 else None

    def dispose(self) -> None:
        self.engine.dispose()

    # -- ingest writes ----------------------------------------------------------------------

    def dialect_insert(self) -> Any:
        """The INSERT construct of this dialect (for ON CONFLICT clauses)."""
        return (postgresql if self.dialect == "postgresql" else sqlite).insert

    def _account_upsert(self) -> tuple[str, list[tuple[str, Any]], bool]:
        """The upsert as driver SQL, compiled once, and a bind converter per column.

        Account batches run in the tens of thousands of rows; going through the DBAPI's
        executemany with pre-converted values skips SQLAlchemy's per-row parameter work,
        which otherwise costs more than the database itself.
        """
        if self._upsert is None:
            stmt = self.dialect_insert()(accounts)
            excluded = stmt.excluded
            # Keep the newest snapshot; an undated one never replaces a dated one.
            newer = excluded.observed_at.is_not(None) & (
                accounts.c.observed_at.is_(None) | (excluded.observed_at > accounts.c.observed_at)
            )
            first_fill = accounts.c.observed_at.is_(None) & excluded.observed_at.is_(None)
            upsert = stmt.on_conflict_do_update(
                index_elements=[accounts.c.platform, accounts.c.account_id],
                set_={f: func.coalesce(excluded[f], accounts.c[f]) for f in _ACCOUNT_FIELDS[2:]},
                where=newer | first_fill,
            )
            dialect = self.engine.dialect
            compiled = upsert.values({f: bindparam(f) for f in _ACCOUNT_FIELDS}).compile(
                dialect=dialect
            )
            # Positional drivers (sqlite3's "?") take tuples in the compiled order.
            order = list(compiled.positiontup or []) if compiled.positional else []
            if order and sorted(order) != sorted(_ACCOUNT_FIELDS):
                raise DatabaseError("unexpected parameters in the compiled account upsert")
            fields = order or list(_ACCOUNT_FIELDS)
            converters = [(f, accounts.c[f].type.bind_processor(dialect)) for f in fields]
            self._upsert = (str(compiled), converters, compiled.positional)
        return self._upsert

    def write_ingest_batch(
        self, batch_accounts: Iterable[Account], rejects: Iterable[QuarantineRow]
    ) -> tuple[int, int]:
        """Upsert accounts (a newer snapshot wins) and quarantine rejects, in one transaction.

        Returns how many accounts and how many rejects were new.
        """
        sql, converters, positional = self._account_upsert()
        get_row = attrgetter(*(f for f, _ in converters))
        convert_at = [(i, c) for i, (_, c) in enumerate(converters) if c is not None]
        values: list[tuple[Any, ...]] = []
        for account in batch_accounts:
            row: tuple[Any, ...] = get_row(account)
            if convert_at:
                cells = list(row)
                for i, convert in convert_at:
                    if cells[i] is not None:
                        cells[i] = convert(cells[i])
                row = tuple(cells)
            values.append(row)
        names = [f for f, _ in converters]
        account_rows: list[Any] = (
            values if positional else [dict(zip(names, row, strict=True)) for row in values]
        )
        now = datetime.now(UTC)
        reject_rows = [
            {
                # Text columns on PostgreSQL cannot hold NUL; a locator or reason may quote it.
                "source": _no_nul(r.source),
                "format": _no_nul(r.format),
                "locator": _no_nul(r.locator),
                "reason": _no_nul(r.reason),
                "raw": r.raw,
                "quarantined_at": now,
            }
            for r in rejects
        ]
        new_rejects = new_accounts = 0
        count_accounts = select(func.count()).select_from(accounts)
        with self.engine.begin() as conn:
            if account_rows:
                before = conn.execute(count_accounts).scalar_one()
                conn.exec_driver_sql(sql, account_rows)
                new_accounts = conn.execute(count_accounts).scalar_one() - before
            for start in range(0, len(reject_rows), _CHUNK):
                stmt = (
                    self.dialect_insert()(quarantine)
                    .values(reject_rows[start : start + _CHUNK])
                    .on_conflict_do_nothing(
                        index_elements=[quarantine.c.source, quarantine.c.locator]
                    )
                    .returning(quarantine.c.id)
                )
                new_rejects += len(conn.execute(stmt).all())
        return new_accounts, new_rejects

    def start_run(self, inputs: str) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                ingest_runs.insert().values(
                    started_at=datetime.now(UTC), status="running", inputs=inputs
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(self, run_id: int, status: str, counts: dict[str, int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                ingest_runs.update()
                .where(ingest_runs.c.id == run_id)
                .values(finished_at=datetime.now(UTC), status=status, **counts)
            )

    # -- reads ------------------------------------------------------------------------------

    def iter_accounts(self) -> Iterator[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(accounts).order_by(accounts.c.platform, accounts.c.account_id)
            )
            for row in rows:
                yield dict(row._mapping)

    def quarantine_rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            query = select(quarantine).order_by(quarantine.c.id)
            if limit is not None:
                query = query.limit(limit)
            return [dict(r._mapping) for r in conn.execute(query)]

    def count(self, table: str) -> int:
        target = {"accounts": accounts, "quarantine": quarantine, "ingest_runs": ingest_runs}[table]
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(target)).scalar_one())

    def accounts_by_platform(self) -> list[tuple[str, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(accounts.c.platform, func.count())
                .group_by(accounts.c.platform)
                .order_by(accounts.c.platform)
            )
            return [(r[0], int(r[1])) for r in rows]


__all__ = [
    "Database",
    "DatabaseError",
    "QuarantineRow",
    "Transaction",
    "head_from_files",
    "redact_url",
]
