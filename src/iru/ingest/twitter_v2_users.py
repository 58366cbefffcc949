"""User listings in twarc2 output (``twarc2 users``, ``followers``, ``following``).

Their ``data`` holds user objects, not tweets: each becomes an account. twarc2 writes
the request it made in ``__twarc.url``; for ``/2/users/<id>/followers`` and
``/2/users/<id>/following`` that names the listing's subject, so each listed user is
also a follow edge (follower -> subject, subject -> followee), dated when the listing
was retrieved. Other listings (``/2/users?ids=``, ``/2/users/by?usernames=``,
``liking_users``, ``retweeted_by``) give accounts only.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from iru.domain import Interaction, InteractionKind

_FOLLOW_LISTING = re.compile(r"^/2/users/([0-9]{1,20})/(followers|following)/?$")


def looks_like_user(item: object) -> bool:
    """Whether a ``data`` item (or a flattened line) is a user object rather than a tweet."""
    return isinstance(item, dict) and "text" not in item and ("username" in item or "name" in item)


def listing_subject(url: str | None) -> tuple[str, str] | None:
    """(subject account id, ``followers`` or ``following``) of a follow listing's URL."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    found = _FOLLOW_LISTING.match(path)
    return (found.group(1), found.group(2)) if found else None


def follow_edge(
    platform: str, subject: tuple[str, str], listed: str, observed: datetime
) -> Interaction | None:
    """The follow edge between a listed user and the listing's subject (None for itself)."""
    subject_id, direction = subject
    if listed == subject_id:
        return None
    src, dst = (listed, subject_id) if direction == "followers" else (subject_id, listed)
    return Interaction.edge(platform, InteractionKind.FOLLOW, src, dst, observed)


__all__ = ["follow_edge", "listing_subject", "looks_like_user"]
