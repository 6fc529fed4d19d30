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
| the REFI-QDA schemas (from the ``pyrefiqda`` sdist on PyPI) | ``QI_REQUIRE_REFI`` | thematic coding's ``.qdpx``/``.qdc`` validated |
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
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


#: The official REFI-QDA 1.5 schemas (Project.xsd of 18 March 2019, Codebook.xsd) ship in
#: this sdist's refi-qda-standard/ folder; pinned by version and hash, never committed.
REFI_SDIST = "pyrefiqda==0.3.1"
REFI_SDIST_SHA256 = "e92aab320a3ca9320c17857208dce65c7846f248dfdfeea2b7318bf4198c6526"
REFI_SCHEMAS = ("Project.xsd", "Codebook.xsd")


def refi_schemas() -> Path:
    """A folder holding the official REFI-QDA ``Project.xsd`` and ``Codebook.xsd``, taken
    from the pinned ``pyrefiqda`` sdist (downloaded once with pip, its hash checked, the
    two files cached in the venv, else the temporary folder), or skip/fail
    (``QI_REQUIRE_REFI``)."""
    for base in (Path(sys.prefix), Path(tempfile.gettempdir())):
        cache = base / "qi-refi-qda-1.5" / REFI_SDIST_SHA256[:16]
        if all((cache / name).is_file() for name in REFI_SCHEMAS):
            return cache
    reason = ""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            # --require-hashes: pip checks the pinned hash before it runs anything of it.
            pinned = Path(tmp) / "pin.txt"
            pinned.write_text(f"{REFI_SDIST} --hash=sha256:{REFI_SDIST_SHA256}\n")
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                            "--no-binary", ":all:", "--require-hashes", "-q", "-d", tmp,
                            "-r", str(pinned)],
                           check=True, capture_output=True, timeout=300)
            sdist = next(Path(tmp).glob("pyrefiqda-*.tar.gz"))
            digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
            if digest != REFI_SDIST_SHA256:
                reason = f"the {REFI_SDIST} sdist has SHA-256 {digest}, not the pinned one"
            else:
                for base in (Path(sys.prefix), Path(tempfile.gettempdir())):
                    cache = base / "qi-refi-qda-1.5" / REFI_SDIST_SHA256[:16]
                    try:
                        cache.mkdir(parents=True, exist_ok=True)
                        with tarfile.open(sdist) as archive:
                            for name in REFI_SCHEMAS:
                                member = archive.extractfile(
                                    f"{sdist.name[:-7]}/refi-qda-standard/{name}")
                                assert member is not None
                                # Beside, then renamed: parallel workers may race here.
                                part = cache / f"{name}.{os.getpid()}.part"
                                part.write_bytes(member.read())
                                part.replace(cache / name)
                        return cache
                    except OSError:
                        continue
                reason = "no folder to cache the REFI-QDA schemas in"
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, StopIteration,
                KeyError, tarfile.TarError) as exc:
            reason = f"could not fetch {REFI_SDIST} from PyPI ({type(exc).__name__})"
    missing(f"the official REFI-QDA schemas are not at hand: {reason}", "QI_REQUIRE_REFI")


def check_markers(item: pytest.Item) -> None:
    """Run from ``pytest_runtest_setup``: honour ``needs_shared`` and ``needs_age``."""
    if item.get_closest_marker("needs_shared") is not None:
        acceptance()
    if item.get_closest_marker("needs_age") is not None:
        age_cli()
