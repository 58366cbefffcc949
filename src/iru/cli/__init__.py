"""The ``iru`` command: one group, one module per noun, one clear line on any error."""

from __future__ import annotations

import sys

import click

from iru import __version__
from iru.cli.audit import audit
from iru.cli.auth import tokens  # also adds `iru users passwd`
from iru.cli.cases import approve, decide, queue, users
from iru.cli.counter import counter
from iru.cli.db import db
from iru.cli.deadlines import deadlines, holds
from iru.cli.detect import detect
from iru.cli.evidence import evidence
from iru.cli.experiment import experiment
from iru.cli.export import export
from iru.cli.ingest import ingest
from iru.cli.knowledge import hashes, indicators, label
from iru.cli.network import network
from iru.cli.platform_sim import platform_sim
from iru.cli.quarantine import quarantine
from iru.cli.rank import rank_command
from iru.cli.referrals import deliver, refer, referrals, track
from iru.cli.report import report
from iru.cli.serve import demo, serve
from iru.cli.settings import settings
from iru.cli.simulate import simulate
from iru.cli.stats import stats
from iru.cli.train import train
from iru.config import debug_enabled


@click.group()
@click.version_option(__version__, prog_name="iru")
def cli() -> None:
    """iru: the workbench of an Internet Referral Unit."""


for command in (
    demo,
    serve,
    simulate,
    ingest,
    hashes,
    indicators,
    label,
    train,
    detect,
    rank_command,
    users,
    tokens,
    queue,
    decide,
    approve,
    holds,
    refer,
    deliver,
    track,
    referrals,
    report,
    deadlines,
    quarantine,
    stats,
    export,
    experiment,
    db,
    settings,
    network,
    counter,
    audit,
    evidence,
    platform_sim,
):
    cli.add_command(command)


def main() -> None:
    try:
        cli.main(prog_name="iru", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("iru: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"iru: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debug_enabled():
            raise
        click.echo(
            f"iru: internal error: {type(exc).__name__}: {exc} "
            "(set IRU_LOG_LEVEL=DEBUG for the traceback)",
            err=True,
        )
        sys.exit(70)


__all__ = ["cli", "main"]
