"""One record as the admin reads it: its answers as the questionnaire shows them (labels
in the chosen language, groups and repeat instances as headings, notes, an interview's
key quotes set apart, attachments listed), its revision history (who, when, what
changed) and its review: has issues, approved or rejected, with a comment, kept with the
record and in the audit log (`AdminDesk.set_review`, on the serial write queue).

Everything the view shows comes from one `RecordDetail` read off the UI thread.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.dto import DisplaySection, NoteMark, RecordDetail, ReviewInfo
from qi_capture.services.admin.playback import PlaybackSession
from ui.dialogs.erase import EraseDialog
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded
from ui.widgets.fonts import scale_font
from ui.widgets.player import Player, clock

#: The review actions offered, (status, button text); "received" is the state before any.
REVIEW_ACTIONS = (("has_issues", "Has &issues"), ("approved", "&Approve"),
                  ("rejected", "Re&ject"))


def _is_quote(path: str) -> bool:
    """An interview's key quote: the guide names those questions key_quote_*."""
    return path.rsplit("/", 1)[-1].startswith("key_quote")


#: A note's time link: ``play:<milliseconds>`` (the view plays from there when clicked).
PLAY_SCHEME = "play"


def _play_link(ms: int, what: str = "") -> str:
    label = f"▶ {clock(ms)}" + (f" {html.escape(what)}" if what else "")
    return (f"<a href='{PLAY_SCHEME}:{ms}' style='text-decoration:none'>"
            f"<span style='color:#1a5fb4'>{label}</span></a>")


def answers_html(detail: RecordDetail) -> str:
    """The record's answers, section by section, as HTML (every text escaped). The notes
    typed while recording show when each paragraph, quick tag or quote was written, as a
    link that plays that moment."""
    marks: dict[str, list[NoteMark]] = {}
    for mark in detail.note_marks:
        marks.setdefault(mark.path, []).append(mark)
    parts: list[str] = []
    for section in detail.sections:
        parts.append(_section_html(section, marks))
    if detail.attachments:
        parts.append("<h3>Attachments</h3><ul>")
        for a in detail.attachments:
            parts.append(f"<li>{html.escape(a.name)} ({html.escape(a.media_type)}, "
                         f"{_size(a.size)})</li>")
        parts.append("</ul>")
    if not detail.form_version_known:
        parts.insert(0, "<p><i>This record's form version is not in the central store: "
                        "the newest stored version labels it, or its answers show by "
                        "name.</i></p>")
    return "".join(parts)


def _section_html(section: DisplaySection,
                  marks: Mapping[str, Sequence[NoteMark]] | None = None) -> str:
    out: list[str] = []
    indent = 16 * section.depth
    if section.title is not None:
        level = min(3 + section.depth, 5)
        out.append(f"<h{level} style='margin-left:{indent}px'>"
                   f"{html.escape(section.title)}</h{level}>")
    out.append(f"<div style='margin-left:{indent}px'>")
    for item in section.items:
        label = html.escape(item.label)
        if item.kind == "note":
            out.append(f"<p style='color:#555'><i>{label}</i></p>")
            continue
        text = html.escape(item.text or "").replace("\n", "<br>")
        timed = (marks or {}).get(item.path)
        if timed and item.text:
            out.append(_timed_html(label, item.text, timed))
            continue
        if _is_quote(item.path) and text:
            out.append(f"<p><b>{label}</b></p><blockquote style='margin-left:24px'>"
                       f"<i>“{text}”</i></blockquote>")
        elif item.kind == "calculated":
            out.append(f"<p><span style='color:#555'>{label} (calculated):</span> {text}</p>")
        elif item.kind == "unknown":
            out.append(f"<p><span style='color:#555'>{label} (not in the form):</span> "
                       f"{text}</p>")
        else:
            out.append(f"<p><b>{label}</b><br>{text or '<i>(no answer)</i>'}</p>")
    out.append("</div>")
    return "".join(out)


