"""How often each theme came up, by stakeholder group or by footprint, as one table
(themes down, groups across; interviews mentioning the theme), for the web page, the PDF
and the slides alike. The counts are the themes' own (`model.Theme.by_group`,
``by_footprint``), already under disclosure control: a suppressed one reads "<k"."""

from __future__ import annotations

from qi_capture.report.model import Heard

SPREADS = ("by_group", "by_footprint")


def theme_table(heard: Heard, spread: str, k: int) -> list[list[str]] | None:
    """Rows (header first) of themes by the groups of ``spread`` ("by_group" or
    "by_footprint"); only groups some theme's interviews came from (a column of zeros
    says nothing). None when no theme has such counts."""
    themes = [t for t in heard.themes if getattr(t, spread).cells]
    if not themes:
        return None
    first = getattr(themes[0], spread)
    codes = [c.code for c in first.cells]
    labels = {c.code: c.label for c in first.cells}
    used = [code for code in codes
            if any(c.code == code and (c.suppressed or c.count)
                   for t in themes for c in getattr(t, spread).cells)]
    if not used:
        return None
    rows = [["Theme", "All", *(labels[c] for c in used)]]
    for theme in themes:
        cells = {c.code: c for c in getattr(theme, spread).cells}
        shown = []
        for code in used:
            cell = cells.get(code)
            if cell is not None and (cell.suppressed or cell.count is None):
                shown.append(f"<{k}")
            elif cell is None or not cell.count:
                shown.append("0")
            else:
                shown.append(str(cell.count))
        total = f"<{k}" if theme.interviews is None else str(theme.interviews)
        rows.append([theme.label, total, *shown])
    return rows


def spread_name(spread: str) -> str:
    return "stakeholder group" if spread == "by_group" else "footprint"
