"""Finds the installed detectors (entry points ``iru.detectors``) by their stable names,
and builds the ones a unit's knowledge configures."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Final

from iru.detect.base import ENTRY_POINT_GROUP, Batch, Detector
from iru.detect.knowledge import Knowledge

#: The order detectors run in (and their signals are stored in): these first, then every
#: other installed detector by name.
RUN_ORDER: Final = ("language", "known-media", "indicators", "near-duplicate-text", "known-urls")


@cache
def detector_classes() -> dict[str, type[Detector]]:
    """Every registered detector class by name; names must be unique and match the class."""
    found: dict[str, type[Detector]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if getattr(cls, "name", None) != entry.name:
            raise ValueError(
                f"detector {entry.value} is named {getattr(cls, 'name', None)!r}, registered as {entry.name!r}"
            )
        if entry.name in found:
            raise ValueError(f"two detectors registered as {entry.name!r}")
        found[entry.name] = cls
    return found


def run_order(names: list[str]) -> list[str]:
    """``names`` in the order detectors run: :data:`RUN_ORDER`, then the rest by name."""
    first = [name for name in RUN_ORDER if name in names]
    return first + sorted(set(names) - set(first))


def build_detectors(knowledge: Knowledge) -> list[Detector]:
    """Every installed detector the knowledge configures, built through ``from_knowledge``
    and fitted, in :func:`run_order`."""
    classes = detector_classes()
    found: list[Detector] = []
    for name in run_order(list(classes)):
        found.extend(classes[name].from_knowledge(knowledge))
    empty = Batch()
    return [detector.fit(empty) for detector in found]
