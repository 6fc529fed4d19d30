"""Counting the export-ready copies built: a test that says "the export read the copies
as they were kept" or "only the new records were built" counts the records each call of
`qi_capture.export.chunks.build` reads (an empty list: nothing was built)."""

from __future__ import annotations

from typing import Any

import pytest

from qi_capture.export import chunks


def count_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on in the test, the records each copy built reads, one entry a build."""
    built: list[int] = []
    real = chunks.build

    def build(layout: Any, batches: Any, states: Any = None) -> chunks.ChunkFrames:
        read = list(batches)
        built.append(sum(len(batch) for batch in read))
        return real(layout, read, states)

    monkeypatch.setattr(chunks, "build", build)
    return built
