"""Question type -> editor class. Types the desktop cannot capture natively (barcode,
external selects, traces) are typed in as text, as the loader's warnings say."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from qi_capture.services.screen import QuestionValue
from ui.widgets.editors.base import Editor
from ui.widgets.editors.choices import RankEditor, SelectMultipleEditor, SelectOneEditor
from ui.widgets.editors.misc import (
    AcknowledgeEditor,
    AttachmentEditor,
    CalculatedEditor,
    GeopointEditor,
    NoteEditor,
    RangeEditor,
)
from ui.widgets.editors.text import DecimalEditor, IntegerEditor, TextEditor
from ui.widgets.editors.when import DateEditor, DateTimeEditor, TimeEditor

EDITORS: dict[str, type[Editor]] = {
    "text": TextEditor,
    "integer": IntegerEditor,
    "decimal": DecimalEditor,
    "range": RangeEditor,
    "date": DateEditor,
    "time": TimeEditor,
    "dateTime": DateTimeEditor,
    "select_one": SelectOneEditor,
    "select_multiple": SelectMultipleEditor,
    "rank": RankEditor,
    "note": NoteEditor,
    "acknowledge": AcknowledgeEditor,
    "geopoint": GeopointEditor,
    "image": AttachmentEditor,
    "audio": AttachmentEditor,
    "video": AttachmentEditor,
    "file": AttachmentEditor,
    "calculate": CalculatedEditor,
    # No hardware on a desktop for these: typed in (the loader warns about them).
    "barcode": TextEditor,
    "select_one_external": TextEditor,
    "geotrace": TextEditor,
    "geoshape": TextEditor,
}


def editor_for(question: QuestionValue, parent: QWidget | None = None) -> Editor:
    """A new editor for ``question``; unknown types fall back to text."""
    if question.calculated:
        return CalculatedEditor(question, parent)
    return EDITORS.get(question.type, TextEditor)(question, parent)
