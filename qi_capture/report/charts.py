"""Every chart of the report drawn with matplotlib (Agg, object API: no pyplot, no
global figure state, so charts may be drawn off the UI thread): SVG for the web page and
the console, PNG for the PDF and the slides.

Output is deterministic: a fixed font list, a fixed SVG hash salt and no date in the
metadata, so the same numbers give byte-identical files. Suppressed cells are drawn as a
hatched stub marked "<k" and never with a length that would reveal their count.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything else of matplotlib: no GUI backend is ever loaded

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from qi_capture.report.model import Cell, Chart, Series

#: NHS blue and an Okabe-Ito palette (safe for colour-blind readers) for groups.
BLUE = "#005EB8"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000", "#999999")
#: Strongly disagree ... strongly agree (a diverging brown-teal scale, grey middle).
LIKERT = ("#A6611A", "#DFC27D", "#BDBDBD", "#80CDC1", "#018571")
STUB = "#D9D9D9"
FONTS = ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans", "sans-serif"]
RC: Any = {
    "font.family": "sans-serif",
    "font.sans-serif": FONTS,
    "font.size": 9,
    "svg.fonttype": "none",  # text stays text: searchable, readable by screen readers
    "svg.hashsalt": "qi-capture-report",
    # Labels come from forms and answers: "$5 to $10" is text, never TeX-like mathtext
    # (which would set it in italics, or fail on a label like "$\\frac$").
    "text.parse_math": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "hatch.linewidth": 0.6,
    "hatch.color": "#7F7F7F",
}
WIDTH = 7.2  # inches: an A4 page's text width, and 16:9 slides scale it


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _figure(rows: int, *, per_row: float = 0.32, extra: float = 0.9,
            width: float = WIDTH) -> Figure:
    return Figure(figsize=(width, max(1.8, extra + per_row * rows)), layout="constrained")


def _percent_axis(ax: Any, top: float = 100.0) -> None:
    ax.set_xlim(0, top)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}%"))
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)


def _stub_label(k: int) -> str:
    return f"<{k}"


def _bars(fig: Figure, series: Series, k: int) -> None:
    ax = fig.add_subplot()
    cells = list(series.cells)
    labels = [_wrap(c.label) for c in cells]
    ys = list(range(len(cells)))[::-1]
    top = max([c.percent or 0 for c in cells] + [10.0])
    top = min(100.0, top * 1.18 + 4)
    stub = top * 0.02
    for y, cell in zip(ys, cells, strict=True):
        if cell.suppressed or cell.percent is None:
            ax.barh(y, stub, color=STUB, hatch="////", edgecolor="#7F7F7F", linewidth=0.4)
            ax.text(stub + top * 0.01, y, _stub_label(k), va="center", fontsize=8,
                    color="#444444")
        else:
            ax.barh(y, cell.percent or 0, color=BLUE)
            ax.text((cell.percent or 0) + top * 0.01, y,
                    f"{cell.percent:.0f}% ({cell.count})", va="center", fontsize=8)
    ax.set_yticks(ys, labels)
    ax.tick_params(axis="y", length=0)
    _percent_axis(ax, top)


def _grouped(fig: Figure, chart: Chart, k: int) -> None:
    ax = fig.add_subplot()
    groups = [s for s in chart.series if s.cells]
    if not groups:
        return
    codes = [c.label for c in groups[0].cells]
    height = 0.8 / len(groups)
    top = 0.0
    for g, series in enumerate(groups):
        for i, cell in enumerate(series.cells):
            y = (len(codes) - 1 - i) + 0.4 - height * (g + 0.5)
            colour = PALETTE[g % len(PALETTE)]
            if cell.suppressed or series.suppressed:
                ax.barh(y, 1.2, height=height * 0.9, color=STUB, hatch="////",
                        edgecolor="#7F7F7F", linewidth=0.3)
            else:
                ax.barh(y, cell.percent or 0, height=height * 0.9, color=colour,
                        label=series.name if i == 0 else None)
                top = max(top, cell.percent or 0)
    ax.set_yticks(range(len(codes))[::-1], [_wrap(c, 34) for c in codes])
    ax.tick_params(axis="y", length=0)
    _percent_axis(ax, min(100.0, top * 1.1 + 5))
    handles, names = ax.get_legend_handles_labels()
    from matplotlib.patches import Patch

    handles.append(Patch(facecolor=STUB, hatch="////", edgecolor="#7F7F7F"))
    names.append(f"fewer than {k} (suppressed)")
    fig.legend(handles, [_wrap(n, 28) for n in names], loc="outside right upper",
               fontsize=7.5, frameon=False)


def _likert(fig: Figure, chart: Chart, k: int) -> None:
    ax = fig.add_subplot()
    rows = list(chart.series)
    ys = list(range(len(rows)))[::-1]
    levels = [c.label for c in rows[0].cells] if rows else []
    middle = len(levels) // 2 if len(levels) % 2 else None
    for y, series in zip(ys, rows, strict=True):
        cells = list(series.cells)
        if series.suppressed or not cells:
            ax.text(0, y, f"fewer than {k} answers: not shown", ha="center", va="center",
                    fontsize=8, color="#444444")
            continue
        pct = [c.percent if c.percent is not None else 0.0 for c in cells]
        half = len(cells) // 2
        left = -(sum(pct[:half]) + (pct[middle] / 2 if middle is not None else 0))
        x = left
        for i, (cell, width) in enumerate(zip(cells, pct, strict=True)):
            colour = LIKERT[round(i * (len(LIKERT) - 1) / max(1, len(cells) - 1))]
            ax.barh(y, width, left=x, color=colour, edgecolor="white", linewidth=0.5,
                    label=cell.label if y == ys[0] else None)
            if width >= 7:
                ax.text(x + width / 2, y, f"{width:.0f}%", ha="center", va="center",
                        fontsize=7, color="white" if i in (0, len(cells) - 1) else "black")
            x += width
        hidden = sum(1 for c in cells if c.suppressed)
        if hidden:
            ax.text(x + 2, y, f"{hidden} \u00d7 <{k}", va="center", fontsize=7,
                    color="#444444")
        ax.text(103, y, f"n={series.n}", va="center", fontsize=7, color="#444444")
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_xlim(-100, 115)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{abs(v):.0f}%"))
    ax.set_yticks(ys, [_wrap(s.name, 44) for s in rows])
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=min(5, len(levels)), fontsize=7.5,
               frameon=False)


def _columns(fig: Figure, chart: Chart, k: int) -> None:
    ax = fig.add_subplot()
    cells = list(chart.series[0].cells)
    xs = list(range(len(cells)))
    top = max([c.count or 0 for c in cells] + [1])
    for x, cell in zip(xs, cells, strict=True):
        if cell.suppressed:
            ax.bar(x, top * 0.03, color=STUB, hatch="////", edgecolor="#7F7F7F",
                   linewidth=0.4)
            ax.text(x, top * 0.05, _stub_label(k), ha="center", fontsize=7, color="#444444")
        else:
            ax.bar(x, cell.count or 0, color=BLUE, width=0.85)
    step = max(1, len(cells) // 12)
    ax.set_xticks(xs[::step], [c.label for c in cells][::step], rotation=35, ha="right",
                  fontsize=7.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(chart.unit.capitalize() if chart.unit else "Count")
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    s = chart.summary
    if s is not None and chart.kind == "histogram":
        edges = [float(c.code) for c in cells]
        width = (edges[1] - edges[0]) if len(edges) > 1 else 1.0

        def position(value: float) -> float:
            return (value - edges[0]) / width - 0.5

        for value, style, _name in ((s.q1, ":", "quartile"), (s.median, "-", "median"),
                                   (s.q3, ":", "quartile")):
            if value <= edges[-1] + width:
                ax.axvline(position(value), color="#D55E00", linestyle=style, linewidth=1.2)
        ax.text(0.99, 0.97, f"median {s.median:,.0f}\nquartiles {s.q1:,.0f}\u2013{s.q3:,.0f}",
                transform=ax.transAxes, ha="right", va="top", fontsize=8, color="#D55E00")


def figure(chart: Chart, k: int) -> Figure | None:
    """The chart drawn (None: a chart with nothing to draw, e.g. free text)."""
    if chart.kind == "text" or chart.suppressed or not chart.series or not chart.n:
        return None  # nothing to draw: free text, withheld, or nobody answered
    with matplotlib.rc_context(RC):
        if chart.kind in ("bars", "multi"):
            fig = _figure(len(chart.series[0].cells))
            _bars(fig, chart.series[0], k)
        elif chart.kind == "grouped":
            cats = len(chart.series[0].cells) if chart.series else 1
            fig = _figure(cats, per_row=0.16 * max(2, len([s for s in chart.series])),
                          extra=0.7)
            _grouped(fig, chart, k)
        elif chart.kind == "likert":
            fig = _figure(len(chart.series), per_row=0.5, extra=1.1)
            _likert(fig, chart, k)
        else:
            fig = _figure(0, extra=2.8)
            _columns(fig, chart, k)
    return fig


def _save(fig: Figure, fmt: str, dpi: int = 100) -> bytes:
    out = io.BytesIO()
    with matplotlib.rc_context(RC):
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(out, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return out.getvalue()


class Drawings:
    """Each chart drawn once, then saved as SVG and/or PNG as the outputs ask."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._figures: dict[str, Figure | None] = {}
        self._png: dict[tuple[str, int], bytes | None] = {}

    def _figure(self, chart: Chart) -> Figure | None:
        if chart.id not in self._figures:
            self._figures[chart.id] = figure(chart, self.k)
        return self._figures[chart.id]

    def svg(self, chart: Chart) -> str | None:
        fig = self._figure(chart)
        if fig is None:
            return None
        text = _save(fig, "svg").decode("utf-8")
        start = text.find("<svg")
        return text[start:] if start >= 0 else text

    def png(self, chart: Chart, dpi: int = 150) -> bytes | None:
        key = (chart.id, dpi)
        if key not in self._png:
            fig = self._figure(chart)
            self._png[key] = None if fig is None else _save(fig, "png", dpi)
        return self._png[key]


