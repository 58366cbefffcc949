"""docs/cli.md, generated from the click commands themselves, so the reference never drifts.

``python -m iru.cli.reference > docs/cli.md`` writes it; a test fails when the file in
the repository differs from what the commands say. Every command and sub-command is
listed with its usage, its help and each option (name, type, default, help).
"""

from __future__ import annotations

import inspect

import click

from iru.cli import cli

HEADER = """# Command reference

Generated from the commands themselves: `python -m iru.cli.reference > docs/cli.md`
(a test fails when this page and the code differ). Every command also takes the
settings as options or `IRU_*` variables (docs/settings.md); the options every command
shares (`--workspace`, `--config`, `--database-url`, `--help`) are not repeated below.
"""

# Options every command takes: told once in the header.
SHARED = frozenset({"--workspace", "--config", "--database-url", "--help"})


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _unset(value: object) -> bool:
    """No default: None, or click's own "unset" sentinel (click 8.2 and later)."""
    return value is None or "UNSET" in repr(value)


def _option_rows(command: click.Command, ctx: click.Context) -> list[str]:
    rows = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden or set(param.opts) <= SHARED:
            continue
        names = ", ".join(f"`{name}`" for name in (*param.opts, *param.secondary_opts))
        kind = (
            "flag"
            if param.is_flag
            else _cell(param.type.get_metavar(param, ctx) or param.type.name)
        )
        default = "" if param.is_flag or _unset(param.default) else f"`{param.default}`"
        if callable(param.default):
            default = "(computed)"
        rows.append(f"| {names} | {kind} | {default} | {_cell(param.help or '')} |")
    return rows


def _command(path: list[str], command: click.Command, parent: click.Context) -> list[str]:
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    lines = [f"## `{' '.join(path)}`", ""]
    pieces = command.collect_usage_pieces(ctx)
    lines += ["```", " ".join([*path, *pieces]), "```", ""]
    if command.help:
        paragraphs = (p.strip() for p in inspect.cleandoc(command.help).split("\n\n"))
        lines += [paragraph + "\n" for paragraph in paragraphs if paragraph]
    rows = _option_rows(command, ctx)
    if rows:
        lines += ["| option | type | default | help |", "|---|---|---|---|", *rows, ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines += _command([*path, name], sub, ctx)
    return lines


def reference() -> str:
    """The whole command reference, as Markdown."""
    root = click.Context(cli, info_name="iru")
    lines = [HEADER]
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        if command is not None and not command.hidden:
            lines += _command(["iru", name], command, root)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(reference(), end="")
