"""QI Capture's own checks on top of pyxform's, run on the survey sheet as pyxform reads it.

pyxform does not parse XPath and stops at its first error. These checks parse every
expression with our engine and report *all* problems, located by sheet/row/column like
pyxform's messages: syntax errors (with the position in the expression), references to
names that do not exist, calculation cycles, types nobody knows (errors), and functions we
cannot run (warnings). They run on the de-aliased rows, so they still report when pyxform
rejects the form for another reason.

Unknown functions are warnings, not errors: real forms carry platform functions (SurveyCTO
``duration()``, CHT ``difference-in-months()``) in a few expressions; the rest of the form
can still be filled, and the expression engine raises a typed error if one is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from qi_capture.forms import errors as codes
from qi_capture.forms.analysis import Analysed, ExpressionCache, text_references
from qi_capture.forms.depgraph import calculation_order
from qi_capture.forms.model import FormIssue
from qi_capture.forms.pyxform_reader import (
    BINDING_CONVERSIONS,
    SurveyRow,
    default_is_dynamic,
    is_known_type,
)

#: bind key -> XLSForm column, for the expression columns of the survey sheet.
_BIND_COLUMNS = {
    "relevant": "relevant",
    "constraint": "constraint",
    "calculate": "calculation",
    "required": "required",
    "readonly": "read_only",
}
_TEXT_COLUMNS = ("label", "hint", "guidance_hint")
_BIND_TEXT_COLUMNS = {"jr:constraintMsg": "constraint_message",
                      "jr:requiredMsg": "required_message"}
#: Names pyxform adds to every form (meta block), referable as ${instanceID}.
BUILTIN_NAMES = frozenset({"instanceID", "instanceName"})


@dataclass(frozen=True, slots=True)
class Site:
    """One expression (or display text) in the form and where it is."""

    sheet: str
    row: int
    column: str
    source: str
    #: The survey row's name ("" for settings).
    owner: str
    #: "expression" is parsed; "text" only has its ${} outputs looked at; "refs" is a
    #: list of ${} references (the trigger column).
    kind: str = "expression"


def sites(rows: list[SurveyRow], settings: Mapping[str, Any]) -> Iterator[Site]:
    """Every expression and ``${}``-bearing text of the survey sheet and settings."""
    for row in rows:
        data = row.data
        bind = data.get("bind") or {}
        for key, column in _BIND_COLUMNS.items():
            value = bind.get(key)
            if isinstance(value, str) and value and value not in BINDING_CONVERSIONS:
                yield Site("survey", row.number, column, value, row.name)
        choice_filter = data.get("choice_filter")
        if isinstance(choice_filter, str) and choice_filter:
            yield Site("survey", row.number, "choice_filter", choice_filter, row.name)
        count = (data.get("control") or {}).get("jr:count")
        if isinstance(count, str) and count and not count.strip().isdigit():
            yield Site("survey", row.number, "repeat_count", count, row.name)
        default = data.get("default")
        if isinstance(default, str) and default and default_is_dynamic(default, row.type):
            yield Site("survey", row.number, "default", default, row.name)
        trigger = data.get("trigger")
        if isinstance(trigger, str) and trigger:
            yield Site("survey", row.number, "trigger", trigger, row.name, "refs")
        for column in _TEXT_COLUMNS:
            yield from _text_sites(row, column, data.get(column))
        for key, column in _BIND_TEXT_COLUMNS.items():
            yield from _text_sites(row, column, bind.get(key))
    instance_name = settings.get("instance_name")
    if isinstance(instance_name, str) and instance_name:
        yield Site("settings", 2, "instance_name", instance_name, "instanceName")


def _text_sites(row: SurveyRow, column: str, value: Any) -> Iterator[Site]:
    texts = value.values() if isinstance(value, dict) else [value]
    for text in texts:
        if isinstance(text, str) and "${" in text:
            yield Site("survey", row.number, column, text, row.name, "text")


@dataclass(slots=True)
class CheckResult:
    errors: list[FormIssue]
    warnings: list[FormIssue]


def check_types(rows: list[SurveyRow]) -> list[FormIssue]:
    """Rows whose type neither pyxform nor QI Capture knows (all of them, not the first)."""
    return [
        FormIssue(
            codes.UNKNOWN_TYPE,
            f"Unknown question type '{row.type}'. It is not an XLSForm type (platform-"
            "specific types such as SurveyCTO 'caseid' or CHT 'tel' are not supported); "
            "use a standard type, e.g. 'text' or 'calculate'.",
            sheet="survey", row=row.number, column="type",
        )
        for row in rows
        if row.type and not is_known_type(row.type)
    ]


def check_expressions(rows: list[SurveyRow], settings: Mapping[str, Any],
                      cache: ExpressionCache) -> CheckResult:
    """Syntax, unknown references, unknown functions and calculation cycles."""
    errors: list[FormIssue] = []
    found_warnings: list[FormIssue] = []
    names = {row.name for row in rows if row.name} | BUILTIN_NAMES
    calcs: dict[str, list[str]] = {}
    calc_rows: dict[str, int] = {}
    for site in sites(rows, settings):
        if site.kind == "expression":
            result = cache.analyse(site.source)
            if not isinstance(result, Analysed):
                # Syntax errors reject the form. A wrong argument count or an XPath
                # construct ODK lacks only fails when evaluated (as in ODK Collect), and
                # pyxform accepts such forms, so those are named warnings.
                issue = FormIssue(
                    result.code,
                    f"The expression is invalid at position {result.position}: "
                    f"{result.message} (in: {site.source})",
                    sheet=site.sheet, row=site.row, column=site.column,
                )
                target = errors if result.code == codes.EXPRESSION_SYNTAX else found_warnings
                target.append(issue)
                continue
            refs = result.references
            for function in result.unknown_functions:
                found_warnings.append(FormIssue(
                    codes.UNKNOWN_FUNCTION,
                    f"The function '{function}()' is not one QI Capture can run (it is not "
                    "in ODK XForms; e.g. SurveyCTO or CHT functions), so this expression "
                    "will fail when it is evaluated.",
                    sheet=site.sheet, row=site.row, column=site.column,
                ))
            for pattern, why in result.regex_risks:
                found_warnings.append(FormIssue(
                    codes.REGEX_BACKTRACKING,
                    f"The regular expression {pattern!r} backtracks: {why}. Rewrite it "
                    "without nested repeats (e.g. (a+)+ -> a+), lookaround or "
                    "backreferences.",
                    sheet=site.sheet, row=site.row, column=site.column,
                ))
            if site.column == "calculation" and site.owner:
                calcs[site.owner] = list(refs)
                calc_rows[site.owner] = site.row
        else:
            refs = text_references(site.source)
        for ref in refs:
            if ref not in names:
                errors.append(FormIssue(
                    codes.UNKNOWN_REFERENCE,
                    "Reference variables must contain a name from the 'survey' sheet. "
                    f"Could not find the name '{ref}'.",
                    sheet=site.sheet, row=site.row, column=site.column,
                ))
    _, cycles = calculation_order(calcs)
    for cycle in cycles:
        errors.append(FormIssue(
            codes.CALCULATION_CYCLE,
            "These calculations depend on each other in a cycle, so none can be computed: "
            + " -> ".join(f"${{{name}}}" for name in cycle),
            sheet="survey", row=calc_rows.get(cycle[0]), column="calculation",
        ))
    return CheckResult(_dedupe(errors), _dedupe(found_warnings))


def _dedupe(issues: list[FormIssue]) -> list[FormIssue]:
    return list(dict.fromkeys(issues))
