"""Alembic migrations of iru's SQL schema, applied on first use and by ``iru db upgrade``."""
