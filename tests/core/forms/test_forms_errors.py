"""Every error the loader reports, located by sheet/row/column, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from qi_capture.forms import FormError, FormIssue, load_form, load_form_bytes
from qi_capture.forms import errors as codes
from tests.core.forms.conftest import LoadMd, RejectMd


def where(issue: FormIssue) -> tuple[str, str | None, int | None, str | None]:
    return (issue.code, issue.sheet, issue.row, issue.column)


def test_syntax_errors_give_the_position_and_all_are_reported(reject_md: RejectMd) -> None:
    issues = reject_md("""
        | survey |
        |        | type    | name | label | relevant     | constraint |
        |        | integer | a    | A     |              | . >        |
        |        | integer | b    | B     | ${a} = (1    |            |
    """)
    assert [where(i) for i in issues] == [
        (codes.EXPRESSION_SYNTAX, "survey", 2, "constraint"),
        (codes.EXPRESSION_SYNTAX, "survey", 3, "relevant"),
    ]
    assert "position 3" in issues[0].message and ". >" in issues[0].message


def test_unknown_references_everywhere(reject_md: RejectMd) -> None:
    issues = reject_md("""
        | survey |
        |        | type      | name | label        | relevant   | calculation | choice_filter |
        |        | integer   | a    | A ${nope1}   |            |             |               |
        |        | integer   | b    | B            | ${nope2}   |             |               |
        |        | calculate | c    |              |            | ${nope3}+1  |               |
        |        | select_one yn | s | S          |            |             | ${nope4} = 1  |
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
    """)
    found = {(i.row, i.column) for i in issues if i.code == codes.UNKNOWN_REFERENCE}
    assert found == {(2, "label"), (3, "relevant"), (4, "calculation"), (5, "choice_filter")}
    # pyxform also reports the first one: its wording is kept, not duplicated.
    assert len([i for i in issues if i.row == 2]) == 1
    assert all("Could not find the name" in i.message for i in issues)


def test_calculation_cycles(reject_md: RejectMd) -> None:
    issues = reject_md("""
        | survey |
        |        | type      | name | calculation |
        |        | calculate | x    | ${z} + 1    |
        |        | calculate | y    | ${x} + 1    |
        |        | calculate | z    | ${y} + 1    |
        |        | calculate | self | ${self}     |
        |        | calculate | ok   | ${x}        |
    """)
    cycles = [i for i in issues if i.code == codes.CALCULATION_CYCLE]
    assert len(cycles) == 2
    assert (cycles[0].sheet, cycles[0].column) == ("survey", "calculation")
    assert "${x} -> ${z} -> ${y} -> ${x}" in cycles[0].message
    assert cycles[1].row == 5


def test_unknown_types_all_reported_with_other_errors(reject_md: RejectMd) -> None:
    issues = reject_md("""
        | survey |
        |        | type     | name | label | relevant |
        |        | caseid   | c    |       |          |
        |        | tel      | t    | Phone |          |
        |        | text     | x    | X     | ${gone}  |
    """)
    assert [where(i) for i in issues] == [
        (codes.UNKNOWN_TYPE, "survey", 2, "type"),
        (codes.UNKNOWN_TYPE, "survey", 3, "type"),
        (codes.UNKNOWN_REFERENCE, "survey", 4, "relevant"),
    ]
    assert "'caseid'" in issues[0].message


def test_pyxform_errors_are_located(reject_md: RejectMd) -> None:
    issues = reject_md("""
        | survey |
        |        | type          | name | label |
        |        | select_one no | a    | A     |
        | choices |
        |         | list_name | name | label |
        |         | yn        | yes  | Yes   |
    """)
    assert [where(i) for i in issues] == [(codes.PYXFORM, "survey", 2, None)]
    assert "List name not in choices sheet: no" in issues[0].message


def test_pyxform_errors_with_column(reject_md: RejectMd) -> None:
    issues = reject_md("""
        | survey |
        |        | type    | name | label |
        |        | integer | 1bad | A     |
    """)
    assert where(issues[0]) == (codes.PYXFORM, "survey", 2, "name")


def test_unknown_functions_and_arity_are_named_warnings(load_md: LoadMd) -> None:
    form = load_md("""
        | survey |
        |        | type      | name | label | calculation                 |
        |        | integer   | a    | A     |                             |
        |        | calculate | d    |       | duration()                  |
        |        | calculate | e    |       | int(${a}, 2)                |
    """)
    by_code = {w.code: w for w in form.warnings}
    assert (by_code[codes.UNKNOWN_FUNCTION].row,
            by_code[codes.UNKNOWN_FUNCTION].column) == (3, "calculation")
    assert "'duration()'" in by_code[codes.UNKNOWN_FUNCTION].message
    assert by_code["expression_arity"].row == 4
    assert form.element("e").calculation is not None


def test_pyxform_warnings_are_kept(load_md: LoadMd) -> None:
    form = load_md("""
        | survey |
        |        | type         | name | label |
        |        | begin repeat | r    |       |
        |        | text         | a    | A     |
        |        | end repeat   |      |       |
    """)
    (warning,) = [w for w in form.warnings if w.code == codes.PYXFORM_WARNING]
    assert (warning.sheet, warning.row) == ("survey", 2)
    assert "Repeat has no label" in warning.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormError) as info:
        load_form(tmp_path / "absent.xlsx")
    assert [i.code for i in info.value.errors] == [codes.FILE_UNREADABLE]


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(FormError) as info:
        load_form(tmp_path)
    assert [i.code for i in info.value.errors] == [codes.FILE_UNREADABLE]


@pytest.mark.parametrize(("data", "name"), [
    (b"not a spreadsheet at all", "form.xlsx"),
    (b"PK\x03\x04 broken zip", "form.xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 broken ole", "form.xls"),
    (b"hello world", "form.txt"),
    (b"", "form.md"),
])
def test_files_that_are_not_forms(data: bytes, name: str) -> None:
    with pytest.raises(FormError) as info:
        load_form_bytes(data, name)
    assert [i.code for i in info.value.errors] == [codes.FILE_NOT_A_FORM]
    assert info.value.errors[0].message


def test_form_error_is_a_qi_capture_error(reject_md: RejectMd) -> None:
    from qi_capture.errors import QICaptureError

    with pytest.raises(QICaptureError) as info:
        load_form_bytes(b"| survey |\n| | type | name |\n| | text | 1x |\n", "f.md")
    assert info.value.to_dict()["code"] == "form_invalid"
    assert info.value.to_dict()["errors"][0]["row"] == 2


DUPLICATES = """
| survey |
|        | type          | name | label |
|        | select_one yn | a    | A     |
| choices |
|         | list_name | name | label |
|         | yn        | x    | X     |
|         | yn        | x    | Y     |
"""


def test_duplicate_choice_names_load_with_a_warning(load_md: LoadMd) -> None:
    form = load_md(DUPLICATES)
    (warning,) = [w for w in form.warnings if w.code == codes.DUPLICATE_CHOICE_NAME]
    assert (warning.sheet, warning.row, warning.column) == ("choices", 3, "name")
    assert [c.label.get(None) for c in form.choices("yn") if c.label] == ["X", "Y"]


def test_duplicate_choice_names_stay_an_error_when_settings_say_no(
        reject_md: RejectMd) -> None:
    issues = reject_md(DUPLICATES + "| settings |\n| | allow_choice_duplicates |\n| | no |\n")
    assert [where(i) for i in issues] == [(codes.PYXFORM, "choices", 3, "name")]
