"""The report's "What we heard" takes its themes from thematic coding once the study has a
codebook, and from the interviewers' quick tags before (on SQLCipher and PostgreSQL, with
the hand-written interviews of coding_fixtures)."""

from __future__ import annotations

from qi_capture.central.store import CentralStore
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.report import preview
from tests.core.central.coding_fixtures import fill

OVERVIEW = "approach/approach_overview"


def test_what_we_heard_follows_the_codebook(central: CentralStore) -> None:
    ids = fill(central)
    before = preview(central, min_cell=1).report.heard
    assert before is not None and before.source == "quick tags"

    desk = CodingDesk(central, coder="alice")
    desk.codebook()  # seeds the field tags as codes
    workforce = desk.create_code("Workforce", description="Staff and skills",
                                 parent="Barrier")
    desk.apply_codes(ids[0], OVERVIEW, 0, 5, [workforce.guid])   # "Staff"
    desk.apply_codes(ids[2], OVERVIEW, 0, 13, [workforce.guid])  # "Data analysts"
    heard = preview(central, min_cell=1).report.heard
    assert heard is not None and heard.source == "thematic coding"
    themes = {t.label: t for t in heard.themes}
    assert themes["Barrier / Workforce"].interviews == 2
    assert themes["Barrier / Workforce"].description == "Staff and skills"
    # #barrier was typed in interviews 1, 2 and 3: their field codings count.
    assert themes["Barrier"].interviews == 3
    quotes = [q.text for q in themes["Barrier"].quotes]
    # Interview 3 refused quotes; interview 1's key quote comes without its tag.
    assert quotes == ["We need time, not another method."]
    # Undoing a field coding takes that interview out of the theme.
    idea = next(c for c in desk.codes() if c.name.casefold() == "idea")
    coding = next(p.coding for p in desk.passages(idea.guid))
    desk.undo_coding(coding.guid)
    after = preview(central, min_cell=1).report.heard
    assert after is not None
    assert "Idea" not in {t.label for t in after.themes}


def test_a_withheld_count_stays_withheld_with_codes(central: CentralStore) -> None:
    fill(central)
    CodingDesk(central, coder="alice").codebook()
    heard = preview(central, min_cell=5).report.heard
    assert heard is not None and heard.source == "thematic coding"
    # Four interviews in all: every count is under 5, so none is shown.
    assert all(t.interviews is None for t in heard.themes)
