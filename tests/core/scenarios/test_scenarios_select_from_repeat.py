"""``select_one ${q}``: choices made of a repeat's answers, with a choice_filter
(pyxform-test__select_from_repeat_with_choice_filter.md and
pyxform-test__select_from_same_repeat_excluding_current.md). Expectations follow the
itemsets pyxform generates, quoted in each file's header:
``/test_name/rep[starts-with( ./name , "b")]``, ``/test_name/rep[ ./demographics/age > 18]``
and ``../../pet[position() != current()/../pos and animal_type != '']``."""

from __future__ import annotations

from collections.abc import Callable

from qi_capture.forms import Form
from qi_capture.forms.session import FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]


def _names(session: FormSession, path: str) -> list[str]:
    return [name for name, _ in session.choices(path)]


def test_select_from_repeat_with_choice_filter(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("pyxform-test__select_from_repeat_with_choice_filter.md"))
    people = [("bob", 20), ("alice", 30), ("ben", 10)]
    for index, (name, age) in enumerate(people, start=1):
        if index > 1:
            s.add_repeat("rep")
        s.set(f"rep[{index}]/name", name)
        s.set(f"rep[{index}]/demographics/age", age)
    # A select from a repeat offers each answer as name and label.
    assert s.choices("choice") == [("bob", "bob"), ("ben", "ben")]  # starts-with 'b'
    assert s.choices("choice_18_over") == [("bob", "bob"), ("alice", "alice")]  # age > 18
    assert s.choices("fruit") == [("banana", "Banana"), ("mango", "Mango")]
    s.set("rep[2]/demographics/age", 15)
    assert _names(s, "choice_18_over") == ["bob"]
    s.add_repeat("rep")  # an unanswered name is not offered
    s.set("rep[4]/demographics/age", 40)
    assert _names(s, "choice_18_over") == ["bob"]
    s.set("rep[4]/name", "bea")
    assert _names(s, "choice") == ["bob", "ben", "bea"]
    assert _names(s, "choice_18_over") == ["bob", "bea"]
    s.remove_repeat("rep", 1)
    assert _names(s, "choice") == ["ben", "bea"]
    s.set("choice", "bea")
    assert s.to_submission()["data"]["choice"] == "bea"


def test_select_from_same_repeat_excluding_current(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("pyxform-test__select_from_same_repeat_excluding_current.md"))
    s.set("pet[1]/animal_type", "dog")
    s.add_repeat("pet")
    s.set("pet[2]/animal_type", "cat")
    s.add_repeat("pet")
    # pos = position(..): the instance number.
    assert [s.raw(f"pet[{i}]/pos") for i in (1, 2, 3)] == ["1", "2", "3"]
    # Other instances' non-empty animal types, never the current instance's own.
    assert _names(s, "pet[1]/animal_select") == ["cat"]
    assert _names(s, "pet[2]/animal_select") == ["dog"]
    assert _names(s, "pet[3]/animal_select") == ["dog", "cat"]
    # animal_type is asked only while nothing is selected (${animal_select} = '').
    s.set("pet[3]/animal_select", "dog")
    assert not s.is_relevant("pet[3]/animal_type")
    # pet[1] picks 'cat': its own animal_type becomes non-relevant, reads as '' and
    # drops out of the others' choices (FORMS.md s8).
    s.set("pet[1]/animal_select", "cat")
    assert not s.is_relevant("pet[1]/animal_type")
    assert _names(s, "pet[3]/animal_select") == ["cat"]
    assert _names(s, "pet[2]/animal_select") == []
    # Removing an instance renumbers the rest.
    s.remove_repeat("pet", 1)
    assert [s.raw(f"pet[{i}]/pos") for i in (1, 2)] == ["1", "2"]
    assert _names(s, "pet[2]/animal_select") == ["cat"]
