"""Simulated worlds on demand (``iru simulate``): a world written in the platforms' real
export formats with its ground truth, day by day, and its calibration against the census.

The command line asks for a world by its figures and shows progress; what a world is and
how it is built stays in :mod:`iru.sim`, which only the lab imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from iru.sim.calibration import Figure, calibration_report
from iru.sim.config import WorldConfig
from iru.sim.output import simulate
from iru.sim.world import DayOutput, World

# The export formats a world can be written in.
FORMATS = ("twitter-v2", "telegram", "activitypub")


@dataclass(frozen=True, slots=True)
class SimulatedWorld:
    """A world written out: how many accounts it holds, and its calibration on request."""

    config: WorldConfig
    world: World

    @property
    def accounts(self) -> int:
        return len(self.world.accounts)

    def calibration(self, supporter_posts_per_day: float | None) -> list[Figure]:
        """Each generated figure beside its target and allowed range."""
        return calibration_report(self.config, self.world.accounts, supporter_posts_per_day)


class Simulation:
    """One world to simulate: ``days`` days from ``seed`` at ``scale``, in ``formats``."""

    def __init__(
        self,
        *,
        seed: int,
        days: int,
        scale: float,
        posts_per_day: int | None,
        formats: tuple[str, ...],
    ) -> None:
        self.config = WorldConfig(
            seed=seed, days=days, scale=scale, posts_per_day=posts_per_day, formats=formats
        )

    def run(self, out: Path, on_day: Callable[[int], None]) -> SimulatedWorld:
        """Build the world, step it day by day and write everything under ``out``;
        ``on_day`` hears each day's supporter posts as the day is written."""

        def written(day: DayOutput) -> None:
            on_day(day.supporter_posts)

        return SimulatedWorld(self.config, simulate(self.config, out, written))


__all__ = ["FORMATS", "SimulatedWorld", "Simulation"]
