"""Disclosure control, in one place: which counts a report may show.

The rules (the methods note quotes them):

* A count from 1 to ``min_cell - 1`` is never shown, in any chart, table or note: its
  cell is marked suppressed and carries no number and no percentage. Zero is shown.
* Where a distribution's cells add up to a total that is shown (a select_one question),
  one suppressed cell could be worked out by subtraction; so the smallest other non-zero
  cell is suppressed as well (secondary suppression).
* In a breakdown whose groups do not overlap, the groups' counts of one answer add up to
  everyone's count of it, shown in the chart without the breakdown: a column with one
  suppressed cell would give it away too, and so would the remainder (respondents in a
  group left out, or with no group) when it is under the minimum. So the smallest other
  non-zero cell of the column is suppressed as well; rows and columns are checked again
  until none has a lone suppressed cell (complementary suppression, `table`).
* A distribution whose base (respondents who answered) is under ``min_cell`` is withheld
  whole.
* A group (a footprint, an organisation type, a value of the ``--by`` question) with
  fewer respondents than ``min_cell`` is merged into "Other (small groups)"; if that
  merged group is still too small, it is left out.

Every decision is counted, so the methods note can say what was suppressed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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

    def table(self, rows: Sequence[Sequence[tuple[str, str, int]]], bases: Sequence[int],
              *, exclusive: bool,
              totals: Sequence[int] | None) -> list[tuple[Cell, ...] | None]:
        """The cells of one distribution per group (rows of (code, label, count), the
        same codes in each; ``bases`` the groups' respondents), as `cells` makes them,
        with complementary suppression down the columns as well when ``totals`` (the
        count of each code over everyone, groups not overlapping) is given. A row whose
        base is under the minimum is withheld whole (None)."""
        width = len(rows[0]) if rows else 0
        grid = [[n for _c, _l, n in row] for row in rows]
        withheld = [self.base(b) is None for b in bases]
        hide: list[set[int]] = []
        for counts, gone in zip(grid, withheld, strict=True):
            if gone:
                self.withhold()
                # Every count of a withheld group is unknown to the reader.
                hide.append({i for i, n in enumerate(counts) if n > 0})
            else:
                hide.append({i for i, n in enumerate(counts) if self.hidden(n)})
                self.cells_suppressed += len(hide[-1])
        real = len(grid)
        if totals is not None:
            # The remainder: everyone's count less the groups'; the reader can work it
            # out, so a small one must be protected like a shown cell.
            rest = [max(0, t - sum(g[i] for g in grid)) for i, t in enumerate(totals)]
            grid.append(rest)
            hide.append({i for i, n in enumerate(rest) if self.hidden(n)})
        changed = True
        while changed:
            changed = False
            for r in range(real):
                if exclusive and not withheld[r] and len(hide[r]) == 1:
                    others = [(n, i) for i, n in enumerate(grid[r])
                              if i not in hide[r] and n > 0]
                    if others:
                        hide[r].add(min(others)[1])
                        self.secondary += 1
                        changed = True
            if totals is None:
                continue
            for i in range(width):
                if sum(1 for h in hide if i in h) != 1:
                    continue
                # Only a shown group's cell may stand in (the remainder is never shown).
                others = [(grid[r][i], r) for r in range(real)
                          if i not in hide[r] and grid[r][i] > 0]
                if others:
                    hide[min(others)[1]].add(i)
                    self.secondary += 1
                    changed = True
        out: list[tuple[Cell, ...] | None] = []
        for r, row in enumerate(rows):
            if withheld[r]:
                out.append(None)
                continue
            out.append(tuple(
                Cell(code, label, None, None, True) if i in hide[r]
                else Cell(code, label, n, percent(n, bases[r]))
                for i, (code, label, n) in enumerate(row)))
        return out

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

    def groups(self, what: str, sizes: Mapping[str, int], labels: Mapping[str, str],
               union: Callable[[Sequence[str]], int] | None = None) -> dict[str, str]:
        """Group code -> the code it is reported under (itself or `OTHER_GROUP`); groups
        left out are absent. ``sizes``: respondents per group; ``union``: respondents in
        any of the given groups, where groups overlap (else their sizes are added)."""
        small = [g for g, n in sizes.items() if 0 < n < self.min_cell]
        out = {g: g for g, n in sizes.items() if n >= self.min_cell}
        if not small:
            return out
        merged = union(small) if union is not None else sum(sizes[g] for g in small)
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
                   f"{self.secondary} more so that they cannot be worked out from a total "
                   "(complementary suppression). Where a distribution's counts add up to "
                   "a total shown (a single-choice question, a group's respondents), a lone "
                   "suppressed cell would be given away by subtraction, so the smallest "
                   "other non-zero cell is suppressed as well. In a breakdown whose groups "
                   "do not overlap, each answer's counts across the groups add up to "
                   "everyone's count of it, so the same is done down each answer's column "
                   "(counting the respondents left out of the breakdown as one more group "
                   "that is never shown); rows and columns are checked again until none "
                   "has a lone suppressed cell.")
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
