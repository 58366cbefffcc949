"""The report's document model and its drawings: tables, matplotlib plots, the PDF.

A report is a list of :class:`Section` s — paragraphs, tables and matplotlib figures
(drawn by Agg, no display) — that :mod:`iru.measure.report_html` renders as one HTML
page and :func:`to_pdf` as a multi-page PDF. matplotlib cannot render HTML, so the PDF
draws the sections itself with ``PdfPages``: headings, paragraphs and tables as text on
A4 pages (tables in a fixed-width font), then each section's plots, one per page.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure


@dataclass(slots=True)
class Table:
    """A table: a caption, column names and rows of plain values."""

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(slots=True)
class Section:
    """One part of a report: a heading, paragraphs, tables and plots."""

    title: str
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def cell(value: Any) -> str:
    """A figure as people read it: '-' for unknown, rates as percentages where marked."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


# -- plots ------------------------------------------------------------------------------------


def _figure(title: str) -> tuple[Figure, Any]:
    fig = Figure(figsize=(7.5, 3.6), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def _empty(ax: Any) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def bars(
    title: str, labels: Sequence[str], series: dict[str, Sequence[float]], ylabel: str
) -> Figure:
    """Grouped bars: one group per label, one bar per series."""
    fig, ax = _figure(title)
    if not labels:
        _empty(ax)
        return fig
    width = 0.8 / max(len(series), 1)
    for n, (name, values) in enumerate(series.items()):
        ax.bar([i + n * width for i in range(len(labels))], values, width, label=name)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(labels))])
    ax.set_xticklabels(
        labels, rotation=20 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center"
    )
    ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return fig


def lines(
    title: str,
    x: Sequence[Any],
    series: dict[str, Sequence[float]],
    ylabel: str,
    *,
    step: bool = False,
    xlabel: str = "",
) -> Figure:
    """Lines (or steps) over a shared x axis; a second series gets its own y axis."""
    fig, ax = _figure(title)
    if not x:
        _empty(ax)
        return fig
    for n, (name, values) in enumerate(series.items()):
        target = ax if n == 0 else ax.twinx()
        color = f"C{n}"
        if step:
            target.step(x, values, where="post", label=name, color=color)
        else:
            target.plot(x, values, label=name, color=color, marker="o" if len(x) <= 31 else None)
        target.set_ylabel(name if len(series) > 1 else ylabel, color=color)
        target.set_ylim(bottom=0)
    ax.set_xlabel(xlabel)
    if isinstance(x[0], str) and len(x) > 8:
        ticks = list(range(0, len(x), max(1, len(x) // 6)))
        ax.set_xticks([x[i] for i in ticks])
    return fig


def histogram(title: str, values: Sequence[float], xlabel: str) -> Figure:
    fig, ax = _figure(title)
    if not values:
        _empty(ax)
        return fig
    ax.hist(values, bins=min(30, max(5, len(values))), color="C0")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    return fig


def png(fig: Figure) -> str:
    """The figure as a base64 PNG."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)  # drawn by Agg
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# -- PDF -------------------------------------------------------------------------------------

_A4 = (8.27, 11.69)


class _Pages:
    """Text laid out top to bottom on A4 pages, a new page when one is full."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.fig: Figure | None = None
        self.y = 0.0

    def need(self, count: int, size: float) -> None:
        """Start a new page unless ``count`` lines of ``size`` fit on this one (or none would)."""
        step = size * 1.45 / 72 / _A4[1]
        if self.fig is not None and self.y - count * step < 0.05 and count * step < 0.85:
            self.flush()

    def line(self, text: str, *, size: float = 9, mono: bool = False, bold: bool = False) -> None:
        step = size * 1.45 / 72 / _A4[1]
        if self.fig is None or self.y - step < 0.05:
            self.flush()
            self.fig = Figure(figsize=_A4)
            self.y = 0.95
        self.fig.text(
            0.07,
            self.y,
            text,
            fontsize=size,
            family="monospace" if mono else "sans-serif",
            weight="bold" if bold else "normal",
            va="top",
        )
        self.y -= step

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None


def table_lines(table: Table, width: int = 34) -> list[str]:
    """A table as fixed-width text lines (cells cut to ``width`` characters)."""
    rows = [[cell(v)[:width] for v in row] for row in table.rows]
    head = [str(c)[:width] for c in table.columns]
    sizes = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{n}}}" for n in sizes)
    return [fmt.format(*head), "  ".join("-" * n for n in sizes), *(fmt.format(*r) for r in rows)]


def to_pdf(
    target: Any, title: str, subtitle: str, sections: Sequence[Section], scope: str = ""
) -> None:
    """The report as a multi-page PDF: text and tables, then each section's plots."""
    with PdfPages(target, metadata={"Title": title, "Creator": "iru"}) as pdf:
        pages = _Pages(pdf)
        pages.line(title, size=16, bold=True)
        pages.line(subtitle, size=9)
        for text in textwrap.wrap(scope, 100) if scope else ():
            pages.line(text, size=8)
        for section in sections:
            pages.line("", size=6)
            pages.line(section.title, size=12, bold=True)
            for text in section.text:
                for piece in textwrap.wrap(text, 100):
                    pages.line(piece, size=9)
            for table in section.tables:
                rows = table_lines(table)
                pages.need(len(rows) + 2, 7)
                pages.line(table.caption, size=9, bold=True)
                for row in rows:
                    pages.line(row, size=7, mono=True)
                pages.line("", size=5)
        pages.flush()
        for section in sections:
            for fig in section.figures:
                pdf.savefig(fig)


__all__ = [
    "Section",
    "Table",
    "bars",
    "cell",
    "histogram",
    "lines",
    "pct",
    "png",
    "table_lines",
    "to_pdf",
]
