"""Everything that talks to pyxform: reading the file, running the conversion, its errors.

pyxform is the reference XLSForm converter (ODK, KoboToolbox); it already reads .xlsx,
legacy .xls, .csv and markdown-table forms, knows every header alias, translation and
setting, and gives the messages form authors know. This module wraps it so the rest of
``qi_capture.forms`` never imports pyxform:

- ``sniff`` looks at the bytes, not the name (a real IFRC form is BIFF .xls named .xlsx);
- ``read_workbook`` turns bytes into pyxform's ``DefinitionData`` (sheets as row dicts),
  keeping third-party ``warnings`` from leaking and cutting sheets after 20 blank rows;
- ``survey_rows`` gives the survey sheet de-aliased exactly as pyxform sees it, with row
  numbers, so our own checks can locate problems even when pyxform rejects the form;
- ``run_pyxform`` runs the whole conversion (``workbook_to_json``, the survey builder and
  ``to_xml`` without ODK Validate) because some of pyxform's checks - unknown types, labels,
  duplicate names - only happen after ``workbook_to_json``;
- ``issues_from_pyxform_error`` splits pyxform's messages into located ``FormIssue``s.

pyxform has no type hints; values crossing this boundary are plain dicts/lists/strings.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath
from typing import Any

from pyxform import aliases, constants
from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.parsing.parameters import parse as _parse_parameters
from pyxform.parsing.sheet_headers import dealias_and_group_headers, process_header
from pyxform.question import MultipleChoiceQuestion
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.survey import Survey
from pyxform.utils import default_is_dynamic as _default_is_dynamic
from pyxform.xls2json import (
    RE_BEGIN_CONTROL,
    RE_END_CONTROL,
    RE_OSM,
    RE_SELECT,
    dealias_types,
    workbook_to_json,
)
from pyxform.xls2json_backends import (
    Definition,
    DefinitionData,
    SupportedFileTypes,
    definition_to_dict,
    is_csv,
    is_markdown_table,
)

from qi_capture.forms import errors as codes
from qi_capture.forms.model import FormIssue

#: XLSForm "Basic format": data after 20 adjacent blank rows or columns is not processed.
#: pyxform stops columns at 20 but rows only at 60, so rows are cut again here.
MAX_ADJACENT_BLANK = 20

#: ``yes``/``TRUE``/``no``... in required/read_only -> ``true()``/``false()`` (pyxform's table).
BINDING_CONVERSIONS: dict[str, str] = dict(aliases.BINDING_CONVERSIONS)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SHEETS = ("survey", "choices", "settings", "external_choices", "entities", "osm")
_ROW_MESSAGE = re.compile(
    r"\[row : (?P<row>\d+)\]\s*(?:On the '(?P<sheet>[^']+)' sheet, the '(?P<column>[^']+)' value)?"
)
_ROW_SPLIT = re.compile(r"(?=\[row : \d+\])")


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the bytes really are: a pyxform file type (".xlsx", ".xls", ".md", ".csv")."""

    file_type: str
    warning: FormIssue | None = None


def sniff(data: bytes, filename: str) -> Sniffed:
    """Decide the format from the content; the name's suffix only breaks text ties."""
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(_ZIP_MAGIC):
        actual = ".xlsm" if suffix == ".xlsm" else ".xlsx"
    elif data.startswith(_OLE_MAGIC):
        actual = ".xls"
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        raise _not_a_form(
            f"The file is named '{suffix}' but is not a spreadsheet: it is neither an "
            "Excel 2007+ workbook (zip) nor a legacy Excel 97-2003 workbook (OLE)."
        )
    else:
        text = data[:5000].decode("utf-8", errors="replace")
        if suffix in (".md", ".csv"):
            actual = suffix
        elif is_markdown_table(text):
            actual = ".md"
        elif is_csv(text):
            actual = ".csv"
        else:
            raise _not_a_form(
                "The file is not an XLSForm: expected an Excel workbook (.xlsx, .xls), "
                "a markdown table form (.md) or a CSV form (.csv)."
            )
    warning = None
    if suffix in (".xlsx", ".xlsm", ".xls") and actual != suffix and {actual, suffix} != {
        ".xlsx", ".xlsm"
    }:
        label = {".xls": "a legacy Excel 97-2003 (.xls)", ".xlsx": "an Excel 2007+ (.xlsx)"}
        warning = FormIssue(
            codes.FILE_TYPE_MISMATCH,
            f"The file is named '{suffix}' but contains {label.get(actual, actual)} "
            "workbook; it was read as what it contains. Re-save it with the right extension.",
        )
    return Sniffed(actual, warning)


def _not_a_form(message: str) -> ReadFailed:
    return ReadFailed([FormIssue(codes.FILE_NOT_A_FORM, message)])


class ReadFailed(Exception):
    """Internal: reading failed; the loader turns ``issues`` into a FormError."""

    def __init__(self, issues: list[FormIssue]) -> None:
        super().__init__(issues[0].message if issues else "unreadable")
        self.issues = issues




