"""Repeats on the corpus: pyxform's relative-reference form
(pyxform-test__repeat_relative_reference.md: ``${}`` inside and between repeats and
groups resolve to the same instance, as the file's header quotes from pyxform's test) and
the Liberia anthropometric standardisation form (liberia-s3m__round2_liberiaStdForm.xlsx:
``repeat_count`` from an answer and a guard group ``position(..) <= ${repeatNum}``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qi_capture.forms import Form
from qi_capture.forms.session import FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

RELATIVE = "pyxform-test__repeat_relative_reference.md"
STD = "liberia-s3m__round2_liberiaStdForm.xlsx"


@pytest.fixture
def relative(corpus: CorpusForm, start: Start) -> FormSession:
    return start(corpus(RELATIVE))


def test_sibling_reference_in_a_repeat(relative: FormSession) -> None:
    s = relative
    s.set("Z", "apple")
    s.set("section[1]/A", "oat")
    s.set("section[1]/AA", "first")
    s.add_repeat("section")
    s.set("section[2]/A", "rye")
    # B: relevant ' ../A ='oat'' - the same instance's A.
    assert s.is_relevant("section[1]/B")
    assert not s.is_relevant("section[2]/B")
    assert s.label("section[1]/B") == "B w oat"
    assert s.label("section[2]/B") == "B w rye"
    assert s.label("section[1]/note1") == "Noted first w oat"
    assert s.label("section[2]/note1") == "Noted  w rye"


def test_reference_into_a_group_of_the_same_instance(relative: FormSession) -> None:
    s = relative
    s.set("Z", "apple")
    s.add_repeat("section2")
    s.set("section2[1]/sectiona/D", "oat")
    s.set("section2[2]/sectiona/D", "barley")
    # E: relevant ' ../D ='oat''; its label's ${Z} is absolute (outside any repeat).
    assert s.is_relevant("section2[1]/sectiona/E")
    assert not s.is_relevant("section2[2]/sectiona/E")
    assert s.label("section2[2]/sectiona/E") == "E w apple"
    s.set("section2[1]/C", "c1")
    s.set("section2[1]/sectiona/E", "e1")
    assert s.label("section2[1]/note3") == "Noted c1 w e1"
    assert s.label("section2[2]/note3") == "Noted  w "


def test_nested_repeat_references(relative: FormSession) -> None:
    s = relative
    s.add_repeat("section3")
    s.set("section3[1]/F", "oat")
    s.set("section3[1]/FF", "ff1")
    s.set("section3[1]/sectionb/G", "oat")
    s.set("section3[1]/sectionb/H", "h1")
    s.set("section3[2]/F", "rye")
    s.set("section3[2]/sectionb/G", "rye")
    # The added section3 instance has no sectionc instance until one is added.
    assert s.repeat_count("section3[2]/sectionc") == 0
    s.add_repeat("section3[2]/sectionc")
    s.add_repeat("section3[1]/sectionc")
    for outer, expected in ((1, True), (2, False)):
        # K: ' ../../F ='oat'' and L: ' ../../sectionb/G ='oat'' - the enclosing
        # section3 instance's F and G, from inside the nested repeat sectionc.
        assert s.is_relevant(f"section3[{outer}]/sectionc[1]/K") is expected
        assert s.is_relevant(f"section3[{outer}]/sectionc[1]/L") is expected
        # N in group sectiond: ${G} of the same section3 instance.
        assert s.is_relevant(f"section3[{outer}]/sectiond/N") is expected
    assert s.is_relevant("section3[1]/sectionc[2]/K")
    s.set("section3[1]/sectionc[1]/I", "oat")
    assert s.is_relevant("section3[1]/sectionc[1]/J")  # ../I, the same sectionc instance
    assert not s.is_relevant("section3[1]/sectionc[2]/J")
    # note7 (directly in section3): outputs ' ../FF ' and ' ../sectionb/H '.
    assert s.label("section3[1]/note7") == "Noted ff1 w h1"
    assert s.label("section3[1]/sectionc[1]/note5") == "Noted ff1 w h1"
    s.set("section3[1]/sectionc[1]/K", "k1")
    assert s.label("section3[1]/sectionc[1]/note6") == "JKL ##k1#"


@pytest.fixture
def std(corpus: CorpusForm, start: Start) -> FormSession:
    session = start(corpus(STD))
    session.set("id", 7)
    return session


def _measure(s: FormSession, index: int) -> None:
    base = f"repeat1[{index}]/guard1/anthroData"
    assert s.set(f"{base}/weight", "12.345") is None
    assert s.set(f"{base}/muac", 135) is None
    assert s.set(f"{base}/oedema", "0") is None
    assert s.set(f"{base}/heightInit", "87.5") is None
    assert s.set(f"{base}/lenHeight", "1") is None


def test_std_repeat_count_follows_the_answer(std: FormSession) -> None:
    s = std
    assert s.repeat_count("repeat1") == 0  # repeat_count ${repeatNum}, still empty
    s.set("repeatNum", 3)
    assert s.repeat_count("repeat1") == 3
    # adminData and anthroData are field-list groups: one screen each; a counted
    # repeat has no "add another" screen.
    assert [x.key for x in s.screens()] == [
        "adminData", "repeat1[1]/guard1/anthroData", "repeat1[2]/guard1/anthroData",
        "repeat1[3]/guard1/anthroData"]
    # Every measure is required, in each relevant instance.
    required = {e.path for e in s.errors() if e.kind == "required"}
    assert len(required) == 15
    assert "repeat1[3]/guard1/anthroData/lenHeight" in required
    for index in (1, 2, 3):
        _measure(s, index)
    assert s.errors() == []
    s.set("repeatNum", 1)
    # The answered instances are kept (never dropped without the caller's say-so), but
    # the guard group position(..) <= ${repeatNum} makes them non-relevant.
    assert s.repeat_count("repeat1") == 3
    assert s.surplus_instances("repeat1") == 2
    assert s.is_relevant("repeat1[1]/guard1/anthroData/weight")
    assert not s.is_relevant("repeat1[2]/guard1/anthroData/weight")
    data = s.to_submission()["data"]
    # Non-relevant groups are left out of the submission (FORMS.md s8).
    assert "guard1" in data["repeat1"][0]
    assert all("guard1" not in inst for inst in data["repeat1"][1:])
    s.remove_repeat("repeat1", 3)
    s.remove_repeat("repeat1", 2)
    assert s.surplus_instances("repeat1") == 0
    s.set("repeatNum", 2)
    assert s.repeat_count("repeat1") == 2
    assert s.get("repeat1[2]/guard1/anthroData/weight") is None  # a fresh instance


def test_std_constraints(std: FormSession) -> None:
    s = std
    s.set("repeatNum", 1)
    base = "repeat1[1]/guard1/anthroData"
    # weight: (. >= 2 and . <= 54) or . = 999.
    issue = s.set(f"{base}/weight", "1.9")
    assert issue is not None and issue.message == (
        "Weight must be between 2.0 and 54.0 kg, or 999 if child could not be weighed")
    assert s.set(f"{base}/weight", 999) is None
    assert s.set(f"{base}/weight", 54) is None
    # muac: (.>=50 and .<=250) or . =999.
    issue = s.set(f"{base}/muac", 251)
    assert issue is not None and issue.message == (
        "MUAC must be between 50 and 250, or 999 if child could not be measured")
    assert s.set(f"{base}/muac", 50) is None
    # heightInit: (. >= 30 and . <= 155) or . =999.
    issue = s.set(f"{base}/heightInit", "29.9")
    assert issue is not None and issue.kind == "constraint"
    assert s.set(f"{base}/heightInit", "155.0") is None
    assert s.choices(f"{base}/oedema") == [("0", "No"), ("1", "Yes")]


UCL = "pyxform__UCL_Biomass_Plot_Form.xlsx"


def test_a_new_tree_gets_the_stems_its_count_asks_for(corpus: CorpusForm,
                                                      start: Start) -> None:
    """UCL Biomass: stems (repeat_count ${stem_count}) nested in trees. A tree added
    later starts with no stem and follows its own count, as ODK does."""
    s = start(corpus(UCL))
    s.set("any_trees", "yes")
    assert s.repeat_count("trees") == 1
    s.set("trees[1]/stem_count", 2)
    assert s.repeat_count("trees[1]/stems") == 2
    assert s.add_repeat("trees") == "trees[2]"
    assert s.repeat_count("trees[2]/stems") == 0
    s.set("trees[2]/stem_count", 3)
    assert [s.repeat_count(f"trees[{i}]/stems") for i in (1, 2)] == [2, 3]
    trees = s.to_submission()["data"]["trees"]
    assert [len(tree["stems"]) for tree in trees] == [2, 3]
