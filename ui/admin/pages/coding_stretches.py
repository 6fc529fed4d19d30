"""The Coding page's stretches of the recording: code a stretch of the interview's
recording from the player's position ("Code this stretch", Ctrl+Shift+K: once at its
start, once at its end, then pick the codes) and the coded stretches listed with their
time range and codes; a click (or Enter) on one plays it from its start."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.admin.coding_values import Coding
from ui.widgets.player import Player, clock

#: A stretch's codings are listed in one row: (start ms, end ms) -> its codings.
_Stretch = tuple[int, int]


class StretchPanel(QWidget):
    #: Code the stretch (start ms, end ms): the page opens the code picker.
    code_requested = Signal(int, int)

    def __init__(self, player: Player, label: Callable[[Coding], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codingStretches")
        self.player = player
        self._label = label
        self.start_ms: int | None = None

        self.button = QPushButton(self.tr("Code this st&retch: start"), self)
        self.button.setObjectName("codeStretch")
        self.button.setToolTip(self.tr("Ctrl+Shift+K: once where the stretch starts, once "
                                       "where it ends (from the player's position)"))
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.hide()
        self.state = QLabel(self)
        self.state.setObjectName("questionHint")
        self.state.setWordWrap(True)
        self.state.hide()
        self.list = QListWidget(self)
        self.list.setObjectName("codedStretches")
        self.list.setAccessibleName(self.tr("Coded stretches of the recording"))
        self.list.hide()

        action = QAction(self.tr("Code this stretch"), self)
        action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(self.mark)
        self.addAction(action)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.state)
        layout.addWidget(self.list)

        self.button.clicked.connect(self.mark)
        self.cancel_button.clicked.connect(self.cancel)
        self.list.itemActivated.connect(self._play_item)
        self.list.itemClicked.connect(self._play_item)

    # -- marking --------------------------------------------------------------------------
    def mark(self) -> None:
        """Mark the stretch's start at the player's position, or its end (then ask for
        the codes). A stretch marked backwards is taken the right way round."""
        if not self.isVisible() or self.player.session is None:
            return
        here = self.player.position_ms
        if self.start_ms is None:
            self.start_ms = here
            self.button.setText(self.tr("Code this st&retch: end"))
            self.state.setText(self.tr("From {0}: play or seek to where it ends.")
                               .format(clock(here)))
            self.cancel_button.show()
            self.state.show()
            return
        start, end = sorted((self.start_ms, here))
        if end == start:
            self.state.setText(self.tr("The end is where the start is ({0}): play or seek "
                                       "on first.").format(clock(here)))
            return
        self.cancel()
        self.code_requested.emit(start, end)

    def cancel(self) -> None:
        self.start_ms = None
        self.button.setText(self.tr("Code this st&retch: start"))
        self.cancel_button.hide()
        self.state.setText("")
        self.state.hide()

    # -- the coded stretches --------------------------------------------------------------
    def show_codings(self, codings: Sequence[Coding]) -> None:
        """List the transcript's audio passages, by start."""
        stretches: dict[_Stretch, list[Coding]] = {}
        for c in codings:
            if c.start_ms is not None and c.end_ms is not None:
                stretches.setdefault((c.start_ms, c.end_ms), []).append(c)
        self.list.clear()
        for (start, end), group in sorted(stretches.items()):
            text = self.tr("▶ {0}–{1}  {2}").format(
                clock(start), clock(end), ", ".join(self._label(c) for c in group))
            item = QListWidgetItem(text, self.list)
            item.setData(Qt.ItemDataRole.UserRole, start)
            item.setToolTip(self.tr("Play from {0}").format(clock(start)))
        # As tall as its rows (up to four; it scrolls beyond), not a fixed block.
        rows = min(max(1, len(stretches)), 4)
        row = self.list.sizeHintForRow(0) if stretches else self.fontMetrics().height()
        self.list.setFixedHeight(rows * max(row, self.fontMetrics().height())
                                 + 2 * self.list.frameWidth() + 2)
        self.list.setVisible(bool(stretches))

    def _play_item(self, item: QListWidgetItem) -> None:
        start = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(start, int):
            self.player.play_from(start)
