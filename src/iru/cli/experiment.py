"""``iru experiment``: closed-loop runs of the referral strategies on simulated worlds.

Each seed is written under ``--out``/seeds/ as soon as it ends, with ``results.csv`` and
``totals.csv`` of the seeds finished so far; a re-run with the same ``--out`` and set-up
reads the finished seeds back and runs only the others (docs/experiment.md).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from iru.cli.common import IruError
from iru.config import load_settings
from iru.engine.lab.experiment import (
    ExperimentConfig,
    LabWorkspace,
    SeedResult,
    run_experiment,
    seeds_from,
    strategies_from,
)
from iru.engine.lab.experiment_output import write_results, write_tables
from iru.engine.lab.experiment_seeds import SeedStore, SeedStoreError
from iru.measure.experiment import Policy
from iru.measure.plots import estimate_text
from iru.workspace import Workspace

SHOWN = (
    ("exposure", "at-risk exposures"),
    ("exposure_removed_share", "share removed vs none"),
    ("referrals", "referrals"),
    ("reach_removed_per_referral", "exposure removed / referral"),
    ("true_reach_per_referral", "true reach / referral"),
    ("ringleaders_removed", "ringleader accounts removed"),
    ("ringleader_survival_days", "ringleader survival (days)"),
    ("active_supporters_end", "active supporters at the end"),
    ("resurgences", "resurgences"),
    ("hours_to_detect", "hours to detect"),
    ("hours_to_refer", "hours to refer"),
    ("hours_to_removal", "hours to removal"),
)


def open_lab_workspace(
    root: Path, media: Path, settings: Mapping[str, Any] | None = None
) -> LabWorkspace:
    """A fresh workspace with default settings but ``settings`` (the environment is not read)."""
    flags = {**(settings or {}), "workspace": str(root), "media_dir": str(media)}
    return Workspace(load_settings(flags=flags, environ={}))


@click.command()
@click.option(
    "--days", type=click.IntRange(min=2), default=5, show_default=True, help="Days simulated."
)
@click.option(
    "--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Run seeds 1..N."
)
@click.option("--seed-list", help="Comma-separated seeds (instead of --seeds).")
@click.option(
    "--strategies",
    default="impact,volume,degree,random,none",
    show_default=True,
    help="Comma-separated: impact, volume, degree, pagerank, random, none (no referrals).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for results.csv, totals.csv, summary.csv, results.json, PNGs, index.html "
    "and seeds/ (each finished seed; a re-run with the same --out resumes from them).",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0.001, max=10),
    default=0.01,
    show_default=True,
    help="World size; 1.0 is the census world (46,000 supporters).",
)
@click.option("--posts-per-day", type=click.IntRange(min=1), help="Total supporter posts a day.")
@click.option(
    "--budget",
    type=click.IntRange(min=0),
    help="Referrals a day [default: 1 % of the world's supporters].",
)
@click.option(
    "--officers", type=click.IntRange(min=1), default=2, show_default=True, help="Reviewers."
)
@click.option(
    "--reviews-per-hour",
    type=click.FloatRange(min=0.01),
    default=4.0,
    show_default=True,
    help="Accounts each officer reviews an hour.",
)
@click.option(
    "--hours-per-day",
    type=click.FloatRange(min=0.1, max=24),
    default=8.0,
    show_default=True,
    help="Review hours a day.",
)
@click.option(
    "--review-delay-hours",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Hours from the daily detection run to the start of reviews.",
)
@click.option(
    "--window-days",
    type=click.FloatRange(min=0.5),
    help="Days of history the unit's reach model ranks on [default: the graph_window_days "
    "setting, 30].",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Scratch folder for the simulated exports and workspaces [default: a temporary one].",
)
def experiment(
    *,
    days: int,
    seeds: int,
    seed_list: str | None,
    strategies: str,
    out: Path,
    scale: float,
    posts_per_day: int | None,
    budget: int | None,
    officers: int,
    reviews_per_hour: float,
    hours_per_day: float,
    review_delay_hours: float,
    window_days: float | None,
    work_dir: Path | None,
) -> None:
    """Refer with each strategy on the same simulated worlds and measure what it removes."""
    try:
        config = ExperimentConfig(
            days=days,
            seeds=seeds_from(seeds, seed_list),
            strategies=strategies_from(strategies),
            scale=scale,
            posts_per_day=posts_per_day,
            unit_settings=(("graph_window_days", window_days),) if window_days else (),
            policy=Policy(
                officers=officers,
                reviews_per_hour=reviews_per_hour,
                hours_per_day=hours_per_day,
                daily_budget=budget,
                review_delay_hours=review_delay_hours,
            ),
        )
    except ValueError as exc:
        raise IruError(str(exc), 2) from exc
    store = SeedStore(out, config)
    try:
        finished = store.finished()
    except SeedStoreError as exc:
        raise IruError(str(exc), 2) from exc
    if finished:
        click.echo(
            f"resuming: seed(s) {', '.join(map(str, finished))} already finished in "
            f"{store.folder}/, not run again",
            err=True,
        )
    done: list[SeedResult] = [finished[s] for s in config.seeds if s in finished]

    def on_seed(seed_result: SeedResult) -> None:
        store.save(seed_result)
        done.append(seed_result)
        write_tables([d for r in done for d in r.days], [t for r in done for t in r.totals], out)

    scratch = work_dir or Path(tempfile.mkdtemp(prefix="iru-experiment-"))
    console = Console(stderr=True)
    steps = (len(config.seeds) - len(finished)) * len(config.strategies) * config.days
    try:
        with Progress(
            TextColumn("[bold]experiment"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as progress:
            task = progress.add_task("", total=steps)

            def on_step(seed: int, strategy: str, day: int) -> None:
                progress.update(task, advance=1, description=f"seed {seed} {strategy} day {day}")

            result = run_experiment(
                config,
                open_lab_workspace,
                scratch,
                on_step,
                finished=finished,
                on_seed=on_seed,
            )
    except BaseException:
        if done:
            click.echo(
                f"experiment stopped; seed(s) {', '.join(str(r.seed) for r in done)} are kept "
                f"in {store.folder}/ (and results.csv, totals.csv): run the same command "
                "again to go on from there",
                err=True,
            )
        raise
    finally:
        if work_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)
    data = write_results(result, out)
    _print(data)
    click.echo(
        f"{len(config.seeds)} seed(s) × {len(config.strategies)} strategies × {days} days in "
        f"{result.seconds:.0f} s; budget {result.budget}/day; written to {out}/ "
        "(results.csv, totals.csv, summary.csv, results.json, *.png, index.html)"
    )


def _print(data: dict[str, object]) -> None:
    summary = data["summary"]
    assert isinstance(summary, dict)
    table = Table(title="closed-loop experiment: mean over seeds [95 % interval]")
    table.add_column("total")
    for strategy in summary:
        table.add_column(strategy, justify="right")
    for metric, label in SHOWN:
        table.add_row(label, *(estimate_text(summary[s].get(metric, {})) for s in summary))
    Console().print(table)
    ratios = data.get("impact_over_volume")
    if isinstance(ratios, dict) and ratios.get("exposure_removed"):
        figure = ratios["exposure_removed"]
        click.echo(
            "impact / volume, at-risk exposure removed vs none: "
            f"{estimate_text(figure['ratio'])} (Fieller 95 %, {figure['ratio']['n']} seeds)"
        )
