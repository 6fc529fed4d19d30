"""Session tests write small forms as pyxform markdown tables and load them for real."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from qi_capture.forms import Form, load_form
from qi_capture.forms.session import FormSession

FIXED_NOW = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)

MakeForm = Callable[..., Form]


@pytest.fixture
def make_form(tmp_path: Path) -> MakeForm:
    counter = iter(range(10_000))

    def make(markdown: str, name: str | None = None) -> Form:
        path = tmp_path / f"{name or 'form'}_{next(counter)}.md"
        path.write_text(textwrap.dedent(markdown), encoding="utf-8")
        return load_form(path)

    return make


Start = Callable[..., FormSession]


@pytest.fixture
def start() -> Start:
    """Start a session with a pinned clock and random source."""

    def begin(form: Form, **kwargs: object) -> FormSession:
        kwargs.setdefault("clock", lambda: FIXED_NOW)
        kwargs.setdefault("random_source", lambda: 0.25)
        return FormSession(form, **kwargs)  # type: ignore[arg-type]

    return begin
