"""Thematic coding at the central store (`CodingDesk`), on SQLCipher and PostgreSQL:
field tags as starting codes, coding, merging, re-anchoring, memos, agreement between
two coders and the matrix, every number worked out by hand from `coding_fixtures`."""

from __future__ import annotations

import uuid

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.coding.errors import (
    CodeMoveInvalid,
    CodeNameTaken,
    CodeRetired,
    CoderUnknown,
    FieldNotCodable,
    InterviewNotFound,
    NotFromField,
    PassageOutOfRange,
    StudyUnknown,
)
from qi_capture.services.admin.coding import CodingDesk
from tests.core.central.coding_fixtures import fill, new_revision

OVERVIEW = "approach/approach_overview"
QUOTE = "approach/key_quote_approach"


@pytest.fixture
def desk(central: CentralStore) -> tuple[CodingDesk, list[uuid.UUID]]:
    ids = fill(central)
    return CodingDesk(central, coder="alice"), ids


def _counts(coding: CodingDesk) -> dict[str, tuple[int, int]]:
    return {n.code.name: (n.codings, n.interviews) for n in coding.codebook()}


def test_field_tags_seed_codes_and_codings(desk: tuple[CodingDesk, list[uuid.UUID]],
                                           central: CentralStore) -> None:
    coding, ids = desk
    assert _counts(coding) == {"Barrier": (5, 3), "Enabler": (2, 2), "Example": (1, 1),
                               "Funding": (1, 1), "Idea": (1, 1)}
    page = coding.transcript(ids[0])
    assert [s.title for s in page.sections] == ["1. Current QI approach", "4. What works"]
    assert [i.field for i in page.sections[0].items] == [OVERVIEW, QUOTE]
    assert page.sections[0].items[1].quote
    field = [c for c in page.codings if c.field == OVERVIEW]
    assert len(field) == 1
    assert (field[0].origin, field[0].coder, field[0].confirmed) == ("field", "field", False)
    assert field[0].text == "Staff have no protected time #barrier"
    # Seeding again adds nothing; the audit log says what seeding did, without words.
    assert tuple(coding.seed_from_field()) == (0, 0)
    seeds = [e for e in central.audit_log() if e.action == "coding.seed"]
    assert seeds[0].params["codings"] == 10
    assert "protected" not in str([e.params for e in central.audit_log()])


def test_confirm_and_undo_field_codings(desk: tuple[CodingDesk, list[uuid.UUID]]) -> None:
    coding, ids = desk
    coding.codebook()
    first, second = [c for c in coding.transcript(ids[0]).codings if c.origin == "field"][:2]
    assert coding.confirm_coding(first.guid).confirmed
    coding.undo_coding(second.guid)
    left = {c.guid for c in coding.transcript(ids[0]).codings}
    assert first.guid in left and second.guid not in left
    # An undone field coding is not brought back by seeding again.
    assert tuple(coding.seed_from_field()) == (0, 0)
    mine = coding.apply_codes(ids[0], OVERVIEW, 0, 5, ["Idea"])
    with pytest.raises(NotFromField):
        coding.confirm_coding(mine[-1].guid)


def test_apply_and_remove_codes(desk: tuple[CodingDesk, list[uuid.UUID]],
                                central: CentralStore) -> None:
    coding, ids = desk
    coding.codebook()
    time = coding.create_code("Time", description="Protected time", colour="#123abc",
                              parent="Barrier")
    assert time.colour == "#123ABC"
    text = "Staff have no protected time #barrier"
    start = text.index("protected time")
    made = coding.apply_codes(ids[0], OVERVIEW, start, start + 14, [time.guid, "Idea"])
    assert {c.text for c in made} == {"protected time"}
    assert {c.coder for c in made} == {"alice"} and len({c.passage for c in made}) == 1
    # The same codes on the same span again: nothing doubled.
    assert len(coding.apply_codes(ids[0], OVERVIEW, start, start + 14, [time.guid])) == 2
    counts = _counts(coding)
    assert counts["Idea"] == (2, 2)
    tree = {n.code.name: n for n in coding.codebook()}
    assert [k.code.name for k in tree["Barrier"].children] == ["Time"]
    passages = coding.passages(time.guid)
    assert len(passages) == 1
    assert passages[0].section == "1. Current QI approach"
    assert passages[0].group == "Medical director"
    assert passages[0].footprint == "North West London"
    coding.remove_coding(made[0].guid)
    assert made[0].guid not in {p.coding.guid for p in coding.passages(made[0].code)}
    assert len(coding.transcript(ids[0]).codings) == len(made) - 1 + 4  # and its 4 field codings


