"""iru's own records and enums: the pure vocabulary every other package imports."""

from iru.domain.records import (
    Account,
    Interaction,
    InteractionKind,
    Media,
    MediaKind,
    Post,
    Record,
    interaction_id,
    require_zone,
    utc,
)

__all__ = [
    "Account",
    "Interaction",
    "InteractionKind",
    "Media",
    "MediaKind",
    "Post",
    "Record",
    "interaction_id",
    "require_zone",
    "utc",
]
