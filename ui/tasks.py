"""Runs core calls off the UI thread and hands their outcome back on it.

`TaskRunner` owns two thread pools: a parallel one for reads and slow pure work (unlock,
form loading), and a serial one (one thread, FIFO) for every database write, so writes
happen in the order the interviewer made them and never overlap. Each submitted callable
gets a `Task` whose ``finished`` / ``failed`` / ``progress`` signals fire on the UI thread.
Workers never touch widgets: they only return values, raise, or call the plain
``progress(done, total, text)`` callback they are given.

A serial task may carry a ``coalesce`` key: a newer task with the same key replaces one
still waiting in the queue (typing ten characters queues one write of the last value, not
ten), so a slow disk never builds an ever-growing backlog.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]


def guarded(owner: QObject, fn: Callable[..., Any]) -> Callable[..., None]:
    """``fn``, called only while ``owner`` (the widget it updates) still exists.

    A bound method of a QObject is disconnected when the object is deleted, but a lambda
    is not: a task that finishes after its page was closed (the admin closed the central
    store) would call into a deleted widget. Wrap such lambdas in this."""
    def call(*args: Any) -> None:
        if shiboken6.isValid(owner):
            fn(*args)
    return call


class Task(QObject):
    """The UI-thread face of one submitted callable."""

    finished = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int, str)

    def __init__(self, task_id: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task_id = task_id
        self.cancelled = threading.Event()
        self.done = False

    def cancel(self) -> None:
        """Skip it if it has not started; a running callable is not interrupted."""
        self.cancelled.set()


class _Relay(QObject):
    """Emitted from worker threads; connected (queued) to the runner on the UI thread."""

    finished = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, int, int, str)
    skipped = Signal(int)


class _Job:
    """The work of one task. Handed to ``QThreadPool.start`` as a plain callable so that
    Qt owns the runnable that wraps it (a Python QRunnable subclass collected by Python
    while the pool still uses it is a double free)."""

    def __init__(self, task: Task, relay: _Relay, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any], with_progress: bool) -> None:
        self._task_id = task.task_id
        self._cancelled = task.cancelled
        self._relay = relay
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._with_progress = with_progress

    def __call__(self) -> None:  # worker thread
        if self._cancelled.is_set():
            self._relay.skipped.emit(self._task_id)
            return
        kwargs = dict(self._kwargs)
        if self._with_progress:
            task_id = self._task_id

            def progress(done: int, total: int, text: str = "") -> None:
                self._relay.progress.emit(task_id, done, total, text)

            kwargs["progress"] = progress
        try:
            result = self._fn(*self._args, **kwargs)
        except BaseException as exc:  # handed to the UI thread, which decides what to show
            self._relay.failed.emit(self._task_id, exc)
        else:
            self._relay.finished.emit(self._task_id, result)


class TaskRunner(QObject):
    """Create on the UI thread; keep one per window (tests make their own)."""

    #: The serial (write) queue went from busy to empty.
    writes_drained = Signal()
    #: The number of unfinished serial tasks changed.
    pending_writes_changed = Signal(int)

    def __init__(self, parent: QObject | None = None, *, max_readers: int = 2) -> None:
        super().__init__(parent)
        self._readers = QThreadPool(self)
        self._readers.setMaxThreadCount(max_readers)
        self._writer = QThreadPool(self)
        self._writer.setMaxThreadCount(1)
        self._relay = _Relay()
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.finished.connect(self._on_relay_finished, queued)
        self._relay.failed.connect(self._on_relay_failed, queued)
        self._relay.progress.connect(self._on_relay_progress, queued)
        self._relay.skipped.connect(self._on_relay_skipped, queued)
        self._ids = itertools.count(1)
        self._tasks: dict[int, Task] = {}
        self._serial: set[int] = set()
        self._coalesce: dict[str, Task] = {}

    # --- submitting ---------------------------------------------------------------------
    def run(self, fn: Callable[..., Any], *args: Any, with_progress: bool = False,
            **kwargs: Any) -> Task:
        """Run ``fn(*args, **kwargs)`` on the parallel pool (reads, pure work)."""
        return self._submit(self._readers, fn, args, kwargs, with_progress, serial=False)

    def write(self, fn: Callable[..., Any], *args: Any, coalesce: str | None = None,
              with_progress: bool = False, **kwargs: Any) -> Task:
        """Run ``fn`` on the serial write queue, after every write submitted before it."""
        if coalesce is not None:
            waiting = self._coalesce.pop(coalesce, None)
            if waiting is not None:
                waiting.cancel()
        task = self._submit(self._writer, fn, args, kwargs, with_progress, serial=True)
        if coalesce is not None:
            self._coalesce[coalesce] = task
            task.setProperty("coalesce", coalesce)
        return task

    def _submit(self, pool: QThreadPool, fn: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any], with_progress: bool, *, serial: bool) -> Task:
        task = Task(next(self._ids), self)
        self._tasks[task.task_id] = task
        if serial:
            self._serial.add(task.task_id)
            self.pending_writes_changed.emit(len(self._serial))
        pool.start(_Job(task, self._relay, fn, args, kwargs, with_progress))
        return task

    # --- state --------------------------------------------------------------------------
    @property
    def pending_writes(self) -> int:
        return len(self._serial)

    def is_idle(self) -> bool:
        return not self._tasks

    def wait_for_readers(self, msecs: int = 30_000) -> bool:
        """Block until no read is running (the lock task calls it from the writer thread,
        so the store is never closed under a read)."""
        return self._readers.waitForDone(msecs)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until both pools are empty (shutdown and tests only)."""
        ok = self._writer.waitForDone(msecs)
        return self._readers.waitForDone(msecs) and ok

    # --- delivery (UI thread) -----------------------------------------------------------
    def _take(self, task_id: int) -> Task | None:
        task = self._tasks.pop(task_id, None)
        if task is None:
            return None
        task.done = True
        key = task.property("coalesce")
        if isinstance(key, str) and self._coalesce.get(key) is task:
            del self._coalesce[key]
        return task

    def _after(self, task_id: int) -> None:
        if task_id in self._serial:
            self._serial.discard(task_id)
            self.pending_writes_changed.emit(len(self._serial))
            if not self._serial:
                self.writes_drained.emit()

    @Slot(int, object)
    def _on_relay_finished(self, task_id: int, result: object) -> None:
        task = self._take(task_id)
        if task is not None:
            task.finished.emit(result)
            task.deleteLater()
        self._after(task_id)

    @Slot(int, object)
    def _on_relay_failed(self, task_id: int, error: object) -> None:
        task = self._take(task_id)
        if task is not None:
            if not isinstance(error, Exception):
                log.error("task %d ended with %s", task_id, type(error).__name__)
            task.failed.emit(error)
            task.deleteLater()
        self._after(task_id)

    @Slot(int, int, int, str)
    def _on_relay_progress(self, task_id: int, done: int, total: int, text: str) -> None:
        task = self._tasks.get(task_id)
        if task is not None:
            task.progress.emit(done, total, text)

    @Slot(int)
    def _on_relay_skipped(self, task_id: int) -> None:
        task = self._take(task_id)
        if task is not None:
            task.deleteLater()
        self._after(task_id)