def test_bad_coding_requests_change_nothing(desk: tuple[CodingDesk, list[uuid.UUID]],
                                           central: CentralStore) -> None:
    coding, ids = desk
    coding.codebook()
    before = (len(central.audit_log()), _counts(coding))
    with pytest.raises(PassageOutOfRange) as err:
        coding.apply_codes(ids[0], OVERVIEW, 3, 999, ["Idea"])
    assert err.value.params["length"] == len("Staff have no protected time #barrier")
    with pytest.raises(PassageOutOfRange):
        coding.apply_codes(ids[0], OVERVIEW, 5, 5, ["Idea"])
    with pytest.raises(FieldNotCodable):
        coding.apply_codes(ids[0], "participant/org_name", 0, 3, ["Idea"])
    with pytest.raises(InterviewNotFound):
        coding.apply_codes(uuid.uuid4(), OVERVIEW, 0, 3, ["Idea"])
    coding.retire_code("Idea")
    with pytest.raises(CodeRetired):
        coding.apply_codes(ids[0], OVERVIEW, 0, 3, ["Idea"])
    with pytest.raises(CodeNameTaken):
        coding.create_code("barrier")
    with pytest.raises(CodeMoveInvalid):
        child = coding.create_code("Staffing", parent="Barrier")
        coding.move_code("Barrier", child.guid)
    with pytest.raises(StudyUnknown):
        CodingDesk(central, "no-such-study")
    after = _counts(coding)
    assert "Idea" not in after  # retired: out of the tree, with its coding kept
    assert {k: v for k, v in after.items() if k != "Staffing"} == \
        {k: v for k, v in before[1].items() if k != "Idea"}


def test_merge_codes_moves_codings(desk: tuple[CodingDesk, list[uuid.UUID]],
                                   central: CentralStore) -> None:
    coding, _ids = desk
    coding.codebook()
    merged = coding.merge_codes("Funding", "Barrier")
    assert merged.name == "Barrier"
    # Interview 2's funding note was tagged #barrier too: one coding stays on it.
    assert _counts(coding) == {"Barrier": (5, 3), "Enabler": (2, 2), "Example": (1, 1),
                               "Idea": (1, 1)}
    funding = coding.code("Funding")
    assert funding.retired and funding.merged_into == merged.guid
    # The #funding tag now seeds Barrier: seeding again makes no code and no coding.
    assert tuple(coding.seed_from_field()) == (0, 0)
    entry = next(e for e in central.audit_log() if e.action == "coding.code_merge")
    assert entry.params["into"] == str(merged.guid)


def test_a_new_revision_keeps_moves_or_flags_codings(
        desk: tuple[CodingDesk, list[uuid.UUID]], central: CentralStore) -> None:
    coding, ids = desk
    coding.codebook()
    text = "Staff have no protected time #barrier"
    start = text.index("protected time")
    coding.apply_codes(ids[0], OVERVIEW, start, start + 14, ["Idea"])
    coding.apply_codes(ids[0], QUOTE, 0, 7, ["Idea"])
    new = new_revision(central, ids[0], {OVERVIEW: "Sadly, " + text})
    new_revision(central, ids[1], {OVERVIEW: "Board support helped #enabler"})
    page = coding.transcript(ids[0])
    assert page.revision == new
    by_field = {(c.field, c.coder): c for c in page.codings}
    moved = by_field[(OVERVIEW, "alice")]
    assert (moved.start, moved.end, moved.text, moved.flagged) == \
        (start + 7, start + 21, "protected time", False)
    assert by_field[(OVERVIEW, "field")].start == 7
    kept = by_field[(QUOTE, "alice")]
    assert (kept.start, kept.end, kept.revision, kept.flagged) == (0, 7, new, False)
    flagged = coding.flagged()
    assert [(c.record_id, c.field) for c in flagged] == [(ids[1], OVERVIEW)]
    coding.settle_flag(flagged[0].passage, keep=True)
    assert coding.flagged() == ()
    assert next(e.params for e in central.audit_log() if e.action == "coding.reanchor") \
        == {"study": coding.study_id, "coder": "alice", "kept": 4, "moved": 2, "flagged": 1}


def test_memos_on_codes_and_passages(desk: tuple[CodingDesk, list[uuid.UUID]]) -> None:
    coding, ids = desk
    coding.codebook()
    made = coding.apply_codes(ids[2], OVERVIEW, 0, 13, ["Barrier"])
    memo = coding.set_memo("Analysts, not data", passage=made[0].passage)
    assert memo is not None and memo.author == "alice"
    coding.set_memo("Anything that slows work", code="Barrier")
    assert {m.text for m in coding.memos()} == {"Analysts, not data",
                                                "Anything that slows work"}
    page = coding.transcript(ids[2])
    assert [c.memo for c in page.codings if c.coder == "alice"] == ["Analysts, not data"]
    assert coding.set_memo("", code="Barrier") is None
    assert len(coding.memos()) == 1


