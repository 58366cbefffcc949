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
from iru.counter.narratives import NarrativeReport
from iru.counter.segments import ROUTES, Segment
from iru.engine.readers.counter import CounterAnalysis
from iru.engine.readers.counter_cache import CounterCache
from iru.engine.services.cases import UnknownUser
from iru.storage.audit import AuditStore
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


def _analysis(ws: Workspace, min_size: int, seed: int) -> CounterAnalysis:
    """The analysis, with what an earlier command computed on the same data restored from
    the workspace's cache, and what this one computes written back when it ends."""
    analysis = CounterAnalysis(
        ws.database,
        ws.archive,
        window_days=ws.settings["graph_window_days"],
        min_size=min_size,
        seed=seed,
    )
    cache = CounterCache(ws.root / "cache" / "counter", analysis)
    cache.load()
    click.get_current_context().call_on_close(cache.save)
    if not analysis.data.days:
        raise IruError("no posts stored: ingest data and run `iru detect` first")
    return analysis


def _window(analysis: CounterAnalysis) -> str:
    days = analysis.data.days
    return f"window {days[0]} to {days[-1]}"


def segment_rows(
    analysis: CounterAnalysis, structured: bool, limit: int = 5
) -> list[dict[str, Any]]:
    """One row per segment (aggregates only)."""
    rows = []
    for s in analysis.audience.segments:
        rows.append(
            {
                "segment": s.id,
                "language": s.language,
                "platform": s.platform,
                "community": "other" if s.community < 0 else f"c{s.community}",
                "size": s.size,
                "share": s.share,
                "trend": s.trend,
                "routes": _joined(list(s.routes.items()), structured),
                "top_hubs": _joined(
                    [(analysis.name(h), m) for h, m in s.top_hubs[:limit]], structured
                ),
                "top_hashtags": _joined(
                    [("#" + t, m) for t, m in s.top_hashtags[:limit]], structured
                ),
                "daily": s.daily if structured else " ".join(map(str, s.daily)),
            }
        )
    return rows


def member_rows(analysis: CounterAnalysis, structured: bool) -> list[dict[str, Any]]:
    """One row per audience account: what only analysts and supervisors may see."""
    data = analysis.data
    c = data.contacts
    supporter = data.facts.supporter
    by_account: dict[int, list[int]] = {}
    for j in range(c.m):
        if supporter[c.other[j]]:
            by_account.setdefault(int(c.account[j]), []).append(j)
    rows = []
    for s in analysis.audience.segments:
        for i in s.members.tolist():
            links = by_account.get(i, [])
            routes: dict[str, int] = {}
            hubs: dict[int, int] = {}
            for j in links:
                routes[ROUTES[c.route[j]]] = routes.get(ROUTES[c.route[j]], 0) + 1
                hubs[int(c.other[j])] = hubs.get(int(c.other[j]), 0) + 1
            best = sorted(hubs.items(), key=lambda h: (-h[1], h[0]))[:3]
            platform, account_id = data.keys[i]
            rows.append(
                {
                    "segment": s.id,
                    "platform": platform,
                    "account_id": account_id,
                    "handle": data.handles.get(data.keys[i], ""),
                    "language": data.language[i],
                    "community": int(data.community[i]),
                    "routes": _joined(sorted(routes.items()), structured),
                    "hubs": _joined([(analysis.name(h), n) for h, n in best], structured),
                    "contacts": len(links),
                }
            )
    return rows


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
    analysis = _analysis(ws, min_size, seed)
    audience = analysis.audience
    structured = output_format == "json"
    excluded = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in audience.excluded.items())
    title = (
        f"{int(audience.audience.sum()):,} at-risk accounts in {len(audience.segments)} "
        f"segments; {_window(analysis)}; reached but not counted: {excluded}"
    )
    if principal is None:
        columns = _columns(output_format, "segments", SEGMENT_COLUMNS)
        limit = 3 if output_format == "table" else 5
        rows = segment_rows(analysis, structured, limit)
        render_rows(rows, columns, output_format, out, title)
        return
    rows = member_rows(analysis, structured)
    AuditStore(ws.database).append(
        principal.name,
        principal.unit,
        "counter.accounts",
        f"unit:{principal.unit}",
        after={
            "accounts": len(rows),
            "segments": len(audience.segments),
            "format": output_format,
            "window": [analysis.data.days[0].isoformat(), analysis.data.days[-1].isoformat()],
        },
        at=datetime.now(UTC),
    )
    render_rows(rows, _columns(output_format, "members", MEMBER_COLUMNS), output_format, out, title)


