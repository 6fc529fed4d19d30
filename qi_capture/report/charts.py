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
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything else of matplotlib: no GUI backend is ever loaded

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from qi_capture.report.model import Cell, Chart, Series

#: NHS blue and an Okabe-Ito palette (safe for colour-blind readers) for groups.
BLUE = "#005EB8"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000", "#999999")
#: Strongly disagree ... strongly agree (a diverging brown-teal scale, grey middle).
LIKERT = ("#A6611A", "#DFC27D", "#BDBDBD", "#80CDC1", "#018571")
STUB = "#D9D9D9"
FONTS = ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans", "sans-serif"]
_MATPLOTLIB_STYLE: Any = {
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


#: A slide's chart: 16:9 less the title and footnote, drawn large enough to read when
#: projected (a portrait A4 chart shrunk onto a slide is unreadable).
SLIDE_SIZE = (11.0, 4.9)
SLIDE_FONT = 11
#: The picture's box on a slide, in inches (16:9 less the title and the footnote).
SLIDE_BOX = (12.3, 5.3)
#: PNG resolution, for the PDF and the slides alike: a page's chart shown across a
#: slide is enlarged up to 1.7 times, and still reads sharp on a projector.
PNG_DPI = 200
#: A slide's own drawing is 11 inches wide, near the box's width: less is enough.
WIDE_DPI = 150
#: Statements of an agreement scale broken down by group in one part, at most: a slide's
#: part, and a page's when its groups are few enough (one picture serves both).
STATEMENTS_PER_PART = 3
#: Characters a group's name takes on a line beside its bar (on a page).
GROUP_WRAP = 36


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _lines(labels: list[str], width: int = 38) -> float:
    """Rows of text the wrapped labels take (a label of three lines needs more room
    than one of one, or it runs into its neighbours)."""
    return sum(max(1.0, 0.75 * len(textwrap.wrap(t, width))) for t in labels)


def _figure(rows: float, *, per_row: float = 0.32, extra: float = 0.9,
            width: float = WIDTH, wide: bool = False) -> Figure:
    if wide:
        return Figure(figsize=SLIDE_SIZE, layout="constrained")
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
    top = min(100.0, top * 1.1 + 5)
    _percent_axis(ax, top)
    for i in range(len(codes)):
        if all(g.suppressed or g.cells[i].suppressed for g in groups):
            ax.text(top * 0.02, len(codes) - 1 - i, f"fewer than {k} in every group",
                    va="center", fontsize=7.5, color="#444444")
    _group_legend(fig, ax, chart, k)


def _group_legend(fig: Figure, ax: Any, chart: Chart, k: int) -> None:
    handles, names = ax.get_legend_handles_labels()
    if any(s.suppressed or any(c.suppressed for c in s.cells) for s in chart.series):
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor=STUB, hatch="////", edgecolor="#7F7F7F"))
        names.append(f"fewer than {k} (suppressed)")
    fig.legend(handles, [_wrap(n, 28) for n in names], loc="outside right upper",
               fontsize="small", frameon=False)


