"""Property tests of `qi_capture.central.lineage`: a record's heads, winner, conflict and
erased state depend on the set of its revisions only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qi_capture.central import lineage
from qi_capture.central.lineage import Revision

_CREATED = [f"2026-01-0{d}T10:00:00Z" for d in range(1, 5)]


@st.composite
def histories(draw: st.DrawFn, max_size: int = 8) -> list[Revision]:
    """A record's revisions: each names zero or more earlier ones as parents (a DAG)."""
    size = draw(st.integers(1, max_size))
    revs: list[Revision] = []
    for i in range(size):
        parents = draw(st.sets(st.sampled_from([r.id for r in revs]), max_size=2)) if revs \
            else set()
        deleted = draw(st.booleans())
        revs.append(Revision(
            id=f"{draw(st.integers(0, 99)):02d}r{i}",
            parents=tuple(sorted(parents)),
            kind=draw(st.sampled_from(["edit", "edit", "resolution"])),
            deleted=deleted,
            created=draw(st.sampled_from(_CREATED)),
            erasure=deleted and draw(st.integers(0, 5)) == 0,
        ))
    return revs


@settings(max_examples=150)
@given(histories(), st.randoms(use_true_random=False))
def test_any_order_gives_the_same_state(revs: list[Revision], rnd: object) -> None:
    shuffled = list(revs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert lineage.derive(shuffled) == lineage.derive(revs)
    assert lineage.derive(reversed(revs)) == lineage.derive(revs)


@settings(max_examples=150)
@given(histories(), st.data())
def test_a_revision_twice_changes_nothing(revs: list[Revision], data: st.DataObject) -> None:
    again = data.draw(st.lists(st.sampled_from(revs), min_size=1, max_size=4))
    assert lineage.derive(revs + again) == lineage.derive(revs)
    assert lineage.derive(again + revs + again) == lineage.derive(revs)


@settings(max_examples=150)
@given(histories(), st.data())
def test_merging_bundle_sets_is_associative_and_commutative(
    revs: list[Revision], data: st.DataObject
) -> None:
    # Three bundle sets that may overlap and together hold every revision.
    sets: list[list[Revision]] = [[], [], []]
    for r in revs:
        for k in data.draw(st.sets(st.integers(0, 2), min_size=1)):
            sets[k].append(r)
    a, b, c = sets
    at_once = lineage.derive(lineage.union(a, b, c).values())
    a_then_b = lineage.union(lineage.union(a, b).values(), c)
    b_then_a = lineage.union(lineage.union(b, a).values(), c)
    c_first = lineage.union(c, lineage.union(b, a).values())
    for merged in (a_then_b, b_then_a, c_first):
        assert lineage.derive(merged.values()) == at_once
    assert at_once == lineage.derive(revs)


@settings(max_examples=150)
@given(histories(), st.data())
def test_an_erasure_anywhere_erases_the_record(revs: list[Revision], data: st.DataObject) -> None:
    parent = data.draw(st.sampled_from(revs))
    erasure = Revision(f"zz{parent.id}", (parent.id,), "edit", True,
                       data.draw(st.sampled_from(_CREATED)), erasure=True)
    where = data.draw(st.integers(0, len(revs)))
    state = lineage.derive([*revs[:where], erasure, *revs[where:]])
    assert state.erased and not state.in_conflict and state.conflict_kind is None
    shown = {r.id: r for r in [*revs, erasure]}
    # Every head that is a deletion outranks every other: the erasure shows.
    assert shown[state.winner].deleted
    assert erasure.id in state.heads


def _rev(rid: str, *parents: str, deleted: bool = False, created: str = _CREATED[0],
         kind: str = "edit") -> Revision:
    return Revision(rid, parents, kind, deleted, created)


def test_two_heads_are_a_conflict_and_the_later_edit_shows() -> None:
    state = lineage.derive([_rev("a"), _rev("b", "a", created=_CREATED[1]),
                            _rev("c", "a", created=_CREATED[2])])
    assert state.heads == ("b", "c") and state.winner == "c"
    assert state.in_conflict and state.conflict_kind == "heads" and not state.resolved
    assert state.submitted == _CREATED[0]


def test_an_edit_beside_a_deletion_shows_the_edit() -> None:
    state = lineage.derive([_rev("a"), _rev("b", "a", deleted=True, created=_CREATED[3]),
                            _rev("c", "a", created=_CREATED[1])])
    assert state.winner == "c" and state.conflict_kind == "edit_beside_deletion"


def test_a_resolution_over_both_heads_resolves() -> None:
    state = lineage.derive([_rev("a"), _rev("b", "a"), _rev("c", "a"),
                            _rev("d", "b", "c", kind="resolution", created=_CREATED[2])])
    assert state.heads == ("d",) and state.resolved and not state.in_conflict


def test_no_revisions_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one revision"):
        lineage.derive([])
