"""Shared fixtures for the expression tests: ``ev`` evaluates with a pinned clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from qi_capture.forms.expressions import evaluate

#: The fixed "now" of the ``ev`` fixture (UTC device time zone unless a test passes one).
NOW = dt.datetime(2024, 6, 15, 12, 30, 45, 123000, tzinfo=dt.UTC)

Ev = Callable[..., object]


@pytest.fixture
def ev() -> Ev:
    """``evaluate`` with ``now()`` pinned to NOW (or ``now=``) and ``random() = 0.25``."""

    def run(expr: str, values: dict[str, Any] | None = None, *, now: dt.datetime = NOW) -> object:
        return evaluate(expr, values or {}, now=now, random=lambda: 0.25)

    return run
