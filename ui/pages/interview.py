"""Interview mode (forms whose settings say ``style = interview``).

The guide's sections on the left; the current question large, with its probes (the
hint); a large notes area (the answer itself); the section's key-quote field beside it;
quick tags kept beside the notes as removable chips (Alt+1..Alt+5; Ctrl+K goes to the key
quote); a clock for the question and one for the whole interview. Everything typed is an
answer, so it is autosaved like any other; tags and, while recording, the recording's
position when each paragraph, tag and key quote was begun are kept with the record
(`NotesService`).
Screens that are not open questions (consent, the participant's details) show as in the
ordinary filler.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.notes import NoteKind, NoteMark, NotesService, NoteState
from qi_capture.services.recording import RecordingService
from qi_capture.services.screen import FormView, ScreenValue
from ui.controller import FormController
from ui.models.question_index import PathRole
from ui.models.sections import SectionListModel
from ui.pages.form_filler import FormFiller
from ui.widgets.editors.text import TextEditor
from ui.widgets.recording_bar import RecordingBar

QUICK_TAGS = ("barrier", "enabler", "example", "idea", "follow-up")
#: Alt+1..Alt+5 add the quick tags (Ctrl+digits are the admin console's pages; Alt+digit
#: is free in the filler and the main window). Ctrl+K goes to the key quote (Ctrl+Q quits).
TAG_KEYS = tuple(f"Alt+{n}" for n in range(1, len(QUICK_TAGS) + 1))
KEY_QUOTE_KEY = "Ctrl+K"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class InterviewFiller(FormFiller):
    def __init__(self, controller: FormController, title: str,
                 parent: QWidget | None = None,
                 spent: dict[str, float] | None = None,
                 recording: RecordingService | None = None,
                 record_id: uuid.UUID | None = None,
                 notes: NotesService | None = None) -> None:
        #: Seconds spent per screen before this sitting (from the paradata).
        self._spent: dict[str, float] = dict(spent or {})
        self._entered_key: str | None = None
        self._entered_at = time.monotonic()
        self.notes: QPlainTextEdit | None = None
        self.notes_path: str | None = None
        self.key_quote_path: str | None = None
        self.key_quote_box: QPlainTextEdit | None = None
        self.recording_bar: RecordingBar | None = None
        self.tag_chips: QFrame | None = None
        #: Read-only: when in the recording each note and the key quote were begun.
        self.note_times: QLabel | None = None
        self._notes_service = notes
        self._record_id = record_id
        self._note_state = NoteState()
        super().__init__(controller, title, parent)
        for tag, keys in zip(QUICK_TAGS, TAG_KEYS, strict=True):
            self._shortcut(keys, lambda _=False, t=tag: self.insert_tag(t))
        self._shortcut(KEY_QUOTE_KEY, self.go_to_key_quote)
        if recording is not None and record_id is not None and not self.read_only:
            # One bar for the whole interview (not per screen), so a recording goes on
            # across sections; closing the record stops and keeps it.
            self.recording_bar = RecordingBar(recording, record_id, self)
            outer = self.layout()
            assert isinstance(outer, QVBoxLayout)
            outer.insertWidget(1, self.recording_bar)
            self.close_requested.connect(self.recording_bar.stop)
        self.setObjectName("interviewFiller")
        self.clock_label = QLabel(self)
        self.clock_label.setObjectName("interviewClock")
        self.clock_label.setAccessibleName(self.tr("Elapsed time"))
        self.top_row.insertWidget(1, self.clock_label)
        #: Pause the clocks for a break or an interruption (the paradata's timing too).
        self.pause_button = QPushButton(self.tr("Pause clock"), self)
        self.pause_button.setObjectName("pauseClock")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(self.tr("Pause the clocks (Ctrl+Shift+K)"))
        # An action, not the button's shortcut: the button's text changes (which resets
        # a button's own shortcut to its mnemonic).
        self.pause_action = QAction(self.tr("Pause or resume the clock"), self)
        self.pause_action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.pause_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.pause_action.triggered.connect(self._on_pause_action_triggered)
        self.addAction(self.pause_action)
        self.pause_button.toggled.connect(self._on_pause_button_toggled)
        self.pause_button.setVisible(not self.read_only)
        self.top_row.insertWidget(2, self.pause_button)
        self._paused = False
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._on_ticker_timeout)
        if not self.read_only:
            self._ticker.start()
        self.index_action.setText(self.tr("Go to the &sections"))

    def _shortcut(self, keys: str, slot: object) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def before_finalise(self) -> None:
        """A recording running at finalise is stopped and kept with the record."""
        if self.recording_bar is not None:
            self.recording_bar.stop()

    # --- the side: sections instead of every question ------------------------------------
    def _build_side(self) -> QWidget:
        side = super()._build_side()
        self.sections_model = SectionListModel(self)
        self.sections_view = QListView(side)
        self.sections_view.setObjectName("sectionsList")
        self.sections_view.setModel(self.sections_model)
        self.sections_view.setWordWrap(True)
        self.sections_view.setSpacing(2)
        self.sections_view.setAccessibleName(self.tr("Sections of the interview"))
        self.sections_view.activated.connect(self._on_sections_view_activated)
        self.sections_view.clicked.connect(self._on_sections_view_activated)
        layout = side.layout()
        assert isinstance(layout, QVBoxLayout)
        first = layout.itemAt(0)
        title = first.widget() if first is not None else None
        if isinstance(title, QLabel):
            title.setText(self.tr("Sections"))
            title.setBuddy(self.sections_view)
        self.index_view.hide()
        layout.insertWidget(1, self.sections_view, 1)
        return side

    def _on_index_action_triggered(self) -> None:
        self.sections_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _on_sections_view_activated(self, index: QModelIndex) -> None:
        path = index.data(PathRole)
        if isinstance(path, str):
            self._go_to(path)

    def _refresh_chrome(self, view: FormView, screen: ScreenValue) -> None:
        super()._refresh_chrome(view, screen)
        self.sections_model.set_entries(list(view.sections))
        if self.recording_bar is not None:
            self.recording_bar.set_consent(view.recording_consent)
        if screen.key != self._entered_key:
            now = time.monotonic()
            if self._entered_key is not None and not self._paused:
                self._spent[self._entered_key] = (self._spent.get(self._entered_key, 0.0)
                                                  + now - self._entered_at)
            self._entered_key = screen.key
            self._entered_at = now
            if self._paused:  # moving on is working again: the session times it anew
                self._set_paused(False, tell=False)
        self._on_ticker_timeout()

    # --- clocks -------------------------------------------------------------------------
    def _running(self) -> float:
        if not self._entered_key or self.read_only or self._paused:
            return 0.0
        return time.monotonic() - self._entered_at

    def question_seconds(self) -> float:
        return self._spent.get(self._entered_key or "", 0.0) + self._running()

    def interview_seconds(self) -> float:
        return sum(self._spent.values()) + self._running()

    def _on_ticker_timeout(self) -> None:
        text = self.tr("This question {0} · Interview {1}").format(
            _clock(self.question_seconds()), _clock(self.interview_seconds()))
        if self._paused:
            text = self.tr("{0} (paused)").format(text)
        self.clock_label.setText(text)

    def _on_pause_action_triggered(self) -> None:
        if not self.read_only:
            self.pause_button.toggle()

    def _on_pause_button_toggled(self, paused: bool) -> None:
        if paused != self._paused:
            self._set_paused(paused, tell=True)

    def _set_paused(self, paused: bool, *, tell: bool) -> None:
        now = time.monotonic()
        if paused and self._entered_key is not None:
            # Bank the time so far; nothing runs until the clock is resumed.
            self._spent[self._entered_key] = (self._spent.get(self._entered_key, 0.0)
                                              + now - self._entered_at)
        self._entered_at = now
        self._paused = paused
        was = self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.setText(self.tr("Resume clock") if paused else self.tr("Pause clock"))
        self.pause_button.blockSignals(was)
        if tell:
            if paused:
                self.controller.pause_timing()
            else:
                self.controller.resume_timing()
        self._on_ticker_timeout()

    # --- the interview layout for open questions -----------------------------------------
    def _build_questions(self, form: FormView, screen: ScreenValue, body: QWidget,
                         layout: QVBoxLayout) -> None:
        self.notes = None
        self.notes_path = None
        self.key_quote_path = None
        self.key_quote_box = None
        self.tag_chips = None
        if not screen.open_question:
            super()._build_questions(form, screen, body, layout)
            return
        if screen.section:
            crumb = QLabel(screen.section_title, body)
            crumb.setObjectName("sectionCrumb")
            layout.addWidget(crumb)
        view = self._make_view(screen.questions[0], body, label_scale=1.35)
        view.hint.setObjectName("probes")
        if view.hint.text():
            view.hint.setText(view.hint.text())
        editor = view.editor
        if isinstance(editor, TextEditor) and editor.box is not None:
            self.notes = editor.box
            self.notes_path = screen.questions[0].path
            editor.box.setMinimumHeight(editor.fontMetrics().lineSpacing() * 12)
            editor.box.setPlaceholderText(self.tr("Notes: what the participant says"))
            editor.box.textChanged.connect(self._on_notes_text_changed)
        layout.addWidget(view, 3)
        if not self.read_only:
            layout.addWidget(self._tags_row(body))
        self.note_times = None
        if self._notes_service is not None and self._record_id is not None:
            # Read-only too: the tags as chips (not removable) and the times in the
            # recording at which each note was begun, as they were kept.
            self.tag_chips = QFrame(body)
            self.tag_chips.setObjectName("tagChips")
            chips = QHBoxLayout(self.tag_chips)
            chips.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.tag_chips)
            self._note_state = self._notes_service.state(self._record_id)
            self._refresh_chips()
            if self.read_only:
                self.note_times = self._note_times_label(body, form)
                if self.note_times is not None:
                    layout.addWidget(self.note_times)
        if form.key_quote is not None:
            self.key_quote_path = form.key_quote.path
            quote = self._make_view(form.key_quote, body, label_scale=1.0)
            quote.setObjectName("keyQuote")
            if isinstance(quote.editor, TextEditor) and quote.editor.box is not None:
                self.key_quote_box = quote.editor.box
                quote.editor.box.setMinimumHeight(quote.fontMetrics().lineSpacing() * 3)
                quote.editor.box.setMaximumHeight(quote.fontMetrics().lineSpacing() * 5)
                quote.editor.box.setToolTip(self.tr("Key quote ({0})").format(KEY_QUOTE_KEY))
                quote.editor.box.textChanged.connect(self._on_key_quote_text_changed)
            layout.addWidget(quote, 1)

    def _tags_row(self, parent: QWidget) -> QWidget:
        row = QFrame(parent)
        row.setObjectName("quickTags")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("Quick tags:"), row))
        for tag, keys in zip(QUICK_TAGS, TAG_KEYS, strict=True):
            button = QPushButton(f"#{tag}", row)
            button.setObjectName(f"tag_{tag}")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setToolTip(self.tr("Tag the notes #{0} ({1})").format(tag, keys))
            button.clicked.connect(lambda _=False, t=tag: self.insert_tag(t))
            layout.addWidget(button)
        layout.addStretch(1)
        return row

    def insert_tag(self, tag: str) -> None:
        """Tag the notes ``tag``: kept beside the text as a chip (stamped with the
        recording's position while recording). Without a notes service (a screen not
        tied to a stored record) ``#tag`` goes into the text at the cursor instead."""
        if self.notes is None or self.read_only:
            return
        if (self._notes_service is not None and self._record_id is not None
                and self.notes_path is not None):
            self._notes_service.add_tag(self._record_id, self.notes_path, tag)
            self._note_state = self._notes_service.state(self._record_id)
            self._refresh_chips()
            self.notes.setFocus()
            return
        cursor = self.notes.textCursor()
        before = self.notes.toPlainText()[: cursor.position()]
        prefix = "" if not before or before.endswith((" ", "\n")) else " "
        cursor.insertText(f"{prefix}#{tag} ")
        self.notes.setTextCursor(cursor)
        self.notes.setFocus()

    def remove_tag(self, index: int) -> None:
        """Remove the notes' quick tag ``index`` (its chip's cross)."""
        if (self._notes_service is None or self._record_id is None
                or self.notes_path is None):
            return
        self._notes_service.remove_tag(self._record_id, self.notes_path, index)
        self._note_state = self._notes_service.state(self._record_id)
        self._refresh_chips()

    def go_to_key_quote(self) -> None:
        if self.key_quote_box is not None:
            self.key_quote_box.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _mark_of(self, path: str, kind: str, index: int) -> NoteMark | None:
        return next((m for m in self._note_state.marks
                     if (m.path, m.kind, m.index) == (path, kind, index)), None)

    def _refresh_chips(self) -> None:
        frame = self.tag_chips
        if frame is None or self.notes_path is None:
            return
        layout = frame.layout()
        assert isinstance(layout, QHBoxLayout)
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # gone now, not at the next turn of the event loop
                widget.deleteLater()
        tags = self._note_state.tags.get(self.notes_path, ())
        title = QLabel(self.tr("Tags on these notes:") if tags
                       else self.tr("No tags on these notes yet"), frame)
        layout.addWidget(title)
        if self.read_only:
            title.setText(self.tr("Tags on these notes:") if tags
                          else self.tr("No tags on these notes"))
        for tag in tags:
            mark = self._mark_of(tag.path, "tag", tag.index)
            text = f"#{tag.tag}" + (f"  {_clock(mark.position_ms / 1000)}" if mark else "")
            if self.read_only:
                shown = QLabel(text, frame)
                shown.setObjectName(f"chip_{tag.index}")
                shown.setProperty("chip", True)
                shown.setAccessibleName(self.tr("Tag {0}").format(tag.tag))
                if mark:
                    shown.setToolTip(self.tr("Tagged at {0} in the recording.").format(
                        _clock(mark.position_ms / 1000)))
                shown.setStyleSheet("QLabel { border: 1px solid #8a8886; border-radius: 10px;"
                                    " padding: 2px 10px; background: #f3f2f1; }")
                layout.addWidget(shown)
                continue
            chip = QPushButton(f"{text}  \u00d7", frame)
            chip.setObjectName(f"chip_{tag.index}")
            chip.setProperty("chip", True)
            chip.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            chip.setAccessibleName(self.tr("Tag {0}").format(tag.tag))
            chip.setToolTip(
                (self.tr("Tagged at {0} in the recording. ").format(
                    _clock(mark.position_ms / 1000)) if mark else "")
                + self.tr("Click to remove the tag."))
            chip.setStyleSheet("QPushButton { border: 1px solid #8a8886; border-radius: 10px;"
                               " padding: 2px 10px; background: #f3f2f1; }")
            chip.clicked.connect(lambda _=False, i=tag.index: self.remove_tag(i))
            layout.addWidget(chip)
        layout.addStretch(1)

    def _note_times_label(self, parent: QWidget, form: FormView) -> QLabel | None:
        """Read-only: the recording's time at which each note paragraph and the key
        quote were begun (None when none was stamped)."""
        paths = {self.notes_path: self.tr("Note {0}"),
                 form.key_quote.path if form.key_quote is not None else None:
                     self.tr("Key quote {0}")}
        marks = sorted((m for m in self._note_state.marks
                        if m.kind in ("paragraph", "quote") and m.path in paths),
                       key=lambda m: (m.kind != "paragraph", m.index))
        if not marks:
            return None
        parts = []
        for m in marks:
            name = paths[m.path]
            number = str(m.index + 1) if m.kind == "paragraph" else ""
            parts.append(self.tr("{0} at {1}").format(name.format(number).strip(),
                                                       _clock(m.position_ms / 1000)))
        label = QLabel(self.tr("In the recording: {0}").format("; ".join(parts)), parent)
        label.setObjectName("noteTimes")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                      | Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # --- marks: where in the recording each paragraph and quote was begun ------------------
    def _stamp(self, box: QPlainTextEdit, path: str | None, kind: NoteKind) -> None:
        if (self._notes_service is None or self._record_id is None or path is None
                or self.recording_bar is None or self.recording_bar.state != "recording"):
            return
        block = box.textCursor().block()
        index = block.blockNumber()
        if not block.text().strip() or self._mark_of(path, kind, index) is not None:
            return
        mark = self._notes_service.mark(self._record_id, path, kind, index)
        if mark is not None:
            self._note_state = replace(self._note_state,
                                       marks=(*self._note_state.marks, mark))

    def _on_notes_text_changed(self) -> None:
        if self.notes is not None:
            self._stamp(self.notes, self.notes_path, "paragraph")

    def _on_key_quote_text_changed(self) -> None:
        if self.key_quote_box is not None:
            self._stamp(self.key_quote_box, self.key_quote_path, "quote")