def _grouped_columns(fig: Figure, chart: Chart, k: int) -> None:
    """A grouped chart for a slide: answers along the bottom, a column per group."""
    ax = fig.add_subplot()
    groups = [s for s in chart.series if s.cells]
    if not groups:
        return
    codes = [c.label for c in groups[0].cells]
    width = 0.8 / len(groups)
    top = 0.0
    for g, series in enumerate(groups):
        for i, cell in enumerate(series.cells):
            x = i - 0.4 + width * (g + 0.5)
            if cell.suppressed or series.suppressed:
                ax.bar(x, 1.2, width=width * 0.9, color=STUB, hatch="////",
                       edgecolor="#7F7F7F", linewidth=0.3)
            else:
                ax.bar(x, cell.percent or 0, width=width * 0.9,
                       color=PALETTE[g % len(PALETTE)],
                       label=series.name if i == 0 else None)
                top = max(top, cell.percent or 0)
    wrap = max(10, int(110 / max(1, len(codes))))
    ax.set_xticks(range(len(codes)), [_wrap(c, wrap) for c in codes],
                  fontsize="small")
    ax.tick_params(axis="x", length=0)
    ax.set_ylim(0, min(100.0, top * 1.1 + 5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}%"))
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    _group_legend(fig, ax, chart, k)


def _likert_bar(ax: Any, y: float, series: Series, k: int, *, legend: bool,
                height: float = 0.8, n_at: float = 103, labelled: float = 9) -> None:
    """One statement's (or one group's) answers as a diverging bar at ``y``."""
    cells = list(series.cells)
    if series.suppressed or not cells or not series.n:
        ax.text(0, y, f"fewer than {k} answers: not shown" if series.suppressed
                else "no answers", ha="center", va="center", fontsize="x-small",
                color="#444444")
        return
    middle = len(cells) // 2 if len(cells) % 2 else None
    pct = [c.percent if c.percent is not None else 0.0 for c in cells]
    half = len(cells) // 2
    left = -(sum(pct[:half]) + (pct[middle] / 2 if middle is not None else 0))
    x = left
    for i, (cell, width) in enumerate(zip(cells, pct, strict=True)):
        colour = LIKERT[round(i * (len(LIKERT) - 1) / max(1, len(cells) - 1))]
        ax.barh(y, width, left=x, height=height, color=colour, edgecolor="white",
                linewidth=0.5, label=cell.label if legend else None)
        if width >= labelled:  # a narrower segment has no room for its figure
            ax.text(x + width / 2, y, f"{width:.0f}%", ha="center", va="center",
                    fontsize="x-small",
                    color="white" if i in (0, len(cells) - 1) else "black")
        x += width
    # A suppressed answer has no length: say so at the end of the bar it belongs
    # to (disagreement to the left, agreement and the middle to the right).
    if any(c.suppressed for c in cells[:half]):
        ax.text(left - 1.5, y, f"<{k}", ha="right", va="center", fontsize="x-small",
                color="#444444")
    if any(c.suppressed for c in cells[half:]):
        ax.text(x + 1.5, y, f"<{k}", ha="left", va="center", fontsize="x-small",
                color="#444444")
    ax.text(n_at, y, f"n={series.n}", va="center", fontsize="x-small", color="#444444")


def _likert_axis(ax: Any, right: float = 115) -> None:
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_xlim(-100, right)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{abs(v):.0f}%"))
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)


def _likert(fig: Figure, chart: Chart, k: int) -> None:
    ax = fig.add_subplot()
    rows = list(chart.series)
    ys = list(range(len(rows)))[::-1]
    levels = [c.label for c in rows[0].cells] if rows else []
    legend = next((s for s in rows if s.n and not s.suppressed and s.cells), None)
    for y, series in zip(ys, rows, strict=True):
        _likert_bar(ax, y, series, k, legend=series is legend)
    _likert_axis(ax)
    ax.set_yticks(ys, [_wrap(s.name, 44) for s in rows])
    fig.legend(loc="outside lower center", ncols=min(5, len(levels)), fontsize="small",
               frameon=False)


def statements(chart: Chart) -> list[tuple[str, list[Series]]]:
    """A ``likert_by`` chart's series, statement by statement."""
    out: dict[str, list[Series]] = {}
    for s in chart.series:
        out.setdefault(s.statement, []).append(s)
    return list(out.items())