def _timed_html(label: str, text: str, marks: Sequence[NoteMark]) -> str:
    """A note written while recording: each paragraph (a non-empty line) after the time
    it was typed at, then its quick tags' and quotes' times."""
    paragraphs = [line for line in text.split("\n") if line.strip()]
    at = {m.index: m.position_ms for m in marks if m.kind == "paragraph"}
    out = [f"<p><b>{label}</b></p>"]
    for i, line in enumerate(paragraphs):
        link = _play_link(at[i]) + "&nbsp; " if i in at else ""
        out.append(f"<p style='margin-left:12px'>{link}{html.escape(line)}</p>")
    extra = sorted((m for m in marks if m.kind != "paragraph" or m.index >= len(paragraphs)),
                   key=lambda m: m.position_ms)
    if extra:
        links = " · ".join(_play_link(m.position_ms, _mark_name(m)) for m in extra)
        out.append(f"<p style='margin-left:12px'>{links}</p>")
    return "".join(out)


def _mark_name(mark: NoteMark) -> str:
    if mark.kind == "tag":
        return f"tag: {mark.tag}"
    if mark.kind == "quote":
        return f"quote {mark.index + 1}"
    return f"paragraph {mark.index + 1}"


def history_html(detail: RecordDetail) -> str:
    rows = ["<table cellpadding='4'><tr><th align='left'>When (UTC)</th>"
            "<th align='left'>Device</th><th align='left'>Interviewer</th>"
            "<th align='left'>What</th><th align='left'>Answers changed</th></tr>"]
    for r in detail.revisions:
        what = {"edit": "edited", "resolution": "conflict resolved"}.get(r.kind, r.kind)
        if not r.parents:
            what = "first sent"
        if r.deleted:
            what += ", deleted"
        rows.append(
            f"<tr><td>{html.escape(r.created[:19].replace('T', ' '))}</td>"
            f"<td>{html.escape(r.device_name)}</td><td>{html.escape(r.interviewer or '')}</td>"
            f"<td>{what}</td><td>{len(r.changed)}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def review_html(review: ReviewInfo) -> str:
    if not review.comments:
        return "<i>No review yet.</i>"
    lines = []
    for at, by, status, comment in reversed(review.comments):
        lines.append(f"<p><b>{html.escape(status.replace('_', ' '))}</b> · "
                     f"{html.escape(by or 'admin')} · {at.strftime('%Y-%m-%d %H:%M')}"
                     + (f"<br>{html.escape(comment)}" if comment else "") + "</p>")
    return "".join(lines)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class RecordView(QWidget):
    #: A review was saved (the `ReviewInfo`): the records table updates its line.
    review_saved = Signal(object)
    #: A record was shown (its `RecordDetail`).
    record_shown = Signal(object)
    #: A record was erased (its tombstone): the records table reloads.
    record_erased = Signal(object)

    def __init__(self, desk: AdminDesk, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminRecordView")
        self._desk = desk
        self._runner = runner
        self._record_id: uuid.UUID | None = None
        self._asked = 0
        self.detail: RecordDetail | None = None

        self.title = QLabel(self.tr("Choose a record in the table."), self)
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        scale_font(self.title, 1.2, bold=True)
        self.meta = QLabel(self)
        self.meta.setWordWrap(True)
        self.meta.setObjectName("questionHint")
        self.language = QComboBox(self)
        self.language.setAccessibleName(self.tr("Language of the labels"))
        # Wide enough for "Français (fr)": a clipped language name reads as another.
        self.language.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.language.currentIndexChanged.connect(self._on_language_changed)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.language)

        self.answers = QTextBrowser(self)
        self.answers.setObjectName("recordAnswers")
        self.answers.setOpenLinks(False)
        self.answers.anchorClicked.connect(self._on_answers_anchor_clicked)
        self.player = Player(self)
        self.player.hide()
        self.history = QTextBrowser(self)
        self.history.setObjectName("recordHistory")
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.answers, self.tr("Answers"))
        self.tabs.addTab(self.history, self.tr("History"))

        box = QGroupBox(self.tr("Review"), self)
        self.review_state = QLabel(box)
        self.review_state.setWordWrap(True)
        #: The interviewer's comment given at finalising, for the reviewer.
        self.finalise_comment = QLabel(box)
        self.finalise_comment.setObjectName("finaliseComment")
        self.finalise_comment.setWordWrap(True)
        self.finalise_comment.setTextFormat(Qt.TextFormat.PlainText)
        self.comment = QLineEdit(box)
        self.comment.setPlaceholderText(self.tr("Comment (why; kept with the record)"))
        self.comment.setAccessibleName(self.tr("Review comment"))
        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for status, text in REVIEW_ACTIONS:
            button = QPushButton(self.tr(text), box)
            button.setObjectName(f"review_{status}")
            button.clicked.connect(lambda _checked=False, s=status: self.set_review(s))
            self.buttons[status] = button
            actions.addWidget(button)
        actions.addStretch(1)
        self.erase_button = QPushButton(self.tr("Withdraw and &erase…"), box)
        self.erase_button.setObjectName("erase_record")
        self.erase_button.setToolTip(self.tr(
            "Erase this record everywhere (consent withdrawn, entered twice...): its "
            "answers, history, attachments, codings and quotes; a tombstone stays"))
        self.erase_button.clicked.connect(self._on_erase_clicked)
        actions.addWidget(self.erase_button)
        self.erase_dialog: EraseDialog | None = None
        self.review_history = QLabel(box)
        self.review_history.setWordWrap(True)
        self.error = QLabel(box)
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.hide()
        inner = QVBoxLayout(box)
        inner.addWidget(self.review_state)
        inner.addWidget(self.finalise_comment)
        inner.addWidget(self.comment)
        inner.addLayout(actions)
        inner.addWidget(self.review_history)
        inner.addWidget(self.error)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.meta)
        layout.addWidget(self.player)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(box)
        self._set_enabled(False)

    # -- showing -----------------------------------------------------------------------
    def show_record(self, record_id: uuid.UUID | str, language: str | None = None) -> None:
        """Read and show the record (its id or a unique prefix), off the UI thread."""
        self._record_id = record_id if isinstance(record_id, uuid.UUID) else None
        self._asked += 1
        asked = self._asked
        task = self._runner.run(self._desk.record, record_id, language=language)
        task.finished.connect(guarded(self, lambda detail: self._on_record_finished(asked, detail)))
        task.failed.connect(guarded(self, lambda error: self._on_failed(asked, error)))

    def clear(self) -> None:
        self._asked += 1
        self.detail = None
        self._record_id = None
        self.title.setText(self.tr("Choose a record in the table."))
        self.meta.clear()
        self.answers.clear()
        self.history.clear()
        self.review_state.clear()
        self.finalise_comment.clear()
        self.review_history.clear()
        self.error.hide()
        self._set_enabled(False)
        self.player.set_session(None)
        self.player.hide()

    def _set_enabled(self, on: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(on)
        self.comment.setEnabled(on)
        self.erase_button.setEnabled(on and self.detail is not None
                                     and not self.detail.row.deleted)
        self.language.setEnabled(on and self.language.count() > 1)

    def _on_record_finished(self, asked: int, detail: object) -> None:
        if asked != self._asked or not isinstance(detail, RecordDetail):
            return
        self.show_detail(detail)

    def show_detail(self, detail: RecordDetail) -> None:
        """Show a record already read (`show_record` reads it first)."""
        asked = self._asked
        self.detail = detail
        self._record_id = detail.row.record_id
        row = detail.row
        self.title.setText(row.title)
        conflict = (self.tr(" · in conflict: resolve it on the Conflicts page")
                    if detail.conflict_id else "")
        self.meta.setText(self.tr("{0} · version {1} · {2} · {3} · submitted {4} · id {5}{6}")
                          .format(detail.form_title, row.form_version,
                                  row.device_name or row.device_id.hex[:8],
                                  row.interviewer, row.submitted[:16].replace("T", " "),
                                  row.short_id, conflict))
        self.language.blockSignals(True)
        self.language.clear()
        self.language.addItems(list(detail.languages))
        if detail.language is not None:
            self.language.setCurrentText(detail.language)
        self.language.blockSignals(False)
        self.answers.setHtml(answers_html(detail))
        self.history.setHtml(history_html(detail))
        self.tabs.setTabText(1, self.tr("History ({0})").format(len(detail.revisions)))
        self._show_review(detail.review)
        self.finalise_comment.setText(self.tr("Interviewer's comment: {0}").format(
            detail.finalise_comment) if detail.finalise_comment else "")
        self.error.hide()
        self._set_enabled(True)
        self._open_recording(asked, detail)
        self.record_shown.emit(detail)

    # -- the recording -------------------------------------------------------------------
    def _open_recording(self, asked: int, detail: RecordDetail) -> None:
        audio = [a for a in detail.attachments if a.media_type.startswith("audio/")]
        current = self.player.session
        if current is not None and audio and current.name == audio[0].name \
                and self.player.property("record") == detail.row.record_id.hex:
            return  # the same record again (another language): keep the position
        self.player.set_session(None)
        self.player.setVisible(bool(audio))
        if not audio:
            return
        self.player.setProperty("record", detail.row.record_id.hex)
        task = self._runner.run(self._desk.open_recording, detail.row.record_id, audio[0].id)
        task.finished.connect(guarded(self, lambda s: self._on_recording_opened(asked, s)))
        task.failed.connect(guarded(self, lambda error: self._on_recording_failed(asked, error)))

    def _on_recording_opened(self, asked: int, session: object) -> None:
        if not isinstance(session, PlaybackSession):
            return
        if asked != self._asked:
            session.close()
            return
        self.player.set_session(session)

    def _on_recording_failed(self, asked: int, error: object) -> None:
        if asked == self._asked and isinstance(error, BaseException):
            self.player.show_error(error)

    def _on_answers_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() == PLAY_SCHEME and url.path().isdigit():
            self.player.play_from(int(url.path()))

    def _show_review(self, review: ReviewInfo) -> None:
        self.review_state.setText(self.tr("State: {0}").format(
            review.status.replace("_", " ")))
        self.review_history.setText(review_html(review))

    def _on_language_changed(self, _index: int) -> None:
        if self._record_id is not None and self.language.currentText():
            self.show_record(self._record_id, self.language.currentText())

    def _on_failed(self, asked: int, error: object) -> None:
        if asked != self._asked:
            return
        self._show_error(error)

    def _show_error(self, error: object) -> None:
        self.error.setText(message_for(error) if isinstance(error, BaseException)
                           else str(error))
        self.error.show()

    # -- reviewing ---------------------------------------------------------------------
    def set_review(self, status: str) -> None:
        """Save the review state with the comment typed (serial write queue)."""
        if self._record_id is None:
            return
        self._set_enabled(False)
        task = self._runner.write(self._desk.set_review, self._record_id, status,
                                  self.comment.text().strip())
        task.finished.connect(self._on_review_finished)
        task.failed.connect(self._on_review_failed)

    def _on_review_finished(self, review: object) -> None:
        if not isinstance(review, ReviewInfo):
            return
        self._set_enabled(True)
        if review.record_id != self._record_id:
            return
        self.comment.clear()
        self._show_review(review)
        self.review_saved.emit(review)

    def _on_review_failed(self, error: object) -> None:
        self._set_enabled(True)
        self._show_error(error)

    # -- erasing -----------------------------------------------------------------------
    def _on_erase_clicked(self) -> None:
        if self._record_id is None or self.detail is None:
            return
        dialog = EraseDialog(self.detail.row.title, at_centre=True, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        record_id = self._record_id
        dialog.accepted.connect(lambda: self.erase(record_id, dialog.reason()))
        self.erase_dialog = dialog
        dialog.open()

    def erase(self, record_id: uuid.UUID, reason: str) -> None:
        """Erase the record (serial write queue), then show what is left of it."""
        self._set_enabled(False)
        task = self._runner.write(self._desk.erase, record_id, reason=reason)
        task.finished.connect(self._on_erase_finished)
        task.failed.connect(self._on_review_failed)

    def _on_erase_finished(self, tombstone: object) -> None:
        self.record_erased.emit(tombstone)
        if self._record_id is not None:
            self.show_record(self._record_id)
