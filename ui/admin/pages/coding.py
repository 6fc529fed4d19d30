"""Coding: thematic coding of the study's interviews (issue 17), through `CodingDesk`.

The codebook on the left (`CodebookPanel`); on the right, in tabs: the transcript with
its codes in the margin, where passages are coded (`TranscriptPanel`); the chosen code's
passages, each a jump back into its transcript (`PassagesPanel`); two coders compared
(`ComparePanel`); the codes-by-group matrix (`MatrixPanel`). Changes are made as the
coder named at the top (the admin's name at first): two analysts code separately under
their own names and compare.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.coding_values import CodedPassage
from ui.admin.pages.coding_codebook import CodebookPanel
from ui.admin.pages.coding_compare import ComparePanel
from ui.admin.pages.coding_matrix import MatrixPanel
from ui.admin.pages.coding_passages import PassagesPanel
from ui.admin.pages.coding_session import CodingSession, buddy_label
from ui.admin.pages.coding_transcript import TranscriptPanel
from ui.admin.pages.title import page_title
from ui.tasks import TaskRunner


class CodingPage(QWidget):
    status_changed = Signal(str)

    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminCodingPage")
        self.session = CodingSession(desk, runner, self)
        title = page_title(self.tr("Coding"), self)
        self.coder = QLineEdit(self)
        self.coder.setAccessibleName(self.tr("Coding as"))
        self.coder.setToolTip(self.tr("Each coding records who made it: two analysts code "
                                      "under their own names, then compare."))
        self.coder.setMaximumWidth(self.fontMetrics().averageCharWidth() * 24)
        self.error = QLabel(self)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()

        self.codebook = CodebookPanel(self.session, self)
        self.transcript = TranscriptPanel(self.session, self)
        self.passages = PassagesPanel(self.session, self)
        self.compare = ComparePanel(self.session, self)
        self.matrix = MatrixPanel(self.session, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("codingTabs")
        self.tabs.addTab(self.transcript, self.tr("&Transcript"))
        self.tabs.addTab(self.passages, self.tr("Code's &passages"))
        self.tabs.addTab(self.compare, self.tr("Compare co&ders"))
        self.tabs.addTab(self.matrix, self.tr("Matri&x"))

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(buddy_label(self.tr("C&oding as"), self, self.coder))
        top.addWidget(self.coder)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.codebook)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self._sized = False
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.splitter, 1)

        self.coder.editingFinished.connect(self._on_coder_edited)
        self.session.opened.connect(self._on_opened)
        self.session.failed.connect(self._show_error)
        for panel in (self.codebook, self.transcript, self.passages, self.compare):
            panel.said.connect(self._say)
        self.codebook.code_selected.connect(self.passages.show_code)
        self.passages.jump_requested.connect(self.jump_to)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.session.codings_changed.connect(self._on_codings_changed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # The codebook as wide as its names need (some 30 characters and the two
            # counts), but never more than two fifths: the transcript needs the room.
            self._sized = True
            char = self.fontMetrics().averageCharWidth()
            total = max(self.splitter.width(), 1)
            left = max(self.codebook.minimumSizeHint().width(),
                       min(char * 56, total * 2 // 5))
            self.splitter.setSizes([left, total - left])

    # -- the console's contract ------------------------------------------------------------
    def refresh(self) -> None:
        """Open the coding desk the first time; later, read the codebook and the tab on
        show again (others may have merged new interviews)."""
        if self.session.coding is None:
            self.session.open(self.coder.text().strip() or None)
            return
        self.session.reload_codebook()
        self.transcript.load_interviews()
        self._on_tab_changed(self.tabs.currentIndex())

    def _on_opened(self) -> None:
        self.error.hide()
        self.coder.setText(self.session.coder)
        self._on_tab_changed(self.tabs.currentIndex())

    def _on_coder_edited(self) -> None:
        name = self.coder.text().strip()
        if name and name != self.session.coder:
            self.session.open(name)
            self._say(self.tr("Coding as {0}.").format(name))

    def _on_tab_changed(self, _index: int) -> None:
        page = self.tabs.currentWidget()
        if page is self.matrix:
            self.matrix.reload()
        elif page is self.compare:
            self.compare.load_coders()

    def _on_codings_changed(self) -> None:
        if self.tabs.currentWidget() is self.matrix:
            self.matrix.reload()

    # -- jumps -----------------------------------------------------------------------------
    def jump_to(self, passage: object) -> None:
        """Show a coded passage in its transcript, selected."""
        if not isinstance(passage, CodedPassage):
            return
        c = passage.coding
        self.tabs.setCurrentWidget(self.transcript)
        if c.start_ms is not None:  # a stretch of the recording: play it
            self.transcript.play_stretch(c.record_id, c.start_ms)
            return
        self.transcript.open_interview(c.record_id, (c.field, c.start, c.end))
        self.transcript.view.setFocus()

    def _say(self, text: str) -> None:
        self.error.hide()
        self.status_changed.emit(text)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
