"""The Coding page's tables, each over frozen values from `CodingDesk`: the interviews
to pick from, a code's passages, two coders' agreement per code, the passages where they
differ, and the codes-by-group matrix with its suppressed cells marked."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from qi_capture.services.admin.coding_values import (
    Agreement,
    CodeAgreement,
    CodedPassage,
    Coding,
    Difference,
    InterviewRef,
    Matrix,
    MatrixCell,
    MatrixRow,
)
from ui.admin.models.codebook import swatch
from ui.admin.models.rows import RowsModel
from ui.widgets.player import clock

_Index = QModelIndex | QPersistentModelIndex
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
#: Suppressed matrix cells: a grey that reads as "not shown" in light and dark themes,
#: with the words saying so too (never colour alone).
HIDDEN = QColor(224, 224, 224)

STATUS_LABELS = {"received": "Received", "has_issues": "Has issues", "approved": "Approved",
                 "rejected": "Rejected"}


def _tr(text: str) -> str:
    return QCoreApplication.translate("CodingModels", text)


def origin_text(coding: Coding) -> str:
    """How a coding came about, in words (a field coding says whether it is settled)."""
    if coding.origin == "field":
        return _ORIGINS["confirmed"] if coding.confirmed else _ORIGINS["to confirm"]
    return _ORIGINS["analyst"]


class _Origins(dict[str, str]):
    """The three origin texts, translated once (a table asks for them per cell)."""

    def __missing__(self, key: str) -> str:
        text = {"confirmed": _tr("From the field, confirmed"),
                "to confirm": _tr("From the field, to confirm"),
                "analyst": _tr("Analyst")}[key]
        self[key] = text
        return text


_ORIGINS = _Origins()


def one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


class InterviewsModel(RowsModel[InterviewRef]):
    NAME, GROUP, FOOTPRINT, STATUS = range(4)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((_tr("Interview"), _tr("Stakeholder group"), _tr("Footprint"),
                          _tr("Review")), parent)

    def set_interviews(self, rows: Sequence[InterviewRef]) -> None:
        self._reset(rows)

    def interview_at(self, row: int) -> InterviewRef:
        return self._rows[row]

    def row_of(self, record_id: uuid.UUID) -> int:
        return next((i for i, r in enumerate(self._rows) if r.record_id == record_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self._row_at(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.name, row.group or _tr("Not known"), row.footprint or _tr("Not known"),
                    _tr(STATUS_LABELS.get(row.review_status, row.review_status)),
                    )[index.column()]
        return None


class PassagesModel(RowsModel[CodedPassage]):
    """Every passage of one code: where it is and who coded it."""

    INTERVIEW, SECTION, GROUP, PASSAGE, CODER, ORIGIN = range(6)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((_tr("Interview"), _tr("Section"), _tr("Group"),
                          _tr("Passage"), _tr("Coder"), _tr("Origin")), parent)

    def set_passages(self, rows: Sequence[CodedPassage]) -> None:
        self._reset(rows)

    def passage_at(self, row: int) -> CodedPassage:
        return self._rows[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self._row_at(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.interview, row.section, row.group or _tr("Not known"),
                    _passage_text(row.coding), row.coding.coder,
                    origin_text(row.coding))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.PASSAGE:
                memo = row.coding.memo
                return _passage_text(row.coding) + (
                    _tr("\n\nMemo: {0}").format(memo) if memo else "")
            if column == self.SECTION:
                return row.question
            return None
        if role == Qt.ItemDataRole.FontRole and column == self.ORIGIN \
                and row.coding.origin == "field" and not row.coding.confirmed:
            font = QFont()
            font.setItalic(True)
            return font
        return None


def _kappa(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


class AgreementModel(RowsModel[CodeAgreement]):
    CODE, UNITS, BOTH, ONLY_A, ONLY_B, PERCENT, KAPPA = range(7)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((_tr("Code"), _tr("Units"), _tr("Both"), _tr("Only A"),
                          _tr("Only B"), _tr("Agreement"), _tr("Kappa")), parent)
        self.agreement: Agreement | None = None

    def set_agreement(self, agreement: Agreement | None) -> None:
        self.agreement = agreement
        self._reset(() if agreement is None else agreement.codes)

    def code_at(self, row: int) -> CodeAgreement:
        return self._rows[row]

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        a = self.agreement
        # Short headers (A and B, as the coder pickers are labelled); names as tooltips.
        if a is not None and role == Qt.ItemDataRole.ToolTipRole \
                and orientation == Qt.Orientation.Horizontal:
            if section == self.ONLY_A:
                return _tr("Answers only {0} coded with the code").format(a.coder_a)
            if section == self.ONLY_B:
                return _tr("Answers only {0} coded with the code").format(a.coder_b)
        return super().headerData(section, orientation, role)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self._row_at(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, str(row.units), str(row.both), str(row.only_a), str(row.only_b),
                    f"{row.percent:.0f}%", _kappa(row.kappa))[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if column == self.CODE else _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column == self.KAPPA and row.kappa is None:
            return _tr("Kappa is not defined here: both coders made the same choice on "
                       "every unit, or one never varied.")
        return None


def _codings_text(codings: Sequence[Coding]) -> str:
    if not codings:
        return _tr("(not coded)")
    return "\n".join(one_line(c.text, 120) for c in codings)


class DifferencesModel(RowsModel[Difference]):
    """The units one coder coded with the code and the other did not, side by side."""

    CODE, QUESTION, SIDE_A, SIDE_B = range(4)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((_tr("Code"), _tr("Where"), _tr("Coder A"), _tr("Coder B")), parent)
        self._names: Mapping[uuid.UUID, str] = {}
        self._where: Callable[[Difference], str] = lambda d: d.field
        self._coders = ("A", "B")

    def set_differences(self, rows: Sequence[Difference], names: Mapping[uuid.UUID, str],
                        where: Callable[[Difference], str], coders: tuple[str, str]) -> None:
        self._names = dict(names)
        self._where = where
        self._coders = coders
        self._reset(rows)

    def difference_at(self, row: int) -> Difference:
        return self._rows[row]

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and section in (self.SIDE_A, self.SIDE_B):
            return self._coders[section - self.SIDE_A]
        return super().headerData(section, orientation, role)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self._row_at(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.CODE:
                return self._names.get(row.code, str(row.code))
            if column == self.QUESTION:
                return self._where(row)
            return _codings_text(row.codings_a if column == self.SIDE_A else row.codings_b)
        if role == Qt.ItemDataRole.ToolTipRole and column in (self.SIDE_A, self.SIDE_B):
            return row.text
        if role == Qt.ItemDataRole.ForegroundRole and column in (self.SIDE_A, self.SIDE_B):
            coded = row.codings_a if column == self.SIDE_A else row.codings_b
            return None if coded else QBrush(QColor(110, 110, 110))
        return None


class MatrixModel(RowsModel[MatrixRow]):
    """Rows: codes; columns: the groups, then the total. A suppressed cell reads
    ``< min`` on grey (the count is never shown)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((), parent)
        self.matrix: Matrix | None = None

    def set_matrix(self, matrix: Matrix | None) -> None:
        self.beginResetModel()
        self.matrix = matrix
        self._rows = [] if matrix is None else list(matrix.rows)
        self._headers = () if matrix is None else (
            _tr("Code"), *matrix.groups, _tr("All interviews"))
        self.endResetModel()

    def cell(self, row: int, column: int) -> MatrixCell | None:
        """The group cell at a view position (None: the code or the total column)."""
        if not 0 <= row < len(self._rows) or not 1 <= column <= len(self._rows[row].cells):
            return None
        return self._rows[row].cells[column - 1]

    def row_at(self, row: int) -> MatrixRow:
        return self._rows[row]

    def _hidden_text(self) -> str:
        return _tr("< {0}").format(self.matrix.min_cell if self.matrix else 5)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self._row_at(index)
        if row is None:
            return None
        column = index.column()
        cell = self.cell(index.row(), column)
        total_column = column == len(row.cells) + 1
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.code.name
            if total_column:
                return self._hidden_text() if row.total is None else str(row.total)
            if cell is None:
                return None
            return self._hidden_text() if cell.suppressed else str(cell.count)
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return swatch(row.code.colour)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT if column == 0 else _RIGHT
        if role == Qt.ItemDataRole.BackgroundRole and cell is not None and cell.suppressed:
            return QBrush(HIDDEN)
        if role == Qt.ItemDataRole.ForegroundRole and cell is not None and cell.suppressed:
            return QBrush(QColor(60, 60, 60))
        if role == Qt.ItemDataRole.ToolTipRole and cell is not None:
            if cell.suppressed:
                return _tr("Fewer than {0} interviews: not shown, so no one can be "
                           "recognised.").format(self.matrix.min_cell if self.matrix else 5)
            return _tr("{0} interviews; {1} quotes").format(cell.count, len(cell.quotes))
        return None


def _passage_text(coding: Coding) -> str:
    """A passage's words, or a stretch of the recording's time range (played from the
    transcript when the row is opened)."""
    if coding.start_ms is not None and coding.end_ms is not None:
        return _tr("▶ Recording {0}–{1}").format(clock(coding.start_ms), clock(coding.end_ms))
    return one_line(coding.text)
