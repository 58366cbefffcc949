"""Counter-messaging support: who the propaganda reaches, what they are told, who answers.

* :mod:`iru.counter.voices` sorts the non-supporters: watchers, counter-speech, producers;
* :mod:`iru.counter.segments` finds the at-risk audience and groups it into segments;
* :mod:`iru.counter.terms` finds the key terms of the propaganda per language;
* :mod:`iru.counter.narratives` groups them into narratives across languages (anchored on
  release series) and makes each language's keyword list;
* :mod:`iru.counter.share` measures counter-speech's share of voice in each segment, and
  how it changes after takedowns.

Pure core (like detect/ and network/): arrays and records in, dataclasses out; the
workspace side is :mod:`iru.engine.readers.counter`. See docs/counter.md.
"""

from __future__ import annotations

ACCOUNT_LIST_ROLES = frozenset({"analyst", "supervisor"})


def may_list_accounts(role: str, active: bool = True) -> bool:
    """Whether a user of ``role`` may see account-level audience lists (aggregates: anyone)."""
    return active and role in ACCOUNT_LIST_ROLES


__all__ = ["ACCOUNT_LIST_ROLES", "may_list_accounts"]
