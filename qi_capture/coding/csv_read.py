"""A codebook brought in from CSV: the file `csvfiles.codebook_csv` writes, or one an
analyst made in a spreadsheet with a ``name`` column and, optionally, ``guid``, ``path``
(``Barrier / Time``), ``parent_guid``, ``description``, ``colour`` and ``retired``.
Other columns (our ``codings`` and ``interviews`` counts, say) are ignored.

The file comes from elsewhere, so reading is bounded and strict: at most `MAX_BYTES`
bytes and `MAX_ROWS` codes, UTF-8 (a byte-order mark is fine), every parent named in the
file itself and no loop among them. A cell our export kept from running as a formula
(``'=...``) is read back without its quote. Each failure is a `CodebookCsvInvalid`
naming the file, the line and what to fix; the result lists parents before children,
which is the order the import adds them in.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

from qi_capture.coding.errors import CodebookCsvInvalid
from qi_capture.coding.refi_read import ReadCode

MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 10_000
MAX_NAME = 200
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")
_PATH_SEP = " / "


def read_codebook_csv(path: Path) -> list[ReadCode]:
    """The codes of a codebook CSV, parents first."""
    name = path.name
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CodebookCsvInvalid(name, "the file", f"it cannot be read ({exc.strerror})"
                                 ) from None
    if len(data) > MAX_BYTES:
        raise CodebookCsvInvalid(name, "the file", f"it is larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookCsvInvalid(name, f"byte {exc.start}", "it is not UTF-8 text (save "
                                 "the sheet as 'CSV UTF-8')") from None
    if "\x00" in text:
        raise CodebookCsvInvalid(name, "the file", "it holds NUL bytes: it is not a CSV file")
    rows = _rows(name, text)
    return _in_tree_order(name, rows)


class _Row:
    __slots__ = ("colour", "description", "guid", "line", "name", "parent_guid", "path",
                 "retired")

    def __init__(self, line: int, cells: dict[str, str]) -> None:
        self.line = line
        self.name = " ".join(cells.get("name", "").split())
        self.path = cells.get("path", "").strip()
        self.description = cells.get("description", "").strip()
        self.colour = cells.get("colour", "").strip()
        self.retired = cells.get("retired", "").strip().casefold() in ("yes", "true", "1")
        self.guid: uuid.UUID | None = None
        self.parent_guid: uuid.UUID | None = None


def _rows(name: str, text: str) -> list[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise CodebookCsvInvalid(name, "line 1", "the file is empty")
        columns = [h.strip().casefold() for h in header]
        if "name" not in columns:
            raise CodebookCsvInvalid(name, "line 1", "there is no 'name' column (the "
                                     "header row must name the columns)")
        rows: list[_Row] = []
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise CodebookCsvInvalid(name, f"line {line}",
                                         f"the file holds more than {MAX_ROWS} codes")
            # A short row leaves its last columns empty; extra cells are ignored.
            by_column = {col: _unneutralise(cell)
                         for col, cell in zip(columns, cells, strict=False)}
            rows.append(_checked(name, _Row(line, by_column), by_column))
    except csv.Error as exc:
        raise CodebookCsvInvalid(name, f"line {reader.line_num}", f"it is not valid CSV "
                                 f"({exc})") from None
    if not rows:
        raise CodebookCsvInvalid(name, "the file", "it holds no codes")
    return rows


def _checked(name: str, row: _Row, cells: dict[str, str]) -> _Row:
    where = f"line {row.line}"
    if not row.name:
        raise CodebookCsvInvalid(name, where, "the code has no name")
    if len(row.name) > MAX_NAME:
        raise CodebookCsvInvalid(name, where, f"the name is {len(row.name)} characters "
                                 f"long, more than {MAX_NAME}")
    if row.colour and not _COLOUR.match(row.colour):
        raise CodebookCsvInvalid(name, where, f"colour {row.colour[:20]!r} is not #RRGGBB")
    row.guid = _guid(name, where, "guid", cells.get("guid", ""))
    row.parent_guid = _guid(name, where, "parent_guid", cells.get("parent_guid", ""))
    if row.path and row.path.rsplit(_PATH_SEP, 1)[-1].strip() != row.name:
        raise CodebookCsvInvalid(name, where, f"the path {row.path[:80]!r} does not end "
                                 f"with the code's name {row.name[:80]!r}")
    return row


def _guid(name: str, where: str, column: str, text: str) -> uuid.UUID | None:
    text = text.strip().strip("{}")
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CodebookCsvInvalid(name, where, f"{column} {text[:40]!r} is not a GUID "
                                 "(leave it empty for a new code)") from None


def _unneutralise(cell: str) -> str:
    return cell[1:] if _NEUTRALISED.match(cell) else cell


def _in_tree_order(name: str, rows: list[_Row]) -> list[ReadCode]:
    """Give each row a guid and a parent, then list parents before children."""
    seen: set[uuid.UUID] = set()
    for row in rows:
        if row.guid is None:
            row.guid = uuid.uuid4()
        if row.guid in seen:
            raise CodebookCsvInvalid(name, f"line {row.line}",
                                     f"guid {row.guid} is used by two codes")
        seen.add(row.guid)
    by_path = {r.path: r for r in rows if r.path}
    parent_of: dict[uuid.UUID, uuid.UUID | None] = {}
    for row in rows:
        assert row.guid is not None
        parent = row.parent_guid
        if parent is None and row.path and _PATH_SEP in row.path:
            above = row.path.rsplit(_PATH_SEP, 1)[0].strip()
            holder = by_path.get(above)
            if holder is None:
                raise CodebookCsvInvalid(name, f"line {row.line}", f"its parent "
                                         f"{above[:80]!r} is not a code in the file (add a "
                                         "row for it)")
            parent = holder.guid
        if parent is not None and parent not in seen:
            raise CodebookCsvInvalid(name, f"line {row.line}", f"parent_guid {parent} is "
                                     "not a code in the file")
        if parent == row.guid:
            raise CodebookCsvInvalid(name, f"line {row.line}", "the code is its own parent")
        parent_of[row.guid] = parent
    # Parents before children: walk down from the top-level codes; a row never reached
    # sits in a loop of parents.
    children: dict[uuid.UUID | None, list[_Row]] = {}
    for row in rows:
        assert row.guid is not None
        children.setdefault(parent_of[row.guid], []).append(row)
    ordered: list[ReadCode] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        r = stack.pop()
        assert r.guid is not None
        ordered.append(ReadCode(r.guid, r.name, r.description, r.colour.upper() or None,
                                parent_of[r.guid], not r.retired))
        stack.extend(reversed(children.get(r.guid, [])))
    if len(ordered) < len(rows):
        reached = {c.guid for c in ordered}
        first = next(r for r in rows if r.guid not in reached)
        raise CodebookCsvInvalid(name, f"line {first.line}",
                                 "its parents form a loop (a code inside itself)")
    return ordered
