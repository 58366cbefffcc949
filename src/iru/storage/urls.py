"""Database URLs fit to show: the password hidden (for logs, messages and ``iru config``).

Kept apart from :mod:`iru.storage.database` so that showing a setting loads only
SQLAlchemy's URL parser, not the engine, the dialects and the schema.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

UNPARSEABLE = "<unparseable database url>"


def redact_url(url: str, unparseable: str = UNPARSEABLE) -> str:
    """The URL with any password hidden; ``unparseable`` when it is not a URL at all."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return unparseable


__all__ = ["UNPARSEABLE", "redact_url"]
