"""The Coding page's transcript panel: the study's interviews (name, stakeholder group,
footprint), the chosen one read as a transcript with its codes in the margin, and the
coding itself: select a passage (mouse, or Shift+arrows), press Ctrl+K (or use the
context menu, Shift+F10 / the Menu key) and pick one or more codes; take a code off,
confirm or undo a coding from the field, write a memo on a passage (Ctrl+M). With a
recording, a stretch of it is coded from the player (`coding_stretches`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import QItemSelection, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin.coding_values import FIELD_CODER, Coding, InterviewRef, Transcript
from qi_capture.services.admin.errors import RecordingNotFound
from qi_capture.services.admin.playback import PlaybackSession
from ui.admin.models.coding import InterviewsModel
from ui.admin.pages.coding_picker import CodePicker
from ui.admin.pages.coding_session import CodingSession
from ui.admin.pages.coding_stretches import StretchPanel
from ui.admin.pages.column_fit import ColumnFit
from ui.admin.pages.transcript_view import CodeMargin, TranscriptView
from ui.tasks import guarded
from ui.widgets.player import Player, clock

#: How many codes the context menu offers by name (the rest through the picker).
QUICK_CODES = 8


class TranscriptPanel(QWidget):
    #: A short note of what was done.
    said = Signal(str)

    def __init__(self, session: CodingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codingTranscript")
        self.session = session
        self._asked = 0
        self._reselect: tuple[str, int, int] | None = None
        self._pending: uuid.UUID | None = None
        self.picker: CodePicker | None = None

        self.interviews = InterviewsModel(self)
        self.list = QTableView(self)
        self.list.setObjectName("codingInterviews")
        self.list.setAccessibleName(self.tr("Interviews"))
        self.list.setModel(self.interviews)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.verticalHeader().hide()
        self.list.setWordWrap(False)
        # Interview, stakeholder group, footprint, review state.
        self.fit = ColumnFit(self.list, (36, 24, 20, 12))

        self.heading = QLabel(self.tr("Choose an interview."), self)
        self.heading.setObjectName("transcriptHeading")
        self.heading.setWordWrap(True)
        self.view = TranscriptView(self)
        # The interview's recording, when it has one: listen while coding its notes.
        self.player = Player(self)
        self.player.hide()
        self._player_record: uuid.UUID | None = None
        #: A stretch to play once its interview's recording is open (record, ms).
        self._play_at: tuple[uuid.UUID, int] | None = None
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.margin = CodeMargin(self.view, self)
        self.stretches = StretchPanel(self.player, self.margin.label, self)
        self.stretches.hide()
        self.code_button = QPushButton(self.tr("Code the se&lection…"), self)
        self.code_button.setToolTip(self.tr("Ctrl+K"))
        self.memo_button = QPushButton(self.tr("Memo on the pa&ssage…"), self)
        self.memo_button.setToolTip(self.tr("Ctrl+M"))
        self.hint = QLabel(self.tr("Select words (Shift+arrows), Ctrl+K to code them; "
                                   "Shift+F10 on a coded passage for more. “field?”: "
                                   "tagged in the field, to confirm."), self)
        self.hint.setObjectName("questionHint")
        self.hint.setWordWrap(True)

        for text, keys, slot in ((self.tr("Code the selection…"), "Ctrl+K", self.pick_codes),
                                 (self.tr("Memo on the passage…"), "Ctrl+M",
                                  self.edit_passage_memo)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

        reading = QWidget(self)
        text_row = QHBoxLayout()
        text_row.setSpacing(0)
        text_row.addWidget(self.view, 5)
        text_row.addWidget(self.margin, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.code_button)
        buttons.addWidget(self.memo_button)
        buttons.addStretch(1)
        reading_layout = QVBoxLayout(reading)
        reading_layout.setContentsMargins(0, 0, 0, 0)
        reading_layout.addWidget(self.heading)
        reading_layout.addWidget(self.player)
        reading_layout.addWidget(self.stretches)
        reading_layout.addLayout(text_row, 1)
        reading_layout.addLayout(buttons)
        reading_layout.addWidget(self.hint)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(reading)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        line = self.fontMetrics().height()
        self.splitter.setSizes([line * 6, line * 30])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.list.selectionModel().selectionChanged.connect(self._on_list_selection_changed)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu)
        self.margin.coding_clicked.connect(self._on_margin_coding_clicked)
        self.code_button.clicked.connect(self.pick_codes)
        self.stretches.code_requested.connect(self.pick_stretch_codes)
        self.memo_button.clicked.connect(self.edit_passage_memo)
        session.opened.connect(self.load_interviews)
        session.codings_changed.connect(self.reload)
        session.codebook_loaded.connect(self._on_codebook_loaded)

    # -- interviews -----------------------------------------------------------------------
    def load_interviews(self) -> None:
        coding = self.session.coding
        if coding is not None:
            self.session.call(coding.interviews, done=self._on_interviews, owner=self)

    def _on_interviews(self, rows: object) -> None:
        if not isinstance(rows, tuple):
            return
        current = self.current_record()
        self.interviews.set_interviews(rows)
        row = self.interviews.row_of(current) if current is not None else -1
        if row < 0 and rows:
            row = 0
        if row >= 0:
            self.list.selectRow(row)

    def current_record(self) -> uuid.UUID | None:
        t = self.view.transcript
        return None if t is None else t.record_id

    def _on_list_selection_changed(self, selected: QItemSelection, _old: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            ref: InterviewRef = self.interviews.interview_at(indexes[0].row())
            if ref.record_id not in (self.current_record(), self._pending):
                self.open_interview(ref.record_id)

    def open_interview(self, record_id: uuid.UUID,
                       select: tuple[str, int, int] | None = None) -> None:
        """Read the interview's transcript (and select a passage in it once shown)."""
        coding = self.session.coding
        if coding is None:
            return
        self._asked += 1
        asked = self._asked
        self._reselect = select
        # Selecting its row (a jump from elsewhere) must not ask for it a second time.
        self._pending = record_id
        row = self.interviews.row_of(record_id)
        if row >= 0 and self.list.currentIndex().row() != row:
            self.list.selectRow(row)
        self.session.call(coding.transcript, record_id, owner=self,
                          done=lambda t: self._on_transcript(asked, t))

    def reload(self) -> None:
        """Read the shown transcript again (codings changed), keeping the selection."""
        record = self.current_record()
        if record is None:
            return
        passage = self.view.passage()
        self.open_interview(record, (passage.field, passage.start, passage.end)
                            if passage is not None else None)

    def _on_transcript(self, asked: int, transcript: object) -> None:
        if asked != self._asked or not isinstance(transcript, Transcript):
            return
        self._pending = None
        self.margin.coder = self.session.coder
        self.view.show_transcript(transcript, self.session.codes)
        self.stretches.show_codings(transcript.codings)
        # Group and footprint are on the interview's row just above.
        self.heading.setText(self.tr("{0}: {1} codings").format(transcript.name,
                                                                len(transcript.codings)))
        if self._reselect is not None:
            self.view.select(*self._reselect)
            self._reselect = None
        self._open_recording(transcript.record_id)

    # -- the recording --------------------------------------------------------------------
    def play_stretch(self, record_id: uuid.UUID, start_ms: int) -> None:
        """Show the interview and play its recording from ``start_ms`` (a coded stretch
        chosen among a code's passages)."""
        self._play_at = (record_id, start_ms)
        if record_id == self.current_record() and self.player.session is not None:
            self._play_pending()
        else:
            self.open_interview(record_id)

    def _play_pending(self) -> None:
        if self._play_at is not None and self._play_at[0] == self._player_record \
                and self.player.session is not None:
            self.player.play_from(self._play_at[1])
            self._play_at = None

    def _open_recording(self, record_id: uuid.UUID) -> None:
        if record_id == self._player_record:
            return  # the same interview read again (codings changed): keep playing
        self._player_record = record_id
        self.player.set_session(None)
        self.player.hide()
        self.stretches.cancel()
        self.stretches.hide()
        task = self.session.runner.run(self.session.desk.open_recording, record_id)
        task.finished.connect(guarded(self, lambda s: self._on_recording(record_id, s)))
        task.failed.connect(guarded(self, lambda e: self._on_recording_failed(record_id, e)))

    def _on_recording(self, record_id: uuid.UUID, session: object) -> None:
        if not isinstance(session, PlaybackSession):
            return
        if record_id != self._player_record:
            session.close()
            return
        self.player.set_session(session)
        self.player.show()
        self.stretches.show()
        self._play_pending()

    def _on_recording_failed(self, record_id: uuid.UUID, error: object) -> None:
        if record_id != self._player_record or isinstance(error, RecordingNotFound):
            return  # most interviews are not recorded: nothing to show
        if isinstance(error, BaseException):
            self.player.show()
            self.player.show_error(error)

    def _on_codebook_loaded(self) -> None:
        # New names or colours: draw the margin and washes with them.
        if self.view.transcript is not None:
            self.view.show_transcript(self.view.transcript, self.session.codes)

    # -- coding ---------------------------------------------------------------------------
    def pick_codes(self) -> None:
        """Open the code picker for the selected passage (Ctrl+K)."""
        if self.view.passage() is None:
            self._say_no_passage()
            return
        picker = CodePicker(self.tr("Code the passage"),
                            self.tr("Codes for: “{0}”").format(_short(self.view.passage())),
                            self.session.live_codes(), parent=self)
        picker.accepted.connect(lambda: self.apply_codes([c.guid for c in picker.chosen()]))
        picker.finished.connect(lambda _r: picker.deleteLater())
        self.picker = picker
        picker.open()

    def apply_codes(self, codes: Sequence[uuid.UUID]) -> bool:
        """Apply ``codes`` to the selected passage; False when nothing is selected."""
        coding, transcript = self.session.coding, self.view.transcript
        passage = self.view.passage()
        if coding is None or transcript is None or passage is None:
            self._say_no_passage()
            return False
        if not codes:
            return False
        names = ", ".join(self.session.name(c) for c in codes)
        self._reselect = (passage.field, passage.start, passage.end)
        self.session.call(coding.apply_codes, transcript.record_id, passage.field,
                          passage.start, passage.end, list(codes), changes=True,
                          done=lambda _r: self.said.emit(self.tr("Coded as {0}.").format(names)))
        return True

    def pick_stretch_codes(self, start_ms: int, end_ms: int) -> None:
        """Open the code picker for a stretch of the recording (from `StretchPanel`)."""
        picker = CodePicker(self.tr("Code the stretch"),
                            self.tr("Codes for the recording from {0} to {1}")
                            .format(clock(start_ms), clock(end_ms)),
                            self.session.live_codes(), parent=self)
        picker.accepted.connect(lambda: self.code_stretch(
            start_ms, end_ms, [c.guid for c in picker.chosen()]))
        picker.finished.connect(lambda _r: picker.deleteLater())
        self.picker = picker
        picker.open()

    def code_stretch(self, start_ms: int, end_ms: int, codes: Sequence[uuid.UUID]) -> bool:
        """Apply ``codes`` to the stretch ``[start_ms, end_ms)`` of the shown interview's
        recording; False when there is nothing to code."""
        coding, transcript = self.session.coding, self.view.transcript
        if coding is None or transcript is None or not codes:
            return False
        names = ", ".join(self.session.name(c) for c in codes)
        self.session.call(coding.code_recording, transcript.record_id, start_ms, end_ms,
                          list(codes), changes=True,
                          done=lambda _r: self.said.emit(
                              self.tr("{0}–{1} coded as {2}.").format(
                                  clock(start_ms), clock(end_ms), names)))
        return True

    def _say_no_passage(self) -> None:
        self.said.emit(self.tr("Select a passage within one answer first (drag, or Shift "
                               "and the arrow keys)."))

    def remove(self, coding: Coding) -> None:
        desk = self.session.coding
        if desk is not None:
            self.session.call(desk.remove_coding, coding.guid, changes=True,
                              done=lambda _r: self.said.emit(self.tr("Code taken off.")))

    def confirm(self, coding: Coding) -> None:
        desk = self.session.coding
        if desk is not None:
            self.session.call(desk.confirm_coding, coding.guid, changes=True,
                              done=lambda _r: self.said.emit(
                                  self.tr("Coding from the field confirmed.")))

    def undo(self, coding: Coding) -> None:
        desk = self.session.coding
        if desk is not None:
            self.session.call(desk.undo_coding, coding.guid, changes=True,
                              done=lambda _r: self.said.emit(
                                  self.tr("Coding from the field undone.")))

    def set_passage_memo(self, coding: Coding, text: str) -> None:
        desk = self.session.coding
        if desk is not None:
            self.session.call(desk.set_memo, text, passage=coding.passage, changes=True,
                              done=lambda _r: self.said.emit(self.tr("Memo saved.")))

    def edit_passage_memo(self) -> None:
        """Write the memo of the coded passage under the caret (Ctrl+M)."""
        here = self.view.codings_here()
        if not here:
            self.said.emit(self.tr("Put the caret in a coded passage to write its memo."))
            return
        coding = here[0]
        text, ok = QInputDialog.getMultiLineText(
            self, self.tr("Memo on the passage"),
            self.tr("Memo on “{0}” (empty: no memo)").format(_clip(coding.text)),
            coding.memo or "")
        if ok:
            self.set_passage_memo(coding, text)

    # -- menus ----------------------------------------------------------------------------
    def context_menu(self) -> QMenu:
        """The menu at the caret: code the selection (by name or through the picker),
        and for each coding under the caret, what can be done to it."""
        menu = QMenu(self)
        selected = self.view.passage() is not None
        pick = menu.addAction(self.tr("Code the selection…"), self.pick_codes)
        pick.setShortcut(QKeySequence("Ctrl+K"))
        pick.setEnabled(selected)
        if selected:
            for code, path in self.session.live_codes()[:QUICK_CODES]:
                menu.addAction(self.tr("Code as {0}").format(path),
                               partial(self.apply_codes, [code.guid]))
        here = self.view.codings_here()
        if here:
            menu.addSeparator()
        for coding in here:
            sub = menu.addMenu(self.margin.label(coding))
            if coding.origin == "field" and coding.coder == FIELD_CODER:
                if not coding.confirmed:
                    sub.addAction(self.tr("Confirm"), partial(self.confirm, coding))
                sub.addAction(self.tr("Undo"), partial(self.undo, coding))
            else:
                sub.addAction(self.tr("Take the code off"), partial(self.remove, coding))
            sub.addAction(self.tr("Memo on the passage…"),
                          partial(self._memo_for, coding))
        return menu

    def _memo_for(self, coding: Coding) -> None:
        text, ok = QInputDialog.getMultiLineText(
            self, self.tr("Memo on the passage"),
            self.tr("Memo on “{0}” (empty: no memo)").format(_clip(coding.text)),
            coding.memo or "")
        if ok:
            self.set_passage_memo(coding, text)

    def _on_view_context_menu(self, point: QPoint) -> None:
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.viewport().mapToGlobal(point))

    def _on_margin_coding_clicked(self, coding: object) -> None:
        if isinstance(coding, Coding):
            self.view.select(coding.field, coding.start, coding.end)
            self.view.setFocus()


def _clip(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _short(passage: object) -> str:
    text = getattr(passage, "text", "")
    return _clip(text if isinstance(text, str) else "")
