"""Reading ahead: the next batch of records is read while this one is typed and written.

The central store's reading spends much of its time in SQLCipher (reading and
decrypting pages), which runs without Python's lock; in a thread of its own it overlaps
the building and writing of the batch before. At most ``depth`` batches wait, so memory
stays that of a few batches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``items`` as they are, read in a thread of their own (the iterator is created,
    advanced and closed in that thread alone: a database connection it holds never
    changes threads). An error in it is raised here; when the consumer stops early the
    thread stops at its next item and closes the iterator."""
    waiting: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="qi-export-read", daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
