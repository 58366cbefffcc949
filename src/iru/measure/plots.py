"""Plots and a one-page HTML report of a closed-loop experiment, read at a glance.

Takes the JSON-able results of :func:`iru.engine.lab.experiment_output.result_payload`
(plain dicts and lists) and writes PNG files with matplotlib's Agg canvas (no display,
no pyplot state):

- ``exposure.png``: at-risk exposures a day per strategy, the mean over seeds with its
  95 % band, and the same as a share of each seed's ``none`` run (paired, so narrower);
- ``survival.png``: Kaplan–Meier curves of ringleader and of all supporter accounts per
  strategy (seeds pooled);
- ``reach_per_referral.png``: cumulative exposure removed against cumulative referrals
  (the strategic impact against the numbers game), and exposure removed per referral
  with its 95 % interval;
- ``index.html`` embeds them (relative paths) above the summary table.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

COLOURS = {
    "impact": "#1f77b4",
    "volume": "#d62728",
    "degree": "#2ca02c",
    "pagerank": "#9467bd",
    "random": "#ff7f0e",
    "none": "#7f7f7f",
}


#: How a page or table shows an undefined figure (null in JSON, an empty CSV cell).
UNDEFINED = "n/a"


def _colour(strategy: str) -> str:
    return COLOURS.get(strategy, "#17becf")


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _save(figure: Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110, format="png")
    return path


def _legend(ax: Axes, empty: str = "undefined: nothing to plot") -> None:
    """The legend, or a note saying why the axes are empty (figures undefined are skipped)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes, color="grey")


def _band(ax: Axes, strategy: str, points: list[dict[str, Any]]) -> None:
    days = list(range(len(points)))
    mean = [_num(p["mean"]) for p in points]
    low = [_num(p["low"]) if p["low"] is not None else _num(p["mean"]) for p in points]
    high = [_num(p["high"]) if p["high"] is not None else _num(p["mean"]) for p in points]
    ax.plot(days, mean, marker="o", color=_colour(strategy), label=strategy)
    ax.fill_between(days, low, high, color=_colour(strategy), alpha=0.15, linewidth=0)


def plot_exposure(payload: dict[str, Any], path: Path) -> Path:
    daily = payload["daily"]
    paired = any(d.get("exposure_share_of_none") for d in daily.values())
    figure = Figure(figsize=(12, 4.5) if paired else (7, 4.5))
    days = int(payload["experiment"]["days"])
    seeds = len(payload["experiment"]["seeds"])
    ax = figure.add_subplot(1, 2 if paired else 1, 1)
    for strategy, figures in daily.items():
        _band(ax, strategy, figures["exposure"])
    ax.set_title(f"At-risk exposures a day (mean of {seeds} seeds, 95 % band)")
    ax.set_ylabel("at-risk exposures")
    if paired:
        right: Axes = figure.add_subplot(1, 2, 2)
        for strategy, figures in daily.items():
            if figures.get("exposure_share_of_none"):
                _band(right, strategy, figures["exposure_share_of_none"])
        right.set_title("The same, as a share of the same seed's `none` run")
        right.set_ylabel("exposure / exposure without referrals")
        right.axhline(1.0, color="black", linewidth=0.6)
    for axis in figure.axes:
        axis.set_xlabel("day (referrals made after a day act from the next)")
        axis.set_xticks(range(days))
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        _legend(axis)
    return _save(figure, path)


def _steps(curve: Sequence[Sequence[float]], horizon: float) -> tuple[list[float], list[float]]:
    xs, ys = [0.0], [1.0]
    for t, s in curve[1:]:
        xs += [t, t]
        ys += [ys[-1], s]
    xs.append(max(horizon, xs[-1]))
    ys.append(ys[-1])
    return xs, ys


def plot_survival(payload: dict[str, Any], path: Path) -> Path:
    figure = Figure(figsize=(10, 4.2))
    horizon = float(payload["experiment"]["days"])
    for i, (kind, title) in enumerate(
        (("ringleader", "Ringleader accounts"), ("supporter", "All supporter accounts"))
    ):
        ax: Axes = figure.add_subplot(1, 2, i + 1)
        for strategy, kinds in payload["survival"].items():
            xs, ys = _steps(kinds.get(kind, [[0.0, 1.0]]), horizon)
            ax.plot(xs, ys, color=_colour(strategy), label=strategy)
        ax.set_title(f"{title} still up (Kaplan–Meier)")
        ax.set_xlabel("days since the start or the account's return")
        ax.set_ylabel("share surviving")
        lowest = min(
            (s for k in payload["survival"].values() for _, s in k.get(kind, [])), default=1
        )
        ax.set_ylim(0 if kind == "ringleader" else max(0.0, min(0.9, lowest - 0.02)), 1.01)
        ax.set_xlim(0, horizon)
        ax.grid(alpha=0.3)
        _legend(ax)
    return _save(figure, path)


