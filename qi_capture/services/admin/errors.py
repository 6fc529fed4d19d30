"""Errors of the admin door (`qi_capture.services.admin`): ids given as prefixes, the
admin keys a command needs, a device's key, a form's languages.

Each has a stable ``code``; ``params`` hold ids, prefixes and counts, never answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from qi_capture.services.errors import ServiceError

#: How many of the ids an ambiguous prefix matches its error lists.
CANDIDATES_SHOWN = 5


class IdPrefixInvalid(ServiceError):
    code = "id_prefix_invalid"

    def __init__(self, text: str, what: str, minimum: int) -> None:
        super().__init__(
            f"{text!r} is not a {what}: give the whole id (a UUID) or at least {minimum} of "
            "its first hex digits, as the lists show them.",
            text=text, what=what,
        )


class IdPrefixAmbiguous(ServiceError):
    code = "id_prefix_ambiguous"

    def __init__(self, prefix: str, what: str, matches: int,
                 candidates: Sequence[str] = ()) -> None:
        # As git lists the objects a short hash could mean: the ids (never names or
        # answers), the first few of them.
        shown = ", ".join(candidates[:CANDIDATES_SHOWN])
        more = f" and {matches - len(candidates[:CANDIDATES_SHOWN])} more" \
            if matches > len(candidates[:CANDIDATES_SHOWN]) else ""
        listing = f" ({shown}{more})" if candidates else ""
        super().__init__(
            f"{prefix!r} matches {matches} {what}s{listing}; give more of its digits (or "
            "the whole id) so that it names one.",
            prefix=prefix, what=what, matches=matches,
        )
        self.matches = matches
        self.candidates = tuple(candidates)


class AdminKeysNeeded(ServiceError):
    code = "admin_keys_needed"

    def __init__(self, action: str) -> None:
        super().__init__(
            f"To {action}, the admin keys are needed: with a PostgreSQL URL, also give the "
            "central folder that holds them (--admin DIR).",
            action=action,
        )


class DeviceKeyUnknown(ServiceError):
    code = "device_key_unknown"

    def __init__(self, device_id: str) -> None:
        super().__init__(
            f"No quarantined bundle of device {device_id} gives its key: give the key the "
            "laptop shows (--device-key KEY), after checking its fingerprint with the "
            "interviewer.",
            device_id=device_id,
        )


class LanguageUnknown(ServiceError):
    code = "form_language_unknown"

    def __init__(self, language: str, languages: Sequence[str]) -> None:
        known = ", ".join(languages) or "none: it is not translated"
        super().__init__(
            f"The form has no language {language!r} (its languages: {known}).",
            language=language, languages=list(languages),
        )


class PickNotAHead(ServiceError):
    code = "conflict_pick_not_a_head"

    def __init__(self, path: str, head: str, conflict_id: str) -> None:
        super().__init__(
            f"The answer {path!r} of conflict {conflict_id[:12]} is taken from {head!r}, "
            "which names none (or more than one) of its versions: pick one of the versions "
            "shown side by side.",
            path=path, head=head, conflict_id=conflict_id,
        )


class PlaybackSpeedInvalid(ServiceError):
    code = "playback_speed_invalid"

    def __init__(self, speed: float, low: float, high: float) -> None:
        super().__init__(
            f"Playback speed {speed:g}x is out of range: choose between {low:g}x and {high:g}x.",
            speed=speed, low=low, high=high,
        )


class RecordingNotFound(ServiceError):
    code = "record_recording_not_found"

    def __init__(self, record: str, attachment: str | None) -> None:
        what = f"recording {attachment}" if attachment else "a recording"
        super().__init__(
            f"Record {record} has no {what} in the central store (audio attachments "
            "arrive with the record's bundle).",
            record=record, attachment=attachment,
        )


class RegistryInPostgres(ServiceError):
    """The folder given holds the admin keys of a PostgreSQL store, whose device
    registry is in the database: enrolling into the folder would go where no merge
    reads."""

    code = "registry_in_postgres"

    def __init__(self, folder: str, store: str) -> None:
        super().__init__(
            f"The admin profile in {folder} holds the keys of the PostgreSQL store {store}, "
            "where its devices are registered: give --central with that store's URL and "
            f"--admin {folder}.",
            folder=folder, store=store,
        )


class RegistryNeedsKeys(ServiceError):
    code = "registry_needs_keys"

    def __init__(self) -> None:
        super().__init__(
            "With a PostgreSQL URL as --central, also give --admin DIR: the folder holding "
            "the admin keys (the devices are enrolled and checked with them).",
        )
