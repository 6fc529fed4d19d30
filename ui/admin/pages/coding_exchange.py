"""The codebook panel's "Import / export" menu: the study's coding written as a REFI-QDA
project (.qdpx, for NVivo, ATLAS.ti, MAXQDA or QualCoder), a codebook (.qdc or CSV) or
the coded passages (CSV); a .qdpx project, or a .qdc or CSV codebook, made elsewhere
brought in.
Files are chosen with the platform's dialog (`ui.dialogs.files`), the work done by
`CodingDesk.export` / `import_file` on the serial queue."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from qi_capture.services.admin.coding_values import ExchangeResult
from ui.admin.pages.coding_session import CodingSession
from ui.dialogs import files

#: format -> (menu text, file filter, suffix).
EXPORTS = {
    "qdpx": ("Export the project (.qdpx)…", "REFI-QDA project (*.qdpx)", ".qdpx"),
    "qdc": ("Export the codebook (.qdc)…", "REFI-QDA codebook (*.qdc)", ".qdc"),
    "codebook-csv": ("Export the codebook (CSV)…", "CSV file (*.csv)", ".csv"),
    "csv": ("Export the coded passages (CSV)…", "CSV file (*.csv)", ".csv"),
}


class ExchangeButton(QPushButton):
    #: A short note of what was done.
    said = Signal(str)
    #: An export or import finished (its `ExchangeResult`).
    exchanged = Signal(object)

    def __init__(self, session: CodingSession, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("&Import / export"), parent)
        self.setObjectName("codingExchange")
        self.session = session
        menu = QMenu(self)
        for fmt, (text, _filter, _suffix) in EXPORTS.items():
            menu.addAction(self.tr(text), partial(self.ask_export, fmt))
        menu.addSeparator()
        menu.addAction(self.tr("Import a project or codebook (.qdpx, .qdc, .csv)…"),
                       self.ask_import)
        self.setMenu(menu)

    def ask_export(self, fmt: str) -> None:
        text, filters, suffix = EXPORTS[fmt]
        path = files.choose_save_file(self, self.tr(text).rstrip("…"),
                                      str(Path.home() / f"coding{suffix}"), self.tr(filters))
        if path:
            self.export_to(fmt, Path(path) if Path(path).suffix else Path(path + suffix))

    def export_to(self, fmt: str, path: Path) -> None:
        coding = self.session.coding
        if coding is not None:
            self.said.emit(self.tr("Writing {0}…").format(path.name))
            self.session.call(coding.export, fmt, path, owner=self, done=self._on_exported)

    def _on_exported(self, result: object) -> None:
        if isinstance(result, ExchangeResult):
            self.said.emit(self.tr(
                "Wrote {0}: {1} codes, {2} codings, {3} memos. The file is not encrypted: "
                "keep it where the study's data may be kept.").format(
                    result.path, result.codes, result.codings, result.memos))
            self.exchanged.emit(result)

    def ask_import(self) -> None:
        path = files.choose_file(self, self.tr("Import coding"), str(Path.home()),
                                 self.tr("Project or codebook (*.qdpx *.qdc *.csv)"))
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> None:
        coding = self.session.coding
        if coding is not None:
            self.said.emit(self.tr("Reading {0}…").format(path.name))
            self.session.call(coding.import_file, path, owner=self, changes=True,
                              done=self._on_imported)

    def _on_imported(self, result: object) -> None:
        if isinstance(result, ExchangeResult):
            self.said.emit(self.tr(
                "Imported: {0} new codes, {1} new codings ({2} codes and {3} codings in "
                "the file).").format(result.new_codes, result.new_codings, result.codes,
                                     result.codings))
            self.exchanged.emit(result)
