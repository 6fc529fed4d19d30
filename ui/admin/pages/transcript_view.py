"""An interview read as a transcript: sections, questions, then the notes and key quotes
as written, in a read-only text view where a passage is selected with the mouse or the
keyboard (Shift+arrows); and the margin beside it, where each coding is a bar in its
code's colour beside the passage it covers, with the code's name.

Positions: the service counts Unicode code points within one answer; Qt's document
counts UTF-16 units across the whole transcript. `TranscriptView` keeps where each
answer starts in the document and converts both ways, so a passage with an emoji in
front of it still lands on the same words.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from qi_capture.services.admin.coding_values import FIELD_CODER, Code, Coding, Transcript
from ui.admin.models.codebook import swatch

_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def _units(text: str) -> int:
    """UTF-16 length (Qt's unit) of ``text``."""
    return len(text.encode("utf-16-le")) // 2


def to_points(text: str, units: int) -> int:
    """The code point index in ``text`` at UTF-16 offset ``units``."""
    count = 0
    for i, ch in enumerate(text):
        if count >= units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


@dataclass(frozen=True)
class Answer:
    """Where one answer's text sits in the document."""

    field: str
    start: int  # document position (UTF-16) of its first character
    text: str

    @property
    def end(self) -> int:
        return self.start + _units(self.text)

    def position(self, point: int) -> int:
        """Document position of code point ``point`` of the answer."""
        return self.start + _units(self.text[:point])


@dataclass(frozen=True)
class Passage:
    """A selection inside one answer: ``[start, end)`` in code points."""

    field: str
    start: int
    end: int
    text: str


class TranscriptView(QTextEdit):
    #: The codings shown changed (the margin repaints).
    layout_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcriptView")
        self.setReadOnly(True)
        # Read-only, yet a caret that Shift+arrows extend: passages by keyboard too.
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setAccessibleName(self.tr("Transcript"))
        self.setAccessibleDescription(self.tr(
            "Select a passage with Shift and the arrow keys, then press Ctrl+K to code it."))
        self.transcript: Transcript | None = None
        self.answers: list[Answer] = []
        self._codes: Mapping[uuid.UUID, Code] = {}
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.layout_changed.emit())

    # -- content ----------------------------------------------------------------------
    def show_transcript(self, transcript: Transcript | None,
                        codes: Mapping[uuid.UUID, Code]) -> None:
        keep = self.verticalScrollBar().value() if (
            transcript is not None and self.transcript is not None
            and transcript.record_id == self.transcript.record_id) else 0
        self.transcript = transcript
        self._codes = codes
        self.answers = []
        if transcript is None:
            self.clear()
            self.layout_changed.emit()
            return
        # Filled while detached, then set: laid out once rather than after every insert.
        document = QTextDocument(self)
        document.setDefaultFont(self.font())
        cursor = QTextCursor(document)
        base = self.font().pointSizeF()
        heading = QTextCharFormat()
        heading.setFontWeight(QFont.Weight.Bold)
        heading.setFontPointSize(base * 1.15)
        question = QTextCharFormat()
        question.setFontWeight(QFont.Weight.DemiBold)
        question.setForeground(self.palette().placeholderText())
        plain = QTextCharFormat()
        quote = QTextCharFormat()
        quote.setFontItalic(True)
        spaced = QTextBlockFormat()
        spaced.setTopMargin(base * 1.2)
        tight = QTextBlockFormat()
        tight.setTopMargin(base * 0.5)
        answer_block = QTextBlockFormat()
        answer_block.setLeftMargin(base)
        first = True
        for section in transcript.sections:
            if not first:
                cursor.insertBlock(spaced)
            else:
                cursor.setBlockFormat(spaced)
            first = False
            cursor.insertText(section.title, heading)
            for item in section.items:
                cursor.insertBlock(tight)
                label = self.tr("Key quote") if item.quote else item.question
                cursor.insertText(label, question)
                cursor.insertBlock(answer_block)
                start = cursor.position()
                # Line breaks inside an answer become block breaks: one character in both
                # the service's count and Qt's.
                cursor.insertText(item.text.replace("\r\n", "\n"),
                                  quote if item.quote else plain)
                self.answers.append(Answer(item.field, start, item.text.replace("\r\n", "\n")))
        # The previous transcript's document is ours to delete (Qt deletes its own first
        # one when another is set).
        old = self.document()
        ours = old.parent() is self
        self.setDocument(document)
        if ours:
            old.deleteLater()
        self.moveCursor(QTextCursor.MoveOperation.Start)
        self._highlight()
        self.verticalScrollBar().setValue(keep)
        self.layout_changed.emit()

    def codings(self) -> tuple[Coding, ...]:
        return () if self.transcript is None else self.transcript.codings

    def code(self, guid: uuid.UUID) -> Code | None:
        return self._codes.get(guid)

    def answer(self, field: str) -> Answer | None:
        return next((a for a in self.answers if a.field == field), None)

    def _highlight(self) -> None:
        """A pale wash of the code's colour under each coded passage (the margin says
        which code: colour is never the only sign)."""
        marks = []
        for coding in self.codings():
            span = self.span(coding)
            if span is None:
                continue
            mark = QTextEdit.ExtraSelection()
            colour = QColor(swatch(self._codes[coding.code].colour
                                   if coding.code in self._codes else "#808080"))
            colour.setAlpha(48)
            mark.format.setBackground(colour)
            cursor = QTextCursor(self.document())
            cursor.setPosition(span[0])
            cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
            mark.cursor = cursor
            marks.append(mark)
        self.setExtraSelections(marks)

    # -- positions ----------------------------------------------------------------------
    def span(self, coding: Coding) -> tuple[int, int] | None:
        """Document positions of a coding's passage (None: its answer is not shown)."""
        found = self.answer(coding.field)
        if found is None:
            return None
        end = min(coding.end, len(found.text))
        return found.position(min(coding.start, end)), found.position(end)

    def passage(self) -> Passage | None:
        """The selected passage, when the selection lies within one answer."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        a, b = cursor.selectionStart(), cursor.selectionEnd()
        for found in self.answers:
            if found.start <= a and b <= found.end:
                start = to_points(found.text, a - found.start)
                end = to_points(found.text, b - found.start)
                if end > start:
                    return Passage(found.field, start, end, found.text[start:end])
        return None

    def select(self, field: str, start: int, end: int) -> bool:
        """Select characters ``[start, end)`` of ``field`` and scroll to them."""
        found = self.answer(field)
        if found is None:
            return False
        end = min(end, len(found.text))
        cursor = self.textCursor()
        cursor.setPosition(found.position(min(start, end)))
        cursor.setPosition(found.position(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        self.layout_changed.emit()
        return True

    def codings_here(self) -> list[Coding]:
        """The codings whose passage holds the caret (or overlaps the selection)."""
        cursor = self.textCursor()
        a, b = cursor.selectionStart(), cursor.selectionEnd()
        out = []
        for coding in self.codings():
            span = self.span(coding)
            if span is not None and span[0] <= b and a <= span[1] and \
                    (a != b or span[0] <= a < span[1] or a == span[1] == b):
                out.append(coding)
        return out

    def rect_of(self, span: tuple[int, int]) -> QRect:
        """Viewport rectangle from the first to the last line of a span."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(span[0])
        top = self.cursorRect(cursor)
        cursor.setPosition(max(span[0], span[1] - 1) if span[1] > span[0] else span[0])
        bottom = self.cursorRect(cursor)
        return QRect(QPoint(0, top.top()), QPoint(0, bottom.bottom()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.layout_changed.emit()


@dataclass(frozen=True)
class _Mark:
    coding: Coding
    lane: int
    top: int
    bottom: int
    label: QRect


class CodeMargin(QWidget):
    """The codes beside the passages: a bar in the code's colour the height of the
    passage, the code's name at its top (who coded it when not the analyst at work, and
    "to confirm" for a coding from the field not settled yet). Clicking a name selects
    its passage."""

    #: A coding's name was clicked (its `Coding`).
    coding_clicked = Signal(object)

    LANE = 7

    def __init__(self, view: TranscriptView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeMargin")
        self.view = view
        self.coder = ""
        self._marks: list[_Mark] = []
        self._laid: list[_Mark] = []
        self._key: object = None
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 18)
        self.setAccessibleName(self.tr("Codes in the margin"))
        view.layout_changed.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 32, 100)

    def label(self, coding: Coding) -> str:
        code = self.view.code(coding.code)
        name = code.name if code is not None else str(coding.code)[:8]
        if coding.origin == "field" and coding.coder == FIELD_CODER:
            # Italic too while it waits to be confirmed (the hint below says so).
            return name + (self.tr(" · field ✓") if coding.confirmed
                           else self.tr(" · field?"))
        if coding.coder != self.coder:
            return name + " · " + coding.coder
        return name + (" ✎" if coding.memo else "")

    def marks(self) -> list[_Mark]:
        """Where each coding is drawn now (lanes so that overlapping passages sit side
        by side; labels pushed down so that none covers another). Laid out once per
        transcript, width and text size in document coordinates, then only shifted by
        the scroll: the margin repaints as the transcript scrolls."""
        # The margin sits beside the view: its y for a line is the viewport's, shifted.
        offset = self.mapFromGlobal(self.view.viewport().mapToGlobal(QPoint(0, 0))).y()
        scroll = self.view.verticalScrollBar().value()
        key = (self.view.transcript, self.view.viewport().width(), self.width(),
               self.font().toString(), self.coder)
        if key != self._key:
            self._key = key
            self._laid = self._lay_out(scroll)
        shift = offset - scroll
        self._marks = [_Mark(m.coding, m.lane, m.top + shift, m.bottom + shift,
                             m.label.translated(0, shift)) for m in self._laid]
        return self._marks

    def _lay_out(self, offset: int) -> list[_Mark]:
        """The marks in document coordinates (``offset``: how far the viewport is
        scrolled, added to its y)."""
        placed: list[tuple[int, int, Coding]] = []
        for coding in self.view.codings():
            span = self.view.span(coding)
            if span is None:
                continue
            rect = self.view.rect_of(span)
            placed.append((rect.top() + offset, rect.bottom() + offset, coding))
        placed.sort(key=lambda p: (p[0], -p[1], p[2].code.int))
        lanes: list[int] = []
        raw: list[tuple[int, int, int, Coding]] = []
        for top, bottom, coding in placed:
            lane = next((i for i, end in enumerate(lanes) if end < top), len(lanes))
            if lane == len(lanes):
                lanes.append(bottom)
            else:
                lanes[lane] = bottom
            raw.append((lane, top, bottom, coding))
        line = self.fontMetrics().height()
        x = 4 + max(1, len(lanes)) * self.LANE + 4
        out = []
        next_free = -10**9
        for lane, top, bottom, coding in raw:
            y = max(top, next_free)
            width = self.width() - x - 2
            out.append(_Mark(coding, lane, top, bottom, QRect(x, y, width, line)))
            next_free = y + line
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        metrics = self.fontMetrics()
        height = self.height()
        for mark in self.marks():
            if mark.label.top() > height or max(mark.bottom, mark.label.bottom()) < 0:
                continue  # scrolled out of sight
            code = self.view.code(mark.coding.code)
            colour = swatch(code.colour if code is not None else "#808080")
            bar = QRect(4 + mark.lane * self.LANE, mark.top, self.LANE - 3,
                        max(4, mark.bottom - mark.top))
            painter.fillRect(bar, colour)
            chip = QRect(mark.label.left(), mark.label.top() + metrics.height() // 4,
                         metrics.height() // 2, metrics.height() // 2)
            painter.fillRect(chip, colour)
            font = self.font()
            font.setItalic(mark.coding.origin == "field" and not mark.coding.confirmed)
            painter.setFont(font)
            painter.setPen(self.palette().text().color())
            text_rect = mark.label.adjusted(chip.width() + 4, 0, 0, 0)
            painter.drawText(text_rect, _LEFT,
                             metrics.elidedText(self.label(mark.coding),
                                                Qt.TextElideMode.ElideRight,
                                                text_rect.width()))
        painter.end()

    def mark_at(self, point: QPoint) -> _Mark | None:
        for mark in self._marks:
            bar = QRect(4 + mark.lane * self.LANE, mark.top, self.LANE,
                        max(4, mark.bottom - mark.top))
            if mark.label.contains(point) or bar.contains(point):
                return mark
        return None

    def event(self, event: QEvent) -> bool:
        # A label cut short by a narrow margin reads in full as a tooltip.
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            mark = self.mark_at(event.pos())
            if mark is not None:
                text = self.label(mark.coding)
                if mark.coding.memo:
                    text += "\n" + self.tr("Memo: {0}").format(mark.coding.memo)
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        mark = self.mark_at(event.position().toPoint())
        if mark is not None:
            self.coding_clicked.emit(mark.coding)
            return
        super().mousePressEvent(event)