def statement_parts(chart: Chart, per: int) -> list[Chart]:
    """An agreement scale broken down by group cut into charts of at most ``per``
    statements (as even as they come: 7 by 3 gives 2, 3, 2), each titled "(i of n)", for
    a slide or a page that cannot hold them all; any other chart whole."""
    panels = statements(chart) if chart.kind == "likert_by" else []
    if len(panels) <= per:
        return [chart]
    count = -(-len(panels) // per)
    cuts = [round(i * len(panels) / count) for i in range(count + 1)]
    parts = [panels[a:b] for a, b in pairwise(cuts)]
    return [replace(chart, id=f"{chart.id}.part{i}",
                    title=f"{chart.title} ({i} of {len(parts)})",
                    series=tuple(s for _st, rows in part for s in rows))
            for i, part in enumerate(parts, start=1)]


def _likert_by_page(fig: Figure, chart: Chart, k: int) -> None:
    """Small multiples stacked on a page: each statement's title, then a diverging bar
    per group. One axes for them all (a figure of many axes takes several times as long
    to lay out, and a scale of seven statements would dominate the report's time)."""
    ax = fig.add_subplot()
    panels = statements(chart)
    labels: list[tuple[float, str]] = []
    y = 0.0
    levels: list[str] = []
    for number, (statement, rows) in enumerate(panels):
        if number:
            ax.axhline(y + 0.35, color="#BBBBBB", linewidth=0.6)
        y -= 0.6
        # On white, so the zero line and grid do not run through the words.
        ax.text(-100, y, _wrap(statement, 90), ha="left", va="center", fontsize="small",
                fontweight="bold", zorder=3,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
        y -= 0.8
        for series in rows:
            first = not levels and bool(series.n) and not series.suppressed
            _likert_bar(ax, y, series, k, legend=first, height=0.7)
            if first:
                levels = [c.label for c in series.cells]
            labels.append((y, _wrap(series.name, GROUP_WRAP)))
            y -= 1.0
    _likert_axis(ax, 118)
    ax.set_ylim(y + 0.4, 0.2)
    ax.set_yticks([p for p, _n in labels], [n for _p, n in labels])
    ax.grid(axis="y", visible=False)
    fig.legend(loc="outside lower center", ncols=min(5, max(1, len(levels))),
               fontsize="small", frameon=False)


def _likert_by(fig: Figure, chart: Chart, k: int, *, wide: bool) -> None:
    """Small multiples: one panel per statement, one diverging bar per group; stacked
    on a page, side by side on a slide (whose chart holds a few statements)."""
    if not wide:
        _likert_by_page(fig, chart, k)
        return
    panels = statements(chart)
    groups = [s.name for s in panels[0][1]] if panels else []
    if wide:
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0, :]
    else:
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    ys = list(range(len(groups)))[::-1]
    legend_done = False
    levels: list[str] = []
    for ax, (statement, rows) in zip(axes, panels, strict=True):
        for y, series in zip(ys, rows, strict=True):
            first = not legend_done and bool(series.n) and not series.suppressed
            _likert_bar(ax, y, series, k, legend=first, height=0.7,
                        n_at=103 if not wide else 102, labelled=15 if wide else 9)
            if first:
                legend_done = True
                levels = [c.label for c in series.cells]
        _likert_axis(ax, 135 if wide else 118)
        if wide:  # narrow panels side by side: fewer ticks, or they run together
            ax.set_xticks([-50, 0, 50])
        ax.set_yticks(ys, [_wrap(g, 22 if wide else GROUP_WRAP) for g in groups])
        ax.set_ylim(-0.6, len(groups) - 0.4)
        ax.set_title(_wrap(statement, 30 if wide else 90), loc="left", fontsize="small",
                     fontweight="bold")
    fig.legend(loc="outside lower center", ncols=min(5, max(1, len(levels))),
               fontsize="small", frameon=False)


def _column_cells(ax: Any, cells: list[Cell], k: int, *, top: float,
                  labels: bool = True) -> None:
    xs = list(range(len(cells)))
    for x, cell in zip(xs, cells, strict=True):
        if cell.suppressed:
            ax.bar(x, top * 0.03, color=STUB, hatch="////", edgecolor="#7F7F7F",
                   linewidth=0.4)
            ax.text(x, top * 0.05, _stub_label(k), ha="center", fontsize="x-small",
                    color="#444444")
        else:
            ax.bar(x, cell.count or 0, color=BLUE, width=0.85)
    step = max(1, len(cells) // 12)
    names = [c.label for c in cells]
    # Turn the labels only when they would run into each other.
    turn = sum(len(n) for n in names[::step]) > 70
    ax.set_xticks(xs[::step], names[::step] if labels else [],
                  rotation=35 if turn else 0, ha="right" if turn else "center",
                  fontsize="small")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)


def _unit(chart: Chart) -> str:
    # Not str.capitalize(): it would lower-case a label quoted in the unit.
    unit = chart.unit or "count"
    return unit[:1].upper() + unit[1:]


def _columns(fig: Figure, chart: Chart, k: int) -> None:
    ax = fig.add_subplot()
    cells = list(chart.series[0].cells)
    top = max([c.count or 0 for c in cells] + [1])
    _column_cells(ax, cells, k, top=top)
    ax.set_ylabel(_wrap(_unit(chart), 30))
    s = chart.summary
    if s is not None and chart.kind == "histogram":
        edges = [float(c.code) for c in cells]
        width = (edges[1] - edges[0]) if len(edges) > 1 else 1.0

        def position(value: float) -> float:
            return (value - edges[0]) / width - 0.5

        for value, style in ((s.q1, ":"), (s.median, "-"), (s.q3, ":")):
            if value <= edges[-1] + width:
                ax.axvline(position(value), color="#D55E00", linestyle=style, linewidth=1.2)
        # Above the plot, never over a bar.
        ax.set_title(f"median {_n(s.median)}  (solid line) \u00b7 quartiles {_n(s.q1)} "
                     f"and {_n(s.q3)}  (dotted)", loc="right", fontsize="small",
                     color="#D55E00")


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 \
        else f"{value:,.1f}"


def _timelines(fig: Figure, chart: Chart, k: int) -> None:
    """Small multiples: one row of columns per group, on the same time and count
    scales, so the groups compare at a glance."""
    rows = list(chart.series)
    top = max([c.count or 0 for s in rows for c in s.cells] + [1])
    axes = fig.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
    cells_any = next((s.cells for s in rows if s.cells), ())
    for i, (ax, series) in enumerate(zip(axes, rows, strict=True)):
        last = i == len(rows) - 1
        if series.cells:
            _column_cells(ax, list(series.cells), k, top=top, labels=last)
        else:
            ax.set_yticks([])
            ax.text(0.5, 0.5, f"fewer than {k} answers: not shown"
                    if series.suppressed else "no answers", transform=ax.transAxes,
                    ha="center", va="center", fontsize="small", color="#444444")
            if last and cells_any:
                names = [c.label for c in cells_any]
                ax.set_xticks(range(len(names)), names, rotation=35, ha="right",
                              fontsize="small")
        ax.set_ylim(0, top * 1.15)
        ax.set_title(f"{series.name} (n = {series.n if series.n is not None else f'<{k}'})",
                     loc="left", fontsize="small")


def _spread(fig: Figure, chart: Chart, k: int) -> None:
    """A box per group from the lower to the upper quartile, the median marked; never
    the minimum or maximum (each is one respondent's answer)."""
    ax = fig.add_subplot()
    rows = list(chart.series)
    ys = list(range(len(rows)))[::-1]
    shown = [r.summary for r in rows if r.summary is not None]
    hi = max([s.q3 for s in shown] + [chart.summary.q3 if chart.summary else 0] + [1.0])
    lo = min([s.q1 for s in shown] + [0.0])
    pad = (hi - lo) * 0.35
    for y, (g, series) in zip(ys, enumerate(rows), strict=True):
        s = series.summary
        if s is None:
            ax.text(lo, y, f"fewer than {k} answers: not shown" if series.suppressed
                    else "no answers", va="center", fontsize="small", color="#444444")
            continue
        colour = PALETTE[g % len(PALETTE)]
        ax.barh(y, s.q3 - s.q1, left=s.q1, height=0.5, color=colour, alpha=0.35,
                edgecolor=colour, linewidth=1.0)
        ax.plot([s.median, s.median], [y - 0.25, y + 0.25], color=colour, linewidth=2.5)
        ax.text(s.q3 + (hi - lo) * 0.02, y,
                f"median {_n(s.median)} ({_n(s.q1)}\u2013{_n(s.q3)}), n = {series.n}",
                va="center", fontsize="small")
    if chart.summary is not None:
        ax.axvline(chart.summary.median, color="#555555", linestyle="--", linewidth=0.9)
    ax.set_xlim(lo, hi + pad)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(ys, [_wrap(r.name, 30) for r in rows])
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _n(v)))
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)


