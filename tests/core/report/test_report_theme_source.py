"""What we heard takes its themes from a plain value (`ThemeSource`): the interviewers'
quick tags today, thematic coding later. The quick-tag source gives exactly the values
the report gave before themes were pluggable (``data/heard_quick_tags.json``, recorded
from that code on the fixture and the sample studies); a hand-made source (as coding
will hand over) is counted, suppressed, ordered and quoted by the same rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qi_capture.services.admin import AdminDesk
from tests.core.report.conftest import PASSPHRASE

GOLDEN = Path(__file__).parent / "data" / "heard_quick_tags.json"


def _heard(central: Path, out: Path, min_cell: int, statuses: list[str] | None) -> Any:
    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.report(out, formats=["json"], min_cell=min_cell, statuses=statuses)
    return json.loads((out / "results.json").read_text("utf-8"))["heard"]


@pytest.mark.parametrize("study", ["fixture", "sample"])
def test_quick_tags_give_the_same_values_as_before(
        study: str, fixture_study: Path, sample_study: Path, tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text("utf-8"))
    central = fixture_study if study == "fixture" else sample_study
    for min_cell in (1, 5):
        for statuses in (None, ["approved"]):
            key = f"{study}-{min_cell}-{'approved' if statuses else 'all'}"
            got = _heard(central, tmp_path / key, min_cell, statuses)
            for theme in got["themes"]:
                # The fields added since (a theme's description, a breakdown's statement)
                # are empty for quick tags; everything else is as it was.
                assert theme.pop("description") == ""
                for spread in (theme["by_group"], theme["by_footprint"]):
                    assert spread.pop("statement") == ""
            assert got == golden[key], key


def test_a_source_from_coding_is_counted_suppressed_and_quoted(fixture_study: Path) -> None:
    from qi_capture.central.store import CentralStore
    from qi_capture.report.aggregate import Aggregator
    from qi_capture.report.frames import load_frames
    from qi_capture.report.suppress import Disclosure
    from qi_capture.report.theme_source import Excerpt, Mentions, SourceTheme, ThemeSource
    from qi_capture.report.themes import heard
    from qi_capture.services.admin.demo import INTERVIEW
    from qi_capture.services.admin.exports import stored_forms

    with CentralStore.open(fixture_study, PASSPHRASE) as central:
        ff = load_frames(stored_forms(central, INTERVIEW), central.export_records(INTERVIEW))
    # conftest.interview_records: 0-4 improvement leads who agreed to quotes, 5 a
    # commissioner who did not, 6 not approved; all in North West London.
    ids = ff.main["@record_id"].astype(str).tolist()
    assert len(ids) == 7
    said = Mentions(passages=(Excerpt("barriers/barriers_main", "No cover"),))

    def quoted(question: str, text: str) -> Mentions:
        return Mentions(quotes=(Excerpt(question, text),))

    source = ThemeSource("thematic coding", (
        SourceTheme("tiny", "Tiny", records={i: said for i in ids[:4]}),
        SourceTheme("workforce", "Workforce pressures", "Staff shortages and cover.", {
            ids[0]: said, ids[4]: said,
            ids[1]: quoted("barriers/key_quote_barriers", "We cannot release staff"),
            ids[2]: quoted("barriers/key_quote_barriers", "We cannot release staff"),
            ids[3]: quoted("approach/key_quote_approach", "Improvement is extra work"),
            ids[5]: quoted("barriers/key_quote_barriers", "No consent to quote me"),
            ids[6]: quoted("barriers/key_quote_barriers", "Not reviewed yet"),
            "00000000-0000-0000-0000-000000000000": said,
        }),
        SourceTheme("data", "Data", records={i: said for i in ids[:5]}),
        SourceTheme("ghost", "Only unreviewed", records={ids[6]: said}),
        SourceTheme("rest", "Other key quotes", records={ids[5]: quoted(
            "barriers/key_quote_barriers", "Not to be shown")}, catch_all=True),
    ), note="Themes from thematic coding.")
    got = heard(Aggregator(Disclosure(5), ff.language), ff, source)
    assert (got.source, got.note, got.interviews) == ("thematic coding",
                                                      "Themes from thematic coding.", 6)
    # Most interviews first; the unreviewed-only theme and the empty catch-all left out.
    assert [(t.code, t.interviews) for t in got.themes] == [
        ("workforce", 6), ("data", 5), ("tiny", None)]
    workforce, data, tiny = got.themes
    assert workforce.description == "Staff shortages and cover."
    # Guide order (approach before barriers), the same words once, no quote without
    # consent or from an unreviewed interview.
    assert [(q.text, q.section) for q in workforce.quotes] == [
        ("Improvement is extra work", "1. Current QI approach"),
        ("We cannot release staff", "5. Barriers")]
    lead = "Improvement lead (QI, transformation or clinical effectiveness)"
    assert {q.group for q in workforce.quotes} == {lead}
    by_group = {c.code: c.count for c in workforce.by_group.cells}
    # 5 leads and 1 commissioner: the 1 is hidden, and so the 5 that would give it away.
    assert by_group["improvement_lead"] is None and by_group["commissioner"] is None
    assert by_group["medical_director"] == 0
    assert {c.code: c.count for c in workforce.by_footprint.cells}["north_west"] == 6
    # Exactly at the threshold: shown.
    assert {c.code: c.count for c in data.by_group.cells}["improvement_lead"] == 5
    assert data.by_group.n == 5
    assert tiny.by_group.n is None
    assert {c.code: c.count for c in tiny.by_group.cells}["improvement_lead"] is None


def test_structured_quick_tags_are_themes_beside_tags_in_the_text(fixture_study: Path) -> None:
    """Tags kept beside the notes (note events) count as the ``#tag`` text does: the
    tagged field's text is the passage, and a key quote of its section is quoted under
    the tag."""
    from qi_capture.central.store import CentralStore
    from qi_capture.report.frames import load_frames
    from qi_capture.report.quick_tags import quick_tag_themes
    from qi_capture.services.admin.demo import INTERVIEW
    from qi_capture.services.admin.exports import stored_forms

    with CentralStore.open(fixture_study, PASSPHRASE) as central:
        ff = load_frames(stored_forms(central, INTERVIEW), central.export_records(INTERVIEW))
    ids = ff.main["@record_id"].astype(str).tolist()
    row = next(i for i in range(len(ids))
               if isinstance(ff.main.at[i, "barriers/barriers_main"], str)
               and isinstance(ff.main.at[i, "barriers/key_quote_barriers"], str))
    text = ff.main.at[row, "barriers/barriers_main"]
    before = {t.code for t in quick_tag_themes(ff).themes}
    assert "staffing" not in before
    source = quick_tag_themes(ff, {ids[row]: {"barriers/barriers_main": ["Staffing"]}})
    (theme,) = [t for t in source.themes if t.code == "staffing"]
    assert set(theme.records) == {ids[row]}
    mentions = theme.records[ids[row]]
    assert [e.text for e in mentions.passages] == [text]
    assert [e.question for e in mentions.quotes] == ["barriers/key_quote_barriers"]
