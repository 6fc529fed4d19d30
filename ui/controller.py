"""The form filler's door to a record: every change goes through the serial write queue.

`RecordController` sends the interviewer's intentions to a services `RecordFill` (whose
record autosaves each change in one transaction before returning) as write tasks, on the
writer thread. The last task of a burst also reads the record into a frozen `FormView`
there, and the view is handed over when the write queue is empty (``state_changed``):
the UI thread never touches the live form session, so it needs no lock and no rule about
when it may read. `ViewController` shows a finalised record through a `ReadOnlyFill`
that nothing writes, moved and read on the same queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from qi_capture.services import RecordDraft
from qi_capture.services.filling import ReadOnlyFill, RecordFill
from qi_capture.services.screen import FormView, Moved
from ui.errors import message_for
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class FormController(QObject):
    """What the filler needs from a record, whether it can be changed or not."""

    #: A new `view` is in hand (the write queue is empty): redraw from it.
    state_changed = Signal()
    #: "saving" | "saved" | "failed" (the saved indicator).
    save_state_changed = Signal(str)
    #: A change could not be made or saved; the message is for the interviewer.
    error_raised = Signal(str)
    #: Next was refused: the current screen's problems (tuple of Problem).
    screen_refused = Signal(tuple)
    #: Finalise refused: every problem (tuple of Problem).
    finalise_refused = Signal(tuple)
    #: The record was finalised (the revision info).
    finalised = Signal(object)
    #: The finalise review is read: a `FormView` with every problem.
    review_ready = Signal(object)
    #: The end of the form was reached with Next.
    end_reached = Signal()

    read_only = False

    def __init__(self, languages: tuple[str, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: The form's languages (fixed for a form version).
        self.languages = languages
        #: What the filler draws, as of the last change (None until the first is read).
        self.view: FormView | None = None
        #: Read every problem of the record into each view (the finalise list is open).
        self.want_problems = False

    @property
    def busy(self) -> bool:
        return False

    def start(self) -> None:
        raise NotImplementedError

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

    def review(self) -> None:
        """Read the record with every problem for the finalise review (``review_ready``)."""
        raise NotImplementedError

    def finalise(self, comment: str = "") -> None:
        raise NotImplementedError

    def close(self, then: Callable[[], None] | None = None) -> None:
        if then is not None:
            then()

    def pause_timing(self) -> None:
        """The interviewer paused the clock (records only; a view is not timed)."""

    def resume_timing(self) -> None:
        """The clock runs again."""


class RecordController(FormController):
    """An autosaving record (a draft, or a finalised record being edited)."""

    def __init__(self, fill: RecordFill, runner: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(fill.languages, parent)
        self.fill = fill
        self.runner = runner
        self._failed = False
        self._closed = False
        # The worker leaves the newest view here; the UI thread takes it when the queue
        # is empty. Only the last write submitted reads one (a burst of typing reads once).
        self._lock = threading.Lock()
        self._submitted = 0
        self._fresh: FormView | None = None
        runner.pending_writes_changed.connect(self._on_runner_pending_writes_changed)
        runner.writes_drained.connect(self._on_runner_writes_drained)

    @property
    def record_id(self) -> object:
        return self.fill.record_id

    @property
    def record(self) -> RecordDraft:
        """The autosaving record (tests inspect what was stored through it)."""
        return self.fill.record

    @property
    def busy(self) -> bool:
        return self.runner.pending_writes > 0

    # --- the queue ----------------------------------------------------------------------
    def _write(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               *, coalesce: str | None = None) -> None:
        if self._closed:
            return
        self._submitted += 1
        number = self._submitted
        task = self.runner.write(self._then_read(fn, number), coalesce=coalesce)
        task.finished.connect(lambda result: self._on_task_finished(result, on_done))
        task.failed.connect(self._on_task_failed)

    def _then_read(self, fn: Callable[[], Any], number: int) -> Callable[[], Any]:
        fill = self.fill

        def task() -> Any:  # writer thread
            try:
                return fn()
            finally:
                # Read even after a failure: the record went back to what is stored.
                if number == self._submitted and not fill.record.closed:
                    try:
                        view = fill.view(with_problems=self.want_problems)
                    except Exception as exc:  # keep the last view; the change is saved
                        log.warning("record view not read: %s", type(exc).__name__)
                    else:
                        with self._lock:
                            self._fresh = view
        return task

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
        with self._lock:
            fresh, self._fresh = self._fresh, None
        if fresh is not None:
            self.view = fresh
        self.state_changed.emit()

    def _on_moved(self, moved: Moved) -> None:
        if moved.outcome == "refused":
            self.screen_refused.emit(moved.problems)
        elif moved.outcome == "end":
            self.end_reached.emit()

    # --- intents ------------------------------------------------------------------------
    def start(self) -> None:
        """Find the screen to show (where the draft was left) and announce it."""
        self._write(self.fill.start, self._on_moved)

    def set_answer(self, path: str, value: str) -> None:
        fill = self.fill
        self._write(lambda: fill.set_answer(path, value), coalesce=f"set:{path}")

    def go_next(self, *, check: bool = True) -> None:
        fill = self.fill
        self._write(lambda: fill.next(check=check), self._on_moved)

    def go_previous(self) -> None:
        self._write(self.fill.previous, self._on_moved)

    def go_to(self, path: str) -> None:
        fill = self.fill
        self._write(lambda: fill.go_to(path), self._on_moved)

    def add_repeat(self, slot_path: str) -> None:
        fill = self.fill
        self._write(lambda: fill.add_repeat(slot_path), self._on_moved)

    def remove_repeat(self, slot_path: str, index: int) -> None:
        fill = self.fill
        self._write(lambda: fill.remove_repeat(slot_path, index), self._on_moved)

    def set_language(self, language: str) -> None:
        fill = self.fill
        self._write(lambda: fill.set_language(language))

    def attach(self, path: str, file_path: str) -> None:
        fill = self.fill
        self._write(lambda: fill.attach(path, file_path))

    def pause_timing(self) -> None:
        fill = self.fill
        self._write(fill.pause_timing)

    def resume_timing(self) -> None:
        fill = self.fill
        self._write(fill.resume_timing)

    def review(self) -> None:
        fill = self.fill
        # On the queue, after every change before it: the review sees the last answer.
        self._write(lambda: fill.view(with_problems=True), self.review_ready.emit)

    def finalise(self, comment: str = "") -> None:
        def done(result: object) -> None:
            if isinstance(result, Moved):
                self.finalise_refused.emit(result.problems)
            else:
                self._closed = True
                self.finalised.emit(result)
        fill = self.fill
        self._write(lambda: fill.finalise(comment), done)

    def close(self, then: Callable[[], None] | None = None) -> None:
        """Close the record (the draft stays) once every queued write is done."""
        if self._closed:
            if then is not None:
                then()
            return
        task = self.runner.write(self.fill.close)
        self._closed = True

        def finish(_result: object = None) -> None:
            if then is not None:
                then()
        task.finished.connect(finish)
        task.failed.connect(lambda error: finish())


class ViewController(FormController):
    """A finalised record, read-only: navigation only, nothing written. Its moves and
    reads run on the serial queue too (one at a time, in order, off the UI thread)."""

    read_only = True

    def __init__(self, fill: ReadOnlyFill, runner: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(fill.languages, parent)
        self.fill = fill
        self.runner = runner
        self._pending = 0

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def _run(self, intent: Callable[[], Moved | None]) -> None:
        fill = self.fill

        def task() -> tuple[Moved | None, FormView]:  # writer thread
            moved = intent()
            return moved, fill.view()
        self._pending += 1
        queued = self.runner.write(task)
        queued.finished.connect(self._on_task_finished)
        queued.failed.connect(self._on_task_failed)

    def _on_task_finished(self, result: tuple[Moved | None, FormView]) -> None:
        self._pending -= 1
        moved, self.view = result
        if moved is not None and moved.outcome == "end":
            self.end_reached.emit()
        self.state_changed.emit()

    def _on_task_failed(self, error: object) -> None:
        self._pending -= 1
        if isinstance(error, BaseException):
            self.error_raised.emit(message_for(error))

    def start(self) -> None:
        self._run(self.fill.start)

    def set_answer(self, path: str, value: str) -> None:
        log.debug("ignored a change on a read-only record")

    def go_next(self, *, check: bool = True) -> None:
        self._run(self.fill.next)

    def go_previous(self) -> None:
        self._run(self.fill.previous)

    def go_to(self, path: str) -> None:
        fill = self.fill
        self._run(lambda: fill.go_to(path))

    def add_repeat(self, slot_path: str) -> None:
        return None

    def remove_repeat(self, slot_path: str, index: int) -> None:
        return None

    def set_language(self, language: str) -> None:
        fill = self.fill

        def change() -> None:
            fill.set_language(language)
        self._run(change)

    def attach(self, path: str, file_path: str) -> None:
        return None

    def review(self) -> None:
        return None

    def finalise(self, comment: str = "") -> None:
        return None
