"""Scenario tests on the real forms of the acceptance corpus (../shared/acceptance/xlsforms/).

The corpus is read where it lies, never copied into the project (its licences vary). Each
form is loaded once per test run: a ``Form`` is immutable, so sessions can share it.
Sessions start with a pinned clock (2024-03-01 09:30 UTC, so ``today()`` is 2024-03-01)
and a pinned random source (0.25), as tests/core/session/conftest.py does.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import openpyxl
import pytest

from qi_capture.forms import Form, load_form, load_form_bytes
from qi_capture.forms.session import FormSession
from tests import needs

CORPUS = needs.CORPUS_DIR
FIXED_NOW = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
FIXED_RANDOM = 0.25

#: SurveyCTO-only types (the loader rejects them by design, docs/forms-support.md) and the
#: ODK type each is read as for a scenario: ``caseid``, ``comments`` and the audit types
#: hold nothing a scenario sets; ``calculate_here`` is SurveyCTO's calculate evaluated in
#: place.
SURVEYCTO_TYPES = {
    "caseid": "hidden",
    "comments": "hidden",
    "text audit": "hidden",
    "audio audit": "hidden",
    "calculate_here": "calculate",
}

_FORMS: dict[str, Form] = {}

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]


def _load(name: str) -> Form:
    form = _FORMS.get(name)
    if form is None:
        form = _FORMS[name] = load_form(CORPUS / name)
    return form


def _load_surveycto(name: str) -> Form:
    """A SurveyCTO-dialect workbook with its platform-only types mapped to ODK ones, in
    memory: the file on disk is read, never written."""
    key = f"surveycto:{name}"
    form = _FORMS.get(key)
    if form is not None:
        return form
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "Unknown extension is not supported"
        book = openpyxl.load_workbook(CORPUS / name)
    for extra in [n for n in book.sheetnames if n not in ("survey", "choices", "settings")]:
        del book[extra]  # help sheets and notes: nothing the loader reads
    sheet = book["survey"]
    header = [str(c.value).strip().lower() if c.value is not None else "" for c in sheet[1]]
    column = header.index("type") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
        value = str(cell.value).strip() if cell.value is not None else ""
        if value in SURVEYCTO_TYPES:
            cell.value = SURVEYCTO_TYPES[value]
    buffer = io.BytesIO()
    book.save(buffer)
    form = _FORMS[key] = load_form_bytes(buffer.getvalue(), name)
    return form


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return needs.acceptance() / "xlsforms"


@pytest.fixture(scope="session")
def corpus(corpus_dir: Path) -> CorpusForm:
    """``corpus("webforms__whova_form.xlsx")`` -> the loaded form (cached)."""
    return _load


@pytest.fixture(scope="session")
def surveycto_corpus(corpus_dir: Path) -> CorpusForm:
    """Load a SurveyCTO-dialect corpus form with ``SURVEYCTO_TYPES`` mapped (in memory)."""
    return _load_surveycto


@pytest.fixture
def start() -> Start:
    """Start a session with a pinned clock and random source."""

    def begin(form: Form, *, media: Mapping[str, bytes] | None = None,
              **kwargs: object) -> FormSession:
        kwargs.setdefault("clock", lambda: FIXED_NOW)
        kwargs.setdefault("random_source", lambda: FIXED_RANDOM)
        return FormSession(form, media=media, **kwargs)  # type: ignore[arg-type]

    return begin
