"""Exports: a form's records written as CSV, Excel, SPSS, Stata or Parquet files for
analysis, with the status filter, the labels' language and the header/value options,
into a folder the admin picks; the export runs off the UI thread with its progress
shown, and its report is shown at the end, with the warning that the files written are
NOT encrypted (`AdminDesk.export`).

Progress counts the records the exporter has read (every 1,000); writing the files
after the last one shows as an indeterminate bar, since the exporter reports nothing
while it writes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import FormOutline
from qi_capture.services.admin.exports import (
    FORMATS,
    NOT_ENCRYPTED,
    ExportOptions,
    ExportResult,
)
from ui.admin.models.records import REVIEW_LABELS
from ui.admin.pages.records import Choices, read_choices, read_outline
from ui.admin.pages.title import page_title
from ui.dialogs import files
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded
from ui.widgets.fonts import scale_font
from ui.widgets.reveal import reveal

FORMAT_LABELS = {
    "csv": "CSV (comma-separated text)",
    "xlsx": "Excel workbook (.xlsx)",
    "sav": "SPSS (.sav)",
    "dta": "Stata (.dta)",
    "parquet": "Parquet",
}


def report_text(result: ExportResult) -> str:
    """The export report as the page shows it (the files' names and rows, warnings)."""
    report = result.report
    lines = [f"Exported {report['included']} records of {result.form_id} "
             f"({report['excluded_total']} excluded) as {result.fmt} to {result.out_dir}"]
    for name, rows in report["rows"].items():
        lines.append(f"  {name}: {rows} rows")
    attachments = report.get("attachments")
    if attachments:
        lines.append(f"  attachments: {attachments['files']} files of "
                     f"{attachments['records']} records in {attachments['folder']}/")
    lines.append("Files:")
    lines.extend(f"  {p.name}" for p in result.files
                 if p.parent == result.out_dir)
    for warning in result.warnings[1:]:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)


