"""The form loader's error type and the codes of every issue it reports.

A form that cannot be used raises one ``FormError`` carrying *every* problem found
(pyxform's and ours), each a ``FormIssue`` located by sheet, row and column the way
pyxform's messages are, so an author can fix them all in one pass. Problems that leave
the form usable become ``FormIssue`` warnings on the compiled ``Form`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from qi_capture.errors import QICaptureError
from qi_capture.forms.model import FormIssue

# --- error codes (the form is rejected) ---------------------------------------------------
#: The file is missing or cannot be read at all.
FILE_UNREADABLE = "file_unreadable"
#: The bytes are not a workbook/markdown/CSV form pyxform can read (or the type is wrong).
FILE_NOT_A_FORM = "file_not_a_form"
#: pyxform rejected the form; the message is pyxform's own.
PYXFORM = "pyxform"
#: The file is over a size limit (bytes, zip parts, rows, columns, cells): the message
#: names the number found and the limit (``qi_capture.forms.limits``).
FORM_TOO_LARGE = "form_too_large"
#: A ``type`` value neither pyxform nor QI Capture knows (SurveyCTO ``caseid``, CHT ``tel``).
UNKNOWN_TYPE = "unknown_type"
#: An expression does not parse; the message gives the position in the expression.
EXPRESSION_SYNTAX = "expression_syntax"
#: ``${name}`` names no field, group or repeat of the form.
UNKNOWN_REFERENCE = "unknown_reference"
#: Calculations that (directly or indirectly) depend on themselves.
CALCULATION_CYCLE = "calculation_cycle"

# --- warning codes (the form loads) -------------------------------------------------------
#: pyxform's own warnings, passed on verbatim.
PYXFORM_WARNING = "pyxform_warning"
#: A function QI Capture cannot run (platform-specific, e.g. SurveyCTO ``duration()``).
UNKNOWN_FUNCTION = "unknown_function"
#: A type QI Capture can show but not fully run on a desktop (barcode, external selects...).
LIMITED_TYPE = "limited_type"
#: The file's content is another format than its name says (IFRC ``.xlsx`` that is BIFF .xls).
FILE_TYPE_MISMATCH = "file_type_mismatch"
#: A user group named ``meta`` (CHT forms): merged into the form's meta block.
RESERVED_META_GROUP = "reserved_meta_group"
#: Duplicate choice names in a list without ``allow_choice_duplicates`` (Liberia S3M forms).
DUPLICATE_CHOICE_NAME = "duplicate_choice_name"
#: Rows or columns after a run of 20 blank ones were ignored (XLSForm "Basic format").
DATA_AFTER_BLANK_RUN = "data_after_blank_run"
#: A literal ``regex()`` pattern that backtracks (``(a+)+``, lookaround): slow or hanging in
#: ODK Collect; here it runs in linear time or under a time limit.
REGEX_BACKTRACKING = "regex_backtracking"


class FormError(QICaptureError):
    """The form cannot be loaded. ``errors`` lists every problem found, in sheet/row order."""

    code = "form_invalid"

    def __init__(self, errors: Sequence[FormIssue], source: str = "") -> None:
        self.errors: list[FormIssue] = list(errors)
        first = str(self.errors[0]) if self.errors else "the form is invalid"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        where = f"{source}: " if source else ""
        super().__init__(
            f"{where}{first}{more}",
            source=source,
            errors=[issue.to_json() for issue in self.errors],
        )
