"""What configures the detectors: the unit's knowledge as one pure value, and detector examples.

:class:`Knowledge` holds everything a unit knows that a detector may be built from: its
known-content hash entries, the newest version of each indicator set, its known texts and
its listed domains (known URLs). The workspace reads it once from the knowledge store;
every registered detector is then built from it by its ``from_knowledge`` classmethod
(:class:`iru.detect.base.Detector`), which returns the detectors that knowledge configures
(none when there is nothing to configure one with). Nothing here touches a database.

:class:`DetectorExample` is what a detector ships about itself (its ``examples()``
classmethod, like python-threatexchange's ``get_examples()``): knowledge to build it from,
a small synthetic batch, and which items of the batch must and must not fire. The plugin
conformance suite (``tests/test_plugin_conformance.py``) runs every installed detector
on its own examples.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from iru.detect.base import Batch
from iru.detect.hashlists import KnownHashEntry
from iru.detect.indicators import IndicatorKind, IndicatorSet
from iru.domain import Post

EXAMPLE_TIME: Final = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def latest_indicator_sets(rows: Iterable[Mapping[str, Any]]) -> list[IndicatorSet]:
    """The newest stored version of each indicator file, parsed again from its stored text.

    ``rows`` (``name``, ``version``, ``content``) come ordered by name, then import time.
    """
    newest: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        newest[row["name"]] = row
    sets = []
    for name in sorted(newest):
        row = newest[name]
        text = row["content"]
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
        sets.append(IndicatorSet.from_mapping(data, f"{name}@{row['version']}"))
    return sets


def listed_domains(indicator_sets: Iterable[IndicatorSet]) -> dict[str, str]:
    """The known URLs of indicator files: each ``domain`` rule's domain, labelled by its rule id.

    A domain listed by several rules keeps the first one's id (sets in the order given,
    rules in file order), so the table is the same on every run.
    """
    domains: dict[str, str] = {}
    for indicator_set in indicator_sets:
        for rule in indicator_set.rules:
            if rule.kind == IndicatorKind.DOMAIN:
                domains.setdefault(rule.pattern.strip().removeprefix("*.").lower(), rule.id)
    return domains


@dataclass(frozen=True, slots=True)
class Knowledge:
    """The unit's knowledge, as detectors are built from it (empty: nothing known)."""

    hashes: tuple[KnownHashEntry, ...] = ()
    indicator_sets: tuple[IndicatorSet, ...] = ()  # the newest version of each, by name
    known_texts: tuple[tuple[str, str], ...] = ()  # (label, text)
    known_urls: Mapping[str, str] = field(default_factory=dict)  # domain -> label

    @classmethod
    def of(
        cls,
        *,
        hashes: Sequence[KnownHashEntry] = (),
        indicator_sets: Sequence[IndicatorSet] = (),
        known_texts: Sequence[tuple[str, str]] = (),
        known_urls: Mapping[str, str] | None = None,
    ) -> Knowledge:
        """Knowledge whose known URLs are, unless given, the indicator sets' domain rules."""
        urls = dict(known_urls) if known_urls is not None else listed_domains(indicator_sets)
        return cls(
            hashes=tuple(hashes),
            indicator_sets=tuple(indicator_sets),
            known_texts=tuple(known_texts),
            known_urls=urls,
        )


@dataclass(frozen=True, slots=True)
class DetectorExample:
    """A detector's own example: built from ``knowledge``, it must fire on every item id in
    ``fires`` and on none in ``quiet`` (post or media ids of ``batch``)."""

    knowledge: Knowledge
    batch: Batch
    fires: frozenset[str]
    quiet: frozenset[str] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict)  # item id -> a label it must get


def example_post(post_id: str, text: str, **fields: Any) -> Post:
    """A synthetic post for an example (platform ``example``, account ``example-account``)."""
    return Post(
        platform="example",
        post_id=post_id,
        account_id="example-account",
        created_at=EXAMPLE_TIME,
        text=text,
        **fields,
    )


__all__ = [
    "EXAMPLE_TIME",
    "DetectorExample",
    "Knowledge",
    "example_post",
    "latest_indicator_sets",
    "listed_domains",
]
