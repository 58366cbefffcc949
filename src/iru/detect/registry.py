"""Finds the installed detectors (entry points ``iru.detectors``) by their stable names."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from iru.detect.base import ENTRY_POINT_GROUP, Detector


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
