"""Finding connectors by name: entry points of the group ``iru.connectors``.

Each entry point is a factory ``(settings, workspace_root) -> Connector``; the built-in
``http`` and ``export`` connectors register through the same group a unit's own would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from iru.cases.connectors import Connector

GROUP = "iru.connectors"

Factory = Callable[[Mapping[str, Any], Path], Connector]


class UnknownConnector(LookupError):
    """No connector of that name is installed."""


def connector_names() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_connector(name: str, settings: Mapping[str, Any], root: Path) -> Connector:
    """Build the connector ``name`` from the settings."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            factory: Factory = ep.load()
            return factory(settings, root)
    raise UnknownConnector(
        f"unknown connector {name!r} (installed: {', '.join(connector_names()) or 'none'})"
    )


__all__ = ["GROUP", "UnknownConnector", "connector_names", "load_connector"]
