"""Form-loader tests write small forms as pyxform markdown tables (or build .xlsx files with
openpyxl in tmp_path) and load them through the public API."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from qi_capture.forms import Form, FormError, FormIssue, load_form_bytes

LoadMd = Callable[[str], Form]
RejectMd = Callable[[str], list[FormIssue]]


def md(text: str) -> bytes:
    return textwrap.dedent(text).strip().encode("utf-8")


@pytest.fixture
def load_md() -> LoadMd:
    """Load a markdown-table form; fails the test if it is rejected."""

    def load(text: str) -> Form:
        try:
            return load_form_bytes(md(text), "test_form.md")
        except FormError as err:  # show every issue, not just the first
            pytest.fail("form rejected:\n" + "\n".join(str(i) for i in err.errors))

    return load


@pytest.fixture
def reject_md() -> RejectMd:
    """Load a markdown-table form that must be rejected; returns its issues."""

    def reject(text: str) -> list[FormIssue]:
        with pytest.raises(FormError) as info:
            load_form_bytes(md(text), "test_form.md")
        assert info.value.code == "form_invalid"
        return info.value.errors

    return reject