def chart_svg(chart: Chart, k: int) -> str | None:
    """The chart as an SVG document (no XML prolog: fit to inline in HTML)."""
    fig = figure(chart, k)
    if fig is None:
        return None
    text = _save(fig, "svg").decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def chart_png(chart: Chart, k: int, dpi: int = 200) -> bytes | None:
    fig = figure(chart, k)
    return None if fig is None else _save(fig, "png", dpi)


def table_rows(chart: Chart) -> list[list[str]]:
    """The numbers behind the chart, as table rows (header first), as printed everywhere:
    suppressed cells read "<k"."""
    rows: list[list[str]] = []

    def shown(cell: Cell) -> tuple[str, str]:
        if cell.suppressed:
            return ("suppressed", "")
        return (f"{cell.count}", f"{cell.percent:g}%" if cell.percent is not None else "")

    if chart.kind in ("bars", "multi", "histogram", "timeline") and chart.series:
        rows.append(["Answer" if chart.kind in ("bars", "multi") else "Range"
                     if chart.kind == "histogram" else "Period", "Count", "Percent"])
        rows.extend([c.label, *shown(c)] for c in chart.series[0].cells)
    elif chart.kind in ("likert", "grouped") and chart.series:
        levels = [c.label for c in chart.series[0].cells]
        rows.append(["Statement" if chart.kind == "likert" else "Group", "n", *levels])
        for s in chart.series:
            values = [("suppressed" if c.suppressed else "" if c.percent is None
                       else f"{c.percent:g}% ({c.count})") for c in s.cells]
            rows.append([s.name, "suppressed" if s.n is None else str(s.n), *values])
    return rows


