"""The list of invited organisations (a CSV made elsewhere: name, footprint, type) and
the response rate it gives.

The file is read defensively: at most `MAX_BYTES`, UTF-8 (a byte-order mark allowed) or
else Windows-1252 as spreadsheets save it, a header naming the three columns (in any
order, any case), one organisation per row. A bad row is refused with its line number
and nothing is reported. Names are only ever compared and listed, and every output
escapes them (the HTML template autoescapes).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from qi_capture.report.errors import InvitedListInvalid

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = ("name", "footprint", "type")


@dataclass(frozen=True)
class InvitedOrg:
    name: str
    footprint: str
    type: str


def normalise(name: str) -> str:
    """How names are matched: case, punctuation and spacing aside."""
    return " ".join(re.sub(r"[^\w]+", " ", name.casefold()).split())


def read_invited(path: Path, footprints: Mapping[str, str]) -> list[InvitedOrg]:
    """The organisations of the invited list. ``footprints``: choice name -> label; a
    footprint may be given by either (any case), and is returned as its choice name."""
    shown = str(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InvitedListInvalid(shown, f"cannot be read ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise InvitedListInvalid(shown, f"is larger than {MAX_BYTES // 1024 // 1024} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise InvitedListInvalid(shown, "is neither UTF-8 nor Windows-1252 text "
                                     f"(byte {exc.start + 1})") from None
    if "\x00" in text:
        raise InvitedListInvalid(shown, "is not a text file")
    lookup = {k.casefold(): k for k in footprints}
    lookup.update({v.casefold(): k for k, v in footprints.items()})
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[InvitedOrg] = []
    index: dict[str, int] | None = None
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if index is None:
                header = [cell.strip().casefold() for cell in row]
                missing = [c for c in COLUMNS if c not in header]
                if missing:
                    raise InvitedListInvalid(
                        shown, "the first row must name the columns name, footprint and "
                        f"type (missing: {', '.join(missing)})", line)
                index = {c: header.index(c) for c in COLUMNS}
                continue
            if len(row) <= max(index.values()):
                raise InvitedListInvalid(shown, f"expected {len(COLUMNS)} columns, found "
                                         f"{len(row)}", line)
            name, fp, kind = (row[index[c]].strip() for c in COLUMNS)
            if not name:
                raise InvitedListInvalid(shown, "the organisation's name is empty", line)
            if len(name) > 300:
                raise InvitedListInvalid(shown, "the organisation's name is longer than "
                                         "300 characters", line)
            code = lookup.get(fp.casefold())
            if code is None:
                raise InvitedListInvalid(
                    shown, f"unknown footprint {fp[:60]!r} (one of "
                    f"{', '.join(footprints.values())})", line)
            out.append(InvitedOrg(name, code, kind[:200]))
            if len(out) > MAX_ROWS:
                raise InvitedListInvalid(shown, f"has more than {MAX_ROWS} organisations",
                                         line)
    except csv.Error as exc:
        raise InvitedListInvalid(shown, f"is not valid CSV ({exc})", reader.line_num) \
            from None
    if index is None:
        raise InvitedListInvalid(shown, "is empty")
    return out
