"""Errors raised by the encrypted store and profile operations.

Each has a stable ``code``; ``params`` carry ids, counts and file names, never answers
or key material.
"""

from __future__ import annotations

from qi_capture.errors import QICaptureError


class StorageError(QICaptureError):
    code = "storage_error"


class ProfileExists(StorageError):
    code = "profile_exists"

    def __init__(self, folder: str) -> None:
        super().__init__(
            f"The folder {folder} already holds a profile or its files.", folder=folder
        )


class ProfileNotFound(StorageError):
    code = "profile_not_found"

    def __init__(self, folder: str) -> None:
        super().__init__(f"There is no profile in {folder}.", folder=folder)


class ProfileLocked(StorageError):
    code = "profile_locked"

    def __init__(self, folder: str) -> None:
        super().__init__(
            "This profile is open in another QI Capture window or process. Close it there first.",
            folder=folder,
        )


class StoreClosed(StorageError):
    code = "store_closed"

    def __init__(self) -> None:
        super().__init__("The profile is locked. Unlock it again to continue.")


class DatabaseMissing(StorageError):
    code = "database_missing"

    def __init__(self, folder: str, backups: int) -> None:
        super().__init__(
            "The profile's database file is missing."
            + (" A backup can be restored." if backups else ""),
            folder=folder,
            backups=backups,
        )


class DatabaseMismatch(StorageError):
    code = "database_mismatch"

    def __init__(self, folder: str, backups: int) -> None:
        super().__init__(
            "The database in this profile folder does not match this key file (it belongs "
            "to another profile, or its header is damaged). Nothing was changed."
            + (" A backup can be restored." if backups else ""),
            folder=folder,
            backups=backups,
        )


class DatabaseCorrupt(StorageError):
    """Detected at open; the file is left exactly as it is (never repaired)."""

    code = "database_corrupt"

    def __init__(self, folder: str, problems: list[str], backups: int) -> None:
        super().__init__(
            "The profile's database is damaged and has not been opened; nothing was written "
            "to it." + (" Restore it from a backup." if backups else " No backup is available."),
            folder=folder,
            problems=problems[:20],
            backups=backups,
        )


class NoUsableBackup(StorageError):
    code = "no_usable_backup"

    def __init__(self, folder: str, tried: int) -> None:
        super().__init__(
            f"No backup of this profile could be restored ({tried} checked).",
            folder=folder,
            tried=tried,
        )


class DiskFull(StorageError):
    code = "disk_full"

    def __init__(self) -> None:
        super().__init__(
            "The disk is full; the last change was not saved. Everything saved before it is "
            "intact. Free some space and try again."
        )


class WriteFailed(StorageError):
    """The operating system refused a write (an I/O error, or a file-size limit such as
    a quota); like `DiskFull`, the transaction was rolled back as a whole."""

    code = "write_failed"

    def __init__(self) -> None:
        super().__init__(
            "The change could not be written to disk (an input/output error or a file "
            "size limit); it was not saved. Everything saved before it is intact."
        )


class RecordNotFound(StorageError):
    code = "record_not_found"

    def __init__(self, record_id: str) -> None:
        super().__init__(f"No record {record_id}.", record_id=record_id)


class RecordNotEditable(StorageError):
    code = "record_not_editable"

    def __init__(self, record_id: str, status: str) -> None:
        super().__init__(
            f"Record {record_id} is {status}; start an edit before changing its answers.",
            record_id=record_id,
            status=status,
        )


class InvalidStatusTransition(StorageError):
    code = "invalid_status_transition"

    def __init__(self, record_id: str, current: str, requested: str) -> None:
        super().__init__(
            f"Record {record_id} cannot go from {current} to {requested}; status only moves "
            "forward, one step at a time.",
            record_id=record_id,
            current=current,
            requested=requested,
        )


class FormVersionNotFound(StorageError):
    code = "form_version_not_found"

    def __init__(self, ref: str) -> None:
        super().__init__(f"No form version {ref} in this profile.", ref=ref)


class FormVersionConflict(StorageError):
    code = "form_version_conflict"

    def __init__(self, study_id: str, form_id: str, version: str) -> None:
        super().__init__(
            f"Form {form_id} version {version} of study {study_id} is already stored with "
            "different content. Give the changed form a new version.",
            study_id=study_id,
            form_id=form_id,
            version=version,
        )


class StudyNotFound(StorageError):
    code = "study_not_found"

    def __init__(self, study_id: str) -> None:
        super().__init__(f"No study {study_id} in this profile.", study_id=study_id)


class AttachmentTooLarge(StorageError):
    code = "attachment_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The attachment is larger than the limit of {limit // (1024 * 1024)} MiB.",
            limit=limit,
        )


class AttachmentNotFound(StorageError):
    code = "attachment_not_found"

    def __init__(self, attachment_id: str) -> None:
        super().__init__(f"No attachment {attachment_id}.", attachment_id=attachment_id)


class AttachmentFileMissing(StorageError):
    """The attachment's row (and key) is in the database but its encrypted file is not
    in the profile folder (deleted by hand, or a restored database backup names an
    attachment deleted since the backup was made)."""

    code = "attachment_file_missing"

    def __init__(self, attachment_id: str, file: str) -> None:
        super().__init__(
            f"The file of attachment {attachment_id} ({file}) is missing from the profile "
            "folder, so the attachment cannot be read. Restore that file from a backup copy "
            "of the profile folder; the record's answers are not affected.",
            attachment_id=attachment_id,
            file=file,
        )


class AttachmentFileDamaged(StorageError):
    """The attachment's encrypted file was refused (`qi_capture.crypto.chunked`):
    changed, cut short, extended, or another attachment's file. No unauthenticated
    byte of it is ever returned."""

    code = "attachment_file_damaged"

    def __init__(self, attachment_id: str, file: str, reason: str) -> None:
        super().__init__(
            f"The file of attachment {attachment_id} ({file}) is damaged or has been "
            f"altered ({reason.replace('_', ' ')}); it was refused and none of its "
            "content is used. Restore that file from a backup copy of the profile folder; "
            "the record's answers are not affected.",
            attachment_id=attachment_id,
            file=file,
            reason=reason,
        )


class InvalidAnswerValue(StorageError):
    code = "invalid_answer_value"

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"The value for {path} cannot be stored: {detail}.", path=path)


class RecordNotDeletable(StorageError):
    code = "record_not_deletable"

    def __init__(self, record_id: str, status: str) -> None:
        super().__init__(
            f"Record {record_id} is {status}: only drafts that were never finalised can be "
            "deleted; finalised records are kept as history.",
            record_id=record_id,
            status=status,
        )


class RecordErased(StorageError):
    code = "record_erased"

    def __init__(self, record_id: str) -> None:
        super().__init__(
            f"Record {record_id} was erased (consent withdrawn); nothing of it can be "
            "opened, edited or erased again.",
            record_id=record_id,
        )


class ErasureReasonMissing(StorageError):
    code = "erasure_reason_missing"

    def __init__(self) -> None:
        super().__init__(
            "An erasure needs a reason (for example \"consent withdrawn\"); it is kept with "
            "the record's tombstone. Do not write the person's name in it."
        )
