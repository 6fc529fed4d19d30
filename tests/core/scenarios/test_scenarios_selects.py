"""Cascading selects and or_other on the corpus: xlsformorg__cascading_select.xlsx (the
xlsform.org example), pyxform__choice_filter_test.xlsx (duplicate choice names allowed)
and pyxform__or_other.xlsx. Expected choices follow the choices sheets and the
choice_filter rule of FORMS.md s2: bare names are columns of the candidate choice,
``${x}`` the form's fields."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qi_capture.forms import Form
from qi_capture.forms.session import AnswerError, ChoiceCleared, FormSession, SessionEvent

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]


def test_xlsformorg_cascading_select(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("xlsformorg__cascading_select.xlsx"))
    assert s.choices("selected_state") == [("texas", "Texas"), ("washington", "Washington")]
    # Row 3: state=${selected_state}; no state yet, so no county has a matching state.
    assert s.choices("selected_county") == []
    s.set("selected_state", "texas")
    # Choices rows 7-8: the Texas counties.
    assert s.choices("selected_county") == [("brewster", "Brewster"), ("cameron", "Cameron")]
    s.set("selected_county", "cameron")
    # Row 4: county=${selected_county}; choices rows 10-11.
    assert s.choices("selected_city") == [("brownsville", "Brownsville"),
                                          ("harlingen", "Harlingen")]
    s.set("selected_city", "harlingen")
    # Re-filtered when the state changes (FORMS.md s8).
    s.set("selected_state", "washington")
    assert s.choices("selected_county") == [("king", "King"), ("pierce", "Pierce")]
    s.set("selected_county", "pierce")
    assert s.choices("selected_city") == [("tacoma", "Tacoma"), ("puyallup", "Puyallup")]
    s.set("selected_city", "tacoma")
    assert s.to_submission()["data"] == {
        "selected_state": "washington", "selected_county": "pierce",
        "selected_city": "tacoma", "meta": {"instanceID": s.instance_id}}
    with pytest.raises(AnswerError):
        s.set("selected_city", "portland")  # not a choice of the list


def test_a_county_the_new_state_does_not_offer_is_cleared(corpus: CorpusForm,
                                                          start: Start) -> None:
    """The differential run's case: state changed from texas to washington with county
    brewster. ODK Collect clears a select answer its filter no longer offers (JavaRosa
    ItemsetBinding); the city, filtered on the county, goes with it."""
    s = start(corpus("xlsformorg__cascading_select.xlsx"))
    s.set("selected_state", "texas")
    s.set("selected_county", "brewster")
    seen: list[SessionEvent] = []
    s.subscribe(seen.append)
    s.set("selected_state", "washington")
    assert s.raw("selected_county") == ""
    assert s.to_submission()["data"]["selected_county"] == ""
    assert [(e.path, e.choices) for e in seen if isinstance(e, ChoiceCleared)] == [
        ("selected_county", ("brewster",))]
    # Down the cascade: Cameron's city goes with Cameron.
    s.set("selected_state", "texas")
    s.set("selected_county", "cameron")
    s.set("selected_city", "harlingen")
    seen.clear()
    s.set("selected_state", "washington")
    assert s.to_submission()["data"] == {
        "selected_state": "washington", "selected_county": "", "selected_city": "",
        "meta": {"instanceID": s.instance_id}}
    assert [(e.path, e.choices) for e in seen if isinstance(e, ChoiceCleared)] == [
        ("selected_county", ("cameron",)), ("selected_city", ("harlingen",))]
    # A county the state still offers is kept.
    s.set("selected_county", "king")
    s.set("selected_state", "washington")
    assert s.raw("selected_county") == "king"


def test_choice_filter_with_duplicate_names(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("pyxform__choice_filter_test.xlsx"))
    s.set("state", "texas")
    # Row 3: ${state}=cf; choices rows 6-7 (allow_choice_duplicates: 'king' is in
    # Washington (row 4) and Texas (row 6)).
    assert s.choices("county") == [("king", "King"), ("cameron", "Cameron")]
    s.set("county", "king")
    # Row 4: ${county}=cf; choices rows 8, 9, 12, 13.
    assert [name for name, _ in s.choices("city")] == ["dumont", "finney", "seattle",
                                                       "redmond"]
    s.set("county", "cameron")
    assert s.choices("city") == [("brownsville", "brownsville"), ("harlingen", "harlingen")]
    s.set("state", "washington")
    assert s.choices("county") == [("king", "King"), ("pierce", "Pierce")]


def test_or_other(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("pyxform__or_other.xlsx"))
    # Row 2: select_one colors or_other adds the 'other' choice after the list's own.
    assert s.choices("fav_color") == [("red", "red"), ("green", "green"), ("blue", "blue"),
                                      ("mauve", "mauve"), ("apricot", "apricot"),
                                      ("other", "Other")]
    # pyxform's generated follow-up: relevant when selected(${fav_color}, 'other').
    assert not s.is_relevant("fav_color_other")
    s.set("fav_color", "other")
    assert s.is_relevant("fav_color_other")
    s.set("fav_color_other", "teal")
    assert s.to_submission()["data"]["fav_color_other"] == "teal"
    s.set("fav_color", "blue")
    assert not s.is_relevant("fav_color_other")
    assert "fav_color_other" not in s.to_submission()["data"]
    assert s.raw("fav_color_other") == "teal"  # kept while filling (FORMS.md s8)


def test_or_other_list_filter_compares_with_a_missing_column(corpus: CorpusForm,
                                                             start: Start) -> None:
    s = start(corpus("pyxform__or_other.xlsx"))
    # Row 3: choice_filter pastel=yes. Unquoted, 'yes' is a bare name: the candidate's
    # column 'yes', which no choice has; comparing with an empty node-set is false in
    # XPath 1.0, so nothing is offered (the author meant 'yes').
    assert s.choices("fav_pastel") == []
