"""Plain-Python progress and cancellation protocols for long core work.

Core functions stay synchronous; they accept ``progress`` and ``cancel`` arguments.
The UI (ui/tasks.py) adapts these to Qt signals; the CLI prints them.
"""

from __future__ import annotations

import threading
from typing import Protocol


class ProgressCallback(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


class CancelToken(Protocol):
    def is_cancelled(self) -> bool: ...


class Cancelled(Exception):
    """Raised by core work that noticed its CancelToken was set."""


class SimpleCancelToken:
    """A thread-safe CancelToken usable from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def is_cancelled(self) -> bool:
        return self._event.is_set()


def no_progress(done: int, total: int, message: str = "") -> None:
    """A ProgressCallback that ignores progress."""
