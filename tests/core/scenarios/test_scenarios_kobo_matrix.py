"""KoboToolbox calculations/constraints matrix (kobodocs__calculations_constraints_matrix.xlsx):
a household table by age band and sex, row/column totals as read-only integer
calculations with coalesce(${x}, 0), and constraints that keep the running total within
the household size. Rows below are the survey sheet's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qi_capture.forms import Form
from qi_capture.forms.session import AnswerError, FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

EXCEEDS = "Your input now exceeds the total HH members!"


@pytest.fixture
def matrix(corpus: CorpusForm, start: Start) -> FormSession:
    return start(corpus("kobodocs__calculations_constraints_matrix.xlsx"))


def test_totals(matrix: FormSession) -> None:
    s = matrix
    # Rows 13, 19, 25, 29-31: coalesce(...) sums are 0 before anything is answered.
    totals = ("r1_c3", "r2_c3", "r3_c3", "r4_c1", "r4_c2", "r4_c3")
    assert [s.get(name) for name in totals] == [0] * 6
    s.set("hh_mem", 7)
    assert s.set("r1_c1", 2) is None
    assert s.set("r1_c2", 1) is None
    assert s.set("r2_c1", 2) is None
    assert s.set("r2_c2", 1) is None
    assert s.set("r3_c1", 0) is None
    assert s.set("r3_c2", 1) is None
    assert [s.get(f"r{r}_c3") for r in (1, 2, 3)] == [3, 3, 1]  # row totals
    assert s.get("r4_c1") == 4  # 2 + 2 + 0
    assert s.get("r4_c2") == 3  # 1 + 1 + 1
    assert s.get("r4_c3") == 7  # 3 + 3 + 1
    assert s.errors() == []
    # Read-only calculations cannot be answered.
    with pytest.raises(AnswerError):
        s.set("r4_c3", 8)


def test_constraints_keep_the_total_within_the_household(matrix: FormSession) -> None:
    s = matrix
    s.set("hh_mem", 5)
    # Row 11: . <= ${hh_mem}.
    issue = s.set("r1_c1", 6)
    assert issue is not None and issue.message == "Your input exceeds the total HH members!"
    assert s.set("r1_c1", 3) is None
    # Row 12: . <= (${hh_mem} - ${r1_c1}) = 2.
    issue = s.set("r1_c2", 3)
    assert issue is not None and issue.message == EXCEEDS
    assert s.set("r1_c2", 2) is None
    # Row 17: . <= 5 - 3 - 2 = 0.
    issue = s.set("r2_c1", 1)
    assert issue is not None and issue.message == EXCEEDS
    assert s.set("r2_c1", 0) is None
    # Lowering the household size makes an earlier answer invalid; errors() lists it.
    s.set("hh_mem", 4)
    invalid = {e.path for e in s.errors() if e.kind == "constraint"}
    assert "r1/r1_c2" in invalid  # 2 > 4 - 3
    assert "r1/r1_c1" not in invalid


def test_household_size_first(matrix: FormSession) -> None:
    s = matrix
    # Rows 2, 11-12, 17-18, 23-24 are required; the totals are calculated.
    required = {e.path for e in s.errors() if e.kind == "required"}
    assert required == {"hh_mem", "r1/r1_c1", "r1/r1_c2", "r2/r2_c1", "r2/r2_c2",
                        "r3/r3_c1", "r3/r3_c2"}
    # Row 11 with hh_mem unanswered: 1 <= '' compares with NaN, which is false
    # (FORMS.md s7), so the constraint fails.
    issue = s.set("r1_c1", 1)
    assert issue is not None and issue.kind == "constraint"
    s.set("hh_mem", 3)
    assert s.issue("r1_c1") is None
