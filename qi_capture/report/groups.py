"""The groups a breakdown puts respondents in (`Grouping`): by a single-choice question
each respondent in one group, by a multiple-choice one in every group they chose; groups
smaller than the minimum cell size merged into "Other (small groups)" or left out, as
disclosure control (`suppress.Disclosure.groups`) decides."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from qi_capture.export.model import Column, choice_label
from qi_capture.report.frames import FormFrames
from qi_capture.report.suppress import OTHER_GROUP, OTHER_LABEL, Disclosure


def choice_labels(column: Column, language: str | None) -> dict[str, str]:
    return {c.name: choice_label(c, language) for c in column.choices}


@dataclass(frozen=True)
class Grouping:
    """The question a breakdown groups by, as found in one form's main table.

    A single-choice question puts each respondent in one group. A multiple-choice one
    puts a respondent in every group they chose: the groups overlap and do not add up to
    the total (``overlap``), which every such chart and the methods note say."""

    column: Column
    label: str
    #: Reported group code (`OTHER_GROUP` for merged small groups) -> mask of its rows.
    members: dict[str, np.ndarray]
    labels: dict[str, str]
    order: tuple[str, ...]
    #: Rows of the table grouped (a breakdown may have no group at all).
    length: int
    overlap: bool = False

    @classmethod
    def exclusive(cls, column: Column, label: str, groups: pd.Series,
                  labels: dict[str, str], order: tuple[str, ...]) -> Grouping:
        """From each row's one reported group code (NA: in no group)."""
        members = {code: (groups == code).fillna(False).to_numpy(dtype=bool)
                   for code in order}
        return cls(column, label, members, labels, order, len(groups))

    def rows(self, code: str) -> np.ndarray:
        return self.members[code]

    def anyone(self, codes: Sequence[str] | None = None) -> np.ndarray:
        """Rows in any of ``codes`` (every reported group when None)."""
        chosen = self.order if codes is None else codes
        out = np.zeros(self.length, dtype=bool)
        for code in chosen:
            out |= self.members[code]
        return out

    def note(self) -> str:
        """Said under every chart of an overlapping breakdown."""
        if not self.overlap:
            return ""
        return (f" Groups overlap: a respondent who chose several answers to \u201c"
                f"{self.label}\u201d is counted in each of those groups, so the groups do "
                "not add up to the total.")


def make_grouping(d: Disclosure, language: str | None, ff: FormFrames, column: Column,
                  label: str) -> Grouping:
    """The groups of the choice question ``column`` in the form's main table, small ones
    merged or left out by ``d`` (`Disclosure.groups`)."""
    labels = choice_labels(column, language)
    if column.vtype == "select_multiple":
        return _overlapping(d, ff, column, label, labels)
    values = ff.main[column.key].astype("object")
    sizes = Counter(str(v) for v in values.dropna())
    mapping = d.groups(label, dict(sizes), labels)
    # A blank is None, NaN (pandas 3's ``str``) or pd.NA (``string``): in no group.
    groups = values.map(lambda v: None if pd.isna(v) else mapping.get(str(v)))
    order = [c for c in [*labels, *sorted(set(sizes) - set(labels))]
             if mapping.get(c) == c]
    if OTHER_GROUP in mapping.values():
        order.append(OTHER_GROUP)
    names = {**{c: labels.get(c, c) for c in order}, OTHER_GROUP: OTHER_LABEL}
    return Grouping.exclusive(column, label, groups, names, tuple(order))


def _overlapping(d: Disclosure, ff: FormFrames, column: Column, label: str,
                 labels: dict[str, str]) -> Grouping:
    """A multiple-choice question's groups: a respondent is in every group they chose;
    small groups merged into one of everyone who chose any of them."""
    frame = ff.main
    chose = {c: frame[f"{column.key}#{c}"].fillna(0).astype(bool).to_numpy()
             for c in labels if f"{column.key}#{c}" in frame}
    sizes = {c: int(m.sum()) for c, m in chose.items() if m.any()}

    def union(codes: Sequence[str]) -> int:
        return int(np.logical_or.reduce([chose[c] for c in codes]).sum())

    mapping = d.groups(label, sizes, labels, union)
    order = [c for c in labels if mapping.get(c) == c]
    members = {c: chose[c] for c in order}
    small = [c for c, to in mapping.items() if to == OTHER_GROUP]
    if small:
        order.append(OTHER_GROUP)
        members[OTHER_GROUP] = np.logical_or.reduce([chose[c] for c in small])
    names = {**{c: labels.get(c, c) for c in order}, OTHER_GROUP: OTHER_LABEL}
    return Grouping(column, label, members, names, tuple(order), len(frame),
                    overlap=True)
