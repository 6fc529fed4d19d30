"""The listings' tables (``devices list``, ``review list``, ``conflicts list``, ``record
list``, ``study list``): aligned columns drawn by rich.

On a terminal the table fits its width: the columns marked ``wrap`` (names, notes) fold
onto more lines (never narrower than their header) and the others keep their width, so
ids stay whole and copyable. Piped or
redirected, no width applies (a line is as long as its row) and no colour or box is drawn:
``grep`` and ``cut`` see one row per line. Scripts should still read ``--json``, whose
shape does not change; these columns may.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

#: Width given to rich when stdout is not a terminal: wide enough never to fold a row.
_UNBOUNDED = 10_000


@dataclass(frozen=True)
class Column:
    header: str
    wrap: bool = False  # may fold onto several lines on a narrow terminal
    right: bool = False  # numbers


def print_table(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    """Print ``rows`` under ``columns`` on stdout (see the module docstring)."""
    terminal = sys.stdout.isatty()
    table = Table(box=None, show_edge=False,
                  pad_edge=False, padding=(0, 1),
                  header_style="bold underline" if terminal else "")
    for column in columns:
        # A folding column keeps at least its header's width: a header cut into
        # syllables reads worse than a long value on two lines.
        table.add_column(column.header, justify="right" if column.right else "left",
                         no_wrap=not column.wrap, overflow="fold",
                         min_width=max(len(column.header), 6) if column.wrap else None)
    for row in rows:
        table.add_row(*row)
    width = shutil.get_terminal_size().columns if terminal else _UNBOUNDED
    console = Console(width=width, no_color=not terminal, highlight=False,
                      soft_wrap=False, force_terminal=terminal)
    if terminal:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    for line in captured.get().splitlines():
        print(line.rstrip())


def short_ids(ids: Sequence[str], minimum: int = 8) -> dict[str, str]:
    """Each id's prefix, at least ``minimum`` characters and one length for the whole
    listing (the column stays aligned), long enough that no two ids share it (as git
    shortens hashes), so a listed short id always names one."""
    length = minimum
    while len({i[:length] for i in ids}) < len(set(ids)):
        length += 1
    return {i: i[:length] for i in ids}
