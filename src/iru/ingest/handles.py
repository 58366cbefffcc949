"""Which mention targets can exist on each platform: checked before a mention edge is made.

Exports mark mentions from text patterns, and the patterns catch things no account can be
called: Telegram tags ``@1199`` as a mention, though a username starts with a letter.
Every reader asks :func:`mention_target` before it lists a mention on a post or makes a
mention edge, so one platform's rule lives here once:

* Telegram: ``@username`` of 5 to 32 letters, digits and underscores, starting with a
  letter (4 for the collectible usernames Telegram auctions), or ``user<id>`` for a
  mention of an account without a username (Telegram's ``mention_name``).
* X/Twitter: a numeric account id, or ``@handle`` of 1 to 15 letters, digits and
  underscores. :data:`X_MENTION` is that rule as a regular expression that both Python's
  ``re`` and DuckDB's RE2 read the same way (the bulk reader filters in SQL).
* ActivityPub: the mentioned actor's ``http(s)`` URI, or ``user@domain`` (``@`` first or not).

Other platforms' targets only need to be non-empty and free of whitespace.
"""

from __future__ import annotations

import re

X_MENTION = r"[0-9]{1,20}|@[A-Za-z0-9_]{1,15}"
_TELEGRAM = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|user[0-9]{1,20}")
_X = re.compile(X_MENTION)
_ACTOR_URI = re.compile(r"https?://[^\s/?#@]+(?:/[^\s]*)?", re.IGNORECASE)
_ACCT = re.compile(r"@?[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ANY = re.compile(r"\S{1,512}")

_RULES = {"telegram": _TELEGRAM, "twitter": _X, "activitypub": _ACTOR_URI}


def valid_mention(platform: str, target: str) -> bool:
    """Whether ``target`` can name an account on ``platform`` (see the module docstring)."""
    if platform == "activitypub" and _ACCT.fullmatch(target):
        return True
    return _RULES.get(platform, _ANY).fullmatch(target) is not None


def mention_target(platform: str, target: str | None) -> str | None:
    """``target`` when it can name an account on ``platform``, else None."""
    if target is None:
        return None
    return target if valid_mention(platform, target) else None


__all__ = ["X_MENTION", "mention_target", "valid_mention"]
