"""What the unit knows beyond the posts, as imported: analysts' labels, known hashes and texts.

An analyst's label of an account is one of :data:`LABELS`. ``counter_speech`` is a kind
of ``not_supporter``: the account speaks against the propaganda; every consumer that asks
"supporter or not" reads it as not a supporter (``label == "supporter"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

LABELS = ("supporter", "not_supporter", "counter_speech")


@dataclass(frozen=True, slots=True)
class HashRow:
    hash_type: str
    value: str
    label: str
    source: str
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class TextRow:
    text: str
    label: str
    source: str


@dataclass(frozen=True, slots=True)
class LabelRow:
    platform: str
    account_id: str
    label: str


__all__ = ["LABELS", "HashRow", "LabelRow", "TextRow"]
