"""The conformance corpus (../shared/acceptance/xlsforms, read in place, never copied).

Every form pyxform 4.5.0 accepts loads; every form it rejects is rejected with a named
error or - where docs/forms-support.md says we are lenient - loads with a named warning.
No form crashes the loader or hangs it; every loaded form survives a JSON round trip.
"""

from __future__ import annotations

import json
import time
from typing import NamedTuple

import pytest

from qi_capture.forms import Form, FormError, load_form
from tests import needs

CORPUS = needs.CORPUS_DIR
#: Every test here reads the corpus: without ../shared they skip (see tests/needs.py).
pytestmark = pytest.mark.needs_shared


class Outcome(NamedTuple):
    loads: bool
    #: Loads: warning codes that must be present. Rejected: the exact set of error codes.
    codes: frozenset[str]


def ok(*warning_codes: str) -> Outcome:
    return Outcome(True, frozenset(warning_codes))


def rejected(*error_codes: str) -> Outcome:
    return Outcome(False, frozenset(error_codes))


EXPECTED: dict[str, Outcome] = {
    # pyxform rejects: reserved 'meta' group (lenient) + CHT functions (warnings).
    "cht__death_report.xlsx": ok("reserved_meta_group", "unknown_function"),
    "cht__delivery.xlsx": ok("reserved_meta_group", "unknown_function"),
    "cht__pregnancy.xlsx": ok("reserved_meta_group", "unknown_function"),
    # ... and this one also uses CHT's 'tel' type, which nobody else knows.
    "cht__person-create.xlsx": rejected("unknown_type"),
    "fmtm__building_natural_risks_survey.xlsx": ok("limited_type"),
    # pyxform rejects: dangling ${existing} trigger (and a dangling label output).
    "fmtm__simple_building_survey_wildfires.xlsx": rejected("unknown_reference"),
    "fmtm__slum_assessment_survey.xlsx": ok(),
    # pyxform rejects: SurveyCTO types (caseid, calculate_here, comments, '... audit').
    "ipa-scto__advanced_CATI_starter_kit_with_attempt_workflow.xlsx": rejected("unknown_type"),
    "ipa-scto__birthday_age_calculation.xlsx": rejected("unknown_type"),
    "ipa-scto__phq9_gad7.xlsx": rejected("unknown_type"),
    "ipa-scto__random_module_order.xlsx": ok("unknown_function"),
    "ipa-scto__repeat_allows_selection.xlsx": ok("unknown_function"),
    "kobodocs__calculations_constraints_matrix.xlsx": ok(),
    "kobodocs__dynamic_data_attachment_Round_2.xlsx": ok("limited_type"),
    "kpi__form_with_unicode_in_relevant_column.xlsx": ok(),
    "kpi__sample_accent.xlsx": ok(),
    # pyxform rejects: duplicate choice names (lenient).
    "liberia-s3m__round1_liberiaCoverageVillageForm.xlsx": ok("duplicate_choice_name"),
    "liberia-s3m__round2_liberiaCoverage.xlsx": ok("duplicate_choice_name"),
    "liberia-s3m__round2_liberiaStdForm.xlsx": ok(),
    # pyxform rejects: dangling references (real authoring bugs).
    "msf-epidict__mortality_survey.xlsx": rejected("unknown_reference"),
    "msf-epidict__vaccination_coverage_long.xlsx": rejected("unknown_reference"),
    "osmfw__waste_collection.xlsx": ok(),
    "pyxform-test__dynamic_default_nested_repeat.md": ok(),
    "pyxform-test__dynamic_default_with_trigger.md": ok(),
    "pyxform-test__indexed_repeat_nested_default.md": ok(),
    "pyxform-test__multiple_triggers.md": ok(),
    "pyxform-test__repeat_relative_reference.md": ok(),
    "pyxform-test__select_from_repeat_with_choice_filter.md": ok(),
    "pyxform-test__select_from_same_repeat_excluding_current.md": ok(),
    "pyxform-test__trigger_in_repeat.md": ok(),
    "pyxform__UCL_Biomass_Plot_Form.xlsx": ok("limited_type"),
    "pyxform__case_insensitivity.xlsx": ok("limited_type"),
    "pyxform__choice_filter_test.xlsx": ok(),
    "pyxform__loop.md": ok(),
    "pyxform__or_other.xlsx": ok(),
    "pyxform__widgets.xls": ok("limited_type"),
    # choice_filter 'label::English != ...' is not an XPath ODK can run: a named warning.
    "pyxform__xl_date_ambiguous.xlsx": ok("expression_unsupported"),
    "pyxform__xlsform_spec_test.xlsx": ok("limited_type"),
    # int() with two arguments fails only when evaluated (as in ODK Collect).
    "unicef-moz__improving_nutrition_status_u5_endline.xlsx": ok("expression_arity"),
    "unicef-moz__sofala_s3m.xlsx": ok(),
    "webforms__all-question-types-v2024091201-3.xlsx": ok("limited_type"),
    # pyxform rejects: legacy .xls content behind an .xlsx name (sniffed, loads).
    "webforms__ifrc-distribution-site-assessment-v1.xlsx": ok("file_type_mismatch"),
    "webforms__socio-economic-survey-v20240515.xlsx": ok(),
    "webforms__whova_form.xlsx": ok(),
    "xlsformorg__cascading_select.xlsx": ok(),
}


