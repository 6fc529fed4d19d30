"""WHO verbal autopsy 2016 v1.5.2 (webforms__whova_form.xlsx), 592 survey rows.

S1 is the scenario of JavaRosa's WhoVATest and its web-forms port (MANIFEST "Scenario
material"); the others follow the same rows for a neonate, a child, an unknown date of
birth and refused consent. Row numbers are the survey sheet's; the clock says 2024-03-01.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qi_capture.forms import Form
from qi_capture.forms.session import FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

FORM = "webforms__whova_form.xlsx"


@pytest.fixture
def session(corpus: CorpusForm, start: Start) -> FormSession:
    return start(corpus(FORM))


def _dates(session: FormSession, born: str, died: str) -> None:
    session.set("Id10013", "yes")  # row 17: consent
    session.set("Id10019", "female")  # row 25
    session.set("Id10020", "yes")  # row 26: date of birth known
    session.set("Id10021", born)  # row 27
    session.set("Id10022", "yes")  # row 28: date of death known
    session.set("Id10023_a", died)  # row 29


def test_s1_adult_age_calculation(session: FormSession) -> None:
    for path, value in [("Id10013", "yes"), ("Id10019", "female"), ("Id10020", "yes"),
                        ("Id10021", "1998-01-01"), ("Id10022", "yes"),
                        ("Id10023_a", "2018-01-01")]:
        assert session.set(path, value) is None
    # Row 31: Id10023 = if(Id10022 yes and Id10020 yes, Id10023_a, Id10023_b).
    assert session.raw("Id10023") == "2018-01-01"
    # Row 33: ageInDays = Id10023 - Id10021; 1998-01-01..2018-01-01 is 7305 days, stored
    # without decimals (FORMS.md s7).
    assert session.raw("ageInDays") == "7305"
    # Row 35: int(7305 div 365.25) = 20.
    assert session.raw("ageInYears") == "20"
    # Rows 39-41 then 57-59: ageInDays is known, so isX = isX1.
    assert session.raw("isAdult") == "1"
    assert session.raw("isNeonatal") == "0"
    assert session.raw("isChild") == "0"
    # Row 136: Id10120_0 (illhistory/illdur) is relevant only for a neonate.
    assert not session.is_relevant("illhistory/illdur/Id10120_0")
    assert not session.is_relevant("Id10120_0")
    # Row 137: the unit question is asked instead (child or adult).
    assert session.is_relevant("id10120_unit")
    # Row 44: the adult age note, with ${ageInYears} rendered.
    assert session.is_relevant("displayAgeAdult")
    assert not session.is_relevant("displayAgeNeonate")
    assert session.label("displayAgeAdult") == "ADULT was 20 years old."
    # Row 45: age_group is asked only when a date is unknown.
    assert not session.is_relevant("age_group")
    # Row 70: marital status for adults; row 90: the stillbirth group for neonates only.
    assert session.is_relevant("Id10059")
    assert not session.is_relevant("Id10104")


def test_s1_fever_questions(session: FormSession) -> None:
    _dates(session, "1998-01-01", "2018-01-01")
    session.set("Id10147", "yes")  # row 167
    # Row 168 is for neonates; row 169 asks the unit for a child or adult.
    assert not session.is_relevant("Id10148_a")
    assert session.is_relevant("Id10148_units")
    session.set("Id10148_units", "days")
    assert session.is_relevant("Id10148_b")  # row 170
    assert not session.is_relevant("Id10148_c")  # row 171
    # Row 170: .>=0 and .<=30, with its message.
    issue = session.set("Id10148_b", 31)
    assert issue is not None and issue.kind == "constraint"
    assert issue.message == ("If response was greater than 30 days, ask respondent to "
                             "report time in months.")
    assert session.set("Id10148_b", 30) is None
    # Row 172: not neonatal, unit days -> Id10148 = Id10148_b.
    assert session.raw("Id10148") == "30"
    session.set("Id10149", "yes")
    session.set("Id10150", "severe")
    session.set("Id10151", "nightly")
    assert session.raw("Id10151") == "nightly"
    # Switching the unit: row 172 takes int(Id10148_c * 30) instead.
    session.set("Id10148_units", "months")
    session.set("Id10148_c", 2)
    assert session.raw("Id10148") == "60"


def test_neonate(session: FormSession) -> None:
    _dates(session, "2018-01-01", "2018-01-10")
    assert session.raw("ageInDays") == "9"  # row 33
    # Row 39: ageInDays <= 27 -> neonatal; rows 57-59 pick the *1 values.
    assert session.raw("isNeonatal") == "1"
    assert session.raw("isAdult") == "0"
    assert session.raw("isChild") == "0"
    assert session.label("displayAgeNeonate") == "NEONATE was 9 days old."  # row 42
    # Row 90: the stillbirth group; row 135-136: illdur (Id10114 unanswered) and Id10120_0.
    assert session.is_relevant("Id10104")
    assert session.is_relevant("Id10120_0")
    assert not session.is_relevant("id10120_unit")
    # Row 60: ageInDaysNeonate = ageInDays when it is known.
    assert session.raw("ageInDaysNeonate") == "9"
    # Row 136: (.>=0 and .<=ageInDaysNeonate) or .=99 or .=88.
    assert session.set("Id10120_0", 5) is None
    issue = session.set("Id10120_0", 20)
    assert issue is not None and issue.kind == "constraint"
    assert issue.message == ("Please enter a value less then neonatal age in days at "
                             "death.")
    assert session.set("Id10120_0", 99) is None
    # Row 141: Id10120 = Id10120_0 for a neonate.
    assert session.raw("Id10120") == "99"
    # Row 101: if the baby did not cry (and rows 109-110 unanswered), was it born dead?
    session.set("Id10104", "no")
    assert session.is_relevant("Id10114")
    # Row 135: illdur is skipped for a stillbirth.
    session.set("Id10114", "yes")
    assert not session.is_relevant("Id10120_0")


def test_child(session: FormSession) -> None:
    _dates(session, "2010-06-15", "2018-01-01")
    assert session.raw("ageInDays") == "2757"
    assert session.raw("isChild") == "1"  # row 40: 27 < 2757 < 12 * 365.25
    assert session.raw("isAdult") == "0"
    assert session.raw("ageInYears") == "7"  # int(2757 div 365.25)
    # Row 36: 2757 mod 365.25 = 200.25; rows 37-38: int(200.25 div 30.4375) = 6 and
    # int(200.25 mod 30.4375) = 17.
    assert session.raw("ageInYearsRemain") == "200.25"
    assert session.raw("ageInMonths") == "6"
    assert session.raw("ageInMonthsRemain") == "17"
    assert session.label("displayAgeChild") == "CHILD was 7 years 6 months and 17 days old."
    # Row 52: int(7 * 12 + 6) = 90 months.
    assert session.raw("ageInMonthsByYear") == "90"
    session.set("Id10051", "yes")
    # Rows 75-77: schooling from 48 months, literacy from 72, activity from 96.
    assert session.is_relevant("Id10063")
    assert session.is_relevant("Id10064")
    assert not session.is_relevant("Id10065")
    assert not session.is_relevant("Id10059")  # row 70: adults only


def test_unknown_date_of_birth_uses_age_group(session: FormSession) -> None:
    session.set("Id10013", "yes")
    session.set("Id10020", "no")
    # Row 27: no date of birth asked; row 45: age_group is asked instead.
    assert not session.is_relevant("Id10021")
    assert session.is_relevant("age_group")
    # Row 33: Id10023 - Id10021 with both empty is NaN, stored as empty (FORMS.md s7).
    assert session.get("ageInDays") is None
    session.set("age_group", "adult")
    assert session.is_relevant("age_adult")  # row 51
    # Row 51: .>11 and .<120.
    issue = session.set("age_adult", 10)
    assert issue is not None and issue.kind == "constraint"
    assert issue.message == ("Adult age is above 11 years; an age above 120 years is "
                             "unlikely.")
    assert session.set("age_adult", 45) is None
    # Rows 56 and 59: ageInDays is empty, so isAdult = isAdult2 = '1'.
    assert session.raw("isAdult") == "1"
    assert session.raw("isNeonatal") == "0"
    assert session.raw("ageInYears2") == "45"  # row 53


def test_date_constraints(session: FormSession) -> None:
    session.set("Id10013", "yes")
    session.set("Id10020", "yes")
    # Row 27: . <= today(); the clock says 2024-03-01.
    issue = session.set("Id10021", "2024-03-02")
    assert issue is not None and issue.kind == "constraint"
    assert session.set("Id10021", "2024-03-01") is None
    session.set("Id10021", "2000-05-05")
    session.set("Id10022", "yes")
    # Row 29: .>=${Id10021}: a death before the birth is refused.
    issue = session.set("Id10023_a", "2000-05-04")
    assert issue is not None and issue.kind == "constraint"
    assert session.set("Id10023_a", "2000-05-05") is None
    assert session.raw("ageInDays") == "0"
    assert session.raw("isNeonatal") == "1"


def test_no_consent_skips_the_interview(session: FormSession) -> None:
    session.set("Id10013", "no")
    # Row 20: the 'consented' group is relevant only with consent.
    assert not session.is_relevant("Id10019")
    paths = {e.path for e in session.errors() if e.kind == "required"}
    assert not any(p.startswith("consented/") for p in paths)
    session.set("Id10013", "yes")
    paths = {e.path for e in session.errors() if e.kind == "required"}
    assert "consented/deceased_CRVS/info_on_deceased/Id10019" in paths  # row 25: required


def test_languages(session: FormSession) -> None:
    assert session.form.languages == ("English", "French")
    assert session.choices("age_group") == [
        ("neonate", "Neonate"), ("child", "Child"), ("adult", "Adult")]
    session.set_language("French")
    assert session.choices("age_group") == [
        ("neonate", "nouveau-né"), ("child", "enfant"), ("adult", "adulte")]
    assert session.choices("Id10013") == [("yes", "Oui"), ("no", "Non")]
