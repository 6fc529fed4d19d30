"""Errors an export can end in. Messages name the folder and what to do, never a value
from the records (answers may be personal data)."""

from __future__ import annotations

from qi_capture.errors import QICaptureError


class ExportError(QICaptureError):
    code = "export_failed"


class ExportDiskFull(ExportError):
    code = "export_disk_full"

    def __init__(self, folder: str) -> None:
        super().__init__(
            f"The export folder {folder} ran out of space: nothing was exported (the partial "
            "files were removed). Free some space or choose another folder with --out.",
            folder=folder,
        )


class ExportFolderUnwritable(ExportError):
    code = "export_folder_unwritable"

    def __init__(self, folder: str, reason: str) -> None:
        super().__init__(
            f"Cannot write the export folder {folder}: {reason}. Nothing was exported; "
            "choose a folder you may write to with --out.",
            folder=folder,
            reason=reason,
        )


class ParquetUnavailable(ExportError):
    code = "export_parquet_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Parquet export needs the pyarrow library, which this packaged app leaves out "
            "(it is larger than the app itself). Nothing was exported: choose csv, xlsx, "
            "sav or dta, or export to Parquet from the Python install (pip install "
            "qi-capture)."
        )
