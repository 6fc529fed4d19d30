"""The Coding page's "Compare coders": two coders picked, their agreement per code
(Cohen's kappa and percentage agreement, over the answers of the interviews both coded),
and the answers where they differ side by side. Settling one takes a side: the other
coder's codings there are made to match (the code applied on the same words, or taken
off), each through the service as that coder, so the audit log says who changed what."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.coding_values import Agreement, Difference
from ui.admin.models.coding import AgreementModel, DifferencesModel
from ui.admin.pages.coding_session import CodingSession, buddy_label
from ui.admin.pages.column_fit import ColumnFit, fixed_rows


@dataclass(frozen=True)
class Comparison:
    """An agreement with where each differing answer is (interview · question)."""

    agreement: Agreement
    where: Mapping[tuple[uuid.UUID, str], str]


def compare(coding: CodingDesk, coder_a: str, coder_b: str) -> Comparison:
    """The agreement and the words naming each differing answer (off the UI thread)."""
    agreement = coding.agreement(coder_a, coder_b)
    names = {i.record_id: i.name for i in coding.interviews()}
    where: dict[tuple[uuid.UUID, str], str] = {}
    for record in {d.record_id for d in agreement.differences}:
        transcript = coding.transcript(record)
        for section in transcript.sections:
            for item in section.items:
                where[(record, item.field)] = f"{names.get(record, '')} · {item.question}"
    return Comparison(agreement, where)


def settle(desk: AdminDesk, study_id: str, difference: Difference, coder_a: str,
           coder_b: str, *, take_a: bool) -> None:
    """Make the other coder's codings on the difference's answer match the side taken:
    the code applied on the same words, or taken off (off the UI thread)."""
    winner = difference.codings_a if take_a else difference.codings_b
    loser = difference.codings_b if take_a else difference.codings_a
    other = desk.coding(study_id, coder=coder_b if take_a else coder_a)
    if winner:
        for coding in winner:
            other.apply_codes(difference.record_id, coding.field, coding.start, coding.end,
                              [coding.code])
    else:
        for coding in loser:
            other.remove_coding(coding.guid)


class ComparePanel(QWidget):
    said = Signal(str)

    def __init__(self, session: CodingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareCoders")
        self.session = session
        self.comparison: Comparison | None = None
        self.coder_a = QComboBox(self)
        self.coder_a.setAccessibleName(self.tr("First coder"))
        self.coder_b = QComboBox(self)
        self.coder_b.setAccessibleName(self.tr("Second coder"))
        for combo in (self.coder_a, self.coder_b):
            combo.setMinimumContentsLength(8)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.compare_button = QPushButton(self.tr("Sho&w agreement"), self)
        self.summary = QLabel(self.tr("Pick two coders who coded the same interviews."), self)
        self.summary.setWordWrap(True)
        self.codes = AgreementModel(self)
        self.codes_table = QTableView(self)
        self.codes_table.setObjectName("agreementTable")
        self.codes_table.setAccessibleName(self.tr("Agreement per code"))
        self.codes_table.setModel(self.codes)
        self.differences = DifferencesModel(self)
        self.diff_table = QTableView(self)
        self.diff_table.setObjectName("differencesTable")
        self.diff_table.setAccessibleName(self.tr("Where the coders differ"))
        self.diff_table.setModel(self.differences)
        for table in (self.codes_table, self.diff_table):
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.verticalHeader().hide()
        head = self.codes_table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(AgreementModel.CODE, QHeaderView.ResizeMode.Stretch)
        # Code, where, coder A's passages, coder B's.
        self.fit = ColumnFit(self.diff_table, (16, 36, 24, 24))
        fixed_rows(self.diff_table, 3)
        self.diff_table.setWordWrap(True)
        self.answer = QLabel(self)
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.take_a = QPushButton(self.tr("Ta&ke coder A's side"), self)
        self.take_b = QPushButton(self.tr("Take coder B's &side"), self)

        pick = QHBoxLayout()
        pick.addWidget(buddy_label(self.tr("Coder &A"), self, self.coder_a))
        pick.addWidget(self.coder_a)
        pick.addWidget(buddy_label(self.tr("Coder &B"), self, self.coder_b))
        pick.addWidget(self.coder_b)
        pick.addStretch(1)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(QLabel(self.tr("Where they differ (choose a code above to "
                                              "see only its answers):"), self))
        lower_layout.addWidget(self.diff_table, 1)
        lower_layout.addWidget(self.answer)
        settle_row = QHBoxLayout()
        settle_row.addStretch(1)
        settle_row.addWidget(self.take_a)
        settle_row.addWidget(self.take_b)
        lower_layout.addLayout(settle_row)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.codes_table)
        split.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # The button beside the summary it fills, not at the end of the pickers' row,
        # where large text pushes it off the page.
        result = QHBoxLayout()
        result.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignTop)
        result.addWidget(self.summary, 1)
        layout.addLayout(pick)
        layout.addLayout(result)
        layout.addWidget(split, 1)

        self.compare_button.clicked.connect(self.compare)
        self.codes_table.selectionModel().selectionChanged.connect(self._on_code_chosen)
        self.diff_table.selectionModel().selectionChanged.connect(self._on_difference_chosen)
        self.take_a.clicked.connect(lambda: self.settle_current(take_a=True))
        self.take_b.clicked.connect(lambda: self.settle_current(take_a=False))
        self._enable()

    def load_coders(self) -> None:
        coding = self.session.coding
        if coding is not None:
            self.session.call(coding.coders, done=self._on_coders, owner=self)

    def _on_coders(self, coders: object) -> None:
        if not isinstance(coders, tuple):
            return
        names = [c.name for c in coders]
        for i, combo in enumerate((self.coder_a, self.coder_b)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            index = combo.findText(current)
            combo.setCurrentIndex(index if index >= 0 else min(i, len(names) - 1))
            combo.blockSignals(False)
        self._enable()

    def compare(self) -> None:
        coding = self.session.coding
        a, b = self.coder_a.currentText(), self.coder_b.currentText()
        if coding is None or not a or not b:
            return
        if a == b:
            self.summary.setText(self.tr("Pick two different coders."))
            return
        self.summary.setText(self.tr("Comparing…"))
        self.session.call(compare, coding, a, b, done=self._on_comparison, owner=self)

    def _on_comparison(self, comparison: object) -> None:
        if not isinstance(comparison, Comparison):
            return
        self.comparison = comparison
        a = comparison.agreement
        self.codes.set_agreement(a)
        self.summary.setText(self.tr(
            "{0} and {1} both coded {2} interviews ({3} answers); they differ on {4} "
            "answer-code pairs. Kappa over 0.6 is usually taken as good agreement."
        ).format(a.coder_a, a.coder_b, a.interviews, a.units, len(a.differences)))
        self._show_differences()

    def _show_differences(self) -> None:
        comparison = self.comparison
        if comparison is None:
            self.differences.set_differences((), {}, lambda d: d.field, ("A", "B"))
            return
        a = comparison.agreement
        index = self.codes_table.currentIndex()
        code = self.codes.code_at(index.row()).code if index.isValid() else None
        rows = [d for d in a.differences if code is None or d.code == code]
        names = {c.code: c.name for c in a.codes}
        self.differences.set_differences(
            rows, names, lambda d: comparison.where.get((d.record_id, d.field), d.field),
            (a.coder_a, a.coder_b))
        self.answer.clear()
        self._enable()

    def _on_code_chosen(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._show_differences()

    def _on_difference_chosen(self, _new: QItemSelection, _old: QItemSelection) -> None:
        difference = self.current_difference()
        self.answer.setText("" if difference is None else
                            self.tr("The answer: {0}").format(difference.text))
        self._enable()

    def current_difference(self) -> Difference | None:
        index = self.diff_table.currentIndex()
        return self.differences.difference_at(index.row()) if index.isValid() else None

    def _enable(self) -> None:
        chosen = self.current_difference() is not None
        self.take_a.setEnabled(chosen)
        self.take_b.setEnabled(chosen)
        self.compare_button.setEnabled(self.coder_a.count() > 1)

    def settle_current(self, *, take_a: bool) -> None:
        difference, comparison = self.current_difference(), self.comparison
        coding = self.session.coding
        if difference is None or comparison is None or coding is None:
            return
        a = comparison.agreement
        self.session.call(settle, self.session.desk, coding.study_id, difference, a.coder_a,
                          a.coder_b, take_a=take_a, changes=True, owner=self,
                          done=lambda _r: self._after_settle(a.coder_a if take_a
                                                             else a.coder_b))

    def _after_settle(self, side: str) -> None:
        self.said.emit(self.tr("Settled on {0}'s side.").format(side))
        self.compare()
