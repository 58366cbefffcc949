"""The ``iru`` command: one group, one module per noun, one clear line on any error.

The group is lazy: ``COMMANDS`` names each command's module, attribute and one-line
help, so ``iru --help`` and ``iru --version`` import no command module, and ``iru X``
imports only the module of ``X`` (and what it needs). A command's module is imported
when the command is invoked or its own ``--help`` is shown.
"""

from __future__ import annotations

import importlib
import sys
from typing import NamedTuple

import click

from iru import __version__
from iru.config import debug_enabled


class LazyCommand(NamedTuple):
    """Where a command lives, and its one-line help for ``iru --help``."""

    module: str
    attribute: str
    summary: str


# Name -> where the command is defined. Keep each help the first sentence of the
# command's docstring (tests/test_layout.py checks it). `users` is taken from
# iru.cli.auth, which adds `iru users passwd` to the group iru.cli.cases defines.
COMMANDS: dict[str, LazyCommand] = {
    "approve": LazyCommand(
        "iru.cli.cases",
        "approve",
        "Approve the pending referral of ACCOUNT (supervisors; not one's own decision).",
    ),
    "archive": LazyCommand(
        "iru.cli.archive",
        "archive",
        "The Parquet archive of posts, media, interactions and signals.",
    ),
    "audit": LazyCommand(
        "iru.cli.audit", "audit", "The audit log: who did what to which subject, hash-chained."
    ),
    "counter": LazyCommand(
        "iru.cli.counter",
        "counter",
        "Counter-messaging: who the propaganda reaches, what they are told, who answers.",
    ),
    "db": LazyCommand("iru.cli.db", "db", "Manage the SQL database."),
    "deadlines": LazyCommand(
        "iru.cli.deadlines",
        "deadlines",
        "Deadline clocks of the unit's referrals and removal orders, most urgent first.",
    ),
    "decide": LazyCommand(
        "iru.cli.cases",
        "decide",
        "Decide on ACCOUNT (PLATFORM:ID or @handle): refer, dismiss, monitor or hold.",
    ),
    "deliver": LazyCommand(
        "iru.cli.referrals",
        "deliver",
        "Send the unit's queued referrals; safe to run again (idempotency keys).",
    ),
    "demo": LazyCommand(
        "iru.cli.serve",
        "demo",
        "Simulate a world, run the whole pipeline, start the platforms, serve the workbench.",
    ),
    "detect": LazyCommand(
        "iru.cli.detect",
        "detect",
        "Run every configured detector on new posts and media; update account assessments.",
    ),
    "evidence": LazyCommand(
        "iru.cli.evidence",
        "evidence",
        "Preserved evidence: content-addressed files and a hash-chained manifest.",
    ),
    "experiment": LazyCommand(
        "iru.cli.experiment",
        "experiment",
        "Refer with each strategy on the same simulated worlds and measure what it removes.",
    ),
    "export": LazyCommand("iru.cli.export", "export", "Export records from the workspace."),
    "hashes": LazyCommand(
        "iru.cli.knowledge",
        "hashes",
        "Known-content hash lists (GIFCT/TCAP-style SHA-256, MD5, PDQ) and known-text lists.",
    ),
    "holds": LazyCommand(
        "iru.cli.deadlines", "holds", "Deconfliction holds of the acting user's unit."
    ),
    "indicators": LazyCommand(
        "iru.cli.knowledge",
        "indicators",
        "Analysts' indicator rules (versioned TOML or JSON files, see docs/indicators.md).",
    ),
    "ingest": LazyCommand(
        "iru.cli.ingest",
        "ingest",
        "Read platform exports (files or folders) into the workspace.",
    ),
    "label": LazyCommand(
        "iru.cli.knowledge",
        "label",
        "Analysts' labels of accounts (training data for detection).",
    ),
    "network": LazyCommand(
        "iru.cli.network",
        "network",
        "Supporter networks: which accounts to remove to break them apart.",
    ),
    "platform-sim": LazyCommand(
        "iru.cli.platform_sim",
        "platform_sim",
        "Simulated platforms that answer iru's notices (notice protocol v1).",
    ),
    "plugins": LazyCommand(
        "iru.cli.plugins",
        "plugins",
        "List installed plugins: kind, name, providing package and version, object.",
    ),
    "quarantine": LazyCommand("iru.cli.quarantine", "quarantine", "Inspect quarantined records."),
    "queue": LazyCommand(
        "iru.cli.cases",
        "queue",
        "Accounts to review, resurgences of removed targets first, "
        "then impact × confidence × urgency.",
    ),
    "rank": LazyCommand(
        "iru.cli.rank",
        "rank_command",
        "Rank accounts by the propaganda reach their removal cuts (see docs/network.md).",
    ),
    "refer": LazyCommand(
        "iru.cli.referrals",
        "refer",
        "Preserve ACCOUNT's evidence and queue a referral package (or a removal order).",
    ),
    "referrals": LazyCommand(
        "iru.cli.referrals",
        "referrals",
        "Referrals and removal orders: list, show, record a platform's answer, clarify.",
    ),
    "report": LazyCommand(
        "iru.cli.report",
        "report",
        "Reports from the unit's case data: impact and transparency.",
    ),
    "serve": LazyCommand(
        "iru.cli.serve",
        "serve",
        "Serve the analysts' workbench (pages and JSON API) over this workspace.",
    ),
    "settings": LazyCommand("iru.cli.settings", "settings", "Show the effective settings."),
    "simulate": LazyCommand(
        "iru.cli.simulate",
        "simulate",
        "Simulate DAYS days of a world and write them under OUT, with ground truth.",
    ),
    "stats": LazyCommand(
        "iru.cli.stats",
        "stats",
        "Counts of accounts, posts, media and interactions by platform, language and day.",
    ),
    "tokens": LazyCommand(
        "iru.cli.auth", "tokens", "API tokens for scripts (Authorization: Bearer iru_...)."
    ),
    "track": LazyCommand(
        "iru.cli.referrals",
        "track",
        "Read the platforms' answers on open referrals; re-check removed accounts.",
    ),
    "train": LazyCommand(
        "iru.cli.train",
        "train",
        "Train a new version of the account classifier; `iru detect` then uses it.",
    ),
    "users": LazyCommand("iru.cli.auth", "users", "The unit's users: their role and unit."),
}


class LazyGroup(click.Group):
    """A group whose commands come from ``COMMANDS`` and are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, LazyCommand], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return None
        command = self.load(cmd_name, entry)
        self.commands[cmd_name] = command
        return command

    @staticmethod
    def load(name: str, entry: LazyCommand) -> click.Command:
        """Import the module of command ``name`` and return its click command."""
        try:
            module = importlib.import_module(entry.module)
        except ModuleNotFoundError as exc:
            if exc.name != entry.module:
                raise  # the module exists, but something it imports does not
            raise click.ClickException(
                f"command {name!r} is not available: its module {entry.module} is not installed"
            ) from exc
        command = getattr(module, entry.attribute, None)
        if not isinstance(command, click.Command):
            raise click.ClickException(
                f"command {name!r} is not available: "
                f"{entry.module} has no click command {entry.attribute!r}"
            )
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with the table's help, importing none of them."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            # A stand-in command shortens the table's help exactly as click would.
            command = self.commands.get(name) or click.Command(name, help=self.lazy[name].summary)
            text = command.get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(__version__, prog_name="iru")
def cli() -> None:
    """iru: the workbench of an Internet Referral Unit."""


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


__all__ = ["COMMANDS", "LazyCommand", "LazyGroup", "cli", "main"]
