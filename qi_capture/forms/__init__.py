"""The questionnaire engine: XLSForm loading, the compiled form model, expressions.

Public API (tests and tools rely on these names)::

    from qi_capture.forms import load_form, load_form_bytes, Form, FormError, FormIssue

``load_form(path)`` reads an XLSForm with pyxform, checks it with our expression engine and
compiles it into an immutable ``Form`` whose ``to_json()`` the store keeps beside records;
``Form.from_json()`` reopens it without pyxform. ``FormError.errors`` lists every problem.

Importing this package does not import pyxform (about 0.3 s with openpyxl): the app opens
stored compiled forms on its way to the home screen and needs pyxform only when an XLSForm
is read. ``load_form`` and ``load_form_bytes`` below are the loader's functions behind a
function-level import, so ``from qi_capture.forms import load_form`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from qi_capture.forms.errors import FormError
from qi_capture.forms.model import Form, FormIssue

# Registers the session with the model so ``Form.new_session()`` works wherever the model
# is imported from (the model itself never imports the session: no import loop).
from qi_capture.forms.session import session as _session  # noqa: F401  # isort: skip

__all__ = ["Form", "FormError", "FormIssue", "load_form", "load_form_bytes"]


def load_form(path: str | Path) -> Form:
    """Load and compile the XLSForm at ``path`` (see ``qi_capture.forms.loader.load_form``)."""
    # Imported here, not at package import: the loader pulls in pyxform (see above).
    from qi_capture.forms import loader

    return loader.load_form(path)


def load_form_bytes(data: bytes, filename: str, *, media_files: Iterable[str] = ()) -> Form:
    """Load and compile a form from its bytes (see
    ``qi_capture.forms.loader.load_form_bytes``)."""
    # Imported here, not at package import: the loader pulls in pyxform (see above).
    from qi_capture.forms import loader

    return loader.load_form_bytes(data, filename, media_files=media_files)