def read_workbook(data: bytes, file_type: str, stem: str) -> tuple[DefinitionData, list[FormIssue]]:
    """Read the sheets with pyxform's backends; returns the data and reading warnings."""
    definition = Definition(
        data=BytesIO(data), file_type=SupportedFileTypes(file_type), file_path_stem=stem
    )
    try:
        # openpyxl warns about workbook features it drops (data-validation extensions,
        # conditional formatting); they never concern form content. catch_warnings is
        # process-wide, so this is not thread-safe - loading runs on one worker at a time.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = definition_to_dict(definition=definition, file_type=file_type)
    except PyXFormError as err:
        raise ReadFailed(
            [FormIssue(codes.FILE_NOT_A_FORM, f"The file could not be read: {err}")]
        ) from err
    except Exception as err:  # a corrupt file must never crash the loader
        raise ReadFailed(
            [FormIssue(codes.FILE_NOT_A_FORM,
                       f"The file could not be read ({type(err).__name__}: {err}).")]
        ) from err
    notes = _cut_after_blank_rows(workbook) if file_type in (".xlsx", ".xlsm", ".xls") else []
    return workbook, notes


def sheets_of(workbook: DefinitionData) -> dict[str, Any]:
    """The XLSForm sheets read, by name (rows as dicts), for counting."""
    return {sheet: getattr(workbook, sheet, None) for sheet in _SHEETS}


def _cut_after_blank_rows(workbook: DefinitionData) -> list[FormIssue]:
    notes: list[FormIssue] = []
    for sheet in _SHEETS:
        rows = getattr(workbook, sheet)
        if not rows:
            continue
        blank = 0
        for index, row in enumerate(rows):
            blank = blank + 1 if not row else 0
            if blank > MAX_ADJACENT_BLANK:
                cut = index - blank + 1
                later = next((i for i in range(index, len(rows)) if rows[i]), None)
                if later is not None:
                    notes.append(FormIssue(
                        codes.DATA_AFTER_BLANK_RUN,
                        f"Rows after {MAX_ADJACENT_BLANK} blank rows are not part of the form "
                        "(XLSForm stops reading there) and were ignored.",
                        sheet=sheet, row=later + 2,
                    ))
                setattr(workbook, sheet, list(rows[:cut]))
                break
    return notes


# --- the survey sheet as pyxform de-aliases it -----------------------------------------------


@dataclass(frozen=True, slots=True)
class SurveyRow:
    """One non-empty survey row: its spreadsheet row number and pyxform's grouped dict
    (``{"type": ..., "name": ..., "bind": {"relevant": ...}, "label": {...}}``)."""

    number: int
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))


def settings_row(workbook: DefinitionData) -> dict[str, Any]:
    """The settings sheet's first row, de-aliased (empty if none or unreadable)."""
    if not workbook.settings:
        return {}
    try:
        result = dealias_and_group_headers(
            sheet_name=constants.SETTINGS,
            sheet_data=workbook.settings,
            sheet_header=workbook.settings_header or [],
            header_aliases=aliases.settings_header,
            header_columns=set(Survey.get_slot_names()),
        )
    except PyXFormError:
        return {}
    return dict(result.data[0]) if result.data else {}


def survey_rows(workbook: DefinitionData) -> list[SurveyRow] | None:
    """The survey sheet as ``workbook_to_json`` sees it; None if pyxform cannot de-alias it
    (pyxform's own error then says why)."""
    if not workbook.survey:
        return None
    settings = settings_row(workbook)
    clean = aliases.yes_no.get(settings.get("clean_text_values", "yes"), True)
    try:
        result = dealias_and_group_headers(
            sheet_name=constants.SURVEY,
            sheet_data=workbook.survey,
            sheet_header=workbook.survey_header or [],
            header_aliases=aliases.survey_header,
            header_columns=set(MultipleChoiceQuestion.get_slot_names()),
            headers_required={constants.TYPE},
            default_language=settings.get(
                constants.DEFAULT_LANGUAGE_KEY, constants.DEFAULT_LANGUAGE_VALUE
            ),
            strip_whitespace=clean,
        )
    except PyXFormError:
        return None
    rows = dealias_types(dict_array=[dict(r) for r in result.data])
    return [SurveyRow(number, row) for number, row in enumerate(rows, start=2) if row]


def is_known_type(type_name: str) -> bool:
    """True if pyxform (and so QI Capture) knows this ``type`` value."""
    return bool(
        type_name in QUESTION_TYPE_DICT
        or RE_BEGIN_CONTROL.search(type_name)
        or RE_END_CONTROL.search(type_name)
        or RE_SELECT.search(type_name)
        or RE_OSM.search(type_name)
        or type_name in aliases.settings_header
    )


def _raw_header(workbook: DefinitionData, sheet: str, canonical: tuple[str, ...],
                header_aliases: dict[str, Any], columns: set[str]) -> str | None:
    """The sheet's original header that pyxform maps to ``canonical`` (e.g. ("type",))."""
    headers = getattr(workbook, f"{sheet}_header") or []
    if not headers:
        return None
    double = any("::" in h for h in headers[0])
    for header in headers[0]:
        _, tokens = process_header(header, double, header_aliases, columns)
        if tokens == canonical:
            return str(header)
    return None