def figure(chart: Chart, k: int, *, wide: bool = False) -> Figure | None:
    """The chart drawn (None: a chart with nothing to draw, e.g. free text). ``wide``:
    shaped for a slide."""
    if chart.kind == "text" or chart.suppressed or not chart.series or not chart.n \
            or not chart.has_numbers():
        return None  # nothing to draw: free text, withheld, or nobody answered
    rc = {**_MATPLOTLIB_STYLE, "font.size": SLIDE_FONT} if wide else _MATPLOTLIB_STYLE
    with matplotlib.rc_context(rc):
        if chart.kind in ("bars", "multi"):
            labels = [c.label for c in chart.series[0].cells]
            fig = _figure(_lines(labels), wide=wide)
            _bars(fig, chart.series[0], k)
        elif chart.kind == "grouped":
            cats = [c.label for c in chart.series[0].cells] if chart.series else []
            groups = max(2, len(chart.series))
            if wide and len(cats) > 3:
                fig = _figure(0, wide=True)
                _grouped_columns(fig, chart, k)
            else:
                fig = _figure(_lines(cats, 34), per_row=0.16 * groups, extra=0.7,
                              wide=wide)
                _grouped(fig, chart, k)
        elif chart.kind == "likert":
            fig = _figure(_lines([s.name for s in chart.series], 44), per_row=0.5,
                          extra=1.1, wide=wide)
            _likert(fig, chart, k)
        elif chart.kind == "likert_by":
            panels = statements(chart)
            names = [s.name for s in panels[0][1]] if panels else [""]
            # A panel: its title, and a bar per group (a group's name may wrap).
            fig = _figure(len(panels), per_row=0.4 + 0.26 * _lines(names, GROUP_WRAP),
                          extra=0.8, wide=wide)
            _likert_by(fig, chart, k, wide=wide)
        elif chart.kind == "spread":
            fig = _figure(len(chart.series), per_row=0.45, extra=1.0, wide=wide)
            _spread(fig, chart, k)
        elif chart.kind == "timelines":
            fig = _figure(len(chart.series), per_row=1.0, extra=1.2, wide=wide)
            _timelines(fig, chart, k)
        else:
            fig = _figure(0, extra=2.8, wide=wide)
            _columns(fig, chart, k)
    return fig


