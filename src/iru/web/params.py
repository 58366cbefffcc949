"""Bounded parameter types shared by the pages and the JSON API.

Every number a route takes from a path, query or form is bounded here, so a value the
database or the date arithmetic cannot hold (a case id past 64 bits, a hold of a million
days) is refused with a 422 that names the parameter, before any work is done. Use them
with FastAPI's markers: ``Annotated[DatabaseId, Form()]`` for a form field.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

MAX_DATABASE_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL's BIGINT hold
MAX_PAGE = 1_000_000
MAX_HOLD_DAYS = 180  # as the API's decision body
MAX_WARN_MINUTES = 7 * 24 * 60

DatabaseId = Annotated[int, Ge(1), Le(MAX_DATABASE_ID)]
"""A row id (case id): 1 to 2**63 - 1."""

PageNumber = Annotated[int, Ge(1), Le(MAX_PAGE)]
"""A page of a listing, from 1."""

HoldDays = Annotated[int, Ge(1), Le(MAX_HOLD_DAYS)]
"""How long a deconfliction hold lasts, in days."""

WarnMinutes = Annotated[int, Ge(0), Le(MAX_WARN_MINUTES)]
"""How long before a deadline to warn, in minutes (at most a week)."""

__all__ = [
    "MAX_DATABASE_ID",
    "MAX_HOLD_DAYS",
    "MAX_PAGE",
    "MAX_WARN_MINUTES",
    "DatabaseId",
    "HoldDays",
    "PageNumber",
    "WarnMinutes",
]
