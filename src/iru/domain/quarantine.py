"""A record that could not be used, as the quarantine keeps it: where it came from and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    source: str
    format: str
    locator: str
    reason: str
    raw: bytes


__all__ = ["QuarantineRow"]
