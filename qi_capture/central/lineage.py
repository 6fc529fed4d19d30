"""Heads, displayed winner and conflict of one record, as pure functions of its
revisions (plain values, no database).

This is the part of a merge that must not depend on the order bundles came in: the
result is a function of the *set* of revisions, so any permutation, any repetition and
any grouping of bundle sets ends in the same record state. `qi_capture.central.merge.
derive_records` reads the revisions and writes what these functions return; the
property tests in tests/core/central/test_lineage_properties.py hold them to that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple


class Revision(NamedTuple):
    """What lineage needs of one revision."""

    id: str
    parents: tuple[str, ...]
    #: "edit" or "resolution" (a revision written by resolving a conflict).
    kind: str
    deleted: bool
    created: str
    #: An erasure revision (consent withdrawn; `qi_capture.central.erasure`).
    erasure: bool = False


@dataclass(frozen=True, slots=True)
class Lineage:
    """The derived state of one record."""

    heads: tuple[str, ...]
    winner: str
    erased: bool
    in_conflict: bool
    #: "heads" or "edit_beside_deletion" while in conflict, else None.
    conflict_kind: str | None
    #: When the record was first submitted (earliest edit, else earliest revision).
    submitted: str
    #: The winner is a resolution and nothing is in conflict any more.
    resolved: bool


def winner_key(deleted: bool, created: str, rev_id: str) -> tuple[bool, str, str]:
    """The displayed winner among heads: an edit before a deletion (nothing vanishes
    from view while a conflict is open), then the latest ``created``, then the larger
    revision id. Deterministic: it depends on the heads only."""
    return (not deleted, created, rev_id)


def union(*revision_sets: Iterable[Revision]) -> dict[str, Revision]:
    """Revision sets merged (a grow-only set keyed by revision id: a revision's id is
    the hash of its content, so one id is one revision)."""
    merged: dict[str, Revision] = {}
    for revisions in revision_sets:
        for r in revisions:
            merged.setdefault(r.id, r)
    return merged


def heads(revisions: Iterable[Revision]) -> tuple[str, ...]:
    """The revisions no other revision names as parent, sorted."""
    by_id = union(revisions)
    referenced = {p for r in by_id.values() for p in r.parents}
    return tuple(sorted(i for i in by_id if i not in referenced))


def derive(revisions: Iterable[Revision]) -> Lineage:
    """The record state of a non-empty set of revisions (duplicates count once)."""
    by_id = union(revisions)
    if not by_id:
        raise ValueError("a record has at least one revision")
    tips = heads(by_id.values())
    erased = any(r.erasure for r in by_id.values())
    shown = tips
    if erased:  # the erasure is what shows, whatever else is a head
        shown = tuple(h for h in tips if by_id[h].deleted) or tips
    win = by_id[max(shown, key=lambda h: winner_key(by_id[h].deleted, by_id[h].created, h))]
    edits = [r.created for r in by_id.values() if r.kind == "edit"]
    # An erased record (only its erasure revisions are left: `erasure.purge`) is a
    # tombstone: the centre's and the laptop's erasures are not a conflict.
    in_conflict = len(tips) > 1 and not erased
    kind = None
    if in_conflict:
        deleted = {by_id[h].deleted for h in tips}
        kind = "edit_beside_deletion" if deleted == {True, False} else "heads"
    return Lineage(
        heads=tips,
        winner=win.id,
        erased=erased,
        in_conflict=in_conflict,
        conflict_kind=kind,
        submitted=min(edits or [r.created for r in by_id.values()]),
        resolved=not in_conflict and win.kind == "resolution",
    )
