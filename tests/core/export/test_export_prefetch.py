"""Reading ahead (`qi_capture.export.prefetch`): the items in order, an error raised
where they are consumed, and an iterator stopped early closed in its own thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from qi_capture.export.prefetch import prefetched


def test_items_arrive_in_order() -> None:
    assert list(prefetched(iter(range(1000)), depth=2)) == list(range(1000))


def test_an_error_in_the_reader_is_raised_to_the_consumer() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for item in prefetched(items()):
            got.append(item)
    assert got == [1]


def test_a_consumer_that_stops_early_closes_the_iterator_in_its_thread() -> None:
    seen: dict[str, object] = {}

    def items() -> Iterator[int]:
        seen["opened_in"] = threading.current_thread().name
        try:
            yield from range(10**9)
        finally:
            seen["closed_in"] = threading.current_thread().name

    reader = prefetched(items())
    assert next(reader) == 0
    reader.close()  # what an export that fails half-way does (its for loop is left)
    assert seen["opened_in"] == seen["closed_in"] == "qi-export-read"
    assert not any(t.name == "qi-export-read" for t in threading.enumerate())
