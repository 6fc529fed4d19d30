"""Attachments written beside an export, on request (``export --attachments``): each
exported record's attachments decrypted into ``attachments/<record id>/<name>``.

The store hands the attachments over as descriptions plus a stream of their bytes (this
module knows no store), so memory stays one chunk whatever an attachment's length. Every
file is written under a temporary name, fsynced and renamed; if any attachment fails,
the ones written so far are removed again and the export report is left as it was. On
success the report (``export_report.json`` and ``.txt``, rewritten atomically) counts them
and warns, like the data files, that they are not encrypted.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from qi_capture.crypto.atomic import (
    atomic_write_bytes,
    atomic_writer,
    discard,
    fsync_dir,
)
from qi_capture.export.run import _fail, render_report

FOLDER = "attachments"
NOT_ENCRYPTED = (
    "WARNING: the attachments in the attachments folder (interview recordings among "
    "them) are NOT encrypted either. Anyone who can read the folder can play or open "
    "them: keep them on encrypted storage and delete them when the analysis is done."
)
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.()+-]")


class AttachmentLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def record_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...


@dataclass(frozen=True)
class AttachmentsWritten:
    files: tuple[Path, ...]
    records: int
    size: int


def safe_name(name: str, taken: set[str]) -> str:
    """``name`` as a file name on every system (no folders, no reserved characters),
    made unique among ``taken`` (case-insensitively, for Windows and macOS)."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or "attachment"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
    taken.add(candidate.lower())
    return candidate


def write_attachments(
    out_dir: Path,
    record_ids: Sequence[uuid.UUID],
    listing: Callable[[uuid.UUID], Iterable[AttachmentLike]],
    read: Callable[[uuid.UUID], Iterable[bytes]],
) -> AttachmentsWritten:
    """Decrypt the attachments of ``record_ids`` (``listing`` names a record's, ``read``
    streams one's bytes) into ``out_dir/attachments``, then count them in the report."""
    root = out_dir / FOLDER
    written: list[Path] = []
    records = 0
    total = 0
    try:
        for record_id in record_ids:
            items = list(listing(record_id))
            if not items:
                continue
            records += 1
            folder = root / str(record_id)
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            taken: set[str] = set()
            for item in items:
                final = folder / safe_name(item.name, taken)
                total += _write_one(final, read(item.id))
                written.append(final)
            fsync_dir(folder)
        if written:
            fsync_dir(root)
    except OSError as exc:
        _undo(root, written)
        raise _fail(out_dir, exc) from None
    except BaseException:
        _undo(root, written)
        raise
    result = AttachmentsWritten(tuple(written), records, total)
    _count_in_report(out_dir, result)
    return result


def _write_one(final: Path, pieces: Iterable[bytes]) -> int:
    size = 0
    # The folder is fsynced once when every file is in (the caller).
    with atomic_writer(final, private=True, sync_dir=False) as f:
        for piece in pieces:
            f.write(piece)
            size += len(piece)
    return size


def _undo(root: Path, written: list[Path]) -> None:
    """Remove what this export wrote; folders only when that left them empty (an
    earlier export's files in the same folder are not ours to remove)."""
    for path in written:
        discard(path)
    for folder in [*sorted({p.parent for p in written}), root]:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _count_in_report(out_dir: Path, result: AttachmentsWritten) -> None:
    path = out_dir / "export_report.json"
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    report["attachments"] = {
        "folder": FOLDER, "files": len(result.files), "records": result.records,
        "bytes": result.size, "encrypted": False,
    }
    report["warnings"] = [*report["warnings"], NOT_ENCRYPTED]
    text = render_report(report).replace(
        "\n\n", f"\nattachments: {len(result.files)} file(s) of {result.records} record(s) "
        f"in {FOLDER}/, {result.size} bytes, NOT encrypted\n\n", 1)
    atomic_write_bytes(path, json.dumps(report, indent=2, ensure_ascii=False).encode(),
                       private=True)
    atomic_write_bytes(out_dir / "export_report.txt", text.encode(), private=True)
