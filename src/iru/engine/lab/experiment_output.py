"""Writes a closed-loop experiment's results: CSV tables, JSON, plots and an HTML page.

``results.csv``: one row per (seed, strategy, day), the columns of
:class:`iru.measure.experiment.DayRecord`; ``totals.csv``: one row per (seed, strategy),
:class:`iru.measure.experiment.SeedTotals`; ``summary.csv``: per strategy and total, the
mean over seeds with its 95 % interval; ``results.json``: all of it with the set-up,
the survival curves and the impact / volume ratios; ``exposure.png``, ``survival.png``,
``reach_per_referral.png`` and ``index.html`` (:mod:`iru.measure.plots`).

Undefined figures (a ratio with nothing to divide by, a median of nothing) are ``null``
in JSON, an empty CSV cell and "n/a" on the page: the payload goes through
:func:`iru.domain.jsonsafe.finite` once, and every file is written through a temporary
file renamed over the old one. :func:`write_tables` writes the CSV tables of the seeds
finished so far (after each seed; see :mod:`iru.engine.lab.experiment_seeds`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from iru.domain.jsonsafe import dumps, finite
from iru.engine.lab.experiment import ExperimentResult
from iru.engine.lab.experiment_seeds import write_atomic
from iru.measure.experiment import (
    BASELINE,
    DayRecord,
    SeedTotals,
    day_columns,
    strategy_ratio,
    summarise,
    total_columns,
)
from iru.measure.plots import write_html, write_plots
from iru.measure.report import kaplan_meier
from iru.measure.stats import mean_ci

#: The totals a person reads first, in the summary table's order.
HEADLINE = (
    "exposure",
    "exposure_removed",
    "exposure_removed_share",
    "referrals",
    "reach_removed_per_referral",
    "true_reach_per_referral",
    "estimated_reach_per_referral",
    "engagements",
    "active_supporters_end",
    "ringleaders_removed",
    "ringleader_survival_days",
    "supporter_survival_days",
    "resurgences",
    "rereferred",
    "hours_to_rereferral",
    "hours_to_detect",
    "detected_share",
    "hours_to_refer",
    "hours_to_removal",
    "dismissed",
)

DEFINITIONS = {
    "exposure": "at-risk exposures to propaganda: per original post, quote or reply of a true "
    "supporter its author's at-risk audience, plus per repost or forward by another account "
    "the reposter's (audience = followers x share of sampled followers whose role is at_risk)",
    "exposure_removed": "the same seed's `none` run's exposure less this run's, over all days",
    "reach_removed_per_referral": "exposure_removed / referrals (the strategic impact)",
    "true_reach_per_referral": "true exposures the referred accounts carried on the day before "
    "their referral (their cascades and their reposts), per referral",
    "estimated_reach_per_referral": "iru's reach-model estimate of the same, per referral",
    "engagements": "reposts, forwards, quotes and replies of propaganda by at-risk accounts",
    "ringleader_survival_days": "restricted mean (to the horizon) of the Kaplan-Meier curve of "
    "ringleader accounts, from the start or their return to removal or suspension",
    "hours_to_detect": "median hours from an unlabelled true supporter's first post to the end "
    "of the day whose run first assessed it supporter",
    "hours_to_refer": "median hours from a referred supporter's first post to its referral",
    "hours_to_removal": "median hours from a referred supporter's first post to its removal",
    "hours_to_rereferral": "median hours from a returned account's return to its referral",
}


def _row(record: Any) -> dict[str, Any]:
    row: dict[str, Any] = finite(asdict(record))
    return row


def _daily(result: ExperimentResult) -> dict[str, Any]:
    """Per strategy and day: mean exposure with its interval, the same as a share of the
    seed's ``none`` exposure (paired by seed), and the mean cumulative referrals and
    exposure removed (against ``none``) for the reach-per-referral plot."""
    by: dict[tuple[str, int, int], Any] = {(d.strategy, d.seed, d.day): d for d in result.days}
    days = range(result.config.days)
    out: dict[str, Any] = {}
    for strategy in result.config.strategies:
        seeds = [s for s in result.config.seeds if (strategy, s, 0) in by]
        exposure = [mean_ci(by[(strategy, s, d)].exposure for s in seeds).as_dict() for d in days]
        paired = [s for s in seeds if (BASELINE, s, 0) in by]
        share = [
            mean_ci(
                by[(strategy, s, d)].exposure / by[(BASELINE, s, d)].exposure
                for s in paired
                if by[(BASELINE, s, d)].exposure
            ).as_dict()
            for d in days
        ]
        referrals, removed = [], []
        for d in days:  # referrals made before day d act on day d at the earliest
            referrals.append(
                sum(by[(strategy, s, e)].referrals for s in seeds for e in range(d))
                / max(1, len(seeds))
            )
            removed.append(
                sum(
                    by[(BASELINE, s, e)].exposure - by[(strategy, s, e)].exposure
                    for s in paired
                    for e in range(d + 1)
                )
                / len(paired)
                if paired
                else None
            )
        out[strategy] = {
            "exposure": exposure,
            "exposure_share_of_none": share if paired else None,
            "cumulative_referrals": referrals,
            "cumulative_exposure_removed": removed,
        }
    return out


def result_payload(result: ExperimentResult) -> dict[str, Any]:
    """Everything as JSON-able data (nan and infinity as null, at any depth)."""
    config = result.config
    summary = summarise(result.totals)
    ratios: dict[str, Any] = {}
    if "impact" in config.strategies and "volume" in config.strategies:
        for metric in ("exposure_removed", "true_reach_per_referral"):
            ratios[metric] = strategy_ratio(result.totals, "impact", "volume", metric)
    payload: dict[str, Any] = {
        "experiment": {
            "days": config.days,
            "seeds": list(config.seeds),
            "strategies": list(config.strategies),
            "scale": config.scale,
            "posts_per_day": config.posts_per_day,
            "label_share": config.label_share,
            "unit_settings": dict(config.unit_settings),
            "policy": asdict(config.policy),
            "review_capacity": config.policy.review_capacity,
            "supporters": result.supporters,
            "daily_budget": result.budget,
            "referrals_per_day": min(result.budget, config.policy.review_capacity),
            "seconds": round(result.seconds, 1),
        },
        "definitions": DEFINITIONS,
        "summary": {
            strategy: {metric: est.as_dict() for metric, est in metrics.items()}
            for strategy, metrics in summary.items()
        },
        "impact_over_volume": ratios,
        "daily": _daily(result),
        "survival": {
            strategy: {kind: kaplan_meier(spans) for kind, spans in kinds.items()}
            for strategy, kinds in result.spans.items()
        },
        "days": [_row(d) for d in result.days],
        "totals": [_row(t) for t in result.totals],
    }
    clean: dict[str, Any] = finite(payload)
    return clean


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """The rows as CSV (undefined figures as empty cells), written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in finite(rows):
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
    write_atomic(path, buffer.getvalue())


