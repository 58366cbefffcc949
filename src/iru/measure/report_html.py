"""The transparency and impact reports as one self-contained HTML page.

The page inlines its CSS and embeds each plot as a base64 PNG: no external resource,
printable as is. Text cells carry ``dir="auto"`` so Arabic reads right to left. The
sections built here (from the figures of :mod:`iru.measure.report` and
:mod:`iru.measure.report_impact`) also make the PDF (:func:`iru.measure.report_figures.to_pdf`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from iru.measure.report_figures import (
    Section,
    Table,
    bars,
    cell,
    histogram,
    lines,
    pct,
    png,
    to_pdf,
)

# -- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",sans-serif;
margin:2em auto;max-width:60em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}
p.sub{color:#555;margin-top:0}table{border-collapse:collapse;margin:1em 0;font-size:.92em}
caption{text-align:start;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f2f2f2;text-align:start}
td.n{text-align:end;font-variant-numeric:tabular-nums}img{max-width:100%;display:block;margin:1em 0}
.scope{background:#f7f7e8;border:1px solid #e0e0b0;padding:.5em .8em}
@media print{h2{page-break-before:auto}img{page-break-inside:avoid}}
"""


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for value in row:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            cls = ' class="n"' if numeric else ' dir="auto"'
            cells.append(f"<td{cls}>{html.escape(cell(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def to_html(title: str, subtitle: str, sections: Sequence[Section], scope: str = "") -> str:
    """One self-contained HTML page: inline CSS, plots as data: URIs, no external resources."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f'<h1 dir="auto">{html.escape(title)}</h1>',
        f'<p class="sub" dir="auto">{html.escape(subtitle)}</p>',
    ]
    if scope:
        parts.append(f'<p class="scope" dir="auto">{html.escape(scope)}</p>')
    for section in sections:
        parts.append(f'<h2 dir="auto">{html.escape(section.title)}</h2>')
        parts.extend(f'<p dir="auto">{html.escape(text)}</p>' for text in section.text)
        parts.extend(_table_html(table) for table in section.tables)
        for fig in section.figures:
            label = html.escape(str(fig.axes[0].get_title()) if fig.axes else "plot")
            parts.append(f'<img alt="{label}" src="data:image/png;base64,{png(fig)}">')
    parts.append("</body></html>\n")
    return "\n".join(parts)


# -- the two reports --------------------------------------------------------------------------

_OUTCOME_COLUMNS = ("made", "delivered", "removed", "restored", "rejected", "open", "failed")
_KINDS = {"referral": "referrals", "removal_order": "removal orders"}
_DURATION_COLUMNS = ("", "n", "median (h)", "90th percentile (h)", "max (h)")


def _outcome_row(name: str, o: dict[str, Any]) -> list[Any]:
    return [name, *(o[c] for c in _OUTCOME_COLUMNS), pct(o["removal_rate"])]


def _durations_row(name: str, d: dict[str, Any]) -> list[Any]:
    return [name, d["n"], d["median_hours"], d["p90_hours"], d["max_hours"]]


def _breakdown(title: str, rows: list[dict[str, Any]], what: str) -> Section:
    table = Table(
        f"{title}: outcomes per kind and {what}",
        ("kind", what, *_OUTCOME_COLUMNS, "removal rate", "median h to removal"),
        [
            [
                _KINDS.get(r["kind"], r["kind"]),
                r["key"],
                *(r[c] for c in _OUTCOME_COLUMNS),
                pct(r["removal_rate"]),
                r["median_hours_to_removal"],
            ]
            for r in rows
        ],
    )
    labels = [f"{r['key']} ({'order' if r['kind'] == 'removal_order' else 'ref.'})" for r in rows]
    plot = bars(
        f"{title}: made, removed, rejected",
        labels,
        {k: [r[k] for r in rows] for k in ("made", "removed", "rejected")},
        "count",
    )
    return Section(title, tables=[table], figures=[plot])


def _orders(f: dict[str, Any]) -> Section:
    orders = f["removal_orders"]
    clock = {
        "within the hour": orders["within_the_hour"],
        "beyond the hour": orders["beyond_the_hour"],
        "pending": orders["pending"],
        "not executed": orders["not_executed"],
        "not received": orders["not_received"],
        "invalid times": orders.get("invalid_times", 0),
    }
    complied = orders["within_the_hour"] + orders["beyond_the_hour"]
    return Section(
        "Removal orders and the one-hour rule (Art. 3(3), Art. 8)",
        [
            f"Of the {complied} removal order(s) the providers complied with, "
            f"{orders['within_the_hour']} were executed within the hour of receipt "
            f"({pct(orders['compliance_rate'])}); the hour restarts when a clarification or the "
            "end of force majeure is received (Annex III). "
            f"{orders['cross_border']} order(s) went to a provider established in another "
            "Member State (Art. 4).",
            f"Referrals answered within the unit's own target: {f['referral_targets']['met']}; "
            f"late: {f['referral_targets']['breached']}.",
        ],
        [
            Table("Removal orders by clock state", ("", "orders"), list(clock.items())),
            Table(
                "Removal orders by Art. 2(7) reason (Annex I section B)",
                ("reason", "orders"),
                list(orders["reasons"].items()),
            ),
        ],
        [bars("Removal orders by clock state", list(clock), {"orders": list(clock.values())}, "")],
    )


def _later_sections(f: dict[str, Any]) -> list[Section]:
    annex, res, ev = f["annex_iii"], f["resurgence"], f["evidence"]
    grounds = annex["by_ground"]
    return [
        Section(
            "Annex III: orders the provider could not execute (Art. 3(7)–(8))",
            [
                f"{annex['cases']} case(s) with an Annex III notice, {annex['orders']} of them orders."
            ],
            [Table("Annex III notices by ground", ("ground", "cases"), list(grounds.items()))],
            [
                bars(
                    "Annex III notices by ground", list(grounds), {"cases": [*grounds.values()]}, ""
                )
            ],
        ),
        Section(
            "Resurgence",
            [
                f"{res['resurgent_accounts']} new account(s) linked to {res['predecessors']} "
                f"earlier one(s); {res['rereferred']} referred again."
            ],
            [
                Table(
                    "Hours",
                    _DURATION_COLUMNS,
                    [
                        _durations_row("removal → successor's first post", res["time_to_resurge"]),
                        _durations_row("first post → referred again", res["time_to_rereferral"]),
                    ],
                )
            ],
        ),
        Section(
            "Evidence retained and purged (Art. 6)",
            [
                "The unit's preserved items: captured in the period, purged under the retention "
                "rule in the period (each purge leaves a tombstone in the manifest), and held at "
                "its end."
            ],
            [
                Table(
                    "Evidence",
                    ("", "items", "bytes"),
                    [
                        ["captured", ev["captured"], ev["captured_bytes"]],
                        ["purged", ev["purged"], ev["purged_bytes"]],
                        [
                            "held at the end of the period",
                            ev["held_at_end"],
                            ev["held_bytes_at_end"],
                        ],
                    ],
                ),
                Table("Captured by kind", ("kind", "items"), list(ev["captured_by_kind"].items())),
            ],
        ),
    ]


def transparency_sections(f: dict[str, Any]) -> list[Section]:
    """The transparency report (TCO Art. 7/8, the EU IRU's annual figures) as sections."""
    totals, kinds, times = f["totals"], f["by_kind"], f["time_to_removal"]
    overview = Section(
        "Referrals and removal orders",
        [
            f"{totals['made']} referrals and removal orders made in {f['period']['label']}, "
            f"on {f['platforms']} platform(s) in {f['languages']} language(s); "
            f"{totals['removed']} removed: {pct(totals['removal_rate'])} of those the platforms "
            "decided on. Outcomes are as known when the report was made."
        ],
        [
            Table(
                "Outcomes",
                ("", *_OUTCOME_COLUMNS, "removal rate"),
                [
                    *(_outcome_row(_KINDS[k], kinds[k]) for k in _KINDS),
                    _outcome_row("total", totals),
                ],
            )
        ],
    )
    timing = Section(
        "Time to removal",
        ["From the platform's receipt to the removal it reported."],
        [
            Table(
                "Hours from receipt to removal",
                _DURATION_COLUMNS,
                [_durations_row(_KINDS[k], times[k]) for k in _KINDS],
            )
        ],
        [histogram("Hours from receipt to removal", f["time_to_removal_hours"], "hours")],
    )
    return [
        overview,
        _breakdown("By platform", f["by_platform"], "platform"),
        _breakdown("By language", f["by_language"], "language"),
        timing,
        _orders(f),
        *_later_sections(f),
    ]


_SPEED = {
    "to_detect": "first post → held a supporter",
    "to_refer_from_case": "case opened → referral made",
    "to_refer_from_decision": "decision → referral made",
    "to_receipt": "referral made → received",
    "to_removal": "received → removed",
}


def impact_sections(f: dict[str, Any]) -> list[Section]:
    """The impact report: the closed-loop experiment's measures on the unit's cases."""
    reach, surv, res = f["reach"], f["survival"], f["resurgence"]
    cumulative, days, timeline = reach["cumulative"], f["exposures"], f["timeline"]
    strategic = Section(
        "Reach removed versus referrals made",
        [
            f"{reach['referrals_made']} referrals and orders on {reach['accounts_referred']} "
            f"account(s) led to {reach['accounts_removed']} removal(s), cutting "
            f"{cell(reach['reach_removed'])} propaganda exposures of the at-risk audience over "
            f"the reach model's {cell(reach['window_days'])}-day window "
            f"({pct(reach['share_of_reach_removed'])} of all): "
            f"{cell(reach['reach_removed_per_referral'])} per referral."
        ],
        [
            Table(
                "The strategic impact and the numbers game",
                ("figure", "value"),
                [[k.replace("_", " "), v] for k, v in reach.items() if k != "cumulative"],
            )
        ],
        [
            lines(
                "Referrals made (the numbers game) and reach removed (the strategic impact)",
                [datetime.fromisoformat(c["at"]) for c in cumulative],
                {
                    "referrals made": [c["referrals"] for c in cumulative],
                    "reach removed": [c["reach_removed"] for c in cumulative],
                },
                "",
                step=True,
            )
        ],
    )
    exposure = Section(
        "Propaganda exposures and active supporters",
        [
            "Per day: exposures of the at-risk audience to supporters' propaganda posts and "
            f"their reposts (total {cell(f['exposures_total'])}), and supporters that posted."
        ],
        figures=[
            lines(
                "Exposures and active supporters per day",
                [p["day"] for p in days],
                {
                    "exposures": [p["exposures"] for p in days],
                    "active supporters": [p["active_supporters"] for p in days],
                },
                "",
            ),
            bars(
                "Referrals and removals per day",
                [d["day"] for d in timeline],
                {k: [d[k] for d in timeline] for k in ("referrals", "removals")},
                "count",
            ),
        ],
    )
    survival = Section(
        "Survival of referred accounts",
        [
            f"{surv['removed']} of {surv['accounts']} referred account(s) removed; median time "
            f"from first seen to removal {cell(surv['median_hours'])} h (Kaplan–Meier; accounts "
            "still up count until now)."
        ],
        figures=[
            lines(
                "Referred accounts still up",
                [p["hours"] / 24 for p in surv["curve"]],
                {"share still up": [p["surviving"] for p in surv["curve"]]},
                "share still up",
                step=True,
                xlabel="days since first seen",
            )
        ],
    )
    speed = Section(
        "Speed",
        ["Detection times are upper bounds: iru keeps each account's latest assessment time."],
        [
            Table(
                "Hours",
                _DURATION_COLUMNS,
                [_durations_row(n, f["speed"][k]) for k, n in _SPEED.items()],
            )
        ],
    )
    resurgence = Section(
        "Resurgence",
        [
            f"{res['resurgent_accounts']} resurgent account(s), {res['rereferred']} referred "
            f"again; median {cell(res['time_to_rereferral']['median_hours'])} h from first post "
            "to re-referral."
        ],
    )
    return [strategic, exposure, survival, speed, resurgence]


def _titles(kind: str, figures: dict[str, Any]) -> tuple[str, str, list[Section]]:
    if kind == "transparency":
        title = f"Transparency report {figures['period']['label']}"
        sub = f"Unit {figures['unit']}; made {figures['generated_at']}"
        return title, sub, transparency_sections(figures)
    period = figures["period"]
    sub = f"Unit {figures['unit']}; period {period}; made {figures['generated_at']}"
    return "Impact of the unit's referrals", sub, impact_sections(figures)


def render_html(kind: str, figures: dict[str, Any]) -> str:
    """The ``transparency`` or ``impact`` report as one self-contained HTML page."""
    title, sub, sections = _titles(kind, figures)
    return to_html(title, sub, sections, figures.get("scope", ""))


def render_pdf(kind: str, figures: dict[str, Any], target: Any) -> None:
    """The ``transparency`` or ``impact`` report as a PDF, to a path or binary file."""
    title, sub, sections = _titles(kind, figures)
    to_pdf(target, title, sub, sections, figures.get("scope", ""))


__all__ = [
    "impact_sections",
    "render_html",
    "render_pdf",
    "to_html",
    "transparency_sections",
]
