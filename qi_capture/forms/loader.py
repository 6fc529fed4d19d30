"""``load_form``: an XLSForm file in, a compiled ``Form`` out (or one ``FormError``).

The steps, and where each lives:

1. sniff and read the file with pyxform's readers (``pyxform_reader``);
2. our checks on the de-aliased survey sheet (``checks``): unknown types, expression
   syntax, unknown references, calculation cycles, unknown functions;
3. the full pyxform conversion, with three documented leniencies (docs/forms-support.md):
   a ``.xlsx`` holding a legacy ``.xls`` workbook is read as what it is; a user group named
   ``meta`` (CHT) is merged into the meta block; duplicate choice names (old Liberia S3M
   forms) are accepted as ``allow_choice_duplicates = yes`` would - each with a warning;
4. compile pyxform's JSON into the model (``compile``).

Every error of steps 2 and 3 is reported together; only a file that cannot be read at all
stops earlier.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePath

from qi_capture.forms import errors as codes
from qi_capture.forms.analysis import ExpressionCache
from qi_capture.forms.checks import check_expressions, check_types
from qi_capture.forms.compile import RENAMED_META, compile_form
from qi_capture.forms.errors import FormError
from qi_capture.forms.limits import (
    FormTooLarge,
    check_before_parsing,
    check_read_sheets,
    read_form_file,
)
from qi_capture.forms.model import Form, FormIssue
from qi_capture.forms.pyxform_reader import (
    PyxformFailed,
    PyxformResult,
    ReadFailed,
    drop_survey_cells,
    issues_from_pyxform_warnings,
    patch_survey_cells,
    read_workbook,
    run_pyxform,
    set_setting,
    settings_row,
    sheets_of,
    sniff,
    survey_rows,
)

_BEGIN_GROUP = re.compile(r"^begin[ _]group$")
_MISSING_NAME = re.compile(r"Could not find the name '([^']+)'")
_SHEET_ORDER = {"survey": 0, "choices": 1, "settings": 2}


def load_form(path: str | Path) -> Form:
    """Load and compile the XLSForm at ``path`` (.xlsx, .xls, .md or .csv).

    Attachments are looked for in ``<name>-media/`` beside the file (the ODK convention).
    Raises ``FormError`` listing every problem, located by sheet/row/column; code
    ``file_unreadable`` when the file is missing or unreadable.
    """
    file = Path(path)
    try:
        data = read_form_file(file)
    except FormTooLarge as err:
        raise FormError([err.issue], source=str(file)) from None
    except FileNotFoundError:
        raise FormError([FormIssue(codes.FILE_UNREADABLE, f"No such file: {file}")],
                        source=str(file)) from None
    except OSError as err:
        raise FormError([FormIssue(codes.FILE_UNREADABLE,
                                   f"Cannot read {file}: {err.strerror or err}")],
                        source=str(file)) from err
    media_dir = file.with_name(f"{file.stem}-media")
    media = [p.name for p in media_dir.iterdir() if p.is_file()] if media_dir.is_dir() else []
    return load_form_bytes(data, file.name, media_files=media)


def load_form_bytes(data: bytes, filename: str, *, media_files: Iterable[str] = ()) -> Form:
    """Load and compile a form from its bytes; ``filename`` gives the fallback form id and
    a hint of the format (the content decides). ``media_files`` are the attachment names
    available to the form."""
    try:
        sniffed = sniff(data, filename)
        # Sizes, zip parts, rows and columns, before any parser sees the bytes.
        check_before_parsing(data, sniffed.file_type)
        workbook, read_notes = read_workbook(data, sniffed.file_type, PurePath(filename).stem)
        if sniffed.file_type == ".xls":
            check_read_sheets(sheets_of(workbook))
    except FormTooLarge as err:
        raise FormError([err.issue], source=filename) from None
    except ReadFailed as err:
        raise FormError(err.issues, source=filename) from err
    warnings: list[FormIssue] = [sniffed.warning] if sniffed.warning else []
    warnings.extend(read_notes)

    rows = survey_rows(workbook) or []
    settings = settings_row(workbook)
    cache = ExpressionCache()
    errors = check_types(rows)
    checked = check_expressions(rows, settings, cache)
    errors.extend(checked.errors)

    if errors:
        # Let pyxform check the rest of the form as if unknown types were hidden, so every
        # problem is reported in one go ("hidden" needs no label or calculation).
        patch_survey_cells(workbook, "type", {
            i.row: "hidden" for i in errors if i.code == codes.UNKNOWN_TYPE and i.row
        })
    meta_rows = [r.number for r in rows if r.name == "meta" and _BEGIN_GROUP.match(r.type)]
    if meta_rows:
        patch_survey_cells(workbook, "name", dict.fromkeys(meta_rows, RENAMED_META))
        warnings.extend(FormIssue(
            codes.RESERVED_META_GROUP,
            "The group name 'meta' is reserved for the form's metadata; as older pyxform "
            "did (and CHT forms expect), its fields were kept in a group named 'meta'.",
            sheet="survey", row=number, column="name",
        ) for number in meta_rows)

    # pyxform 4.5 crashes (TypeError in its XML writer) on ``instance::tag`` of a group
    # row, which CHT forms use; the attribute is kept in our model, pyxform never sees it.
    tagged_groups = [r.number for r in rows if r.type.startswith(("begin", "begin_"))
                     and "tag" in (r.data.get("instance") or {})]
    if tagged_groups:
        drop_survey_cells(workbook, ("instance", "tag"), tagged_groups)

    result: PyxformResult | None = None
    try:
        result = run_pyxform(workbook)
    except PyxformFailed as failed:
        if failed.duplicate_choices and "allow_choice_duplicates" not in settings:
            warnings.extend(FormIssue(
                codes.DUPLICATE_CHOICE_NAME,
                "Choice names must be unique for each choice list; this duplicate was "
                "accepted (as allow_choice_duplicates = yes would), so answers with this "
                "name cannot tell the two choices apart.",
                sheet=i.sheet, row=i.row, column="name",
            ) for i in failed.issues)
            set_setting(workbook, "allow_choice_duplicates", "yes")
            try:
                result = run_pyxform(workbook)
            except PyxformFailed as again:
                errors = _merge(errors, again.issues)
        else:
            errors = _merge(errors, failed.issues)

    if errors or result is None:
        raise FormError(_sorted(errors), source=filename)

    warnings.extend(issues_from_pyxform_warnings(result.warnings))
    warnings.extend(checked.warnings)
    form, cycles = compile_form(
        result.json, rows, settings, cache, warnings,
        media_files=frozenset(media_files),
        source_sha256=hashlib.sha256(data).hexdigest(),
    )
    if cycles:  # the row checks find these first; this guards generated calculations
        raise FormError([FormIssue(
            codes.CALCULATION_CYCLE,
            "These calculations depend on each other in a cycle: " + " -> ".join(c),
            sheet="survey", column="calculation",
        ) for c in cycles], source=filename)
    return form


def _merge(ours: list[FormIssue], pyxform: list[FormIssue]) -> list[FormIssue]:
    """pyxform's issues plus ours, keeping pyxform's wording where both found a problem."""
    said = {(i.row, m[1]) for i in pyxform if (m := _MISSING_NAME.search(i.message))}
    kept = [
        i for i in ours
        if not (i.code == codes.UNKNOWN_REFERENCE
                and (m := _MISSING_NAME.search(i.message)) and (i.row, m[1]) in said)
    ]
    # pyxform's dangling-reference message keeps its wording under our code for it.
    named = [
        replace(i, code=codes.UNKNOWN_REFERENCE) if _MISSING_NAME.search(i.message) else i
        for i in pyxform
    ]
    return [*named, *kept]


def _sorted(issues: list[FormIssue]) -> list[FormIssue]:
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (_SHEET_ORDER.get(i.sheet or "", 3), i.row or 0))
