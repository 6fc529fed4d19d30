"""What some tests need beyond Python and make, and what happens without it.

On a newcomer's machine (a fresh clone, no ``../shared``, no ``age`` CLI, no PostgreSQL)
such tests skip and say what is missing and how to get it. Where the matching variable is
``1`` they fail instead: ``.ci/run`` sets every one, so in CI none of them can skip.

| need | variable | tests |
|---|---|---|
| ``../shared/acceptance`` (the forms corpus and expression cases) | ``QI_REQUIRE_SHARED`` | marker ``needs_shared``, fixtures ``acceptance_dir``, ``corpus`` |
| the ``age`` CLI (Debian ``age``) | ``QI_REQUIRE_AGE`` | marker ``needs_age`` |
| PostgreSQL server binaries (``initdb``, ``pg_ctl``) | ``QI_REQUIRE_POSTGRES`` | the central-store tests on PostgreSQL |
| GNU PSPP; R with haven | ``QI_REQUIRE_PSPP``, ``QI_REQUIRE_R`` | the export read-back tests |
| Chromium (Debian ``chromium``) | ``QI_REQUIRE_CHROMIUM`` | the report's web page opened in a headless browser |
| ``pdftoppm`` (Debian ``poppler-utils``) | ``QI_REQUIRE_POPPLER`` | the report's PDF pages rendered to PNG |
| ``espeak-ng`` (Debian ``espeak-ng``) | ``QI_REQUIRE_ESPEAK`` | generated speech through the recording pipeline |
| PortAudio (Debian ``libportaudio2``) | ``QI_REQUIRE_PORTAUDIO`` | the microphone's "no input device" error |
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: ../shared beside the project root: the specs and the acceptance corpus (read, never copied).
SHARED_DIR = PROJECT_ROOT.parent / "shared"
ACCEPTANCE_DIR = SHARED_DIR / "acceptance"
CORPUS_DIR = ACCEPTANCE_DIR / "xlsforms"


def missing(reason: str, variable: str, *, module_level: bool = False) -> NoReturn:
    """Skip (saying why and how to make it required), or fail where ``variable`` is 1."""
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1 makes this test required)", pytrace=False)
    pytest.skip(f"{reason}; set {variable}=1 to make it required",
                allow_module_level=module_level)


def acceptance() -> Path:
    """The acceptance folder of ../shared, or skip/fail (``QI_REQUIRE_SHARED``)."""
    if not (ACCEPTANCE_DIR / "xlsforms").is_dir():
        missing(f"the acceptance corpus is not at {ACCEPTANCE_DIR} (it comes with the "
                "project's shared folder, beside the checkout)", "QI_REQUIRE_SHARED")
    return ACCEPTANCE_DIR


def age_cli() -> str:
    """The ``age`` command, or skip/fail (``QI_REQUIRE_AGE``)."""
    found = shutil.which("age")
    if found is None:
        missing("the age CLI is not installed (Debian: apt-get install age)", "QI_REQUIRE_AGE")
    return found


def chromium() -> str:
    """The Chromium browser, or skip/fail (``QI_REQUIRE_CHROMIUM``)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        missing("Chromium is not installed (Debian: apt-get install chromium)",
                "QI_REQUIRE_CHROMIUM")
    return found


def pdftoppm() -> str:
    """Poppler's ``pdftoppm``, or skip/fail (``QI_REQUIRE_POPPLER``)."""
    found = shutil.which("pdftoppm")
    if found is None:
        missing("pdftoppm is not installed (Debian: apt-get install poppler-utils)",
                "QI_REQUIRE_POPPLER")
    return found


def espeak_ng() -> str:
    """The ``espeak-ng`` speech synthesiser, or skip/fail (``QI_REQUIRE_ESPEAK``)."""
    found = shutil.which("espeak-ng")
    if found is None:
        missing("espeak-ng is not installed (Debian: apt-get install espeak-ng)",
                "QI_REQUIRE_ESPEAK")
    return found


def portaudio() -> None:
    """PortAudio's shared library loads, or skip/fail (``QI_REQUIRE_PORTAUDIO``)."""
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError):
        missing("PortAudio is not installed (Debian: apt-get install libportaudio2)",
                "QI_REQUIRE_PORTAUDIO")


def check_markers(item: pytest.Item) -> None:
    """Run from ``pytest_runtest_setup``: honour ``needs_shared`` and ``needs_age``."""
    if item.get_closest_marker("needs_shared") is not None:
        acceptance()
    if item.get_closest_marker("needs_age") is not None:
        age_cli()
