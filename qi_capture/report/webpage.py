"""``report.html``: one self-contained page (inline SVG charts and CSS; no script, no
font, no image fetched) that opens offline in any browser and prints cleanly.

Rendered through Jinja2 with autoescaping on: every label, answer, quote and invited
organisation's name is escaped; only the SVG drawn by `charts` is inserted as is.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from qi_capture import __version__
from qi_capture.report.charts import Drawings, table_rows
from qi_capture.report.model import Chart, Report
from qi_capture.report.theme_table import SPREADS, spread_name, theme_table

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SVG_ID_REFERENCE = re.compile(r'(id="|url\(#|href="#)([A-Za-z_][\w.-]*)')


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["num"] = lambda v: "" if v is None else f"{v:,}" if isinstance(v, int) \
        else f"{v:,.1f}"
    return env


def scoped_svg(svg: str, prefix: str) -> str:
    """Give the SVG's ids a per-chart prefix: many charts share one page, and matplotlib
    names clip paths by their shape, so two charts could otherwise share an id."""
    return _SVG_ID_REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def missing_text(chart: Chart, k: int) -> str:
    from qi_capture.report.aggregate import Aggregator

    return Aggregator.missing_text(chart.missing, k)


def render_html(report: Report, drawings: Drawings | None = None) -> bytes:
    k = report.methods.min_cell
    drawings = drawings or Drawings(k)
    svgs: dict[str, Markup] = {}
    tables: dict[str, list[list[str]]] = {}
    for number, chart in enumerate(report.charts()):
        svg = drawings.svg(chart)
        if svg is not None:
            # Safe to insert: matplotlib escapes every text it writes into the SVG.
            svgs[chart.id] = Markup(scoped_svg(svg, f"c{number}"))
        tables[chart.id] = table_rows(chart)
    theme_tables = []
    if report.heard is not None:
        for spread in SPREADS:
            rows = theme_table(report.heard, spread, k)
            if rows is not None:
                theme_tables.append((spread_name(spread), rows))
    template = environment().get_template("report.html.j2")
    html = template.render(report=report, svgs=svgs, tables=tables, k=k,
                           theme_tables=theme_tables,
                           missing_text=lambda c: missing_text(c, k), version=__version__)
    return html.encode("utf-8")
