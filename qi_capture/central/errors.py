"""Errors of the central store, merge, conflicts and device registry.

Each has a stable ``code``; ``params`` carry ids and counts, never answers.
"""

from __future__ import annotations

from qi_capture.errors import QICaptureError


class CentralError(QICaptureError):
    code = "central_error"


class CentralNotFound(CentralError):
    code = "central_not_found"

    def __init__(self, target: str) -> None:
        super().__init__(f"There is no central store at {target}.", target=target)


class BundleRefused(CentralError):
    """A bundle that cannot be merged; nothing of it was written."""

    code = "bundle_refused"

    def __init__(self, reason: str, message: str, **params: object) -> None:
        super().__init__(message, reason=reason, **params)
        self.reason = reason


class DeviceUnknown(BundleRefused):
    """Not a refusal for good: the bundle is quarantined until the device is enrolled."""

    code = "device_unknown"

    def __init__(self, device_id: str) -> None:
        super().__init__(
            "device_unknown",
            f"Device {device_id} is not enrolled. Its bundle is kept in quarantine; enrol "
            "the device (qi-capture devices enrol) to merge it.",
            device_id=device_id,
        )


class DeviceRevoked(BundleRefused):
    code = "device_revoked"

    def __init__(self, device_id: str) -> None:
        super().__init__(
            "device_revoked",
            f"Device {device_id} has been revoked; its bundles are refused.",
            device_id=device_id,
        )


class DeviceKeyMismatch(BundleRefused):
    code = "device_key_mismatch"

    def __init__(self, device_id: str) -> None:
        super().__init__(
            "device_key_mismatch",
            f"The bundle's device key does not match the key enrolled for device {device_id}.",
            device_id=device_id,
        )


class DeviceNotFound(CentralError):
    code = "device_not_found"

    def __init__(self, device_id: str) -> None:
        super().__init__(f"No device {device_id} in the central store.", device_id=device_id)


class DeviceAlreadyEnrolled(CentralError):
    code = "device_already_enrolled"

    def __init__(self, device_id: str, status: str) -> None:
        super().__init__(
            f"Device {device_id} is already {status}; a revoked device is not re-enrolled.",
            device_id=device_id,
            status=status,
        )


class ConflictNotFound(CentralError):
    code = "conflict_not_found"

    def __init__(self, conflict_id: str) -> None:
        super().__init__(f"No conflict {conflict_id}.", conflict_id=conflict_id)


class ConflictNotOpen(CentralError):
    code = "conflict_not_open"

    def __init__(self, conflict_id: str, status: str) -> None:
        super().__init__(
            f"Conflict {conflict_id} is {status}, not open; nothing to resolve.",
            conflict_id=conflict_id,
            status=status,
        )


class ConflictChanged(CentralError):
    code = "conflict_changed"

    def __init__(self, conflict_id: str) -> None:
        super().__init__(
            f"The record of conflict {conflict_id} has new revisions since it was opened; "
            "look at its current conflict and resolve that one.",
            conflict_id=conflict_id,
        )


class RevisionNotAHead(CentralError):
    code = "revision_not_a_head"

    def __init__(self, revision_id: str, conflict_id: str) -> None:
        super().__init__(
            f"Revision {revision_id} is not one of the heads of conflict {conflict_id}.",
            revision_id=revision_id,
            conflict_id=conflict_id,
        )


class InvalidResolution(CentralError):
    code = "invalid_resolution"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The resolution cannot be used: {detail}.", detail=detail)


class RecordNotFound(CentralError):
    code = "central_record_not_found"

    def __init__(self, record_id: str) -> None:
        super().__init__(f"No record {record_id} in the central store.", record_id=record_id)


class InvalidReviewStatus(CentralError):
    code = "invalid_review_status"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"{status!r} is not a review status (received, has_issues, approved, rejected).",
            status=status,
        )


class FormNotFound(CentralError):
    code = "central_form_not_found"

    def __init__(self, form_id: str) -> None:
        super().__init__(
            f"No version of form {form_id} is known to the central store. Forms are "
            "recorded when 'qi-capture study pack' packs them with this store (a "
            "PostgreSQL store: --central URL --admin DIR); for a form packed elsewhere, "
            "give its XLSForm once with --form-file FILE.", form_id=form_id
        )


