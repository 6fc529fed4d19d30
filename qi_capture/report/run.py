"""Making a report's files: results.json, report.html, report.pdf, report.pptx.

Each output is made whole in memory first; then every file is written under a temporary
name beside its final one, fsynced, and all are renamed only when all are whole, so a
failure (a full disk, a cancel) leaves no half report behind.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qi_capture.crypto.atomic import discard, fsync_dir, temp_path_for
from qi_capture.progress import CancelToken, ProgressCallback
from qi_capture.report.errors import FormatUnknown, ReportFolderUnwritable

if TYPE_CHECKING:
    from qi_capture.report.charts import Drawings
from qi_capture.report.model import Report

#: Formats in the order they are made, with their file names.
FILES: dict[str, str] = {
    "json": "results.json",
    "html": "report.html",
    "pdf": "report.pdf",
    "pptx": "report.pptx",
}
FORMATS = tuple(FILES)


class Cancelled(Exception):
    """The report was cancelled; nothing was written."""


def results_json(report: Report, _drawings: object = None) -> bytes:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False).encode("utf-8")


def _renderer(fmt: str) -> Callable[[Report, Drawings], bytes]:
    # Each output's library is imported only when that format is asked for.
    if fmt == "json":
        return results_json
    # matplotlib (through charts) only for the drawn formats.
    if fmt == "html":
        from qi_capture.report.webpage import render_html

        return render_html
    if fmt == "pdf":
        from qi_capture.report.pdf import render_pdf

        return render_pdf
    from qi_capture.report.slides import render_pptx

    return render_pptx


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    for fmt in formats:
        if fmt not in FILES:
            raise FormatUnknown(fmt, FORMATS)
    return tuple(f for f in FORMATS if f in formats)


@dataclass(frozen=True)
class Written:
    out_dir: Path
    files: tuple[Path, ...]


def write_report(report: Report, out_dir: Path, formats: Sequence[str], *,
                 progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> Written:
    """Render ``formats`` of ``report`` and write them into ``out_dir`` (see module)."""
    chosen = check_formats(formats)
    made: list[tuple[Path, bytes]] = []
    drawings = None
    ahead = None
    if set(chosen) - {"json"}:
        from qi_capture.report.charts import Drawings

        drawings = Drawings(report.methods.min_cell)
    try:
        if drawings is not None and "pptx" in chosen and len(chosen) > 1:
            # The slides' own drawings are made beside the other outputs, on a second core.
            from qi_capture.report.beside import WideAhead
            from qi_capture.report.slides import slide_charts

            ahead = WideAhead(drawings, slide_charts(report))
        for done, fmt in enumerate(chosen):
            if cancel is not None and cancel.is_cancelled():
                raise Cancelled
            if progress is not None:
                progress(done, len(chosen), FILES[fmt])
            if fmt == "pptx" and ahead is not None:
                ahead.collect()
            made.append((out_dir / FILES[fmt], _renderer(fmt)(report, drawings)))  # type: ignore[arg-type]
    finally:
        if ahead is not None:
            ahead.close()
    if cancel is not None and cancel.is_cancelled():
        raise Cancelled
    temps: list[tuple[Path, Path]] = []
    try:
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for final, data in made:
            tmp = temp_path_for(final)
            temps.append((tmp, final))
            with tmp.open("xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, final in temps:
            tmp.replace(final)
        fsync_dir(out_dir)
    except OSError as exc:
        for tmp, _final in temps:
            discard(tmp)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else \
            (exc.strerror or type(exc).__name__)
        raise ReportFolderUnwritable(str(out_dir), reason) from None
    if progress is not None:
        progress(len(chosen), len(chosen), "")
    return Written(out_dir, tuple(final for final, _data in made))
