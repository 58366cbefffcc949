"""``iru counter``: the at-risk audience, the narratives it meets, counter-speech's share of voice.

Aggregates by default (counts, shares, top terms and hubs); ``iru counter segments
--accounts`` lists the audience's accounts, for analysts and supervisors only, and each
such export is written to the audit log as ``counter.accounts``. See docs/counter.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from iru.cli.cases import service, user_option
from iru.cli.common import (
    F,
    IruError,
    out_option,
    output_format_option,
    render_rows,
    workspace_command,
)
from iru.counter import may_list_accounts
from iru.engine.readers.counter_rows import CounterRows, SegmentRow, plain
from iru.engine.services.cases import UnknownUser
from iru.workspace import Workspace

__all__ = [
    "MEMBER_COLUMNS",
    "NARRATIVE_COLUMNS",
    "SEGMENT_COLUMNS",
    "SHARE_COLUMNS",
    "TERM_COLUMNS",
    "counter",
]

SEGMENT_COLUMNS = (
    "segment",
    "language",
    "platform",
    "community",
    "size",
    "share",
    "trend",
    "routes",
    "top_hubs",
    "top_hashtags",
    "daily",
)
MEMBER_COLUMNS = (
    "segment",
    "platform",
    "account_id",
    "handle",
    "language",
    "community",
    "routes",
    "hubs",
    "contacts",
)
NARRATIVE_COLUMNS = (
    "narrative",
    "label",
    "anchors",
    "languages",
    "terms",
    "posts",
    "exposure",
    "trend",
    "daily",
    "segments",
)
TERM_COLUMNS = (
    "language",
    "rank",
    "term",
    "kind",
    "narrative",
    "posts",
    "exposure",
    "background",
    "score",
)
SHARE_COLUMNS = (
    "segment",
    "language",
    "platform",
    "size",
    "propaganda",
    "counter",
    "share",
    "daily_share",
    "takedowns",
    "first_takedown",
    "share_before",
    "share_after",
    "propaganda_before",
    "propaganda_after",
)
DAILY_COLUMNS = ("segment", "day", "propaganda", "counter", "share")
# What fits a terminal; csv and json carry every column.
TABLE_COLUMNS = {
    "segments": ("segment", "size", "share", "trend", "top_hubs", "top_hashtags"),
    "members": ("segment", "handle", "account_id", "routes", "hubs"),
    "narratives": ("narrative", "label", "languages", "exposure", "trend"),
    "share": ("segment", "size", "share", "takedowns", "share_before", "share_after"),
}


def _columns(output_format: str, name: str, every: tuple[str, ...]) -> tuple[str, ...]:
    return TABLE_COLUMNS[name] if output_format == "table" else every


@click.group()
def counter() -> None:
    """Counter-messaging: who the propaganda reaches, what they are told, who answers."""


def _joined(pairs: list[tuple[str, Any]], structured: bool) -> Any:
    if structured:
        return dict(pairs)
    return " · ".join(f"{k} {v}" for k, v in pairs)


def analysis_options(func: F) -> F:
    """``--min-size`` (of a segment's community) and ``--seed`` (of Leiden), on every command."""
    func = click.option("--seed", type=int, default=0, show_default=True, help="Seed of Leiden.")(
        func
    )
    return click.option("--min-size", type=click.IntRange(min=1), default=5, show_default=True)(
        func
    )


def _analysis(ws: Workspace, min_size: int, seed: int) -> CounterRows:
    """The analysis's rows, with what an earlier command computed on the same data restored
    from the workspace's cache, and what this one computes written back when it ends."""
    analysis = ws.counter_analysis(min_size=min_size, seed=seed)
    cache = ws.counter_cache(analysis)
    cache.load()
    click.get_current_context().call_on_close(cache.save)
    rows = CounterRows(analysis)
    if rows.window is None:
        raise IruError("no posts stored: ingest data and run `iru detect` first")
    return rows


def _window(rows: CounterRows) -> str:
    assert rows.window is not None
    first, last = rows.window
    return f"window {first} to {last}"


def segment_rows(rows: CounterRows, structured: bool, limit: int = 5) -> list[dict[str, Any]]:
    """One row per segment (aggregates only)."""
    return [
        {
            "segment": s.id,
            "language": s.language,
            "platform": s.platform,
            "community": s.community_name,
            "size": s.size,
            "share": s.share,
            "trend": s.trend,
            "routes": _joined(s.routes, structured),
            "top_hubs": _joined([(h.name, h.members) for h in s.hubs[:limit]], structured),
            "top_hashtags": _joined([("#" + t, m) for t, m in s.hashtags[:limit]], structured),
            "daily": s.daily if structured else " ".join(map(str, s.daily)),
        }
        for s in rows.segments()
    ]


def member_rows(rows: CounterRows, structured: bool) -> list[dict[str, Any]]:
    """One row per audience account: what only analysts and supervisors may see."""
    return [
        {
            **plain(m),
            "routes": _joined(m.routes, structured),
            "hubs": _joined(m.hubs, structured),
        }
        for m in rows.members()
    ]


@counter.command("segments")
@output_format_option("table", "csv", "json")
@click.option(
    "--accounts",
    "list_accounts",
    is_flag=True,
    help="One row per audience account (analysts and supervisors only; audited).",
)
@analysis_options
@out_option
@user_option
@workspace_command
def segments_command(  # noqa: PLR0917 - one parameter per click option
    output_format: str,
    list_accounts: bool,
    min_size: int,
    seed: int,
    out: Path | None,
    user_name: str | None,
    ws: Workspace,
) -> None:
    """The at-risk audience in segments: language, platform, community, how it is reached."""
    principal = None
    if list_accounts:
        try:
            principal = service(ws).principal(user_name or ws.settings["user"])
        except UnknownUser as exc:
            raise IruError(str(exc)) from exc
        if not may_list_accounts(principal.role.value, principal.active):
            raise IruError(
                f"{principal.name} ({principal.role.value}) may not list audience accounts "
                "(counter.accounts is for analysts and supervisors); aggregates are open"
            )
    counted = _analysis(ws, min_size, seed)
    structured = output_format == "json"
    excluded = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counted.excluded.items())
    title = (
        f"{counted.audience_size:,} at-risk accounts in {counted.segment_count} "
        f"segments; {_window(counted)}; reached but not counted: {excluded}"
    )
    if principal is None:
        columns = _columns(output_format, "segments", SEGMENT_COLUMNS)
        limit = 3 if output_format == "table" else 5
        rows = segment_rows(counted, structured, limit)
        render_rows(rows, columns, output_format, out, title)
        return
    rows = member_rows(counted, structured)
    assert counted.window is not None
    ws.audit_store().append(
        principal.name,
        principal.unit,
        "counter.accounts",
        f"unit:{principal.unit}",
        after={
            "accounts": len(rows),
            "segments": counted.segment_count,
            "format": output_format,
            "window": [day.isoformat() for day in counted.window],
        },
        at=datetime.now(UTC),
    )
    render_rows(rows, _columns(output_format, "members", MEMBER_COLUMNS), output_format, out, title)


