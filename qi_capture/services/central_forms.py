"""The forms a central store knows: every form version the admin packed (or added for an
export), compiled, so that exports label their columns without being handed the
XLSForm again.

Versions are named as on the laptops (`qi_capture.services.studies.stored_version`: the
form's own version, or one derived from its bytes), so a record's form version finds its
definition here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qi_capture.central.store import CentralStore
from qi_capture.forms import FormError, limits, load_form_bytes
from qi_capture.services.studies import stored_version
from qi_capture.storage.canonical import sha256_hex


@dataclass(frozen=True)
class RegisteredForm:
    form_id: str
    version: str
    title: str


def register_forms(
    central: CentralStore, study_id: str, files: Iterable[tuple[str, bytes]]
) -> list[RegisteredForm]:
    """Compile each (file name, XLSForm bytes) and record it in the central store under
    ``study_id`` (idempotent). Raises `FormError` for a form that does not load, before
    anything is recorded."""
    compiled = []
    for filename, data in files:
        form = load_form_bytes(data, filename)
        compiled.append((form, data))
    out = []
    for form, data in compiled:
        digest = sha256_hex(data)
        version = stored_version(form, digest)
        title = form.title or form.form_id
        central.add_form(study_id=study_id, form_id=form.form_id, version=version,
                         title=title, sha256=digest,
                         compiled_json=json.dumps(form.to_json(), ensure_ascii=False))
        out.append(RegisteredForm(form.form_id, version, title))
    return out


def read_form_file(path: Path) -> bytes:
    """An XLSForm file's bytes (for `AdminDesk.add_forms`), read to the form size limit
    and no further, whatever the file. A file over it is a `FormError` naming the file;
    a file that cannot be read raises OSError."""
    try:
        return limits.read_form_file(path)
    except limits.FormTooLarge as exc:
        raise FormError([exc.issue], source=str(path)) from None
