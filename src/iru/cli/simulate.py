"""``iru simulate``: write a calibrated synthetic world in the platforms' real formats."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from iru.cli.common import IruError
from iru.engine.lab.simulation import FORMATS, Simulation


@click.command()
@click.option("--days", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--scale",
    type=click.FloatRange(min=0.001, max=10),
    default=1.0,
    show_default=True,
    help="1.0 is the census world (46,000 supporters); smaller keeps the shapes.",
)
@click.option(
    "--posts-per-day",
    type=click.IntRange(min=1),
    help="Total supporter posts a day (default: as the census posting rates give).",
)
@click.option(
    "--formats",
    default=",".join(FORMATS),
    show_default=True,
    help="Comma-separated output formats.",
)
@click.option("--report", is_flag=True, help="Print each generated figure beside its target.")
def simulate(
    *,
    days: int,
    seed: int,
    out: Path,
    scale: float,
    posts_per_day: int | None,
    formats: str,
    report: bool,
) -> None:
    """Simulate DAYS days of a world and write them under OUT, with ground truth."""
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise IruError(
            f"unknown --formats {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}",
            2,
        )
    if out.exists() and any(out.iterdir()):
        raise IruError(f"{out}: folder is not empty; choose a new --out", 2)
    simulation = Simulation(
        seed=seed, days=days, scale=scale, posts_per_day=posts_per_day, formats=chosen
    )
    console = Console(stderr=True)
    supporter_posts: list[int] = []
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task("days", total=days)

        def on_day(posts: int) -> None:
            supporter_posts.append(posts)
            progress.advance(task)

        world = simulation.run(out, on_day)
    elapsed = time.perf_counter() - started
    click.echo(
        f"simulated {days} day(s), seed {seed}, scale {scale:g}: {world.accounts:,} accounts, "
        f"{sum(supporter_posts):,} supporter posts, in {elapsed:.1f} s -> {out}"
    )
    if report:
        figures = world.calibration(sum(supporter_posts) / days)
        table = Table(title="calibration")
        for column in ("figure", "generated", "target", "range", "ok"):
            table.add_column(column)
        for f in figures:
            value = f"{f.value:,.3f}" if f.value < 10 else f"{f.value:,.0f}"
            table.add_row(
                f.name, value, f.target, f"{f.low:,.3g}–{f.high:,.3g}", "yes" if f.ok else "NO"
            )
        Console().print(table)