def test_agreement_between_two_coders(central: CentralStore) -> None:
    ids = fill(central)
    alice = CodingDesk(central, coder="alice")
    bob = CodingDesk(central, coder="bob")
    alice.codebook()
    time = alice.create_code("Time")
    works = "what_works/works_example"
    # Units: the 3 texts of interview 1 and the 2 of interview 2 (both coded them);
    # interview 3 only bob coded, so its fields are not units.
    alice.apply_codes(ids[0], OVERVIEW, 0, 5, [time.guid])
    alice.apply_codes(ids[0], OVERVIEW, 6, 10, [time.guid])  # twice in a unit: once
    alice.apply_codes(ids[0], QUOTE, 0, 7, [time.guid])
    alice.apply_codes(ids[1], "barriers/barriers_main", 0, 7, [time.guid])
    bob.apply_codes(ids[0], OVERVIEW, 0, 20, [time.guid])
    bob.apply_codes(ids[1], "barriers/barriers_main", 0, 7, [time.guid])
    bob.apply_codes(ids[1], OVERVIEW, 0, 5, [time.guid])
    bob.apply_codes(ids[2], OVERVIEW, 0, 5, [time.guid])
    bob.apply_codes(ids[0], works, 0, 5, ["Example"])
    result = alice.agreement("alice", "bob")
    assert (result.interviews, result.units) == (2, 5)
    by_name = {c.name: c for c in result.codes}
    t = by_name["Time"]
    assert (t.both, t.only_a, t.only_b, t.neither) == (2, 1, 1, 1)
    # p_o = 3/5; p_e = (3*3 + 2*2)/25 = 13/25; kappa = (0.6 - 0.52) / 0.48 = 1/6.
    assert t.percent == 60.0
    assert t.kappa == pytest.approx(1 / 6)
    e = by_name["Example"]
    assert (e.both, e.only_a, e.only_b, e.neither) == (0, 0, 1, 4)
    # p_o = 4/5, p_e = (0*1 + 5*4)/25 = 0.8: kappa 0.
    assert e.kappa == pytest.approx(0.0)
    diffs = {(d.record_id, d.field) for d in result.differences if d.code == time.guid}
    assert diffs == {(ids[0], QUOTE), (ids[1], OVERVIEW)}
    quote = next(d for d in result.differences if d.field == QUOTE)
    assert len(quote.codings_a) == 1 and quote.codings_b == ()
    with pytest.raises(CoderUnknown):
        alice.agreement("alice", "carol")


def test_matrix_with_suppression(desk: tuple[CodingDesk, list[uuid.UUID]]) -> None:
    coding, _ids = desk
    coding.codebook()
    matrix = coding.matrix("group", min_cell=2)
    assert matrix.groups == ("Medical director", "Commissioner")
    assert matrix.interviews == 4
    rows = {r.code.name: r for r in matrix.rows}
    barrier = rows["Barrier"]
    assert barrier.total == 3
    md, com = barrier.cells
    assert (md.count, md.suppressed) == (2, False)
    # Quotes: tags taken out; interview 3 (a commissioner) did not agree to quotes,
    # and its cell (1 interview) is hidden anyway.
    assert md.quotes == ("We need time, not another method.",)
    assert (com.count, com.suppressed, com.quotes) == (None, True, ())
    assert rows["Enabler"].cells[1].count == 0  # zero is shown
    assert rows["Idea"].total is None
    assert matrix.suppressed == 4  # Barrier (commissioners), Example, Funding, Idea
    fp = coding.matrix("footprint", min_cell=1)
    assert fp.groups == ("North West London", "South East London")
    assert {r.code.name: r.total for r in fp.rows}["Barrier"] == 3


def test_matrix_counts_only_approved(central: CentralStore) -> None:
    fill(central, status="received")
    coding = CodingDesk(central)
    coding.codebook()
    assert coding.matrix(min_cell=1).interviews == 0
    assert coding.matrix(min_cell=1, statuses=None).interviews == 4


def test_themes_for_the_report(desk: tuple[CodingDesk, list[uuid.UUID]]) -> None:
    coding, ids = desk
    coding.codebook()
    child = coding.create_code("Time", parent="Barrier")
    coding.apply_codes(ids[0], QUOTE, 0, 7, [child.guid])
    themes = {t.path: t for t in coding.themes()}
    assert themes["Barrier"].records == frozenset(ids[:3])
    # Interview 3's quote is coded Barrier too, but its participant refused quotes.
    assert [q.text for q in themes["Barrier"].quotes] == ["We need time, not another method."]
    assert themes["Barrier / Time"].quotes[0].text == "We need"
    assert next(iter(coding.themes())).code.name == "Barrier"  # most mentioned first


def test_demo_coding_for_the_screenshots(central: CentralStore) -> None:
    from qi_capture.services.admin.demo import code_demo

    fill(central)
    code_demo(central, interviews=4)
    coding = CodingDesk(central)
    tree = {n.code.name: n for n in coding.codebook()}
    assert {k.code.name for k in tree["Barrier"].children} == {"Protected time",
                                                                "Data and analysts"}
    assert {c.name for c in coding.coders()} == {"alice", "bob", "field"}
    # "time" is in two of the answers ("protected time", "We need time, ...").
    assert next(k for k in tree["Barrier"].children
                if k.code.name == "Protected time").interviews == 1
    assert coding.agreement("alice", "bob").units > 0
