"""``report.pptx``: the slide deck for the event, made by python-pptx: a title slide,
one chart per slide (its title, the chart, n and a footnote; an agreement scale broken
down by group over a few slides), how often each theme came up by stakeholder group and
by footprint (tables), the themes with their quotes, and the methods. Pictures, text
boxes and tables only, so the deck opens and edits in PowerPoint and LibreOffice alike."""

from __future__ import annotations

import io
import struct

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from qi_capture.report.aggregate import Aggregator
from qi_capture.report.charts import (
    SLIDE_BOX,
    STATEMENTS_PER_PART,
    Drawings,
    statement_parts,
)
from qi_capture.report.model import Chart, Report
from qi_capture.report.theme_table import SPREADS, spread_name, theme_table

BLUE = RGBColor.from_string("005EB8")  # type: ignore[no-untyped-call]
MUTED = RGBColor.from_string("4C6272")  # type: ignore[no-untyped-call]
SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
QUOTES_PER_SLIDE = 3
#: Statements of an agreement scale broken down by group on one slide.
STATEMENTS_PER_SLIDE = STATEMENTS_PER_PART


def _text(slide: object, left: int, top: int, width: int, height: int, text: str,
          size: float, *, colour: RGBColor | None = None, bold: bool = False,
          italic: bool = False) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)  # type: ignore[attr-defined]
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.italic = italic
        if colour is not None:
            run.font.color.rgb = colour


def _title(slide: object, text: str) -> None:
    shape = slide.shapes.title  # type: ignore[attr-defined]
    shape.text = text
    shape.left, shape.top, shape.width, shape.height = (Inches(0.5), Inches(0.3),
                                                        Inches(12.3), Inches(1.0))
    for para in shape.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(26 if len(text) <= 55 else 20)
            run.font.color.rgb = BLUE
            run.font.bold = True


def slide_parts(chart: Chart) -> list[Chart]:
    """The chart as its slides show it: an agreement scale broken down by group in parts
    of a few statements (each statement a panel side by side), else whole."""
    return statement_parts(chart, STATEMENTS_PER_SLIDE)


def slide_charts(report: Report) -> list[Chart]:
    """Every chart a slide of ``report`` may picture, in the deck's order."""
    k = report.methods.min_cell
    return [part for section in (report.who, *report.sections) for chart in section.charts
            for part in slide_parts(chart)
            if part.kind != "text" and not part.withheld_reason(k)]


def _table(slide: object, rows: list[list[str]]) -> None:
    """A native table (editable in PowerPoint and LibreOffice): header row, first
    column the theme, counts right-aligned."""
    height = min(Inches(5.2), Inches(0.5) * len(rows))
    shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(0.5),  # type: ignore[attr-defined]
                                   Inches(1.4), Inches(12.3), height)
    table = shape.table
    first = Inches(3.0)
    table.columns[0].width = first
    for j in range(1, len(rows[0])):
        table.columns[j].width = int((Inches(12.3) - first) / (len(rows[0]) - 1))
    size = 16 if len(rows[0]) <= 8 else 12
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = value
            for para in cell.text_frame.paragraphs:
                if j:
                    para.alignment = PP_ALIGN.RIGHT
                for run in para.runs:
                    run.font.size = Pt(size if i else size - 1)
                    run.font.bold = i == 0


def render_pptx(report: Report, drawings: Drawings | None = None) -> bytes:
    k = report.methods.min_cell
    drawings = drawings or Drawings(k)
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_W, SLIDE_H
    title_layout, only_title = deck.slide_layouts[0], deck.slide_layouts[5]

    first = deck.slides.add_slide(title_layout)
    first.shapes.title.text = report.title
    for para in first.shapes.title.text_frame.paragraphs:
        for run in para.runs:
            run.font.color.rgb = BLUE
            run.font.bold = True
    first.placeholders[1].text = (f"Study {report.study_id} \u00b7 {report.methods.generated}"
                                  f"\nNo count under {k} is shown")

    def chart_slide(chart: Chart) -> None:
        png = drawings.slide_png(chart)
        if png is None:
            return
        slide = deck.slides.add_slide(only_title)
        _title(slide, chart.title)
        w_px, h_px = struct.unpack(">II", png[16:24])
        box_w, box_h = Inches(SLIDE_BOX[0]), Inches(SLIDE_BOX[1])
        scale = min(box_w / w_px, box_h / h_px)
        width, height = int(w_px * scale), int(h_px * scale)
        slide.shapes.add_picture(io.BytesIO(png), Emu((SLIDE_W - width) // 2),
                                 Inches(1.35), Emu(width), Emu(height))
        footnote = " ".join(p for p in (
            f"n = {chart.n:,} {chart.unit}." if chart.n is not None else "",
            Aggregator.missing_text(chart.missing, k), chart.note) if p)
        _text(slide, Inches(0.5), Inches(6.75), Inches(12.3), Inches(0.6), footnote, 11,
              colour=MUTED)

    for chart in slide_charts(report):
        chart_slide(chart)
    if report.heard is not None:
        for spread in SPREADS:
            table = theme_table(report.heard, spread, k)
            if table is None:
                continue
            slide = deck.slides.add_slide(only_title)
            _title(slide, f"What we heard: themes by {spread_name(spread)}")
            _table(slide, table)
            _text(slide, Inches(0.5), Inches(6.75), Inches(12.3), Inches(0.6),
                  f"Interviews mentioning each theme ({report.heard.interviews} interviews "
                  f"approved in review; one interview may mention several themes). "
                  f"\u201c<{k}\u201d: fewer than {k}, or would reveal such a count.", 11,
                  colour=MUTED)
        for theme in report.heard.themes:
            quotes = theme.quotes[:QUOTES_PER_SLIDE]
            slide = deck.slides.add_slide(only_title)
            count = "" if theme.interviews is None else f" \u2013 {theme.interviews} interviews"
            _title(slide, f"What we heard: {theme.label}{count}")
            top = int(Inches(1.5))
            if theme.description:
                _text(slide, Inches(0.8), Inches(1.25), Inches(11.7), Inches(0.5),
                      theme.description, 14, colour=MUTED)
                top = int(Inches(1.9))
            for quote in quotes:
                _text(slide, Inches(0.8), top, Inches(11.7), Inches(1.2),
                      f"\u201c{quote.text}\u201d", 20, italic=True)
                _text(slide, Inches(0.8), top + int(Inches(0.95)), Inches(11.7), Inches(0.4),
                      f"{quote.group} \u00b7 {quote.section}", 12, colour=MUTED)
                top += int(Inches(1.6))
            if not quotes:
                _text(slide, Inches(0.8), top, Inches(11.7), Inches(1), "No key quotes "
                      "under this theme.", 16, colour=MUTED)
            _text(slide, Inches(0.5), Inches(6.75), Inches(12.3), Inches(0.6),
                  report.heard.note, 11, colour=MUTED)
    slide = deck.slides.add_slide(only_title)
    _title(slide, "Methods")
    lines = [f"{f.title}: {f.included} records, fieldwork {f.first or '-'} to "
             f"{f.last or '-'}, versions {', '.join(f.versions)}"
             for f in report.methods.forms]
    lines += list(report.methods.suppression[:3])
    _text(slide, Inches(0.6), Inches(1.5), Inches(12.1), Inches(5.2), "\n".join(lines), 14)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
