"""Errors of bundles, study packs, acknowledgements and folder sync.

Every refusal of a bundle is a `BundleRefused` with its own ``code`` and an English
message that says exactly why; none of them ever carries answers or key material.
"""

from __future__ import annotations

from qi_capture.errors import QICaptureError


class SyncError(QICaptureError):
    code = "sync_error"


# -- bundles ---------------------------------------------------------------------------
class BundleRefused(SyncError):
    """Base of every reason a bundle is not accepted."""

    code = "bundle_refused"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(f"Bundle refused: {message}", **params)


class BundleTooLarge(BundleRefused):
    code = "bundle_too_large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the file is {size} bytes, more than the {limit} allowed.",
                         size=size, limit=limit)


class BundleNotAFile(BundleRefused):
    code = "bundle_not_a_file"

    def __init__(self) -> None:
        super().__init__("it is not a regular file (a folder, a device or a pipe has a "
                         "bundle's name); it was not read.")


class BundleNotAge(BundleRefused):
    code = "bundle_not_age"

    def __init__(self, detail: str) -> None:
        super().__init__(f"it is not an age-encrypted bundle ({detail}).", detail=detail)


class BundleHeaderTampered(BundleRefused):
    code = "bundle_header_tampered"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"its encryption header has been altered or is not one this app writes ({detail}).",
            detail=detail,
        )


class BundleNotAddressed(BundleRefused):
    code = "bundle_not_addressed"

    def __init__(self) -> None:
        super().__init__(
            "it is not addressed to this study's key (it was encrypted for another key, or "
            "its recipient stanzas were altered)."
        )


class BundlePayloadTampered(BundleRefused):
    code = "bundle_payload_tampered"

    def __init__(self, offset: int) -> None:
        super().__init__(
            "its encrypted content has been altered: a block failed authentication "
            f"after {offset} bytes of content.",
            offset=offset,
        )


class BundleTruncated(BundleRefused):
    code = "bundle_truncated"

    def __init__(self, detail: str) -> None:
        super().__init__(f"the file is truncated ({detail}).", detail=detail)


class BundleTrailingBytes(BundleRefused):
    code = "bundle_trailing_bytes"

    def __init__(self, detail: str) -> None:
        super().__init__(f"there are bytes after its end ({detail}).", detail=detail)


class BundleMalformed(BundleRefused):
    code = "bundle_malformed"

    def __init__(self, detail: str) -> None:
        super().__init__(f"its content is not a bundle this app understands ({detail}).",
                         detail=detail)


class BundleWrongStudy(BundleRefused):
    code = "bundle_wrong_study"

    def __init__(self, found: str, expected: str) -> None:
        super().__init__(f"it belongs to study {found!r}, not {expected!r}.",
                         found=found, expected=expected)


def enrol_command(device_id: str, public_key: str | None = None) -> str:
    """The one command that enrols a device, as every message names it."""
    key = f" --device-key {public_key}" if public_key else ""
    return f"qi-capture devices enrol --central CENTRAL {device_id}{key}"


class BundleUnknownDevice(BundleRefused):
    code = "bundle_unknown_device"

    def __init__(self, fingerprint: str, device_id: str, public_key: str) -> None:
        super().__init__(
            f"unknown device {fingerprint} (device id {device_id}). If you trust it, check "
            "the fingerprint with the interviewer (Help > About this laptop, or "
            "qi-capture profile show), then enrol it with: "
            f"{enrol_command(device_id, public_key)}",
            fingerprint=fingerprint,
            device_id=device_id,
            public_key=public_key,
        )


class BundleRevokedDevice(BundleRefused):
    code = "bundle_revoked_device"

    def __init__(self, fingerprint: str) -> None:
        super().__init__(f"device {fingerprint} has been revoked.", fingerprint=fingerprint)


class BundleBadSignature(BundleRefused):
    code = "bundle_bad_signature"

    def __init__(self, fingerprint: str) -> None:
        super().__init__(
            f"its manifest signature does not verify with device {fingerprint}'s key.",
            fingerprint=fingerprint,
        )


class BundleRecipientsMismatch(BundleRefused):
    code = "bundle_recipients_mismatch"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"it was not encrypted to the recipients its manifest lists ({detail}); it may "
            "be a re-encrypted copy.",
            detail=detail,
        )


class BundleMemberTooLarge(BundleRefused):
    """A revision or paradata member (held in memory until the merge) larger than the
    reader allows; refused from the manifest, before a byte of it is read."""

    code = "bundle_member_too_large"

    def __init__(self, member: str, size: int, limit: int) -> None:
        super().__init__(
            f"{member} is declared as {size} bytes, more than the {limit} allowed; nothing "
            "of the bundle was read or merged.",
            member=member, size=size, limit=limit,
        )


