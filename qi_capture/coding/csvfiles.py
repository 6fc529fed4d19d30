"""Coded passages and the codebook as CSV (UTF-8 with a byte-order mark, so Excel reads
accents; a cell a spreadsheet would run as a formula is written as text)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping, Sequence

from qi_capture.coding.model import Code, CodedPassage

PASSAGE_COLUMNS = ("interview", "record_id", "stakeholder_group", "footprint", "section",
                   "question", "field", "start", "end", "passage", "code", "code_path",
                   "code_guid", "coder", "origin", "confirmed", "flagged_for_review", "memo",
                   "coding_guid", "passage_guid", "recording_start_ms", "recording_end_ms")
CODEBOOK_COLUMNS = ("guid", "name", "path", "parent_guid", "description", "colour",
                    "retired", "merged_into", "field_tag", "codings", "interviews")


def code_paths(codes: Sequence[Code]) -> dict[uuid.UUID, str]:
    """Code -> its path from the top of the tree (``Barrier / Time``)."""
    by_guid = {c.guid: c for c in codes}
    out = {}
    for c in codes:
        names: list[str] = []
        seen: set[uuid.UUID] = set()
        walk: Code | None = c
        while walk is not None and walk.guid not in seen:
            seen.add(walk.guid)
            names.append(walk.name)
            walk = by_guid.get(walk.parent) if walk.parent is not None else None
        out[c.guid] = " / ".join(reversed(names))
    return out


def passages_csv(passages: Iterable[CodedPassage], codes: Sequence[Code]) -> bytes:
    paths = code_paths(codes)
    names = {c.guid: c.name for c in codes}
    rows = []
    for p in passages:
        c = p.coding
        rows.append([p.interview, str(c.record_id), p.group or "", p.footprint or "",
                     p.section, p.question, c.field, c.start, c.end, c.text,
                     names.get(c.code, ""), paths.get(c.code, ""), str(c.code), c.coder,
                     c.origin, _yes(c.confirmed), _yes(c.flagged), c.memo or "", str(c.guid),
                     str(c.passage), "" if c.start_ms is None else c.start_ms,
                     "" if c.end_ms is None else c.end_ms])
    return _csv(PASSAGE_COLUMNS, rows)


def codebook_csv(codes: Sequence[Code], counts: Mapping[uuid.UUID, tuple[int, int]]) -> bytes:
    paths = code_paths(codes)
    rows = []
    for c in sorted(codes, key=lambda c: paths[c.guid].casefold()):
        n, i = counts.get(c.guid, (0, 0))
        rows.append([str(c.guid), c.name, paths[c.guid], "" if c.parent is None
                     else str(c.parent), c.description, c.colour, _yes(c.retired),
                     "" if c.merged_into is None else str(c.merged_into), c.tag or "", n, i])
    return _csv(CODEBOOK_COLUMNS, rows)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) if isinstance(v, str) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
