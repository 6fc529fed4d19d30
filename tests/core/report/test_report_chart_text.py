"""Labels from a form are text: a "$" in a question or choice label is never read as
matplotlib mathtext (an unbalanced or TeX-like one would fail the whole report)."""

from __future__ import annotations

import html
import re

from qi_capture.report.charts import chart_png, chart_svg
from qi_capture.report.model import Cell, Chart, Series


def test_dollar_signs_in_labels_are_drawn_as_text() -> None:
    labels = ("Under $5", r"$\frac$ and $10", "$x^2$ cost", "{\\bf $")
    cells = tuple(Cell(f"c{i}", label, 10 + i, 25.0) for i, label in enumerate(labels))
    chart = Chart(id="q1", kind="bars", title=r"Budget in $ per $\sqrt{year}$",
                  question="budget", unit="respondents", n=46, missing=None,
                  series=(Series("all", 46, cells),))
    svg = chart_svg(chart, 5)
    assert svg is not None
    drawn = {html.unescape(t) for t in re.findall(r">([^<]+)</text>", svg)}
    for text in ("Under $5", "$\\frac$ and $10", "$x^2$ cost"):
        assert text in drawn, (text, drawn)
    png = chart_png(chart, 5, dpi=50)
    assert png is not None and png.startswith(b"\x89PNG")