def _save(fig: Figure, fmt: str, dpi: int = 100) -> bytes:
    out = io.BytesIO()
    with matplotlib.rc_context(_MATPLOTLIB_STYLE):
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(out, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return out.getvalue()


def _raster(fig: Figure, dpi: int) -> Image.Image:
    """The figure drawn by Agg at ``dpi``, as an RGB image (the background is opaque white,
    so the alpha channel says nothing): raw pixels, not yet encoded."""
    out = io.BytesIO()
    with matplotlib.rc_context(_MATPLOTLIB_STYLE):
        fig.savefig(out, format="rgba", dpi=dpi, facecolor="white")
    data = out.getvalue()
    # Agg's canvas is the figure's size in pixels, truncated.
    width = int(fig.get_figwidth() * dpi)
    for w in (width, width + 1, width - 1):
        if w > 0 and len(data) % (4 * w) == 0:
            return Image.frombuffer("RGBA", (w, len(data) // (4 * w)), data, "raw", "RGBA",
                                    0, 1).convert("RGB")
    raise ValueError("the drawing's size does not match its pixels")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")  # no metadata: the same drawing gives the same bytes
    return out.getvalue()


class Drawings:
    """Each chart drawn once and laid out once, then put out as the outputs ask: SVG for
    the web page, one raster shared by the PDF (handed over as pixels) and the slides (as
    PNG). A slide shows the page's picture when it fits the slide's box at a readable size
    (`fits_slide`); only a chart that does not (a tall one, or an agreement scale's part)
    gets a drawing of its own (``wide``), shaped and lettered for a projected 16:9 slide."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._figures: dict[tuple[str, bool], Figure | None] = {}
        self._images: dict[tuple[str, int, bool], Image.Image | None] = {}
        self._png: dict[tuple[str, int, bool], bytes | None] = {}

    def _figure(self, chart: Chart, wide: bool = False) -> Figure | None:
        key = (chart.id, wide)
        if key not in self._figures:
            self._figures[key] = figure(chart, self.k, wide=wide)
        return self._figures[key]

    @staticmethod
    def _laid_out(fig: Figure) -> None:
        # Laid out by the first output: the next ones keep the axes where they are
        # instead of running the constrained layout again (sizes are in inches and
        # points, so the places are the same at any dpi).
        if fig.get_layout_engine() is not None:
            fig.set_layout_engine("none")

    def svg(self, chart: Chart) -> str | None:
        fig = self._figure(chart)
        if fig is None:
            return None
        text = _save(fig, "svg").decode("utf-8")
        self._laid_out(fig)
        start = text.find("<svg")
        return text[start:] if start >= 0 else text

    def image(self, chart: Chart, dpi: int = PNG_DPI, *,
              wide: bool = False) -> Image.Image | None:
        """The chart's pixels (RGB), drawn once for the PDF and the PNG alike."""
        key = (chart.id, dpi, wide)
        if key not in self._images:
            fig = self._figure(chart, wide)
            self._images[key] = None if fig is None else _raster(fig, dpi)
            if fig is not None:
                self._laid_out(fig)
        return self._images[key]

    def png(self, chart: Chart, dpi: int = PNG_DPI, *, wide: bool = False) -> bytes | None:
        key = (chart.id, dpi, wide)
        if key not in self._png:
            image = self.image(chart, dpi, wide=wide)
            self._png[key] = None if image is None else _png(image)
        return self._png[key]

    def fits_slide(self, chart: Chart) -> bool:
        """Whether the page's drawing of ``chart``, fitted into a slide's picture box, is
        enlarged enough that its text reads at least as large as a slide's own drawing's
        (`SLIDE_FONT`)."""
        fig = self._figure(chart)
        if fig is None:
            return False
        width, height = fig.get_size_inches()
        scale = min(SLIDE_BOX[0] / width, SLIDE_BOX[1] / height)
        return bool(scale * _MATPLOTLIB_STYLE["font.size"] >= SLIDE_FONT)

    def wide_needed(self, charts: Sequence[Chart]) -> list[Chart]:
        """Those of ``charts`` whose slide needs a drawing of its own, not yet made."""
        return [c for c in charts if (c.id, WIDE_DPI, True) not in self._png
                and self._figure(c) is not None and not self.fits_slide(c)]

    def keep_png(self, chart: Chart, dpi: int, png: bytes | None, *,
                 wide: bool = False) -> None:
        """Take a drawing of ``chart`` made elsewhere (`qi_capture.report.beside`)."""
        self._png[(chart.id, dpi, wide)] = png

    def slide_png(self, chart: Chart) -> bytes | None:
        """The picture for ``chart``'s slide: the page's when it fits, else its own."""
        if self.fits_slide(chart):
            return self.png(chart)
        return self.png(chart, WIDE_DPI, wide=True)


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
    elif chart.kind == "spread" and chart.series:
        rows.append(["Group", "n", "Median", "Lower quartile", "Upper quartile", "Mean"])
        for s in chart.series:
            if s.summary is None:
                rows.append([s.name, "suppressed" if s.suppressed else str(s.n or 0),
                             "", "", "", ""])
            else:
                rows.append([s.name, str(s.n), f"{s.summary.median:g}",
                             f"{s.summary.q1:g}", f"{s.summary.q3:g}",
                             f"{s.summary.mean:g}"])
    elif chart.kind == "timelines" and chart.series:
        shown_series = [s for s in chart.series if s.cells]
        rows.append(["Period", *(f"{s.name} (n = {s.n})" if s.n is not None
                                 else f"{s.name} (suppressed)" for s in chart.series)])
        periods = [c.label for c in shown_series[0].cells] if shown_series else []
        for i, period in enumerate(periods):
            rows.append([period, *(("suppressed" if s.cells[i].suppressed
                                    else str(s.cells[i].count)) if s.cells
                                   else "suppressed" if s.suppressed else ""
                                   for s in chart.series)])
    elif chart.kind == "likert_by" and chart.series:
        levels = [c.label for c in chart.series[0].cells]
        rows.append(["Statement", "Group", "n", *levels])
        for s in chart.series:
            values = [("suppressed" if c.suppressed else "" if c.percent is None
                       else f"{c.percent:g}% ({c.count})") for c in s.cells]
            rows.append([s.statement, s.name, "suppressed" if s.n is None else str(s.n),
                         *values])
    elif chart.kind in ("likert", "grouped") and chart.series:
        levels = [c.label for c in chart.series[0].cells]
        rows.append(["Statement" if chart.kind == "likert" else "Group", "n", *levels])
        for s in chart.series:
            values = [("suppressed" if c.suppressed else "" if c.percent is None
                       else f"{c.percent:g}% ({c.count})") for c in s.cells]
            rows.append([s.name, "suppressed" if s.n is None else str(s.n), *values])
    return rows


