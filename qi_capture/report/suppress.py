"""Disclosure control, in one place: which counts a report may show.

The rules (the methods note quotes them):

* A count from 1 to ``min_cell - 1`` is never shown, in any chart, table or note: its
  cell is marked suppressed and carries no number and no percentage. Zero is shown.
* Where a distribution's cells add up to a total that is shown (a select_one question),
  one suppressed cell could be worked out by subtraction; so the smallest other non-zero
  cell is suppressed as well (secondary suppression).
* A distribution whose base (respondents who answered) is under ``min_cell`` is withheld
  whole.
* A group (a footprint, an organisation type, a value of the ``--by`` question) with
  fewer respondents than ``min_cell`` is merged into "Other (small groups)"; if that
  merged group is still too small, it is left out.

Every decision is counted, so the methods note can say what was suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from qi_capture.report.model import Cell, Missing

#: The code and label of the group small groups are merged into.
OTHER_GROUP = "@other"
OTHER_LABEL = "Other (small groups)"


def percent(count: int, base: int) -> float:
    return round(100.0 * count / base, 1) if base else 0.0


@dataclass
class Disclosure:
    min_cell: int = 5
    cells_suppressed: int = 0
    secondary: int = 0
    charts_withheld: int = 0
    #: Grouping question label -> labels of groups merged / left out.
    merged: dict[str, list[str]] = field(default_factory=dict)
    dropped: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.min_cell < 1:
            raise ValueError("the minimum cell size must be at least 1")

    def hidden(self, count: int) -> bool:
        """Whether ``count`` may not be shown."""
        return 0 < count < self.min_cell

    def count(self, count: int) -> int | None:
        """``count``, or None where it may not be shown."""
        return None if self.hidden(count) else count

    def base(self, n: int) -> int | None:
        """A distribution's base: None (and the chart withheld) when under the minimum."""
        if 0 < n < self.min_cell:
            return None
        return n

    def withhold(self) -> None:
        self.charts_withheld += 1

    def cells(self, counts: Sequence[tuple[str, str, int]], base: int, *,
              exclusive: bool) -> tuple[Cell, ...]:
        """(code, label, count) -> cells with percentages of ``base``. ``exclusive``: the
        counts add up to ``base`` (one answer each), so secondary suppression applies."""
        hide = {i for i, (_c, _l, n) in enumerate(counts) if self.hidden(n)}
        self.cells_suppressed += len(hide)
        if exclusive and len(hide) == 1:
            others = [(n, i) for i, (_c, _l, n) in enumerate(counts) if i not in hide and n > 0]
            if others:
                hide.add(min(others)[1])
                self.secondary += 1
        return tuple(
            Cell(code, label, None, None, True) if i in hide
            else Cell(code, label, n, percent(n, base))
            for i, (code, label, n) in enumerate(counts)
        )

    def missing(self, not_asked: int, left_blank: int) -> Missing:
        total = not_asked + left_blank
        parts = [self.count(total), self.count(not_asked), self.count(left_blank)]
        suppressed = any(p is None for p in parts)
        if parts[0] is None:
            # The total is hidden: its parts could only be smaller.
            return Missing(None, None, None, True)
        if suppressed and (parts[1] is None) != (parts[2] is None):
            # One part hidden and the total shown: the other would give it away.
            parts[1] = parts[2] = None
        return Missing(parts[0], parts[1], parts[2], suppressed)

    def groups(self, what: str, sizes: Mapping[str, int],
               labels: Mapping[str, str]) -> dict[str, str]:
        """Group code -> the code it is reported under (itself or `OTHER_GROUP`); groups
        left out are absent. ``sizes``: respondents per group."""
        small = [g for g, n in sizes.items() if 0 < n < self.min_cell]
        out = {g: g for g, n in sizes.items() if n >= self.min_cell}
        if not small:
            return out
        merged = sum(sizes[g] for g in small)
        names = [labels.get(g, g) for g in small]
        if merged >= self.min_cell and len(small) > 1:
            out.update({g: OTHER_GROUP for g in small})
            self.merged.setdefault(what, []).extend(names)
        else:
            self.dropped.setdefault(what, []).extend(names)
        return out

    def sentences(self) -> tuple[str, ...]:
        """What was suppressed, for the methods note."""
        k = self.min_cell
        out = [f"No count from 1 to {k - 1} is shown anywhere in this report (minimum cell "
               f"size {k}); zero is shown. Such cells are marked \u201c<{k}\u201d."]
        out.append(f"{self.cells_suppressed} cells were suppressed as under {k}, and "
                   f"{self.secondary} more so that they cannot be worked out from the total.")
        if self.charts_withheld:
            out.append(f"{self.charts_withheld} charts or breakdowns were withheld because "
                       f"fewer than {k} answered.")
        for what, names in sorted(self.merged.items()):
            out.append(f"{what}: groups with fewer than {k} respondents were merged into "
                       f"\u201c{OTHER_LABEL}\u201d ({len(set(names))} groups).")
        for what, names in sorted(self.dropped.items()):
            out.append(f"{what}: groups with fewer than {k} respondents were left out, "
                       f"because even merged they stayed under {k} ({len(set(names))} "
                       "groups).")
        return tuple(out)
