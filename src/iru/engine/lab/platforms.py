"""Simulated platforms that answer iru's notices (``iru platform-sim serve``).

The settings and the ASGI app come from :mod:`iru.sim.platform_service`, which only the
lab imports; the command line binds the socket and runs the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iru.sim.platform_service import ServiceSettings, create_app

if TYPE_CHECKING:
    from fastapi import FastAPI


class SimulatedPlatforms:
    """The simulated platforms' notice API (protocol v1), seeded: the same settings and
    requests give the same answers."""

    def __init__(
        self,
        *,
        seed: int,
        time_scale: float,
        fail_rate: float,
        callback_secret: str | None,
    ) -> None:
        self.settings = ServiceSettings(
            seed=seed, time_scale=time_scale, fail_rate=fail_rate, callback_secret=callback_secret
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The platforms served, in order."""
        return tuple(p.name for p in self.settings.platforms)

    def app(self) -> FastAPI:
        """A fresh ASGI app serving the notice API."""
        return create_app(self.settings)


__all__ = ["SimulatedPlatforms"]
