"""The form filler's door to a record: every change goes through the serial write queue.

`RecordController` drives a services `RecordSession` (which autosaves each change in one
transaction before returning). The session is mutated only inside write tasks, on the
writer thread; the UI thread reads it only when the write queue is empty, which
``state_changed`` announces. That keeps database work off the UI thread and the session
free of races without a lock. `ViewController` shows a finalised record: a plain
`FormSession` that nothing writes, navigated on the UI thread (pure Python, no I/O).

Navigation results (the current screen) are computed in the task, because asking the
session for its current screen may move it (when the remembered screen vanished), and
moving writes paradata.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from qi_capture.forms.session import FormSession, Screen, ValidationIssue
from qi_capture.services import RecordSession
from ui.errors import message_for
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class FormController(QObject):
    """What the filler needs from a record, whether it can be changed or not."""

    #: The write queue is empty: the session may be read and the screen redrawn.
    state_changed = Signal()
    #: "saving" | "saved" | "failed" (the saved indicator).
    save_state_changed = Signal(str)
    #: A change could not be made or saved; the message is for the interviewer.
    error_raised = Signal(str)
    #: Next was refused: the current screen's problems (list of ValidationIssue).
    screen_refused = Signal(list)
    #: Finalise refused: every problem (list of ValidationIssue).
    finalise_refused = Signal(list)
    #: The record was finalised (the revision info).
    finalised = Signal(object)
    #: The end of the form was reached with Next.
    end_reached = Signal()

    read_only = False

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current: Screen | None = None

    @property
    def session(self) -> FormSession:
        raise NotImplementedError

    @property
    def busy(self) -> bool:
        return False

    def set_answer(self, path: str, value: str) -> None:
        raise NotImplementedError

    def go_next(self, *, check: bool = True) -> None:
        raise NotImplementedError

    def go_previous(self) -> None:
        raise NotImplementedError

    def go_to(self, path: str) -> None:
        raise NotImplementedError

    def add_repeat(self, slot_path: str) -> None:
        raise NotImplementedError

    def remove_repeat(self, slot_path: str, index: int) -> None:
        raise NotImplementedError

    def set_language(self, language: str) -> None:
        raise NotImplementedError

    def attach(self, path: str, file_path: str) -> None:
        raise NotImplementedError

    def finalise(self) -> None:
        raise NotImplementedError

    def close(self, then: Callable[[], None] | None = None) -> None:
        if then is not None:
            then()


def _screen_problems(session: FormSession, screen: Screen | None) -> list[ValidationIssue]:
    if screen is None:
        return []
    issues = []
    for path in screen.fields:
        issue = session.issue(path)
        if issue is not None:
            issues.append(issue)
    return issues


class RecordController(FormController):
    """An autosaving record (a draft, or a finalised record being edited)."""

    def __init__(self, record: RecordSession, runner: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.record = record
        self.runner = runner
        self._failed = False
        self._closed = False
        runner.pending_writes_changed.connect(self._on_runner_pending_writes_changed)
        runner.writes_drained.connect(self._on_runner_writes_drained)

    @property
    def record_id(self) -> object:
        return self.record.record_id

    @property
    def session(self) -> FormSession:
        return self.record.session

    @property
    def busy(self) -> bool:
        return self.runner.pending_writes > 0

    # --- the queue ----------------------------------------------------------------------
    def _write(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               *, coalesce: str | None = None) -> None:
        if self._closed:
            return
        task = self.runner.write(fn, coalesce=coalesce)
        task.finished.connect(lambda result: self._on_task_finished(result, on_done))
        task.failed.connect(self._on_task_failed)

    def _on_task_finished(self, result: Any, on_done: Callable[[Any], None] | None) -> None:
        self._failed = False
        if on_done is not None:
            on_done(result)

    def _on_task_failed(self, error: object) -> None:
        self._failed = True
        self.save_state_changed.emit("failed")
        if isinstance(error, BaseException):
            self.error_raised.emit(message_for(error))

    def _on_runner_pending_writes_changed(self, count: int) -> None:
        if count and not self._closed:
            self.save_state_changed.emit("saving")

    def _on_runner_writes_drained(self) -> None:
        if self._closed:
            return
        if not self._failed:
            self.save_state_changed.emit("saved")
        self.state_changed.emit()

    def _navigate(self, move: Callable[[], Screen | None], *,
                  check: bool = False) -> Callable[[], tuple[str, Any]]:
        record = self.record

        def task() -> tuple[str, Any]:
            session = record.session
            if check:
                problems = _screen_problems(session, session.current_screen())
                if problems:
                    return "refused", problems
            moved = move()
            return ("moved" if moved is not None else "end"), session.current_screen()
        return task

    def _on_navigated(self, result: tuple[str, Any]) -> None:
        outcome, payload = result
        if outcome == "refused":
            self.screen_refused.emit(payload)
            return
        self.current = payload
        if outcome == "end":
            self.end_reached.emit()

    # --- intents ------------------------------------------------------------------------
    def start(self) -> None:
        """Find the screen to show (where the draft was left) and announce it."""
        record = self.record
        self._write(lambda: ("moved", record.session.current_screen()), self._on_navigated)

    def set_answer(self, path: str, value: str) -> None:
        record = self.record
        self._write(lambda: record.set(path, value), coalesce=f"set:{path}")

    def go_next(self, *, check: bool = True) -> None:
        self._write(self._navigate(self.record.next_screen, check=check), self._on_navigated)

    def go_previous(self) -> None:
        self._write(self._navigate(self.record.previous_screen), self._on_navigated)

    def go_to(self, path: str) -> None:
        record = self.record
        self._write(self._navigate(lambda: record.go_to(path)), self._on_navigated)

    def add_repeat(self, slot_path: str) -> None:
        record = self.record

        def task() -> tuple[str, Any]:
            new_path = record.add_repeat(slot_path)
            return "moved", record.go_to(new_path)
        self._write(task, self._on_navigated)

    def remove_repeat(self, slot_path: str, index: int) -> None:
        record = self.record

        def task() -> tuple[str, Any]:
            record.remove_repeat(slot_path, index)
            return "moved", record.session.current_screen()
        self._write(task, self._on_navigated)

    def set_language(self, language: str) -> None:
        record = self.record
        self._write(lambda: record.set_language(language))

    def attach(self, path: str, file_path: str) -> None:
        record = self.record
        source = Path(file_path)
        media_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"

        def task() -> None:
            with source.open("rb") as stream:
                record.attach(path, source.name, media_type, stream)
        self._write(task)

    def finalise(self) -> None:
        record = self.record

        def task() -> tuple[str, Any]:
            issues = record.errors()
            if issues:
                return "refused", issues
            return "finalised", record.finalise()

        def done(result: tuple[str, Any]) -> None:
            outcome, payload = result
            if outcome == "refused":
                self.finalise_refused.emit(payload)
            else:
                self._closed = True
                self.finalised.emit(payload)
        self._write(task, done)

    def close(self, then: Callable[[], None] | None = None) -> None:
        """Close the record (the draft stays) once every queued write is done."""
        if self._closed:
            if then is not None:
                then()
            return
        record = self.record
        task = self.runner.write(record.close)
        self._closed = True

        def finish(_result: object = None) -> None:
            if then is not None:
                then()
        task.finished.connect(finish)
        task.failed.connect(lambda error: finish())


class ViewController(FormController):
    """A finalised record, read-only: navigation only, nothing written."""

    read_only = True

    def __init__(self, session: FormSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session

    @property
    def session(self) -> FormSession:
        return self._session

    def _settle(self, screen: Screen | None) -> None:
        if screen is not None:
            self.current = screen
        QTimer.singleShot(0, self.state_changed.emit)

    def start(self) -> None:
        first = next((s for s in self._session.screens() if s.relevant), None)
        if first is not None:
            self._session.go_to(first.key)
        self._settle(first)

    def set_answer(self, path: str, value: str) -> None:
        log.debug("ignored a change on a read-only record")

    def go_next(self, *, check: bool = True) -> None:
        screen = self._session.next_screen()
        if screen is None:
            self.end_reached.emit()
        self._settle(screen)

    def go_previous(self) -> None:
        self._settle(self._session.previous_screen())

    def go_to(self, path: str) -> None:
        self._settle(self._session.go_to(path))

    def add_repeat(self, slot_path: str) -> None:
        return None

    def remove_repeat(self, slot_path: str, index: int) -> None:
        return None

    def set_language(self, language: str) -> None:
        self._session.set_language(language)
        self._settle(None)

    def attach(self, path: str, file_path: str) -> None:
        return None

    def finalise(self) -> None:
        return None
