"""Alembic's environment: runs migrations on the connection iru hands it."""

from __future__ import annotations

from alembic import context

from iru.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("iru runs its migrations through iru.storage.database, with a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
