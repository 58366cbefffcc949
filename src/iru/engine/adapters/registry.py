"""Finding connectors by name: entry points of the group ``iru.connectors``.

Each entry point names a connector class (:class:`ConnectorPlugin`) with two classmethods:
``from_settings(settings, workspace_root)`` builds it, and ``examples()`` gives what the
plugin conformance suite delivers. The built-in ``http`` and ``export`` connectors register
through the same group a unit's own would. A plain factory ``(settings, root) -> Connector``
registered there still loads (it has no examples, so it fails the conformance suite).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from iru.cases.connectors import Connector

if TYPE_CHECKING:
    from iru.engine.adapters.examples import ConnectorExample

GROUP = "iru.connectors"

Factory = Callable[[Mapping[str, Any], Path], Connector]


@runtime_checkable
class ConnectorPlugin(Protocol):
    """What an ``iru.connectors`` entry point names: a connector class that builds itself."""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], root: Path) -> Connector:
        """The connector, configured from the workspace's settings (and its folder)."""
        ...

    @classmethod
    def examples(cls) -> Sequence[ConnectorExample]:
        """Synthetic packages it must deliver, and where (for the conformance suite)."""
        ...


class UnknownConnector(LookupError):
    """No connector of that name is installed."""


def connector_names() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def connector_factory(plugin: object) -> Factory:
    """How to build the connector an entry point names (its class's ``from_settings``)."""
    from_settings = getattr(plugin, "from_settings", None)
    factory = from_settings if callable(from_settings) else plugin
    if not callable(factory):
        raise TypeError(f"connector plugin {plugin!r} is neither a class nor a factory")
    built: Factory = factory
    return built


def load_connector(name: str, settings: Mapping[str, Any], root: Path) -> Connector:
    """Build the connector ``name`` from the settings."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            return connector_factory(ep.load())(settings, root)
    raise UnknownConnector(
        f"unknown connector {name!r} (installed: {', '.join(connector_names()) or 'none'})"
    )


__all__ = [
    "GROUP",
    "ConnectorPlugin",
    "UnknownConnector",
    "connector_factory",
    "connector_names",
    "load_connector",
]