def write_tables(days: Sequence[DayRecord], totals: Sequence[SeedTotals], out: Path) -> None:
    """``results.csv`` and ``totals.csv`` of what has finished so far."""
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "results.csv", day_columns(), [_row(d) for d in days])
    _write_csv(out / "totals.csv", total_columns(), [_row(t) for t in totals])


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (strategy, total) of the summary: mean, low, high, n."""
    rows = []
    for strategy, metrics in payload["summary"].items():
        for metric in [m for m in HEADLINE if m in metrics] + [
            m for m in metrics if m not in HEADLINE
        ]:
            rows.append({"strategy": strategy, "metric": metric, **metrics[metric]})
    return rows


def write_results(result: ExperimentResult, out: Path) -> dict[str, Any]:
    """Write every output file under ``out``; returns the payload."""
    out.mkdir(parents=True, exist_ok=True)
    data = result_payload(result)
    _write_csv(out / "results.csv", day_columns(), data["days"])
    _write_csv(out / "totals.csv", total_columns(), data["totals"])
    _write_csv(
        out / "summary.csv", ["strategy", "metric", "mean", "low", "high", "n"], summary_rows(data)
    )
    write_atomic(out / "results.json", dumps(data, indent=2) + "\n")
    images = write_plots(data, out)
    write_html(data, out, images, HEADLINE)
    return data


__all__ = [
    "DEFINITIONS",
    "HEADLINE",
    "result_payload",
    "summary_rows",
    "write_results",
    "write_tables",
]
