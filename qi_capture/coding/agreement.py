"""Agreement between two coders, per code: percentage agreement and Cohen's kappa.

The unit of analysis is one *field* (a note or key-quote answer) of one interview: for
each code, each coder either applied the code somewhere in that field or did not. The
units are every non-empty codable field of the interviews *both* coders coded (at least
one coding each in the interview), so that interviews only one of them reached do not
count as disagreement, and fields neither coded count as agreement that the code is
absent (as they are: both read the interview).

For one code over ``n`` units, with ``both`` (a and b applied it), ``only_a``,
``only_b`` and ``neither``::

    p_o   = (both + neither) / n
    p_e   = ((both + only_a) * (both + only_b) + (only_b + neither) * (only_a + neither)) / n²
    kappa = (p_o - p_e) / (1 - p_e)

kappa is undefined (None) when ``p_e`` is 1 (both coders gave every unit the same single
answer): agreement is then total but says nothing beyond chance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Unit = tuple[object, str]


@dataclass(frozen=True)
class CodeCounts:
    units: int
    both: int
    only_a: int
    only_b: int
    neither: int

    @property
    def observed(self) -> float:
        return (self.both + self.neither) / self.units if self.units else 0.0

    @property
    def expected(self) -> float:
        n = self.units
        if not n:
            return 0.0
        a_yes, b_yes = self.both + self.only_a, self.both + self.only_b
        return (a_yes * b_yes + (n - a_yes) * (n - b_yes)) / (n * n)

    @property
    def percent(self) -> float:
        return round(100.0 * self.observed, 1)

    @property
    def kappa(self) -> float | None:
        expected = self.expected
        if not self.units or expected >= 1.0:
            return None
        return (self.observed - expected) / (1.0 - expected)


def counts(units: Sequence[Unit], coded_a: Iterable[Unit],
           coded_b: Iterable[Unit]) -> CodeCounts:
    """The 2x2 table of one code: ``coded_a``/``coded_b`` are the units each coder
    applied it in (units outside ``units`` are ignored)."""
    universe = set(units)
    a = set(coded_a) & universe
    b = set(coded_b) & universe
    both = len(a & b)
    only_a = len(a - b)
    only_b = len(b - a)
    return CodeCounts(len(universe), both, only_a, only_b,
                      len(universe) - both - only_a - only_b)


def per_code(units: Sequence[Unit], a: Mapping[object, set[Unit]],
             b: Mapping[object, set[Unit]]) -> dict[object, CodeCounts]:
    """Code -> its table, for every code either coder applied in the units."""
    codes = [c for c in dict.fromkeys([*a, *b])]
    return {c: counts(units, a.get(c, set()), b.get(c, set())) for c in codes}
