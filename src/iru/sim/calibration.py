"""Each generated figure beside the published figure it is calibrated to, with a tolerance.

Targets are the published figures (docs/simulator.md names them). Counts scale with ``--scale``; shares
and distributions do not. The total of supporter posts a day is reported against
both readings of the census (133,422 over its 20,000-account sample, or the rates
applied to 46,000 accounts, 250,000–300,000); docs/simulator.md explains the conflict.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from statistics import median

from iru.sim.config import Role, WorldConfig
from iru.sim.population import SimAccount


@dataclass(frozen=True, slots=True)
class Figure:
    """One calibrated figure: what the world has, what the source says, and the allowed range."""

    name: str
    value: float
    target: str
    low: float
    high: float
    source: str

    @property
    def ok(self) -> bool:
        return self.low <= self.value <= self.high


def calibration_report(
    config: WorldConfig, accounts: list[SimAccount], supporter_posts_per_day: float | None
) -> list[Figure]:
    """The figures of a world's initial Twitter population (and of its days, when given)."""
    census = "Berger & Morgan 2015 (ISIS Twitter Census)"
    supporters = [
        a for a in accounts if a.platform == "twitter" and a.generation == 0 and a.role.is_supporter
    ]
    n = len(supporters)
    scale = config.scale
    langs = Counter(a.lang for a in supporters)
    followers = [a.followers for a in supporters]
    rates = [a.rate for a in supporters]
    hyper = sum(1 for r in rates if r > 50)
    figures = [
        Figure(
            "supporter accounts",
            n,
            f">= {46_000 * scale:,.0f}",
            46_000 * scale * 0.99,
            90_000 * scale,
            census,
        ),
        Figure("language: Arabic share", langs["ar"] / n, "~0.73", 0.69, 0.77, census),
        Figure("language: English share", langs["en"] / n, "~0.18", 0.15, 0.21, census),
        Figure("language: French share", langs["fr"] / n, "~0.06", 0.04, 0.08, census),
        Figure("followers: mean", sum(followers) / n, "~1,004", 800, 1250, census),
        Figure("followers: median", median(followers), "~208", 185, 235, census),
        Figure(
            "hyperactive accounts (> 50 posts/day)",
            hyper,
            f"500-2,000 at scale 1 ({500 * scale:,.0f}-{2000 * scale:,.0f})",
            500 * scale * 0.9,
            2000 * scale * 1.1,
            census,
        ),
        Figure(
            "share posting < 1/day", sum(1 for r in rates if r < 1) / n, "0.40", 0.38, 0.42, census
        ),
        Figure(
            "share posting < 5/day", sum(1 for r in rates if r < 5) / n, "0.69", 0.67, 0.71, census
        ),
        Figure("share posting > 50/day", hyper / n, "0.023", 0.020, 0.026, census),
        Figure(
            "ringleaders among the 1 % most followed",
            sum(
                1
                for a in supporters
                if a.role is Role.RINGLEADER and a.followers >= sorted(followers)[int(n * 0.99)]
            ),
            "all ringleaders",
            max(1, round(config.ringleaders * scale)) * 0.9,
            max(1, round(config.ringleaders * scale)),
            "model: official media have very high in-degree",
        ),
    ]
    if supporter_posts_per_day is not None:
        figures.append(
            Figure(
                "supporter posts per day",
                supporter_posts_per_day,
                f"133,422 (sample) to 300,000 (rates x 46,000), x scale {scale:g}",
                110_000 * scale,
                310_000 * scale,
                census + "; conflicting readings, see CALIBRATION.md",
            )
        )
    return figures
