"""Date, time and date-time editors: typed as text (keyboard first), with a calendar."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QCalendarWidget, QLineEdit, QMenu, QToolButton, QWidget, QWidgetAction

from qi_capture.services.screen import QuestionValue
from ui.widgets.editors.base import Editor

_DATE_RE = r"\d{0,4}(-\d{0,2}(-\d{0,2})?)?"
_TIME_RE = r"\d{0,2}(:\d{0,2}(:\d{0,2})?)?"


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _parse_time(text: str) -> dt.time | None:
    if len(text) not in (5, 8):
        return None
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        return None


class _DateField(QWidget):
    """A YYYY-MM-DD line edit with a calendar drop-down button."""

    def __init__(self, owner: Editor) -> None:
        super().__init__(owner)
        layout = Editor._row(self)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(self.tr("YYYY-MM-DD"))
        self.line.setValidator(QRegularExpressionValidator(QRegularExpression(_DATE_RE), self))
        self.line.setMaximumWidth(self.fontMetrics().horizontalAdvance("0000-00-000000"))
        self.pick = QToolButton(self)
        self.pick.setText(self.tr("Calendar"))
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.pick.setFocusPolicy(self.pick.focusPolicy().TabFocus)
        menu = QMenu(self.pick)
        self.calendar = QCalendarWidget(menu)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.pick.setMenu(menu)
        menu.aboutToShow.connect(self._on_menu_about_to_show)
        layout.addWidget(self.line)
        layout.addWidget(self.pick)
        layout.addStretch(1)
        self.setFocusProxy(self.line)

    def _on_menu_about_to_show(self) -> None:
        date = _parse_date(self.line.text())
        if date is not None:
            self.calendar.setSelectedDate(QDate(date.year, date.month, date.day))


class _TimeField(QLineEdit):
    def __init__(self, owner: Editor) -> None:
        super().__init__(owner)
        self.setPlaceholderText(self.tr("HH:MM"))
        self.setValidator(QRegularExpressionValidator(QRegularExpression(_TIME_RE), self))
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance("00:00:000000"))


class DateEditor(Editor):
    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.date = _DateField(self)
        layout.addWidget(self.date)
        self.date.line.textEdited.connect(self._on_date_text_edited)
        self.date.calendar.clicked.connect(self._on_calendar_clicked)
        self._watch_enter(self.date.line)
        self.setFocusProxy(self.date.line)

    def value(self) -> str:
        parsed = _parse_date(self.date.line.text().strip())
        return parsed.isoformat() if parsed else ""

    def problem(self) -> str | None:
        text = self.date.line.text().strip()
        if text and _parse_date(text) is None:
            return self.tr("Enter a date as YYYY-MM-DD, e.g. 2025-03-31.")
        return None

    def _show(self, text: str) -> None:
        self.date.line.setText(text[:10])

    def _on_date_text_edited(self, _text: str) -> None:
        self._changed()

    def _on_calendar_clicked(self, date: QDate) -> None:
        self.date.line.setText(date.toString("yyyy-MM-dd"))
        menu = self.date.pick.menu()
        if menu is not None:
            menu.close()
        self._changed()


class TimeEditor(Editor):
    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.time = _TimeField(self)
        layout.addWidget(self.time)
        layout.addStretch(1)
        self.time.textEdited.connect(self._on_time_text_edited)
        self._watch_enter(self.time)
        self.setFocusProxy(self.time)

    def value(self) -> str:
        parsed = _parse_time(self.time.text().strip())
        return parsed.isoformat(timespec="milliseconds") if parsed else ""

    def problem(self) -> str | None:
        text = self.time.text().strip()
        if text and _parse_time(text) is None:
            return self.tr("Enter a time as HH:MM, e.g. 14:30.")
        return None

    def _show(self, text: str) -> None:
        self.time.setText(text[:5])

    def _on_time_text_edited(self, _text: str) -> None:
        self._changed()


class DateTimeEditor(Editor):
    """A date and a time; stored with the laptop's UTC offset, as ODK does."""

    def __init__(self, question: QuestionValue, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = self._row(self)
        self.date = _DateField(self)
        self.time = _TimeField(self)
        layout.addWidget(self.date)
        layout.addWidget(self.time)
        layout.addStretch(1)
        self.date.line.textEdited.connect(self._on_part_edited)
        self.date.calendar.clicked.connect(self._on_calendar_clicked)
        self.time.textEdited.connect(self._on_part_edited)
        self._watch_enter(self.date.line)
        self._watch_enter(self.time)
        self.setFocusProxy(self.date.line)

    def value(self) -> str:
        date = _parse_date(self.date.line.text().strip())
        time = _parse_time(self.time.text().strip())
        if date is None or time is None:
            return ""
        stamp = dt.datetime.combine(date, time).astimezone()
        return stamp.isoformat(timespec="milliseconds")

    def problem(self) -> str | None:
        date_text, time_text = self.date.line.text().strip(), self.time.text().strip()
        if not date_text and not time_text:
            return None
        if _parse_date(date_text) is None or _parse_time(time_text) is None:
            return self.tr("Enter a date (YYYY-MM-DD) and a time (HH:MM).")
        return None

    def _show(self, text: str) -> None:
        try:
            stamp = dt.datetime.fromisoformat(text) if text else None
        except ValueError:
            stamp = None
        self.date.line.setText(stamp.date().isoformat() if stamp else "")
        self.time.setText(stamp.strftime("%H:%M") if stamp else "")

    def _on_part_edited(self, _text: str) -> None:
        self._changed()

    def _on_calendar_clicked(self, date: QDate) -> None:
        self.date.line.setText(date.toString("yyyy-MM-dd"))
        menu = self.date.pick.menu()
        if menu is not None:
            menu.close()
        self._changed()