def _segment(counted: CounterRows, wanted: str | None) -> SegmentRow | None:
    if wanted is None:
        return None
    found = counted.segment(wanted)
    if found is not None:
        return found
    segments = counted.segments()
    known = ", ".join(s.id for s in segments[:5])
    raise IruError(
        f"no segment {wanted!r} in this window ({len(segments)} segments"
        + (f"; the largest: {known})" if known else ")")
    )


@counter.command("narratives")
@output_format_option("table", "csv", "json")
@click.option("--terms", "by_term", is_flag=True, help="One row per key term and language.")
@click.option(
    "--segment",
    "segment_id",
    metavar="SEGMENT",
    help="Only what reaches this segment (ids as `iru counter segments` prints them); "
    "exposure is then that segment's.",
)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@analysis_options
@out_option
@workspace_command
def narratives_command(  # noqa: PLR0917 - one parameter per click option
    output_format: str,
    by_term: bool,
    segment_id: str | None,
    top: int,
    min_size: int,
    seed: int,
    out: Path | None,
    ws: Workspace,
) -> None:
    """Narratives and key terms the audience meets, per language, clustered across languages."""
    counted = _analysis(ws, min_size, seed)
    segment = _segment(counted, segment_id)
    structured = output_format == "json"
    reached = (
        f"exposure = members of {segment.id} reached x posts"
        if segment
        else "exposure = audience members reached x posts"
    )
    if by_term:
        title = (
            f"key terms {'towards ' + segment.id if segment else 'per language'}; "
            f"{_window(counted)}; {reached}"
        )
        terms = [plain(t) for t in counted.terms(top, segment)]
        render_rows(terms, TERM_COLUMNS, output_format, out, title)
        return
    narratives = counted.narratives(segment.id if segment else None)
    title = (
        f"{len(narratives)} narratives over {counted.narrative_languages} languages; "
        f"{_window(counted)}; {reached}"
    )
    rows: list[dict[str, Any]] = [
        {
            "narrative": n.id,
            "label": n.label,
            "anchors": n.anchors if structured else " ".join(n.anchors),
            "languages": n.languages if structured else " ".join(n.languages),
            "terms": dict(n.terms)
            if structured
            else "; ".join(f"{lang}: {', '.join(ts[:4])}" for lang, ts in n.terms),
            "posts": n.posts,
            "exposure": n.exposure,
            "trend": n.trend,
            "daily": n.daily if structured else " ".join(f"{d:g}" for d in n.daily),
            "segments": _joined(n.segments, structured),
        }
        for n in narratives[:top]
    ]
    columns = _columns(output_format, "narratives", NARRATIVE_COLUMNS)
    render_rows(rows, columns, output_format, out, title)


@counter.command("share")
@output_format_option("table", "csv", "json")
@click.option("--daily", is_flag=True, help="One row per segment and day.")
@analysis_options
@out_option
@workspace_command
def share_command(  # noqa: PLR0917 - one parameter per click option
    output_format: str,
    daily: bool,
    min_size: int,
    seed: int,
    out: Path | None,
    ws: Workspace,
) -> None:
    """Counter-speech's share of voice per segment, over time and around takedowns."""
    counted = _analysis(ws, min_size, seed)
    structured = output_format == "json"
    shares = counted.share()
    title = (
        f"share of voice = counter / (counter + propaganda) exposures; "
        f"{counted.counter_accounts} counter-speech accounts "
        f"({counted.counter_labelled} labelled; framing threshold {counted.margin:.3f}), "
        f"{counted.takedowns} takedowns of hubs; {_window(counted)}"
    )
    if daily:
        per_day: list[dict[str, Any]] = [
            {**plain(d), "day": d.day.isoformat()} for d in counted.daily()
        ]
        render_rows(per_day, DAILY_COLUMNS, output_format, out, title)
        return
    rows: list[dict[str, Any]] = [
        {
            **plain(s),
            "daily_share": s.daily_share
            if structured
            else " ".join("–" if v is None else f"{v:.3f}" for v in s.daily_share),
        }
        for s in shares
    ]
    render_rows(rows, _columns(output_format, "share", SHARE_COLUMNS), output_format, out, title)
