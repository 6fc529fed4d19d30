"""``regex()`` has a bounded cost whatever pattern a form carries (issue: hostile input).

Driven as an attacker would: a form whose constraint is a catastrophic-backtracking pattern,
answered with the text that makes a backtracking engine run for minutes. The assertions are
on behaviour (the right answer, or the typed error), not on timing: a run that hung would
not return at all.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.forms import load_form
from qi_capture.forms.expressions import ExpressionError, evaluate
from qi_capture.forms.expressions.errors import REGEX_LIMIT
from qi_capture.forms.expressions.regexes import (
    MAX_PATTERN_CHARS,
    PatternInvalid,
    PatternTooCostly,
    backtracking_risks,
    compile_pattern,
)
from qi_capture.forms.session import FormSession

EVIL = "(a+)+$"
#: Needs lookahead, so it runs on the time-limited backtracking engine; alternation of
#: overlapping branches makes it exponential there.
EVIL_LOOKAROUND = "(a|aa)+(?=b)b"


@pytest.mark.parametrize("size", [35, 60, 100_000])
def test_nested_quantifier_answers_at_once_and_correctly(size: int) -> None:
    # RE2 runs in linear time: no error, the right result, even on a 100k-character answer.
    assert evaluate(f"regex(${{a}}, '{EVIL}')", {"a": "a" * size + "!"}) is False
    assert evaluate(f"regex(${{a}}, '{EVIL}')", {"a": "a" * size}) is True


def test_backtracking_pattern_is_stopped_with_a_typed_error() -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(f"regex(${{a}}, '{EVIL_LOOKAROUND}')", {"a": "a" * 80})
    err = caught.value
    assert err.code == REGEX_LIMIT
    assert "took longer than" in err.message and "(a+)+" in err.message
    assert "a" * 80 not in err.message  # the answer never appears in an error


@pytest.mark.parametrize(("expr", "expected"), [
    # Lookaround and backreferences still work (on the bounded backtracking engine).
    (r"regex('abc1', '(?=.*[0-9]).{4,}')", True),
    (r"regex('abcd', '(?=.*[0-9]).{4,}')", False),
    (r"regex('abab', '(ab)\1')", True),
    (r"regex('abba', '(ab)\1')", False),
    # Whole-string semantics on both engines.
    ("regex('xabc', 'a.c')", False),
    ("regex('xabc', '(?=x)xa.c')", True),
    ("regex('xabcx', '(?=x)xa.c')", False),
])
def test_both_engines_match_the_whole_string(expr: str, expected: bool) -> None:
    assert evaluate(expr, {}) is expected


def test_invalid_and_oversized_patterns_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="invalid regular expression"):
        evaluate("regex('a', '(')", {})
    huge = "a" * (MAX_PATTERN_CHARS + 1)
    with pytest.raises(ExpressionError, match=f"at most {MAX_PATTERN_CHARS}"):
        evaluate(f"regex('a', '{huge}')", {})


def test_engines_chosen_as_documented() -> None:
    assert compile_pattern(EVIL).linear
    assert not compile_pattern(EVIL_LOOKAROUND).linear


@pytest.mark.parametrize(("pattern", "risky"), [
    (EVIL, True),
    ("(\\w+\\s?)*", True),
    ("(a{1,3}){2,}", False),  # no unbounded repeat inside
    ("(a+){1,50}", True),
    (EVIL_LOOKAROUND, True),
    ("[0-9]{3}", False),
    ("^(0[1-9]|1[012])[- /.](0[1-9]|[12][0-9]|3[01])$", False),
    ("[(]+(a)*", False),  # brackets inside a class are no group
    ("\\(a+\\)+", False),  # nor escaped ones
])
def test_backtracking_risks(pattern: str, risky: bool) -> None:
    assert bool(backtracking_risks(pattern)) is risky


def _write(tmp_path: Path) -> Path:
    """An .xlsx form (a markdown table cannot hold the pattern's '|')."""
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in (
        ("type", "name", "label", "constraint"),
        ("text", "code", "Code", f"regex(., '{EVIL}')"),
        ("text", "slow", "Slow", f"regex(., '{EVIL_LOOKAROUND}')"),
        ("text", "note", "Note", None),
    ):
        survey.append(row)
    path = tmp_path / "evil.xlsx"
    book.save(path)
    return path


def test_session_survives_hostile_patterns(tmp_path: Path) -> None:
    session = FormSession(load_form(_write(tmp_path)))
    issue = session.set("code", "a" * 35 + "!")  # minutes in a backtracking engine
    assert issue is not None and issue.kind == "constraint"
    assert session.set("code", "aaaa") is None
    # The time-limited pattern's evaluation fails; as with any failed bind the answer is
    # kept and the failure is listed, so the record cannot be finalised until it is fixed.
    session.set("slow", "a" * 80)
    failed = [i for i in session.errors() if i.kind == "expression"]
    assert [i.path for i in failed] == ["slow"]
    assert "took longer than" in failed[0].message
    # ...and the session goes on: other answers are taken and kept.
    assert session.set("note", "still here") is None
    assert session.raw("note") == "still here"
    assert session.raw("slow") == "a" * 80


def test_form_check_warns_about_backtracking_patterns(tmp_path: Path) -> None:
    form = load_form(_write(tmp_path))
    found = [(w.sheet, w.row, w.column) for w in form.warnings if w.code == "regex_backtracking"]
    assert found == [("survey", 2, "constraint"), ("survey", 3, "constraint")]

    out = subprocess.run(
        [sys.executable, "-m", "qi_capture", "form", "check", str(_write(tmp_path))],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "survey/2/constraint: The regular expression '(a+)+$' backtracks" in out.stdout
    assert "survey/3/constraint:" in out.stdout


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="a()|*+?{}[]^$.\\1=!<,2b", max_size=24),
       st.text(alphabet="ab!", max_size=40))
def test_any_pattern_gives_a_boolean_or_a_typed_error(pattern: str, text: str) -> None:
    try:
        result = compile_pattern(pattern).fullmatch(text)
    except (PatternInvalid, PatternTooCostly):
        return
    assert isinstance(result, bool)