class BundleRecoveryMissing(BundleRefused):
    """The study names a recovery key, and the bundle was not encrypted to it: the
    organisation could not open it if the study key were lost."""

    code = "bundle_recovery_missing"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"it was not encrypted to the study's recovery key ({detail}). Ask the "
            "interviewer to install the current study pack and sync again.",
            detail=detail,
        )


class BundleContentMismatch(BundleRefused):
    code = "bundle_content_mismatch"

    def __init__(self, detail: str) -> None:
        super().__init__(f"its manifest and its content disagree ({detail}).", detail=detail)


# -- study packs -----------------------------------------------------------------------
class PackInvalid(SyncError):
    code = "pack_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(f"This is not a valid study pack: {detail}.", detail=detail)


class PackBadSignature(SyncError):
    code = "pack_bad_signature"

    def __init__(self) -> None:
        super().__init__(
            "The study pack's signature does not verify: it has been altered since the "
            "admin signed it. It is refused."
        )


class PackSignedByOtherKey(SyncError):
    code = "pack_signed_by_other_key"

    def __init__(self, study_id: str, installed: str, found: str) -> None:
        super().__init__(
            f"Study {study_id!r} is already installed from packs signed by admin key "
            f"{installed}; this pack is signed by a different key ({found}). It is refused. "
            "If the study's admin really changed keys, ask them for a new profile.",
            study_id=study_id,
            installed=installed,
            found=found,
        )


# -- acknowledgements ------------------------------------------------------------------
class AckInvalid(SyncError):
    code = "ack_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The acknowledgement is not valid: {detail}.", detail=detail)


class AckBadSignature(SyncError):
    code = "ack_bad_signature"

    def __init__(self, study_id: str) -> None:
        super().__init__(
            f"The acknowledgement's signature does not verify with study {study_id!r}'s "
            "admin key; it is ignored.",
            study_id=study_id,
        )


# -- admin -----------------------------------------------------------------------------
class AdminNotInitialised(SyncError):
    code = "admin_not_initialised"

    def __init__(self, folder: str) -> None:
        super().__init__(
            f"There is no central admin profile in {folder}; create one with "
            "'qi-capture admin init --central DIR'.",
            folder=folder,
        )


class AdminExists(SyncError):
    code = "admin_exists"

    def __init__(self, folder: str) -> None:
        super().__init__(f"{folder} already holds a central admin profile.", folder=folder)


class AdminNameInvalid(SyncError):
    code = "admin_name_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The admin's name cannot be used: {detail}. Give the name "
                         "interviewers know you by, on one line.", detail=detail)


class DeviceKeyInvalid(SyncError):
    code = "device_key_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The device key is not valid: {detail}.", detail=detail)


class DeviceNotEnrolled(SyncError):
    code = "device_not_enrolled"

    def __init__(self, fingerprint: str) -> None:
        super().__init__(f"No enrolled device has fingerprint {fingerprint}.",
                         fingerprint=fingerprint)


# -- folder sync -----------------------------------------------------------------------
class SyncFolderUnavailable(SyncError):
    code = "sync_folder_unavailable"

    def __init__(self, folder: str, detail: str) -> None:
        super().__init__(
            f"The sync folder {folder} cannot be used: {detail}. Nothing was marked as sent.",
            folder=folder,
            detail=detail,
        )


class SyncDiskFull(SyncError):
    code = "sync_disk_full"

    def __init__(self, folder: str) -> None:
        super().__init__(
            f"The sync folder {folder} is full; the bundle was not written and nothing was "
            "marked as sent. Free some space and sync again.",
            folder=folder,
        )


class NoStudyPack(SyncError):
    code = "no_study_pack"

    def __init__(self) -> None:
        super().__init__(
            "No study pack is installed, so there is no admin key to send data to. Import "
            "the study pack from your study's admin first (qi-capture study import PACK)."
        )


class RecordTooLargeForBundle(SyncError):
    code = "sync_record_too_large"

    def __init__(self, record_id: str, size: int, limit: int) -> None:
        super().__init__(
            f"Record {record_id[:8]} with its attachments makes a bundle of about "
            f"{_mib(size)} MiB, more than the study's cap of {_mib(limit)} MiB per bundle. "
            "Nothing was sent and nothing was changed: ask the study's admin for a study "
            "pack with a larger cap (study pack --max-bundle-mib), install it and sync "
            "again.",
            record_id=record_id, size=size, limit=limit,
        )


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f}"