def patch_survey_cells(workbook: DefinitionData, column: str,
                       new_values: dict[int, str]) -> None:
    """Overwrite survey cells (row number -> value) in ``column`` ("type", "name") before
    pyxform runs: how the loader stands in for unknown types and the reserved ``meta``."""
    header = _raw_header(workbook, "survey", (column,), aliases.survey_header,
                         set(MultipleChoiceQuestion.get_slot_names()))
    if header is None or not workbook.survey:
        return
    rows = list(workbook.survey)
    for number, value in new_values.items():
        rows[number - 2] = {**rows[number - 2], header: value}
    workbook.survey = rows


def drop_survey_cells(workbook: DefinitionData, canonical: tuple[str, ...],
                      numbers: list[int]) -> None:
    """Blank the cells of one column in some survey rows before pyxform runs."""
    header = _raw_header(workbook, "survey", canonical, aliases.survey_header,
                         set(MultipleChoiceQuestion.get_slot_names()))
    if header is None or not workbook.survey:
        return
    rows = list(workbook.survey)
    for number in numbers:
        rows[number - 2] = {k: v for k, v in rows[number - 2].items() if k != header}
    workbook.survey = rows


def set_setting(workbook: DefinitionData, key: str, value: str) -> None:
    """Add a setting (used to accept duplicate choice names leniently)."""
    settings = [dict(r) for r in (workbook.settings or [])] or [{}]
    headers = [dict(h) for h in (workbook.settings_header or [])] or [{}]
    settings[0][key] = value
    headers[0][key] = None
    workbook.settings = settings
    workbook.settings_header = headers


# --- running pyxform ------------------------------------------------------------------------


@dataclass(slots=True)
class PyxformResult:
    json: dict[str, Any]
    warnings: list[str]


class PyxformFailed(Exception):
    """pyxform rejected the form: its message split into located issues."""

    def __init__(self, issues: list[FormIssue], duplicate_choices: bool = False) -> None:
        super().__init__(issues[0].message if issues else "pyxform failed")
        self.issues = issues
        #: The failure is (only) duplicate choice names, which the loader may accept.
        self.duplicate_choices = duplicate_choices


_DUPLICATE_CHOICES = "Choice names must be unique for each choice list"


def run_pyxform(workbook: DefinitionData) -> PyxformResult:
    """The full pyxform conversion (no ODK Validate); raises PyxformFailed."""
    found: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = workbook_to_json(
                workbook_dict=workbook,
                fallback_form_name=workbook.fallback_form_name,
                warnings=found,
            )
            survey = create_survey_element_from_dict(data)
            # to_xml runs the checks of the element classes (labels, names, instances).
            survey.to_xml(validate=False, pretty_print=False, warnings=found)
    except PyXFormError as err:
        issues = issues_from_pyxform_error(err)
        duplicates = all(_DUPLICATE_CHOICES in i.message for i in issues)
        raise PyxformFailed(issues, duplicate_choices=duplicates) from err
    except Exception as err:  # a pyxform bug on an odd form must not crash the loader
        raise PyxformFailed([FormIssue(
            codes.PYXFORM,
            f"pyxform could not convert the form ({type(err).__name__}: {err}).",
        )]) from err
    return PyxformResult(data, found)


def issues_from_pyxform_error(err: Exception, code: str = codes.PYXFORM) -> list[FormIssue]:
    """pyxform's error message, split per ``[row : N]`` and located where it says."""
    context = getattr(err, "context", None) or {}
    message = str(err).strip()
    parts = [p.strip() for p in _ROW_SPLIT.split(message) if p.strip()] or [message]
    return [_issue_from_message(part, code, context) for part in parts]


def issues_from_pyxform_warnings(messages: list[str]) -> Iterator[FormIssue]:
    for message in messages:
        yield _issue_from_message(message.strip(), codes.PYXFORM_WARNING, {})


def _issue_from_message(message: str, code: str, context: dict[str, Any]) -> FormIssue:
    match = _ROW_MESSAGE.match(message)
    row = int(match["row"]) if match else _int_or_none(context.get("row"))
    sheet = (match["sheet"] if match and match["sheet"] else context.get("sheet"))
    column = (match["column"] if match and match["column"] else context.get("column"))
    if row is not None and sheet is None:
        sheet = "survey"
    return FormIssue(code, message, sheet=sheet, row=row, column=column)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def default_is_dynamic(value: str, type_name: str | None = None) -> bool:
    """pyxform's rule: does this ``default`` need evaluating (vs a literal)?"""
    return bool(_default_is_dynamic(value, type_name))


def parse_parameters(raw: str) -> dict[str, str]:
    """The ``parameters`` column as pyxform splits it; {} if it cannot."""
    try:
        parsed = _parse_parameters(raw_parameters=raw, row_number=0)
    except PyXFormError:
        return {}
    return {str(k): str(v) for k, v in parsed.items()}
