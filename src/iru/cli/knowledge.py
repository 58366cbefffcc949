"""``iru label|hashes|indicators import``: bring the unit's knowledge into the workspace.

Bad rows are quarantined with file, line and reason, like bad posts; the rest is kept.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import click

from iru.cli.common import IruError, workspace_command
from iru.detect.hashlists import LIST_FORMATS, HashListError, parse_hash_list
from iru.detect.indicators import IndicatorFileError, load_indicator_file
from iru.detect.known_texts import TEXTS_FORMAT, looks_like_known_texts, parse_known_texts
from iru.domain.knowledge import LABELS, HashRow, LabelRow, TextRow
from iru.domain.quarantine import QuarantineRow
from iru.workspace import Workspace

_LABEL_COLUMNS = ("platform", "account_id", "label")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IruError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def parse_labels(path: Path, data: bytes) -> tuple[list[LabelRow], list[QuarantineRow]]:
    """Rows of a ``platform,account_id,label`` CSV, and the rows that cannot be used."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IruError(f"{path}: not UTF-8 text: {exc}") from exc
    lines = text.splitlines()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _LABEL_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise IruError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(_LABEL_COLUMNS)}"
        )
    good: list[LabelRow] = []
    bad: list[QuarantineRow] = []
    source = str(path.resolve())
    for row in reader:
        number = reader.line_num
        raw = lines[number - 1].encode("utf-8") if number - 1 < len(lines) else b""
        platform = (row.get("platform") or "").strip()
        account = (row.get("account_id") or "").strip()
        label = (row.get("label") or "").strip().lower()
        reason = None
        if not platform or not account:
            reason = "platform and account_id must not be empty"
        elif label not in LABELS:
            reason = f"label must be one of {', '.join(LABELS)}, got {row.get('label')!r}"
        if reason:
            bad.append(QuarantineRow(source, "labels-csv", f"line {number}", reason, raw))
        else:
            good.append(LabelRow(platform, account, label))
    return good, bad


@click.group()
def label() -> None:
    """Analysts' labels of accounts (training data for detection)."""


@label.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@workspace_command
def import_labels(file: Path, ws: Workspace) -> None:
    """Import FILE.csv of platform,account_id,label (supporter|not_supporter|counter_speech).

    counter_speech marks an account that speaks against the propaganda: not a supporter.
    """
    data = _read(file)
    rows, rejects = parse_labels(file, data)
    with ws.write_lock("label import"):
        if rejects:
            ws.database.write_ingest_batch([], rejects)
        new, changed = ws.knowledge_store().add_labels(rows, f"file:{file.name}")
    click.echo(
        f"labels: {len(rows):,} read, {new:,} new, {changed:,} changed, "
        f"{len(rejects):,} quarantined (sha256 {hashlib.sha256(data).hexdigest()[:12]})"
    )
    if not rows:
        raise IruError(f"{file}: no usable label rows")


@click.group()
def hashes() -> None:
    """Known-content hash lists (GIFCT/TCAP-style SHA-256, MD5, PDQ) and known-text lists."""


@hashes.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "list_format",
    type=click.Choice(["auto", *LIST_FORMATS, TEXTS_FORMAT]),
    default="auto",
    show_default=True,
)
@workspace_command
def import_hashes(file: Path, list_format: str, ws: Workspace) -> None:
    """Import a known-content hash list or known-text list; bad rows are quarantined, the rest kept."""
    data = _read(file)
    if list_format == TEXTS_FORMAT or (list_format == "auto" and looks_like_known_texts(data)):
        _import_texts(file, data, ws)
        return
    try:
        parsed = parse_hash_list(data, list_format, name=str(file), source=file.name)  # type: ignore[arg-type]
    except (HashListError, ValueError) as exc:
        raise IruError(str(exc)) from exc
    rows = [HashRow(e.hash_type, e.value, e.label, e.source, e.created_at) for e in parsed.entries]
    rejects = [
        QuarantineRow(
            str(file.resolve()), f"hashes:{parsed.fmt}", issue.location, issue.reason, b""
        )
        for issue in parsed.rejected
    ]
    with ws.write_lock("hashes import"):
        if rejects:
            ws.database.write_ingest_batch([], rejects)
        new = ws.knowledge_store().add_hashes(rows, hashlib.sha256(data).hexdigest())
    click.echo(
        f"hash list ({parsed.fmt}): {len(rows):,} read, {new:,} new, "
        f"{len(rejects):,} quarantined, {len(parsed.skipped):,} skipped"
    )
    if not rows:
        raise IruError(f"{file}: no usable hashes")


def _import_texts(file: Path, data: bytes, ws: Workspace) -> None:
    """Import a ``texts-jsonl`` list of known texts (for the near-duplicate-text detector)."""
    parsed = parse_known_texts(data, source=file.name)
    rows = [TextRow(e.text, e.label, e.source) for e in parsed.entries]
    rejects = [
        QuarantineRow(
            str(file.resolve()), f"hashes:{parsed.fmt}", issue.location, issue.reason, issue.raw
        )
        for issue in parsed.rejected
    ]
    with ws.write_lock("hashes import"):
        if rejects:
            ws.database.write_ingest_batch([], rejects)
        new = ws.knowledge_store().add_texts(rows, hashlib.sha256(data).hexdigest())
    click.echo(
        f"known texts ({parsed.fmt}): {len(rows):,} read, {new:,} new, "
        f"{len(rejects):,} quarantined, {len(parsed.skipped):,} skipped"
    )
    if not rows:
        raise IruError(f"{file}: no usable known texts")


@click.group()
def indicators() -> None:
    """Analysts' indicator rules (versioned TOML or JSON files, see docs/indicators.md)."""


@indicators.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@workspace_command
def import_indicators(file: Path, ws: Workspace) -> None:
    """Import one version of an indicator file; the file is checked whole before storing."""
    data = _read(file)
    try:
        indicator_set = load_indicator_file(file)
    except IndicatorFileError as exc:
        raise IruError(str(exc)) from exc
    with ws.write_lock("indicators import"):
        try:
            added = ws.knowledge_store().add_indicator_set(
                indicator_set.name,
                indicator_set.version,
                hashlib.sha256(data).hexdigest(),
                len(indicator_set.rules),
                data.decode("utf-8"),
            )
        except ValueError as exc:
            raise IruError(str(exc)) from exc
    state = "imported" if added else "already imported"
    click.echo(f"indicators {indicator_set.label}: {len(indicator_set.rules):,} rules, {state}")
