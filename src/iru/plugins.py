"""What plugins are installed: every entry point of iru's three plugin groups, unloaded.

iru's plugin kinds are ingest formats (``iru.ingest_formats``), detectors
(``iru.detectors``) and platform connectors (``iru.connectors``); built-in ones register
exactly as a third party's do. :func:`installed_plugins` reads the entry points' metadata
only (name, object path, the distribution that provides it and its version): nothing is
imported, so listing costs no heavy library.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from typing import Final

#: Plugin kind -> its entry-point group, in the order a pipeline uses them.
GROUPS: Final = {
    "ingest-format": "iru.ingest_formats",
    "detector": "iru.detectors",
    "connector": "iru.connectors",
}


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """One installed plugin, as its entry point describes it."""

    kind: str  # ingest-format | detector | connector
    name: str  # the stable name it registers under
    distribution: str  # the installed package that provides it ("" when unknown)
    version: str  # that package's version ("" when unknown)
    object: str  # module:attribute the entry point names

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def installed_plugins() -> list[PluginInfo]:
    """Every installed plugin, by kind (in :data:`GROUPS` order), then name."""
    found = []
    for kind, group in GROUPS.items():
        for entry in sorted(entry_points(group=group), key=lambda e: e.name):
            dist = entry.dist
            found.append(
                PluginInfo(
                    kind=kind,
                    name=entry.name,
                    distribution=dist.name if dist is not None else "",
                    version=dist.version if dist is not None else "",
                    object=entry.value,
                )
            )
    return found


__all__ = ["GROUPS", "PluginInfo", "installed_plugins"]
