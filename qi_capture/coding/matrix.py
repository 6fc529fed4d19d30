"""The code matrix: codes by a grouping of interviews (stakeholder group, footprint),
counting the interviews that mention each code in each group, with the quotes behind
each cell, under disclosure control.

Pure: the services hand in who mentioned what and the disclosure rule (the report's,
`qi_capture.report.suppress.Disclosure.hidden`, which this package may not import: it
is a sibling layer), so the matrix follows the same rule as the report. A hidden cell
shows neither its count nor its quotes; a code's total is hidden by the same rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence

from qi_capture.coding.model import Code, Matrix, MatrixCell, MatrixRow


def build(*, by: str, codes: Sequence[Code], groups: Sequence[str],
          mentions: Mapping[uuid.UUID, Mapping[str, set[uuid.UUID]]],
          quotes: Mapping[tuple[uuid.UUID, str], Sequence[str]], interviews: int,
          min_cell: int, hidden: Callable[[int], bool]) -> Matrix:
    """``mentions``: code -> group -> the interviews (record ids) mentioning it there;
    ``quotes``: (code, group) -> its quotes; rows most mentioned first, then by name."""
    rows = []
    suppressed = 0
    for code in codes:
        per = mentions.get(code.guid, {})
        cells = []
        for group in groups:
            n = len(per.get(group, ()))
            hide = hidden(n)
            suppressed += hide
            cells.append(MatrixCell(group, None if hide else n, hide,
                                    () if hide else tuple(quotes.get((code.guid, group), ()))))
        total = len(set().union(*per.values())) if per else 0
        rows.append(MatrixRow(code, None if hidden(total) else total, tuple(cells)))
    rows.sort(key=lambda r: (-(r.total or 0), r.code.name.casefold()))
    return Matrix(by, tuple(groups), tuple(rows), interviews, min_cell, suppressed)