def plot_reach_per_referral(payload: dict[str, Any], path: Path) -> Path:
    figure = Figure(figsize=(10, 4.2))
    left: Axes = figure.add_subplot(1, 2, 1)
    for strategy, daily in payload["daily"].items():
        removed = daily["cumulative_exposure_removed"]
        if strategy == "none" or any(r is None for r in removed):
            continue
        left.plot(
            daily["cumulative_referrals"],
            removed,
            marker="o",
            color=_colour(strategy),
            label=strategy,
        )
    left.set_title("Exposure removed against referrals made")
    left.set_xlabel("referrals made before the day (cumulative, mean over seeds)")
    left.set_ylabel("exposures removed vs none, to that day")
    left.axhline(0, color="black", linewidth=0.6)
    left.grid(alpha=0.3)
    _legend(left, "undefined without a `none` run")
    right: Axes = figure.add_subplot(1, 2, 2)
    names, means, errors = [], [], []
    for strategy, metrics in payload["summary"].items():
        figure_ = metrics.get("reach_removed_per_referral", {})
        if strategy == "none" or figure_.get("mean") is None:
            continue
        mean = float(figure_["mean"])
        low = figure_["low"] if figure_["low"] is not None else mean
        high = figure_["high"] if figure_["high"] is not None else mean
        names.append(strategy)
        means.append(mean)
        errors.append((mean - float(low), float(high) - mean))
    if names:
        right.bar(
            names,
            means,
            color=[_colour(n) for n in names],
            yerr=[[e[0] for e in errors], [e[1] for e in errors]],
            capsize=4,
        )
    right.axhline(0, color="black", linewidth=0.6)
    right.set_title("Exposure removed per referral (95 % interval)")
    right.set_ylabel("at-risk exposures removed / referral")
    right.grid(alpha=0.3, axis="y")
    return _save(figure, path)


def write_plots(payload: dict[str, Any], out: Path) -> list[Path]:
    """The three PNG files under ``out``."""
    return [
        plot_exposure(payload, out / "exposure.png"),
        plot_survival(payload, out / "survival.png"),
        plot_reach_per_referral(payload, out / "reach_per_referral.png"),
    ]


def fmt(value: Any) -> str:
    """A figure for people: thousands separated, three significant digits below 1,000;
    ``n/a`` where it is undefined (None or NaN)."""
    if value is None:
        return UNDEFINED
    x = float(value)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if math.isnan(x):
        return UNDEFINED
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def estimate_text(estimate: dict[str, Any]) -> str:
    """``mean [low, high]`` of an estimate dict (``n/a`` when the mean is undefined)."""
    if estimate.get("mean") is None:
        return UNDEFINED
    if estimate.get("low") is None and estimate.get("high") is None:
        return fmt(estimate["mean"])
    low = estimate["low"] if estimate["low"] is not None else -math.inf
    high = estimate["high"] if estimate["high"] is not None else math.inf
    return f"{fmt(estimate['mean'])} [{fmt(low)}, {fmt(high)}]"


def _headline(payload: dict[str, Any]) -> str:
    ratios = payload.get("impact_over_volume") or {}
    lines = []
    for metric, label in (
        ("exposure_removed", "at-risk exposure removed (against no referrals)"),
        ("true_reach_per_referral", "true reach of the referred accounts, per referral"),
    ):
        figure = ratios.get(metric)
        if figure:
            lines.append(
                f"<li><b>impact / volume, {html.escape(label)}:</b> "
                f"{html.escape(estimate_text(figure['ratio']))} "
                f"(Fieller 95 % interval over {figure['ratio']['n']} seeds)</li>"
            )
    return f"<ul>{''.join(lines)}</ul>" if lines else ""


def write_html(
    payload: dict[str, Any], out: Path, images: Sequence[Path], metrics: Sequence[str]
) -> Path:
    """``index.html``: set-up, headline ratios, the plots and the summary table."""
    setup = payload["experiment"]
    strategies = list(payload["summary"])
    head = "".join(f"<th>{html.escape(s)}</th>" for s in strategies)
    body = []
    for metric in metrics:
        cells = "".join(
            f"<td>{html.escape(estimate_text(payload['summary'][s].get(metric, {})))}</td>"
            for s in strategies
        )
        note = html.escape(payload["definitions"].get(metric, ""))
        body.append(f'<tr><th title="{note}">{html.escape(metric)}</th>{cells}</tr>')
    policy = setup["policy"]
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>iru closed-loop experiment</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; max-width: 1100px; }}
table {{ border-collapse: collapse; font-size: 0.9rem; }}
td, th {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }}
th:first-child {{ text-align: left; }}
img {{ max-width: 100%; margin: 0.5rem 0; }}
dt {{ font-weight: bold; margin-top: 0.4rem; }}
</style></head><body>
<h1>Closed-loop experiment: strategic impact against the numbers game</h1>
<p>Synthetic worlds (iru simulator, scale {fmt(setup["scale"])}), {setup["days"]} days,
seeds {html.escape(", ".join(map(str, setup["seeds"])))}; the same worlds and budget for
every strategy. Policy: {policy["officers"]} officers × {fmt(policy["reviews_per_hour"])}
reviews an hour × {fmt(policy["hours_per_day"])} h ({setup["review_capacity"]} reviews a day),
a budget of {setup["daily_budget"]} referrals a day, review starting
{fmt(policy["review_delay_hours"])} h after the daily run.</p>
{_headline(payload)}
{"".join(f'<img src="{html.escape(p.name)}" alt="{html.escape(p.stem)}">' for p in images)}
<h2>Totals per run: mean over seeds [95 % interval]</h2>
<table><tr><th>total</th>{head}</tr>
{"".join(body)}
</table>
<h2>Definitions</h2>
<dl>{"".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in payload["definitions"].items())}</dl>
<p>Per-day and per-seed figures: results.csv, totals.csv, summary.csv, results.json.</p>
</body></html>
"""
    path = out / "index.html"
    path.write_text(text, encoding="utf-8")
    return path


__all__ = [
    "UNDEFINED",
    "estimate_text",
    "fmt",
    "plot_exposure",
    "plot_reach_per_referral",
    "plot_survival",
    "write_html",
    "write_plots",
]