def test_the_table_covers_the_whole_corpus() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.is_file()}
    assert files == set(EXPECTED)
    assert len(files) == 45


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_form(name: str) -> None:
    expected = EXPECTED[name]
    started = time.perf_counter()
    try:
        form = load_form(CORPUS / name)
    except FormError as err:
        assert not expected.loads, "\n".join(str(i) for i in err.errors)
        assert {i.code for i in err.errors} == expected.codes
        assert all(i.message and i.sheet == "survey" and i.row for i in err.errors)
    else:
        assert expected.loads, f"{name} should have been rejected"
        assert expected.codes <= {w.code for w in form.warnings}
        reopened = Form.from_json(json.loads(json.dumps(form.to_json())))
        assert reopened == form
        assert len(list(form.fields())) > 1
    assert time.perf_counter() - started < 20  # no hang


def test_who_va_model_matches_the_smoke_test() -> None:
    form = load_form(CORPUS / "webforms__whova_form.xlsx")
    assert form.version == "2019101701"
    age = form.element("ageInDays")
    assert age.calculation is not None
    assert set(age.calculation.references) >= {"Id10023", "Id10021"}
    assert form.element("Id10120_0").path[1:3] == ("illhistory", "illdur")
    assert "ageInDays" in form.calculation_order


def test_lenient_meta_group_keeps_its_fields_under_meta() -> None:
    form = load_form(CORPUS / "cht__death_report.xlsx")
    groups = {e.path: e for e in form.elements() if e.name == "meta" and e.kind == "group"}
    # CHT nests its 'meta' inside group 'data'; pyxform's meta block stays at the top.
    assert set(groups) == {("data", "meta"), ("meta",)}
    assert groups[("data", "meta")].children and groups[("data", "meta")].row == 57
    assert [c.name for c in groups[("meta",)].children] == ["instanceID"]
    (warning,) = [w for w in form.warnings if w.code == "reserved_meta_group"]
    assert (warning.sheet, warning.row, warning.column) == ("survey", 57, "name")


def test_a_top_level_meta_group_merges_with_the_meta_block() -> None:
    from qi_capture.forms import load_form_bytes

    form = load_form_bytes(b"""
| survey |
| | type        | name | label | calculation |
| | text        | a    | A     |             |
| | begin group | meta |       |             |
| | calculate   | who  |       | 'me'        |
| | end group   |      |       |             |
""", "meta.md")
    (meta,) = [e for e in form.elements() if e.name == "meta"]
    assert meta.path == ("meta",) and meta.row == 3
    assert [c.name for c in meta.children] == ["who", "instanceID"]
    assert form.element("who").path == ("meta", "who")


def test_lenient_duplicate_choices_name_each_row() -> None:
    form = load_form(CORPUS / "liberia-s3m__round1_liberiaCoverageVillageForm.xlsx")
    rows = [w.row for w in form.warnings if w.code == "duplicate_choice_name"]
    assert rows[:2] == [35, 36]
    assert all(w.sheet == "choices" for w in form.warnings if w.code == "duplicate_choice_name")


def test_rejections_name_every_unknown_type() -> None:
    with pytest.raises(FormError) as info:
        load_form(CORPUS / "ipa-scto__advanced_CATI_starter_kit_with_attempt_workflow.xlsx")
    types = {i.message.split("'")[1] for i in info.value.errors}
    assert {"caseid", "calculate_here", "text audit"} <= types
