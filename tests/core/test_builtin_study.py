"""The built-in study's two XLSForms convert cleanly and keep the structure the app relies on."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2xform import convert

ROOT = Path(__file__).resolve().parents[2]
STUDY_DIR = ROOT / "resources" / "studies" / "london-qi-baseline"
QUESTIONNAIRE = STUDY_DIR / "qi_baseline_questionnaire.xlsx"
INTERVIEW = STUDY_DIR / "stakeholder_interview_guide.xlsx"
GENERATOR = ROOT / "tools" / "make_builtin_study.py"

LANG = "English (en)"
CONSENTED = "${consent} = 'yes'"
NONE_EXCLUSIVE = "not(selected(., 'none') and count-selected(.) > 1)"
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

# Rows allowed before (or beside) the consent gate: metadata, the introduction, the consent
# questions themselves and the "consent declined" note.
UNGATED = {
    QUESTIONNAIRE: {"start", "end", "intro", "consent", "consent_declined"},
    INTERVIEW: {"start", "end", "interview_date", "intro", "consent", "consent_declined"},
}
INTERVIEW_SECTIONS = (
    "approach",
    "capability",
    "leadership",
    "what_works",
    "barriers",
    "future_support",
)

Element = dict[str, Any]


@cache
def form_json(path: Path) -> Element:
    return parse_file_to_json(str(path))


def authored(form: Element) -> list[Element]:
    """Top-level elements of the form, without the `meta` group pyxform appends itself."""
    children = list(form["children"])
    last = children[-1]
    assert last["name"] == "meta"
    assert {c["name"] for c in last["children"]} <= {"instanceID", "instanceName"}
    return children[:-1]


def walk(element: Element, parents: tuple[Element, ...] = ()) -> Iterator[tuple[Element, tuple]]:
    """Every authored descendant of a pyxform JSON element, with its ancestors (outermost first)."""
    children = authored(element) if element.get("type") == "survey" else element.get("children", [])
    for child in children:
        yield child, parents
        yield from walk(child, (*parents, child))


def by_name(form: Element) -> dict[str, Element]:
    return {el["name"]: el for el, _ in walk(form)}


def choice_names(form: Element, list_name: str) -> list[str]:
    return [c["name"] for c in form["choices"][list_name]]


def appearance(element: Element) -> str:
    return element.get("control", {}).get("appearance", "")


@pytest.mark.parametrize(
    ("path", "form_id", "title"),
    [
        (QUESTIONNAIRE, "qi_baseline", "London QI baseline questionnaire"),
        (INTERVIEW, "qi_stakeholder_interview", "London QI stakeholder interview guide"),
    ],
    ids=["questionnaire", "interview"],
)
def test_converts_with_pyxform_without_errors_or_warnings(
    path: Path, form_id: str, title: str
) -> None:
    warnings: list[str] = []
    result = convert(xlsform=path, warnings=warnings)
    assert warnings == []
    assert f'id="{form_id}"' in result.xform
    assert f"<h:title>{title}</h:title>" in result.xform

    form = form_json(path)
    assert form["id_string"] == form_id
    assert form["title"] == title
    assert re.fullmatch(r"20\d{8}", form["version"])
    assert form["default_language"] == LANG
    assert "${org_name}" in form["instance_name"]


def test_interview_guide_uses_interview_style() -> None:
    assert form_json(INTERVIEW)["style"] == "interview"
    assert '<h:body class="interview">' in convert(xlsform=INTERVIEW).xform
    assert "style" not in form_json(QUESTIONNAIRE)


@pytest.mark.parametrize("path", [QUESTIONNAIRE, INTERVIEW], ids=["questionnaire", "interview"])
def test_consent_comes_first_and_gates_everything_else(path: Path) -> None:
    form = form_json(path)
    consent = by_name(form)["consent"]
    assert consent["type"] == "select one"
    assert consent["itemset"] == "yes_no"
    assert choice_names(form, "yes_no") == ["yes", "no"]
    assert consent["bind"]["required"] == "yes"

    top = authored(form)
    questions = [c["name"] for c in top if c["type"] not in {"start", "end", "today", "note"}]
    assert questions[0] == "consent"

    gated_groups = 0
    for child in top:
        if child["name"] in UNGATED[path]:
            continue
        # Anything else sits at the top level only as a consent-gated group, or (the interview's
        # quotes consent) as a question gated directly on consent.
        assert child.get("bind", {}).get("relevant") == CONSENTED, child["name"]
        gated_groups += child["type"] == "group"
    assert gated_groups >= 6

    declined = by_name(form)["consent_declined"]
    assert declined["type"] == "note"
    assert declined["bind"]["relevant"] == "${consent} = 'no'"


@pytest.mark.parametrize("path", [QUESTIONNAIRE, INTERVIEW], ids=["questionnaire", "interview"])
def test_names_are_valid_and_unique(path: Path) -> None:
    form = form_json(path)
    names = [el["name"] for el, _ in walk(form)]
    assert len(names) == len(set(names))
    assert "meta" not in names
    assert all(NAME_RE.match(n) for n in names), names
    for list_name, choices in form["choices"].items():
        values = [c["name"] for c in choices]
        assert len(values) == len(set(values)), list_name
        assert all(NAME_RE.match(v) for v in values), list_name
    for el, _ in walk(form):
        if el["type"] == "select all that apply":
            assert not any(" " in v for v in choice_names(form, el["itemset"]))


def test_questionnaire_respondent_methods_and_training() -> None:
    form = form_json(QUESTIONNAIRE)
    el = by_name(form)
    assert choice_names(form, "org_type") == [
        "acute", "mental_health", "community", "primary_care",
        "commissioner", "education", "ahsn", "other",
    ]  # fmt: skip
    assert len(choice_names(form, "footprint")) == 5
    assert el["org_type_other"]["bind"]["relevant"] == "${org_type} = 'other'"
    assert el["role_other"]["bind"]["relevant"] == "${role} = 'other'"

    assert el["methods"]["type"] == "select all that apply"
    assert {"mfi_pdsa", "lean", "six_sigma", "spc", "ebcd", "clinical_audit", "other"} <= set(
        choice_names(form, "qi_method")
    )
    assert el["methods_other"]["bind"]["relevant"] == "selected(${methods}, 'other')"

    levels = ["trained_awareness", "trained_practitioner", "trained_advanced", "trained_coach"]
    for name in levels:
        assert el[name]["type"] == "integer"
        assert el[name]["bind"]["constraint"] == ". >= 0 and . <= 50000"
        assert el[name]["bind"]["jr:constraintMsg"][LANG]
    total = el["trained_total"]
    assert total["type"] == "calculate"
    assert all(f"${{{name}}}" in total["bind"]["calculate"] for name in levels)
    assert "${trained_total}" in el["trained_total_note"]["label"][LANG]


def test_questionnaire_project_repeat() -> None:
    form = form_json(QUESTIONNAIRE)
    repeat = by_name(form)["qi_project"]
    assert repeat["type"] == "repeat"
    fields = {c["name"]: c for c in repeat["children"]}
    assert set(fields) == {"project_title", "project_method", "project_stage", "project_patients"}
    assert fields["project_method"]["itemset"] == "qi_method"
    assert fields["project_stage"]["itemset"] == "project_stage"
    assert len(choice_names(form, "project_stage")) == 5
    assert fields["project_patients"]["type"] == "integer"
    assert fields["project_patients"]["bind"]["constraint"] == ". >= 0"


def test_questionnaire_leadership_statements_use_a_five_point_likert_scale() -> None:
    form = form_json(QUESTIONNAIRE)
    assert choice_names(form, "agree5") == [
        "strongly_disagree", "disagree", "neutral", "agree", "strongly_agree",
    ]  # fmt: skip
    likert = [(el, parents) for el, parents in walk(form) if appearance(el) == "likert"]
    assert len(likert) >= 5
    for el, parents in likert:
        assert el["type"] == "select one"
        assert el["itemset"] == "agree5"
        assert appearance(parents[-1]) == "field-list"


def test_questionnaire_none_answers_are_exclusive() -> None:
    form = form_json(QUESTIONNAIRE)
    el = by_name(form)
    for name in ("barriers", "support"):
        assert el[name]["type"] == "select all that apply"
        assert "none" in choice_names(form, el[name]["itemset"])
        assert el[name]["bind"]["constraint"] == NONE_EXCLUSIVE
        assert "cannot be combined" in el[name]["bind"]["jr:constraintMsg"][LANG]
    # Every select_multiple offering a "none" answer must make it exclusive.
    for item, _ in walk(form):
        if item["type"] == "select all that apply" and "none" in choice_names(
            form, item["itemset"]
        ):
            assert item["bind"]["constraint"] == NONE_EXCLUSIVE, item["name"]
    assert appearance(el["comments"]) == "multiline"


def test_interview_sections_have_open_questions_and_a_key_quote() -> None:
    form = form_json(INTERVIEW)
    groups = {c["name"]: c for c in authored(form) if c["type"] == "group"}
    for section in INTERVIEW_SECTIONS:
        children = groups[section]["children"]
        questions, quote = children[:-1], children[-1]
        assert 2 <= len(questions) <= 4, section
        for q in questions:
            assert q["type"] == "text"
            assert appearance(q) == "multiline"
            assert q["hint"][LANG].startswith("Probes:")
        assert quote["name"] == f"key_quote_{section}"
        assert quote["type"] == "text"
        assert quote["label"][LANG] == "Key quote from this section"
    assert "closing" in groups


def test_interview_reuses_the_questionnaire_choice_lists() -> None:
    interview, questionnaire = form_json(INTERVIEW), form_json(QUESTIONNAIRE)
    for list_name in ("org_type", "footprint", "yes_no"):
        assert interview["choices"][list_name] == questionnaire["choices"][list_name]
    assert choice_names(interview, "role") == [
        "improvement_lead", "medical_director", "nursing_director", "commissioner",
        "education_lead", "ahsn_staff", "other",
    ]  # fmt: skip
    assert set(choice_names(interview, "role")) <= set(choice_names(questionnaire, "role"))
    el = by_name(interview)
    for name in ("participant_role", "org_name", "org_type", "footprint"):
        assert el[name]["bind"]["required"] == "yes"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_builtin_study", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_committed_workbooks_match_the_generator() -> None:
    generator = _load_generator()
    for form in generator.FORMS:
        wb = openpyxl.load_workbook(STUDY_DIR / form.filename, read_only=True)
        try:
            for sheet, expected in generator.sheet_rows(form).items():
                actual = [
                    ["" if v is None else str(v) for v in row]
                    for row in wb[sheet].iter_rows(values_only=True)
                ]
                assert actual == expected, f"{form.filename}:{sheet} is stale; regenerate it"
        finally:
            wb.close()
