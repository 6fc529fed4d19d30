"""Errors the services raise on top of the store's and the form engine's.

Like every `QICaptureError` each has a stable ``code``; ``params`` hold ids, counts and
form paths, never answers, names or key material.
"""

from __future__ import annotations

from collections.abc import Sequence

from qi_capture.errors import QICaptureError


class ServiceError(QICaptureError):
    code = "service_error"


class NoProfiles(ServiceError):
    code = "no_profiles"

    def __init__(self, root: str) -> None:
        super().__init__(
            f"There is no profile in {root}. Create one with 'qi-capture profile create'.",
            root=root,
        )


class ProfileChoiceNeeded(ServiceError):
    code = "profile_choice_needed"

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(
            f"There are {len(names)} profiles here; say which with --profile NAME_OR_ID "
            f"({', '.join(names)}).",
            count=len(names),
        )


class ProfileUnknown(ServiceError):
    code = "profile_unknown"

    def __init__(self, selector: str, matches: int = 0) -> None:
        detail = "matches none" if matches == 0 else f"matches {matches} profiles"
        super().__init__(
            f"--profile {selector!r} {detail}; 'qi-capture profile list' shows them.",
            matches=matches,
        )


class ProfileNameTaken(ServiceError):
    code = "profile_name_taken"

    def __init__(self) -> None:
        super().__init__("A profile with this name already exists here; choose another name.")


class FormUnknown(ServiceError):
    code = "form_unknown"

    def __init__(self, ref: str, candidates: int = 0) -> None:
        detail = (
            "is not in this profile ('qi-capture study list' shows its forms)"
            if candidates == 0
            else f"names {candidates} forms; give it as STUDY_ID/FORM_ID"
        )
        super().__init__(f"The form {ref!r} {detail}.", ref=ref, candidates=candidates)


class RecordClosed(ServiceError):
    code = "record_closed"

    def __init__(self, record_id: str) -> None:
        super().__init__(
            f"Record {record_id} was finalised or closed; open it again to change it.",
            record_id=record_id,
        )


class CannotFinalise(ServiceError):
    """The form session still has problems; ``issues`` lists them (path, kind, message).
    Messages are the form's own texts; they are shown to the user, never logged."""

    code = "cannot_finalise"

    def __init__(self, record_id: str, issues: Sequence[tuple[str, str, str]]) -> None:
        super().__init__(
            f"Record {record_id} cannot be finalised: {len(issues)} problem(s) remain.",
            record_id=record_id,
            issues=[{"path": p, "kind": k, "message": m} for p, k, m in issues],
        )
        self.issues = tuple(issues)


class BundleSourceMissing(ServiceError):
    code = "bundle_source_missing"

    def __init__(self, path: str) -> None:
        super().__init__(
            f"There is no bundle or folder at {path}. Check the path (a USB stick may have "
            "been removed) and try again.",
            path=path,
        )


class AcknowledgementUnwritable(ServiceError):
    """The merge is done and committed, but a sync folder took no acknowledgement (a
    write-protected USB stick, a read-only share): its laptops keep those records as
    unacknowledged and send them again, which the next merge takes as already known."""

    code = "acknowledgement_unwritable"

    def __init__(self, folders: Sequence[tuple[str, str]], merged: int) -> None:
        where = "; ".join(f"{folder} ({reason})" for folder, reason in folders)
        super().__init__(
            f"The bundles were merged ({merged} imported or already known), but no "
            f"acknowledgement could be written into the inbox of {where}. Until one is, "
            "the laptops keep those records as not yet received. Make the folder writable "
            "(unlock a write-protected USB stick) and merge it again: nothing is imported "
            "twice.",
            folders=[folder for folder, _reason in folders], merged=merged,
        )


class TagNameInvalid(ServiceError):
    code = "tag_name_invalid"

    def __init__(self) -> None:
        super().__init__("A quick tag is a word: a letter, then up to 40 letters, digits, "
                         "'_' or '-'. Choose another name.")
