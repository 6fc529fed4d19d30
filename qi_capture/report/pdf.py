"""``report.pdf``: A4, print-ready, with a contents page and page numbers.

Made by fpdf2, pure Python: no system library on Windows, macOS or Linux (WeasyPrint
would need Pango). Charts are the same matplotlib drawings as the web page's, placed as
PNG; text is set in DejaVu Sans, the font matplotlib ships, so every language's labels
print without a system font.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF

from qi_capture.report.aggregate import Aggregator
from qi_capture.report.charts import (
    STATEMENTS_PER_PART,
    Drawings,
    statement_parts,
    statements,
)
from qi_capture.report.model import Chart, Report
from qi_capture.report.theme_table import SPREADS, spread_name, theme_table

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
TEXT_W = 180.0  # mm: A4's 210 less 15 mm margins
BLUE = (0, 94, 184)
MUTED = (76, 98, 114)
TEXTS_MAX = 15
#: Bars of an agreement scale by group in one chart on a page, at most (more and the
#: chart is shrunk to fit the page, its words too small to read).
BARS_PER_PAGE = 20


class _Document(FPDF):
    title_text = ""

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, f"{self.title_text}   \u00b7   page {self.page_no()} of {{nb}}",
                  align="C")


def _toc(pdf: Any, outline: list[Any]) -> None:
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*BLUE)
    pdf.cell(0, 12, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for section in outline:
        if section.level > 0:
            continue
        pdf.set_font(FONT, size=11)
        link = pdf.add_link(page=section.page_number)
        pdf.cell(160, 8, section.name, link=link)
        pdf.cell(20, 8, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT")


def page_parts(chart: Chart) -> list[Chart]:
    """The chart as the pages show it: an agreement scale broken down by group in parts
    of as many statements as a page holds readably (about 20 bars, and no more than a
    slide's part), else whole."""
    if chart.kind != "likert_by":
        return [chart]
    groups = len(statements(chart)[0][1]) if chart.series else 1
    # No more statements than a slide's part holds: the same parts then serve the pages
    # and the slides, each drawn once.
    return statement_parts(chart, max(1, min(STATEMENTS_PER_PART,
                                             BARS_PER_PAGE // max(1, groups))))


def render_pdf(report: Report, drawings: Drawings | None = None) -> bytes:
    k = report.methods.min_cell
    drawings = drawings or Drawings(k)
    pdf = _Document(format="A4", unit="mm")
    pdf.title_text = report.title
    pdf.set_title(report.title)
    pdf.set_creator("QI Capture")
    # The report's own time, not the clock's: the same report gives the same file.
    pdf.set_creation_date(datetime.strptime(report.methods.generated, "%Y-%m-%d %H:%M UTC")
                          .replace(tzinfo=UTC))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))

    # Cover.
    pdf.add_page()
    pdf.set_y(80)
    pdf.set_font(FONT, "B", 24)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 12, report.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 7, f"Study {report.study_id}\nMade {report.methods.generated}\n"
                         f"No count under {k} is shown.", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.add_page()
    # The contents page is drawn at the end (page numbers known), on this page; fpdf2
    # then starts the next page itself.
    pdf.insert_toc_placeholder(_toc, pages=1)

    def heading(text: str) -> None:
        if pdf.get_y() > pdf.t_margin + 1:  # not on a fresh page already
            pdf.add_page()
        pdf.start_section(text, level=0)
        pdf.set_font(FONT, "B", 18)
        pdf.set_text_color(*BLUE)
        pdf.multi_cell(0, 10, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)

    def small(text: str, style: str = "") -> None:
        pdf.set_font(FONT, style, 8.5)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, 4.2, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)

    def chart_block(chart: Chart) -> None:
        # Pixels, not PNG: fpdf2 would decode a PNG only to compress its pixels again.
        image = drawings.image(chart) if not chart.suppressed else None
        height = 0.0
        if image is not None:
            w_px, h_px = image.size
            height = TEXT_W * h_px / w_px
        if pdf.will_page_break(min(height, 200) + 24):
            pdf.add_page()
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 5.5, chart.title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        if chart.withheld_reason(k):
            small(chart.withheld_reason(k))
        elif image is not None:
            if height > 230:  # a very tall chart: shrink to fit one page
                pdf.image(image, h=230)
            else:
                pdf.image(image, w=TEXT_W)
        elif chart.kind == "text":
            pdf.set_font(FONT, size=9)
            for text in chart.texts[:TEXTS_MAX]:
                pdf.multi_cell(0, 4.6, f"\u2022 {text}", new_x="LMARGIN", new_y="NEXT")
            if chart.texts_total > TEXTS_MAX:
                small(f"The first {TEXTS_MAX} of {chart.texts_total} answers; the web page "
                      "and results.json have more.")
        caption = " ".join(p for p in (
            f"n = {chart.n:,} {chart.unit}." if chart.n is not None else "",
            Aggregator.missing_text(chart.missing, k), chart.note) if p)
        if caption:
            small(caption)
        if chart.other_texts:
            small("\u201cOther\u201d answers: " + "; ".join(chart.other_texts[:20]), "I")
        pdf.ln(5)

    heading(report.who.title)
    for chart in report.who.charts:
        chart_block(chart)
    if report.invited is not None:
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 7, "Response rate by footprint", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=9)
        with pdf.table(col_widths=(70, 30, 30, 30), text_align=("LEFT", "RIGHT", "RIGHT",
                                                                  "RIGHT")) as table:
            table.row(["Footprint", "Invited", "Answered", "Rate"])
            for row in report.invited.by_footprint:
                table.row([row.footprint, str(row.invited),
                           f"<{k}" if row.responded is None else str(row.responded),
                           "suppressed" if row.rate is None else f"{row.rate:g}%"])
        small(f"{len(report.invited.not_yet)} invited organisations have not answered yet "
              "(listed in the web page).")
    for section in report.sections:
        heading(section.title)
        for chart in section.charts:
            for part in page_parts(chart):
                chart_block(part)
    if report.heard is not None:
        heading("What we heard")
        small(f"{report.heard.interviews} interviews approved in review. "
              f"{report.heard.note}")
        pdf.ln(3)
        for spread in SPREADS:
            rows = theme_table(report.heard, spread, k)
            if rows is None:
                continue
            if pdf.will_page_break(20 + 7 * len(rows)):
                pdf.add_page()
            pdf.set_font(FONT, "B", 11)
            pdf.multi_cell(0, 5.5, f"How often each theme came up, by {spread_name(spread)}",
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
            pdf.set_font(FONT, size=8 if len(rows[0]) > 6 else 9)
            # The groups' names are the long ones: they get the room.
            rest = (TEXT_W - 50) / max(1, len(rows[0]) - 2)
            with pdf.table(col_widths=(36, 14, *([rest] * (len(rows[0]) - 2))),
                           text_align=("LEFT", *(["RIGHT"] * (len(rows[0]) - 1))),
                           first_row_as_headings=True) as table:
                for cells in rows:
                    table.row(cells)
            small(f"Interviews mentioning each theme (one interview may mention several). "
                  f"\u201c<{k}\u201d: fewer than {k}, or would reveal such a count.")
            pdf.ln(4)
        for theme in report.heard.themes:
            if pdf.will_page_break(40):
                pdf.add_page()
            pdf.set_font(FONT, "B", 12)
            count = "" if theme.interviews is None else f" \u00b7 {theme.interviews} interviews"
            pdf.multi_cell(0, 6, theme.label + count, new_x="LMARGIN", new_y="NEXT")
            if theme.description:
                small(theme.description)
            for quote in theme.quotes[:5]:
                pdf.set_font(FONT, "I", 10)
                pdf.set_x(20)
                pdf.multi_cell(170, 5, f"\u201c{quote.text}\u201d", new_x="LMARGIN",
                               new_y="NEXT")
                pdf.set_x(20)
                small(f"{quote.group} \u00b7 {quote.section}")
                pdf.ln(1)
            pdf.ln(3)
    heading("Methods")
    pdf.set_font(FONT, size=9)
    for form in report.methods.forms:
        statuses = "; ".join(f"{s}: {n}" for s, n in form.statuses.items())
        pdf.multi_cell(0, 4.8, f"{form.title} ({form.form_id}), versions "
                               f"{', '.join(form.versions)}; fieldwork {form.first or '-'} to "
                               f"{form.last or '-'}; records by status: {statuses}; "
                               f"included: {form.included}.", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    for line in (*report.methods.suppression, *report.methods.notes):
        pdf.multi_cell(0, 4.8, f"\u2022 {line}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    statuses = (f"review status {' or '.join(report.methods.statuses)}"
                if report.methods.statuses else "every review status")
    pdf.multi_cell(0, 4.8, f"Records included: {statuses}; deleted records never. "
                           f"Breakdowns by {report.methods.by}.", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(0, 6, "The command that made this report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8.5)
    pdf.multi_cell(0, 4.5, report.methods.command, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