def _term_rows(report: NarrativeReport, top: int, segment: Segment | None) -> list[dict[str, Any]]:
    """The keyword list of every language, or of the posts that reach ``segment``."""
    if segment is None:
        listed = [
            (lang, rank, t, t.exposure)
            for lang, terms in sorted(report.terms.items())
            for rank, t in enumerate(terms[:top], start=1)
        ]
    else:
        listed = []
        for key, exposure in report.towards.get(segment.id, []):
            term = report.term(key, segment.language)
            if term is not None and len(listed) < top:
                listed.append((term.language, len(listed) + 1, term, exposure))
    return [
        {
            "language": lang,
            "rank": rank,
            "term": t.text,
            "kind": t.kind,
            "narrative": report.narrative_of(t.key),
            "posts": t.posts,
            "exposure": exposure,
            "background": t.background,
            "score": t.score,
        }
        for lang, rank, t, exposure in listed
    ]


def _segment(analysis: CounterAnalysis, wanted: str | None) -> Segment | None:
    if wanted is None:
        return None
    for s in analysis.audience.segments:
        if s.id == wanted:
            return s
    known = ", ".join(s.id for s in analysis.audience.segments[:5])
    raise IruError(
        f"no segment {wanted!r} in this window ({len(analysis.audience.segments)} segments"
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
    analysis = _analysis(ws, min_size, seed)
    segment = _segment(analysis, segment_id)
    report = analysis.narratives
    structured = output_format == "json"
    reached = (
        f"exposure = members of {segment.id} reached x posts"
        if segment
        else "exposure = audience members reached x posts"
    )
    if by_term:
        title = (
            f"key terms {'towards ' + segment.id if segment else 'per language'}; "
            f"{_window(analysis)}; {reached}"
        )
        render_rows(_term_rows(report, top, segment), TERM_COLUMNS, output_format, out, title)
        return
    narratives = report.narratives
    if segment is not None:
        narratives = sorted(
            (n for n in narratives if segment.id in n.segments),
            key=lambda n: (-n.segments[segment.id], n.id),
        )
    title = (
        f"{len(narratives)} narratives over {len(report.terms)} languages; "
        f"{_window(analysis)}; {reached}"
    )
    rows: list[dict[str, Any]] = []
    for n in narratives[:top]:
        per_language: dict[str, list[str]] = {}
        for t in n.terms:
            per_language.setdefault(t.language, []).append(t.text)
        best = sorted(n.segments.items(), key=lambda s: (-s[1], s[0]))[:3]
        rows.append(
            {
                "narrative": n.id,
                "label": n.label,
                "anchors": n.anchors if structured else " ".join(n.anchors),
                "languages": n.languages if structured else " ".join(n.languages),
                "terms": per_language
                if structured
                else "; ".join(f"{lang}: {', '.join(ts[:4])}" for lang, ts in per_language.items()),
                "posts": n.posts,
                "exposure": n.segments[segment.id] if segment else n.exposure,
                "trend": n.trend,
                "daily": n.daily if structured else " ".join(f"{d:g}" for d in n.daily),
                "segments": _joined(best, structured),
            }
        )
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
    analysis = _analysis(ws, min_size, seed)
    report = analysis.share
    structured = output_format == "json"
    series = [report.overall, *report.segments]
    title = (
        f"share of voice = counter / (counter + propaganda) exposures; "
        f"{len(analysis.counter_speech)} counter-speech accounts "
        f"({analysis.counter_labelled} labelled; framing threshold {analysis.margin:.3f}), "
        f"{report.overall.takedowns} takedowns of hubs; {_window(analysis)}"
    )
    if daily:
        per_day: list[dict[str, Any]] = [
            {
                "segment": s.segment,
                "day": day.isoformat(),
                "propaganda": s.propaganda[k],
                "counter": s.counter[k],
                "share": s.daily_share[k],
            }
            for s in series
            for k, day in enumerate(report.days)
        ]
        render_rows(per_day, DAILY_COLUMNS, output_format, out, title)
        return
    rows: list[dict[str, Any]] = [
        {
            "segment": s.segment,
            "language": s.language,
            "platform": s.platform,
            "size": s.size,
            "propaganda": round(sum(s.propaganda), 2),
            "counter": round(sum(s.counter), 2),
            "share": s.share,
            "daily_share": s.daily_share
            if structured
            else " ".join("–" if v is None else f"{v:.3f}" for v in s.daily_share),
            "takedowns": s.takedowns,
            "first_takedown": s.first_takedown,
            "share_before": s.share_before,
            "share_after": s.share_after,
            "propaganda_before": s.propaganda_before,
            "propaganda_after": s.propaganda_after,
        }
        for s in series
    ]
    render_rows(rows, _columns(output_format, "share", SHARE_COLUMNS), output_format, out, title)
