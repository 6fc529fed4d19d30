"""First run: create a profile (name, passphrase twice, strength, what forgetting means,
an optional recovery key)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services import ProfileService
from ui.errors import weak_passphrase_message
from ui.widgets.fonts import scale_font
from ui.widgets.strength_meter import StrengthMeter


class FirstRunPage(QWidget):
    #: name, passphrase, recovery recipient ('' for none)
    create_requested = Signal(str, str, str)
    #: Go back to choosing an existing profile.
    unlock_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunPage")
        # The card scrolls when it is taller than the window (large text on a 768-pixel
        # high screen) instead of being cut off at the bottom.
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        page.addWidget(scroll)
        content = QWidget(scroll)
        scroll.setWidget(content)
        outer = QVBoxLayout(content)
        # The card hangs from a fixed top (a centred card moves as its text changes).
        outer.addSpacing(self.fontMetrics().lineSpacing() * 2)
        card = QFrame(content)
        card.setObjectName("card")
        card.setFixedWidth(self.fontMetrics().height() * 36)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 16, 20, 16)
        title = QLabel(self.tr("Welcome to QI Capture"), card)
        title.setObjectName("pageTitle")
        scale_font(title, 1.5, bold=True)
        intro = QLabel(self.tr(
            "Create your profile. Everything you record is kept encrypted on this laptop "
            "and can only be opened with your passphrase."), card)
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.name = QLineEdit(card)
        self.name.setPlaceholderText(self.tr("e.g. your name"))
        self.passphrase = QLineEdit(card)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit(card)
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.meter = StrengthMeter(card, assess=ProfileService.passphrase_strength)
        self.recovery = QLineEdit(card)
        self.recovery.setPlaceholderText(self.tr("optional: age1… from your study pack"))
        form.addRow(self.tr("Profile &name"), self.name)
        form.addRow(self.tr("Pass&phrase"), self.passphrase)
        form.addRow("", self.meter)
        form.addRow(self.tr("&Type it again"), self.confirm)
        #: "The passphrases match" once the second one is the same (a tick, in words too).
        self.match = QLabel(card)
        self.match.setObjectName("passphraseMatch")
        self.show_passphrase = QCheckBox(self.tr("&Show the passphrase"), card)
        self.show_passphrase.toggled.connect(self._on_show_passphrase_toggled)
        form.addRow("", self.match)
        form.addRow("", self.show_passphrase)
        form.addRow(self.tr("Reco&very key"), self.recovery)
        # Each label at least as wide as its text: at large text the column was measured a
        # few pixels short and "Type it again" lost its last letter.
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel) and label.text():
                plain = label.text().replace("&", "")
                label.setMinimumWidth(label.fontMetrics().horizontalAdvance(plain) + 4)
        warning = QLabel(self.tr(
            "<b>If you forget this passphrase, nobody can open your records</b> — not you, "
            "not IT, not the study team. There is no reset by email. Write it down and keep "
            "it somewhere safe. If your study team gave you a recovery key, add it above: "
            "they can then reset your passphrase, but still cannot read your records "
            "without your laptop."), card)
        warning.setObjectName("warningNote")
        warning.setWordWrap(True)
        warning.setTextFormat(Qt.TextFormat.RichText)
        self.message = QLabel(card)
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        # The card keeps its size as hints come and go (it does not jump under the
        # pointer): hidden lines keep their room.
        policy = self.message.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.message.setSizePolicy(policy)
        self.message.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)
        self.match.setMinimumHeight(self.fontMetrics().lineSpacing())
        self.meter.label.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)
        self.meter.feedback.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self.message.hide()
        self.create_button = QPushButton(self.tr("&Create profile"), card)
        self.create_button.setDefault(True)
        self.create_button.setEnabled(False)
        self.busy = QLabel(self.tr("Creating your profile and protecting it… this takes a "
                                   "few seconds."), card)
        self.busy.hide()
        self.existing = QPushButton(self.tr("Use an existing profile"), card)
        self.existing.setFlat(True)
        self.existing.hide()
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(warning)
        layout.addWidget(self.message)
        layout.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.busy)
        layout.addWidget(self.existing, 0, Qt.AlignmentFlag.AlignLeft)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        # Word-wrapped labels make the layout's height-for-width guess too small; the
        # plain size hint (taken at a narrower width) always fits.
        card.setMinimumHeight(card.sizeHint().height())
        outer.addStretch(1)
        # The meter first: the page's own check reads its verdict.
        self.passphrase.textChanged.connect(self.meter.update_for)
        for line in (self.name, self.passphrase, self.confirm):
            line.textChanged.connect(self._on_field_text_changed)
        for line in (self.name, self.passphrase, self.confirm, self.recovery):
            line.returnPressed.connect(self._on_create_clicked)
        self.create_button.clicked.connect(self._on_create_clicked)
        self.existing.clicked.connect(self.unlock_requested)

    def _problem(self) -> str | None:
        if not self.name.text().strip():
            return self.tr("Give the profile a name.")
        if not self.passphrase.text():
            return weak_passphrase_message("too_short")
        if self.meter.refusal:  # the meter asked the core as the passphrase was typed
            return weak_passphrase_message(self.meter.refusal)
        if self.passphrase.text() != self.confirm.text():
            return self.tr("The two passphrases are not the same.")
        return None

    def _on_field_text_changed(self, _text: str) -> None:
        problem = self._problem()
        self.create_button.setEnabled(problem is None)
        both = self.passphrase.text() and self.confirm.text()
        same = bool(both) and self.passphrase.text() == self.confirm.text()
        self.match.setText(self.tr("✓ The passphrases match") if same else "")
        self.match.setProperty("state", "match" if same else "")
        self.match.style().unpolish(self.match)
        self.match.style().polish(self.match)
        if both and not same:
            self.show_message(self.tr("The two passphrases are not the same."))
        else:
            self.show_message(None)

    def _on_show_passphrase_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        for line in (self.passphrase, self.confirm):
            line.setEchoMode(mode)

    def _on_create_clicked(self) -> None:
        problem = self._problem()
        if problem is not None:
            self.show_message(problem)
            return
        self.set_busy(True)
        self.create_requested.emit(self.name.text().strip(), self.passphrase.text(),
                                   self.recovery.text().strip())

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for widget in (self.name, self.passphrase, self.confirm, self.recovery, self.create_button):
            widget.setEnabled(not busy)
        if not busy:
            self.create_button.setEnabled(self._problem() is None)

    def show_message(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))

    def clear(self) -> None:
        for line in (self.passphrase, self.confirm):
            line.clear()
        self.show_passphrase.setChecked(False)  # never left readable for the next person
