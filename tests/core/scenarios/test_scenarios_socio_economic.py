"""ODK Web Forms' socio-economic household survey (webforms__socio-economic-survey-v20240515.xlsx):
English/French labels, a region -> district choice_filter, relevance inside a household
member repeat, count-selected constraints, and an ``instance('seclass')`` lookup.
Rows are the survey sheet's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qi_capture.forms import Form
from qi_capture.forms.session import AnswerError, FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

FORM = "webforms__socio-economic-survey-v20240515.xlsx"
MAX3 = "Up to 3 options can be selected"


@pytest.fixture
def survey(corpus: CorpusForm, start: Start) -> FormSession:
    return start(corpus(FORM))


def test_languages_and_district_filter(survey: FormSession) -> None:
    s = survey
    # No default_language: the first label language.
    assert s.language == "English (en)"
    assert s.label("region") == "Region"
    s.set("region", "Sindh")
    # Row 6: region=${region}; choices rows 9-13.
    assert [name for name, _ in s.choices("district")] == [
        "Garden", "Gulshan", "Hyderabad", "TandoTurel", "Thatta&ShahBunder"]
    assert s.choices("district")[0] == ("Garden", "Karachi")
    s.set_language("French (fr)")
    assert s.label("region") == "Région"
    assert s.choices("district")[2] == ("Hyderabad", "Hyderâbâd")
    assert s.label("familyMembers[1]/persons/health/healthVisit") == (
        "Ont-ils consulté un médecin/un hôpital au cours des 12 derniers mois ?")
    s.set("region", "Punjab")
    assert [name for name, _ in s.choices("district")][:2] == ["Hafizabad", "Lahore&Sialkot"]


def test_internet_and_hidden_list(survey: FormSession) -> None:
    s = survey
    # Row 18: internetType relevant when ${internetHH} = 1; required then.
    assert not s.is_relevant("internetType")
    s.set("internetHH", "1")
    assert s.is_relevant("internetType")
    assert "informationTechnology/internetType" in {
        e.path for e in s.errors() if e.kind == "required"}
    s.set("internetHH", "2")
    assert not s.is_relevant("internetType")
    # Row 11: se_list has relevant FALSE, so it is never shown.
    assert not s.is_relevant("se_list")


def test_household_members(survey: FormSession) -> None:
    s = survey
    base = "familyMembers[1]/persons"
    s.set(f"{base}/firstNameFM", "Amina")
    s.set(f"{base}/gender", "2")
    s.set(f"{base}/health/healthVisit", "1")
    # Row 29: healthFacility when ${healthVisit} = 1 (same member); row 30 when 2.
    assert s.is_relevant(f"{base}/health/healthFacility")
    assert not s.is_relevant(f"{base}/health/reasonForNoHealthVisit")
    # Row 29: count-selected(.) <= 3.
    issue = s.set(f"{base}/health/healthFacility", ["1", "2", "3", "6"])
    assert issue is not None and issue.message == MAX3
    assert s.set(f"{base}/health/healthFacility", ["2", "6"]) is None
    s.add_repeat("familyMembers")
    other = "familyMembers[2]/persons"
    s.set(f"{other}/health/healthVisit", "2")
    assert s.is_relevant(f"{other}/health/reasonForNoHealthVisit")
    assert not s.is_relevant(f"{other}/health/healthFacility")
    assert s.is_relevant(f"{base}/health/healthFacility")  # the first member unchanged
    # Row 31: diseases is required for every member, at most 3.
    required = {e.path for e in s.errors() if e.kind == "required"}
    assert {f"{base}/health/diseases", f"{other}/health/diseases"} <= required
    issue = s.set(f"{other}/health/diseases", "1 2 3 4")
    assert issue is not None and issue.message == MAX3
    with pytest.raises(AnswerError):
        s.set(f"{base}/health/diseases", ["12"])  # not a choice of 'diseases'


def test_economic_class_lookup(survey: FormSession) -> None:
    s = survey
    s.set("householdIncome", "7")
    # Row 12 looks the class up in the 'seclass' list: instance('seclass')/root/item
    # [name = ${householdIncome}]; choices row 297 is 'Upper-middle'.
    lookup = "instance('seclass')/root/item[name = ${householdIncome}]/label"
    assert s.evaluate(f"string({lookup})", "SEClass") == "Upper-middle"
    s.set_language("French (fr)")
    assert s.evaluate(f"string({lookup})", "SEClass") == "Moyenne supérieure"
    # Row 12 is read_only.
    with pytest.raises(AnswerError):
        s.set("SEClass", "Upper")