class ExportsPage(QWidget):
    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminExportsPage")
        self._desk = desk
        self._runner = runner
        self.last_result: ExportResult | None = None

        title = page_title(self.tr("Exports"), self)
        intro = QLabel(self.tr(
            "Write a form's records to files for analysis: one table for the form, one per "
            "repeat, a codebook and an export report. Every version of the form goes into "
            "the same tables."), self)
        intro.setWordWrap(True)
        self.form = QComboBox(self)
        self.format = QComboBox(self)
        for fmt in FORMATS:
            self.format.addItem(self.tr(FORMAT_LABELS.get(fmt, fmt)), fmt)
        self.statuses: dict[str, QCheckBox] = {}
        status_row = QHBoxLayout()
        for status, label in REVIEW_LABELS.items():
            box = QCheckBox(self.tr(label), self)
            self.statuses[status] = box
            status_row.addWidget(box)
        status_row.addWidget(QLabel(self.tr("(none ticked: every record)"), self))
        status_row.addStretch(1)
        self.language = QComboBox(self)
        self.headers = QComboBox(self)
        self.headers.addItem(self.tr("Question names"), "names")
        self.headers.addItem(self.tr("Question labels"), "labels")
        self.values = QComboBox(self)
        self.values.addItem(self.tr("Choice names"), "names")
        self.values.addItem(self.tr("Choice labels"), "labels")
        self.group_prefix = QCheckBox(self.tr("Name columns by their whole path "
                                              "(group/question)"), self)
        self.csv_raw = QCheckBox(self.tr("CSV: write cells exactly as entered (do not "
                                         "neutralise cells a spreadsheet would run as a "
                                         "formula)"), self)
        self.attachments = QCheckBox(self.tr("Include attachments (interview recordings, "
                                             "photos), decrypted, one folder per record"),
                                     self)
        self.attachments.setObjectName("exportAttachments")
        self.folder = QLineEdit(self)
        self.folder.setPlaceholderText(self.tr("Choose a folder…"))
        self.folder.setAccessibleName(self.tr("Export folder"))
        self.browse = QPushButton(self.tr("&Browse…"), self)
        self.browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)

        form = QFormLayout()
        form.addRow(self.tr("&Form"), self.form)
        form.addRow(self.tr("F&ormat"), self.format)
        form.addRow(self.tr("Review state"), status_row)
        form.addRow(self.tr("&Language"), self.language)
        form.addRow(self.tr("Column &headers"), self.headers)
        form.addRow(self.tr("&Values of choices"), self.values)
        form.addRow("", self.group_prefix)
        form.addRow("", self.csv_raw)
        form.addRow("", self.attachments)
        form.addRow(self.tr("Save in"), folder_row)

        self.warning = QLabel(self.tr(
            "The exported files are NOT encrypted: keep them on encrypted storage."), self)
        self.warning.setObjectName("warningText")
        self.warning.setWordWrap(True)
        self.export_button = QPushButton(self.tr("&Export"), self)
        self.export_button.setObjectName("exportButton")
        self.export_button.clicked.connect(self.start_export)
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.progress_text = QLabel(self)
        self.progress_text.hide()
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.hide()
        self.report_title = QLabel(self.tr("Export report"), self)
        scale_font(self.report_title, 1.1, bold=True)
        self.not_encrypted = QLabel(NOT_ENCRYPTED, self)
        self.not_encrypted.setObjectName("notEncrypted")
        self.not_encrypted.setWordWrap(True)
        self.not_encrypted.setStyleSheet(
            "QLabel#notEncrypted { background: #fff3cd; color: #5c3c00; padding: 8px; "
            "border: 1px solid #d39e00; font-weight: bold; }")
        self.report = QPlainTextEdit(self)
        self.report.setObjectName("exportReport")
        self.report.setReadOnly(True)
        # Never fewer than six lines of the report: with large text the page scrolls to
        # it rather than squeezing it to one line.
        self.report.setMinimumHeight(self.report.fontMetrics().lineSpacing() * 6
                                     + self.report.frameWidth() * 2 + 8)
        for widget in (self.report_title, self.not_encrypted, self.report):
            widget.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.progress_text)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.report_title)
        layout.addWidget(self.not_encrypted)
        layout.addWidget(self.report, 1)
        layout.addStretch(0)
        self.form.currentIndexChanged.connect(self._on_form_changed)
        self.format.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed(0)

    # -- the console's contract ----------------------------------------------------------
    def refresh(self) -> None:
        task = self._runner.run(read_choices, self._desk)
        task.finished.connect(self._on_choices)
        task.failed.connect(self._show_error)

    def _on_choices(self, choices: object) -> None:
        if not isinstance(choices, Choices):
            return
        current = self.form.currentData()
        self.form.blockSignals(True)
        self.form.clear()
        for f in choices.forms:
            if f.title is not None:  # exports need a stored version of the form
                self.form.addItem(self.tr("{0} · {1} records").format(f.display, f.records),
                                  f.form_id)
        self.form.setCurrentIndex(max(0, self.form.findData(current)))
        self.form.blockSignals(False)
        self._on_form_changed()

    def _on_form_changed(self, _index: int = 0) -> None:
        form_id = self.form.currentData()
        self.language.clear()
        if not isinstance(form_id, str):
            return
        task = self._runner.run(read_outline, self._desk, form_id)
        task.finished.connect(guarded(self, lambda outline: self._on_outline(form_id, outline)))
        task.failed.connect(self._show_error)

    def _on_outline(self, form_id: str, outline: object) -> None:
        if form_id != self.form.currentData() or not isinstance(outline, FormOutline):
            return
        self.language.clear()
        for language in outline.languages:
            self.language.addItem(language, language)
        if outline.default_language is not None:
            self.language.setCurrentIndex(max(0, self.language.findData(
                outline.default_language)))
        self.language.setEnabled(self.language.count() > 1)

    def _on_format_changed(self, _index: int) -> None:
        fmt = self.format.currentData()
        # SPSS and Stata always hold codes with value labels; raw cells are CSV's.
        self.values.setEnabled(fmt in ("csv", "xlsx", "parquet"))
        self.headers.setEnabled(fmt in ("csv", "xlsx", "parquet"))
        self.csv_raw.setEnabled(fmt == "csv")

    def _on_browse_clicked(self) -> None:
        chosen = files.choose_folder(self, self.tr("Export into"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    # -- exporting ---------------------------------------------------------------------
    def options(self) -> ExportOptions:
        fmt = self.format.currentData()
        return ExportOptions(headers=str(self.headers.currentData()),
                             values=str(self.values.currentData()),
                             group_prefix=self.group_prefix.isChecked(),
                             csv_raw=self.csv_raw.isChecked() and fmt == "csv")

    def start_export(self) -> None:
        form_id = self.form.currentData()
        folder = self.folder.text().strip()
        self.error.hide()
        if not isinstance(form_id, str):
            self._show_error(self.tr("Choose a form to export first."))
            return
        if not folder:
            self._show_error(self.tr("Choose the folder to save the files in first "
                                     "(Browse…)."))
            return
        statuses = [s for s, box in self.statuses.items() if box.isChecked()] or None
        language = self.language.currentData()
        self.export_button.setEnabled(False)
        for widget in (self.report_title, self.not_encrypted, self.report):
            widget.hide()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.progress_text.setText(self.tr("Reading records…"))
        self.progress_text.show()
        # On the write queue: the export adds an entry to the audit log.
        task = self._runner.write(self._desk.export, form_id, str(self.format.currentData()),
                                Path(folder), statuses=statuses,
                                language=language if isinstance(language, str) else None,
                                options=self.options(), with_progress=True,
                                attachments=self.attachments.isChecked())
        task.progress.connect(self._on_progress)
        task.finished.connect(self._on_finished)
        task.failed.connect(self._on_failed)

    def _on_progress(self, done: int, total: int, _text: str) -> None:
        if total and done >= total:
            # Every record read; the files are being written (no progress from there).
            self.progress.setRange(0, 0)
            self.progress_text.setText(self.tr("Writing the files…"))
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_text.setText(self.tr("{0} of {1} records read").format(done, total))

    def _on_finished(self, result: object) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()
        self.progress_text.hide()
        if not isinstance(result, ExportResult):
            return
        self.last_result = result
        self.report.setPlainText(report_text(result))
        for widget in (self.report_title, self.not_encrypted, self.report):
            widget.show()
        # With large text the page may scroll: the report and its warning come into view.
        reveal(self.report)

    def _on_failed(self, error: object) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()
        self.progress_text.hide()
        self._show_error(error)

    def _show_error(self, error: object) -> None:
        self.error.setText(message_for(error) if isinstance(error, BaseException)
                           else str(error))
        self.error.show()
