"""What a long command shows while it works, and what Ctrl+C does to it.

`long_work` wraps one long command. The service it calls reports through the same
``progress(done, total, message)`` callback and `CancelToken` the admin console uses
(`qi_capture.progress`); this module turns the reports into:

- on a terminal (stderr is a TTY): a rich progress bar on stderr with what is being
  done, the counts and the time left;
- not on a terminal (piped, redirected, CI logs): plain lines on stderr, one when the
  step changes and one per tenth of the way, so a log of 100,000 records stays short;
- with ``--json`` or ``--quiet``: nothing (stdout carries only the result).

Progress goes to stderr so that stdout stays the command's result, whatever the mode.

Ctrl+C (SIGINT) the first time sets the cancel token: the service stops between units of
work (a bundle, a batch of records, a report step), keeps what it finished and leaves no
half-written file; the command then says what was done and exits with `EXIT_CANCELLED`.
A second Ctrl+C stops at once (Python's KeyboardInterrupt, also `EXIT_CANCELLED`): what
is written is still whole (every file goes through a temporary name, every store write is
one transaction), the step under way is lost.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from qi_capture.cli.common import EXIT_CANCELLED, CliError
from qi_capture.progress import Cancelled, SimpleCancelToken
from qi_capture.services.admin.report import Cancelled as ReportCancelled


class CommandCancelled(CliError):
    """Ctrl+C stopped a long command between units of work (exit `EXIT_CANCELLED`)."""

    code = "cancelled"

    def __init__(self, summary: str) -> None:
        super().__init__(f"{summary}; what was finished is kept, nothing is half-written",
                         EXIT_CANCELLED)


def quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress output (--json implies it)")


_WRITING = threading.Lock()


@dataclass
class Work:
    """One long command's progress sink and cancel token (see the module docstring)."""

    label: str
    mode: str  # "bar", "lines" or "silent"
    cancel: SimpleCancelToken = field(default_factory=SimpleCancelToken)
    done: int = 0
    total: int = 0
    message: str = ""
    _bar: Progress | None = None
    _task: TaskID | None = None
    _tenth: int = -1
    _hundredth: int = -1
    _started: float = field(default_factory=time.monotonic)

    def progress(self, done: int, total: int, message: str = "") -> None:
        """A `qi_capture.progress.ProgressCallback`."""
        changed = bool(message) and message != self.message
        self.done, self.total = done, total
        if message:
            self.message = message
        if self.mode == "bar" and self._bar is not None and self._task is not None:
            # Drawn at once for each new step and each hundredth of the way (not only
            # at rich's refresh rate, which on a quick run skipped straight to the end),
            # so at most about a hundred redraws whatever the count.
            hundredth = 100 * done // total if total else done
            redraw = changed or hundredth != self._hundredth
            self._hundredth = hundredth
            self._bar.update(self._task, completed=done, total=total or None,
                             description=self._description(), refresh=redraw)
        elif self.mode == "lines":
            tenth = 10 * done // total if total else 0
            if changed or tenth != self._tenth:
                self._tenth = tenth
                counts = f"{done}/{total}" if total else str(done)
                self._line(f"{self._description()}: {counts}")

    def check(self) -> None:
        """Raise `Cancelled` if Ctrl+C was pressed: for work that has no cancel token of
        its own, called between its units."""
        if self.cancel.is_cancelled():
            raise Cancelled()

    def progress_or_stop(self, done: int, total: int, message: str = "") -> None:
        """`progress`, then `check`: a callback that also stops work that takes none."""
        self.progress(done, total, message)
        self.check()

    def say(self, text: str) -> None:
        """A line on stderr for the person at the terminal (not with --json/--quiet)."""
        if self.mode == "silent":
            return
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            self._line(text)

    def _line(self, text: str) -> None:
        # Whole lines, one writer at a time: services may report from a worker thread
        # (the export's reader) while the Ctrl+C handler speaks from the main thread.
        with _WRITING:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def summary(self) -> str:
        """What was done when it stopped, in words."""
        counts = f"{self.done} of {self.total}" if self.total else f"{self.done}"
        step = f" ({self.message})" if self.message else ""
        return f"{self.label}: stopped after {counts}{step}"

    def _description(self) -> str:
        return f"{self.label}: {self.message}" if self.message else self.label


def output_mode(*, quiet: bool) -> str:
    if quiet:
        return "silent"
    return "bar" if sys.stderr.isatty() else "lines"


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,  # the result replaces the bar
        redirect_stdout=False,
        redirect_stderr=False,
    )


@contextmanager
def long_work(label: str, *, quiet: bool = False) -> Iterator[Work]:
    """Show ``label``'s progress and make the first Ctrl+C a request to stop (see the
    module docstring). ``quiet``: --json or --quiet was given."""
    work = Work(label, output_mode(quiet=quiet))

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if work.cancel.is_cancelled():
            raise KeyboardInterrupt
        work.cancel.cancel()
        work.say(f"{label}: stopping after the current step (Ctrl+C again to stop now)")

    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, on_sigint)
        installed = True
    except ValueError:  # not the main thread (the CLI called from a test's thread)
        installed = False
    try:
        if work.mode == "bar":
            console = Console(stderr=True)
            with _bar(console) as bar:
                work._bar = bar
                work._task = bar.add_task(label, total=None)
                yield work
        else:
            yield work
    except (Cancelled, ReportCancelled):
        raise CommandCancelled(work.summary()) from None
    finally:
        work._bar = None
        if installed:
            signal.signal(signal.SIGINT, previous)
