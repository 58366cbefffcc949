"""Errors every layer may raise or catch without importing the layer that raises them."""

from __future__ import annotations


class DatabaseError(Exception):
    """The database cannot be reached or is not in a usable state."""


__all__ = ["DatabaseError"]
