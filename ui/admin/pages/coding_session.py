"""What the Coding page's panels share: the study's `CodingDesk` (opened off the UI thread
for the coder named on the page), the codebook as last read (the tree model every panel
uses for names and colours), and one way to call the service.

Every call goes on the runner's serial queue, reads too: reading codings first moves
passages coded on an older revision onto the current one (a write), and a read queued
after a change then sees it. Panels hear what changed through ``codings_changed`` and
``codebook_loaded`` and reload what they show.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QWidget

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.coding_values import Code, CodeNode
from ui.admin.models.codebook import CodebookModel
from ui.errors import message_for
from ui.tasks import TaskRunner, guarded


class CodingSession(QObject):
    #: The coding desk was opened (for a study and coder); panels load from it.
    opened = Signal()
    #: The codebook was read again (the tree model holds it).
    codebook_loaded = Signal()
    #: Codes or codings changed: counts, margins and lists may be stale.
    codings_changed = Signal()
    #: Something failed; the text says what, in words for the admin.
    failed = Signal(str)
    #: A short note of what was done, for the console's status line.
    said = Signal(str)

    def __init__(self, desk: AdminDesk, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.runner = runner
        self.coding: CodingDesk | None = None
        self.tree = CodebookModel(self)
        #: Every code by guid (retired ones too), as last read.
        self.codes: dict[uuid.UUID, Code] = {}
        self._opening = 0

    # -- opening ------------------------------------------------------------------------
    def open(self, coder: str | None = None) -> None:
        """Open the study's coding desk as ``coder`` (None: the admin's own name)."""
        self._opening += 1
        asked = self._opening
        task = self.runner.write(self.desk.coding, coder=coder or None)
        task.finished.connect(guarded(self, lambda coding: self._on_opened(asked, coding)))
        task.failed.connect(guarded(self, self._fail))

    def _on_opened(self, asked: int, coding: object) -> None:
        if asked != self._opening or not isinstance(coding, CodingDesk):
            return
        self.coding = coding
        self.opened.emit()
        self.reload_codebook()

    @property
    def coder(self) -> str:
        return "" if self.coding is None else self.coding.coder

    # -- calling the service --------------------------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any,
             done: Callable[[Any], None] | None = None, owner: QObject | None = None,
             changes: bool = False, **kwargs: Any) -> None:
        """``fn(*args, **kwargs)`` on the serial queue; ``done(result)`` on the UI thread
        while ``owner`` (the panel) lives. A call that ``changes`` codes or codings
        reloads the codebook and tells the panels afterwards."""
        task = self.runner.write(fn, *args, **kwargs)
        if done is not None:
            task.finished.connect(guarded(owner or self, done))
        if changes:
            task.finished.connect(guarded(self, lambda _r: self._after_change()))
        task.failed.connect(guarded(self, self._fail))

    def _after_change(self) -> None:
        self.reload_codebook()
        self.codings_changed.emit()

    def reload_codebook(self) -> None:
        coding = self.coding
        if coding is None:
            return

        def read() -> tuple[tuple[CodeNode, ...], tuple[Code, ...]]:
            return coding.codebook(), coding.codes()

        self.call(read, done=self._on_codebook)

    def _on_codebook(self, result: object) -> None:
        if not isinstance(result, tuple):
            return
        tree, codes = result
        self.codes = {c.guid: c for c in codes}
        self.tree.set_tree(tree)
        self.codebook_loaded.emit()

    def live_codes(self) -> list[tuple[Code, str]]:
        """The codes on offer (not retired), with their path, in tree order."""
        return [(c, self.tree.path(c.guid)) for c in self.tree.codes() if not c.retired]

    def name(self, guid: uuid.UUID) -> str:
        code = self.codes.get(guid)
        return str(guid)[:8] if code is None else code.name

    def _fail(self, error: object) -> None:
        self.failed.emit(message_for(error) if isinstance(error, BaseException)
                         else str(error))


def buddy_label(text: str, parent: QWidget, buddy: QWidget) -> QLabel:
    """A label whose mnemonic (Alt+letter) moves the focus to ``buddy``."""
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    return label
