"""Results: the study's report shown live (every chart, as the web page draws it), with
its filters (review status, breakdown question, minimum cell size, language), and "Save
report…" writing the web page, PDF, slides and results.json into a chosen folder.

The report is built and its charts drawn off the UI thread (`AdminDesk.report_preview`);
the page only lays out the frozen values and SVG it gets back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.report import FORMATS, ReportFiles, ReportPreview
from qi_capture.services.admin.report_values import (
    SPREADS,
    Chart,
    missing_text,
    spread_name,
    theme_table,
)
from ui.admin.models.records import REVIEW_LABELS
from ui.admin.pages.title import page_title
from ui.dialogs import files
from ui.errors import message_for
from ui.tasks import TaskRunner
from ui.widgets.fonts import scale_font

CHART_WIDTH = 720
FORMAT_LABELS = {"html": "Web page (.html)", "pdf": "PDF (A4)", "pptx": "Slides (.pptx)",
                 "json": "Every number (results.json)"}


def caption(chart: Chart, k: int) -> str:
    parts = [chart.withheld_reason(k) if chart.suppressed else
             f"n = {chart.n:,} {chart.unit}." if chart.n is not None else "",
             "" if chart.suppressed else chart.withheld_reason(k),
             missing_text(chart.missing, k), chart.note]
    return " ".join(p for p in parts if p)


class ResultsPage(QWidget):
    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminResultsPage")
        self._desk = desk
        self._runner = runner
        self.preview: ReportPreview | None = None
        self.saved: ReportFiles | None = None

        title = page_title(self.tr("Results"), self)
        self.status = QComboBox(self)
        self.status.addItem(self.tr("Every record"), None)
        for status, label in REVIEW_LABELS.items():
            self.status.addItem(self.tr(label), status)
        self.status.setAccessibleName(self.tr("Review state"))
        self.by = QComboBox(self)
        self.by.setAccessibleName(self.tr("Break down by"))
        self.min_cell = QSpinBox(self)
        self.min_cell.setRange(1, 1000)
        self.min_cell.setValue(5)
        self.min_cell.setAccessibleName(self.tr("Minimum cell size"))
        self.language = QComboBox(self)
        self.language.setAccessibleName(self.tr("Language"))
        for combo in (self.status, self.by, self.language):
            # Wide enough for its longest entry ("Each form's own" was cut short).
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.show_button = QPushButton(self.tr("&Show"), self)
        self.show_button.clicked.connect(self.build)
        # Building a report is heavy: wait a moment after the page is shown, so flipping
        # through the console's pages never starts one for a page already left.
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(250)
        self._settle.timeout.connect(self._on_settled)
        self.save_button = QPushButton(self.tr("&Save report…"), self)
        self.save_button.setObjectName("saveReportButton")
        self.save_button.clicked.connect(self._on_save_clicked)
        self.formats: dict[str, QCheckBox] = {}
        filters = QHBoxLayout()
        for text, widget in ((self.tr("Records:"), self.status),
                             (self.tr("Break down by:"), self.by),
                             (self.tr("Hide counts under:"), self.min_cell),
                             (self.tr("Language:"), self.language)):
            filters.addWidget(QLabel(text, self))
            filters.addWidget(widget)
        filters.addWidget(self.show_button)
        filters.addStretch(1)
        saving = QHBoxLayout()
        for fmt in FORMATS:
            box = QCheckBox(self.tr(FORMAT_LABELS.get(fmt, fmt)), self)
            box.setChecked(True)
            self.formats[fmt] = box
            saving.addWidget(box)
        saving.addStretch(1)
        saving.addWidget(self.save_button)
        self.state = QLabel(self)
        self.state.setObjectName("resultsState")
        self.state.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.hide()
        self.body = QWidget(self)
        self.charts = QVBoxLayout(self.body)
        self.charts.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addLayout(saving)
        layout.addWidget(self.state)
        layout.addWidget(self.error)
        layout.addWidget(scroll, 1)

    # -- the console's contract ----------------------------------------------------------
    def refresh(self) -> None:
        """Build the report with the current filters (shortly, if still on show)."""
        self._settle.start()

    def _on_settled(self) -> None:
        if self.isVisible():
            self.build()

    def build(self) -> None:
        """Build the report with the current filters and show its charts."""
        self.error.hide()
        self.show_button.setEnabled(False)
        self.state.setText(self.tr("Counting and drawing the charts…"))
        status = self.status.currentData()
        by = self.by.currentData()
        language = self.language.currentData()
        task = self._runner.run(
            self._desk.report_preview, statuses=[status] if isinstance(status, str) else None,
            by=by if isinstance(by, str) else None, min_cell=self.min_cell.value(),
            language=language if isinstance(language, str) else None)
        task.finished.connect(self._on_preview)
        task.failed.connect(self._on_failed)

    def _on_preview(self, preview: object) -> None:
        self.show_button.setEnabled(True)
        if not isinstance(preview, ReportPreview):
            return
        self.preview = preview
        self._fill(self.by, [(n, n) for n in preview.by_choices],
                   preview.report.methods.by)
        self._fill(self.language, [(lang, lang) for lang in preview.languages],
                   preview.report.methods.language, blank=self.tr("Each form's own"))
        while self.charts.count():
            item = self.charts.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        report = preview.report
        k = report.methods.min_cell
        counts = ", ".join(f"{f.title}: {f.included}" for f in report.methods.forms)
        self.state.setText(self.tr("{0} — records {1}; no count under {2} shown.").format(
            report.title, counts, k))
        for section in (report.who, *report.sections):
            heading = QLabel(section.title, self.body)
            scale_font(heading, 1.2, bold=True)
            self.charts.addWidget(heading)
            for chart in section.charts:
                self._add_chart(chart, preview.svgs.get(chart.id), k)
        if report.heard is not None:
            heading = QLabel(self.tr("What we heard"), self.body)
            scale_font(heading, 1.2, bold=True)
            self.charts.addWidget(heading)
            for spread in SPREADS:
                rows = theme_table(report.heard, spread, k)
                if rows is not None:
                    self.charts.addWidget(self._theme_table(rows, spread_name(spread)))
            for theme in report.heard.themes:
                count = "" if theme.interviews is None else f" · {theme.interviews}"
                lines = [f"<b>{_escape(theme.label)}{count}</b>"]
                lines += [f"“{_escape(q.text)}” — <i>{_escape(q.group)}</i>"
                          for q in theme.quotes[:3]]
                label = QLabel("<br>".join(lines), self.body)
                label.setWordWrap(True)
                label.setTextFormat(Qt.TextFormat.RichText)
                self.charts.addWidget(label)

    def _theme_table(self, rows: list[list[str]], name: str) -> QLabel:
        """How often each theme came up by ``name``, as the web page's table."""
        head = "".join(f"<th align='{'left' if i == 0 else 'right'}'>{_escape(c)}</th>"
                       for i, c in enumerate(rows[0]))
        body = "".join("<tr>" + "".join(
            f"<td align='{'left' if i == 0 else 'right'}'>{_escape(c)}</td>"
            for i, c in enumerate(row)) + "</tr>" for row in rows[1:])
        title = _escape(self.tr("How often each theme came up, by {0}").format(name))
        label = QLabel(f"<b>{title}</b><table cellspacing='0' cellpadding='4' "
                       f"border='1'><tr>{head}</tr>{body}</table>", self.body)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setObjectName("themeTable")
        return label

    def _add_chart(self, chart: Chart, svg: str | None, k: int) -> None:
        title = QLabel(chart.title, self.body)
        title.setWordWrap(True)
        scale_font(title, 1.0, bold=True)
        self.charts.addWidget(title)
        if svg is not None:
            widget = QSvgWidget(self.body)
            widget.load(QByteArray(svg.encode("utf-8")))
            size = widget.renderer().defaultSize()
            if size.width() > 0:
                widget.setFixedSize(QSize(CHART_WIDTH,
                                          int(CHART_WIDTH * size.height() / size.width())))
            widget.setAccessibleName(chart.alt)
            widget.setToolTip(chart.alt)
            widget.setObjectName("reportChart")
            self.charts.addWidget(widget)
        elif chart.kind == "text" and chart.texts:
            texts = QLabel("\n".join(f"• {t}" for t in chart.texts[:5]), self.body)
            texts.setWordWrap(True)
            texts.setTextFormat(Qt.TextFormat.PlainText)
            self.charts.addWidget(texts)
        note = QLabel(caption(chart, k), self.body)
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.PlainText)
        self.charts.addWidget(note)

    def _fill(self, combo: QComboBox, items: list[tuple[str, str]], current: str | None,
              blank: str | None = None) -> None:
        combo.blockSignals(True)
        combo.clear()
        if blank is not None:
            combo.addItem(blank, None)
        for text, data in items:
            combo.addItem(text, data)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    # -- saving --------------------------------------------------------------------------
    def _on_save_clicked(self) -> None:
        chosen = files.choose_folder(self, self.tr("Save the report into"), "")
        if chosen:
            self.save_to(Path(chosen))

    def save_to(self, folder: Path) -> None:
        formats = [f for f, box in self.formats.items() if box.isChecked()]
        if not formats:
            self._on_failed(self.tr("Tick at least one format to save."))
            return
        status = self.status.currentData()
        by = self.by.currentData()
        language = self.language.currentData()
        self.save_button.setEnabled(False)
        self.state.setText(self.tr("Saving the report…"))
        # On the write queue: the report adds an entry to the audit log.
        task = self._runner.write(
            self._desk.report, folder, formats=formats,
            statuses=[status] if isinstance(status, str) else None,
            by=by if isinstance(by, str) else None, min_cell=self.min_cell.value(),
            language=language if isinstance(language, str) else None,
            command="(saved from the admin console's Results page)")
        task.finished.connect(self._on_saved)
        task.failed.connect(self._on_failed)

    def _on_saved(self, result: object) -> None:
        self.save_button.setEnabled(True)
        if isinstance(result, ReportFiles):
            self.saved = result
            self.state.setText(self.tr("Saved in {0}: {1}").format(
                result.out_dir, ", ".join(p.name for p in result.files)))

    def _on_failed(self, error: object) -> None:
        self.show_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.state.setText("")
        self.error.setText(message_for(error) if isinstance(error, BaseException)
                           else str(error))
        self.error.show()


def _escape(text: str) -> str:
    from html import escape

    return escape(text)