# -- where the central store is --------------------------------------------------------
class CentralTargetRefused(CentralError):
    """``--central`` named a kind of database that would not be encrypted (or is not
    supported): nothing was created or connected to."""

    code = "central_target_refused"

    def __init__(self, scheme: str, detail: str | None = None) -> None:
        why = detail or f"{scheme}:// is not a kind of central store"
        super().__init__(
            f"The central store cannot be opened: {why}. Give a central folder (encrypted "
            "with SQLCipher, made by 'qi-capture admin init --central DIR') or a "
            "postgresql:// URL. Nothing was created.",
            scheme=scheme,
        )


class CentralUnavailable(CentralError):
    """The PostgreSQL server could not be reached or used. ``url`` has its password
    masked; ``detail`` is the server's own first line, with any password removed."""

    code = "central_unavailable"

    def __init__(self, url: str, reason: str, what: str, detail: str) -> None:
        super().__init__(
            f"Cannot use the central database {url}: {what}"
            + (f" ({detail})" if detail else "") + ".",
            url=url, reason=reason, detail=detail,
        )
        self.reason = reason


class CentralRoleRefused(CentralError):
    code = "central_role_refused"

    def __init__(self, role: str, detail: str) -> None:
        super().__init__(f"The role {role!r} was not created: {detail}.", role=role,
                         detail=detail)


class CentralSchemaOutdated(CentralError):
    """The database's central tables need a migration this role may not run."""

    code = "central_schema_outdated"

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(
            f"The central database {url} needs its tables created or upgraded, and this "
            f"role may not do it ({detail}). Run the command once with the database "
            "owner's URL (or 'qi-capture admin init'), then again with this role.",
            url=url, detail=detail,
        )


# -- the quarantine of bundles from devices not enrolled ----------------------------------
class QuarantineBundleTooLarge(BundleRefused):
    code = "quarantine_bundle_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            "quarantine_bundle_too_large",
            f"the bundle is {size} bytes, more than the {limit} a device not yet enrolled "
            "may send (the study policy's quarantine limit); it was not kept. If you trust "
            "the device, enrol it with the key the laptop shows (qi-capture devices enrol "
            "--device-key KEY), then merge the bundle again.",
            size=size, limit=limit,
        )


class QuarantineFull(BundleRefused):
    code = "quarantine_full"

    def __init__(self, size: int, used: int, limit: int) -> None:
        super().__init__(
            "quarantine_full",
            f"the quarantine holds {used} bytes and this bundle of {size} would take it "
            f"past its {limit}-byte limit; it was not kept. Enrol the devices you trust "
            "(qi-capture devices list, devices enrol), then merge the bundle again.",
            size=size, used=used, limit=limit,
        )


class QuarantineSourceChanged(BundleRefused):
    code = "quarantine_source_changed"

    def __init__(self) -> None:
        super().__init__(
            "bundle_changed",
            "the file changed while it was being copied into quarantine; nothing was kept. "
            "Merge it again once nothing is writing to it.",
        )


class AttachmentsFolderMissing(CentralError):
    """A PostgreSQL store was opened without an attachments folder and an attachment had
    to be written or read (attachments live in files beside the database, not in it)."""

    code = "central_attachments_folder_missing"

    def __init__(self, target: str) -> None:
        super().__init__(
            f"The central store {target} keeps attachments as encrypted files in a folder "
            "of their own, and none was given. Set QI_CENTRAL_ATTACHMENTS to that folder "
            "(the same shared folder for every admin of this store) and try again; "
            "nothing was changed.",
            target=target,
        )


class AttachmentNotFound(CentralError):
    code = "central_attachment_not_found"

    def __init__(self, attachment_id: str) -> None:
        super().__init__(
            f"Attachment {attachment_id} is not in the central store.",
            attachment_id=attachment_id,
        )


class RecordAlreadyErased(CentralError):
    code = "central_record_erased"

    def __init__(self, record_id: str) -> None:
        super().__init__(
            f"Record {record_id} was erased already; only its tombstone is left.",
            record_id=record_id,
        )


class ErasureRefused(CentralError):
    """An erasure that cannot be made as asked (no reason, a bulk erasure the study's
    policy does not allow); nothing was erased."""

    code = "erasure_refused"

    def __init__(self, detail: str) -> None:
        super().__init__(f"Nothing was erased: {detail}", detail=detail)
