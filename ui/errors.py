"""Core error codes -> the messages the interviewer reads, translated, in one place.

The core raises `QICaptureError`s with a stable ``code`` and ``params``; this module is the
only place that turns them into words. A code without an entry falls back to the core's
English message (which never holds answers or keys), so nothing is ever silent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication

from qi_capture.errors import QICaptureError

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


_Message = Callable[[Mapping[str, Any]], str]

_MESSAGES: dict[str, _Message] = {
    "wrong_passphrase": lambda p: _tr(
        "That passphrase is not right for this profile. Check Caps Lock and try again."),
    "weak_passphrase": lambda p: _WEAK.get(str(p.get("reason")), lambda: "")() or "",
    "profile_name_taken": lambda p: _tr(
        "A profile with this name already exists here; choose another name."),
    "profile_locked": lambda p: _tr(
        "This profile is open in another QI Capture window. Close it there first."),
    "profile_not_found": lambda p: _tr("This profile's folder is missing or unreadable."),
    "no_profiles": lambda p: _tr("There is no profile yet. Create one to start."),
    "key_file_missing": lambda p: _tr("This profile's key file is missing."),
    "key_file_invalid": lambda p: _tr("This profile's key file is damaged."),
    "key_file_tampered": lambda p: _tr(
        "This profile's key file has been changed outside QI Capture; it was not opened."),
    "key_file_weak_parameters": lambda p: _tr(
        "This profile's key file asks for weaker protection than QI Capture allows; "
        "it was not opened."),
    "key_file_excessive_parameters": lambda p: _tr(
        "This profile's key file asks for more memory or time than QI Capture ever sets, "
        "so it is not one QI Capture wrote; it was not opened. Restore it from a backup."),
    "database_missing": lambda p: _tr("This profile's data file is missing."),
    "database_mismatch": lambda p: _tr(
        "This profile's data file does not belong to its key file."),
    "database_corrupt": lambda p: _tr(
        "This profile's data file is damaged. Nothing was changed; restore it from a backup."),
    "disk_full": lambda p: _tr(
        "The disk is full, so the last change could not be saved. Free some space; "
        "everything saved before it is safe."),
    "store_closed": lambda p: _tr("The profile is locked. Unlock it to carry on."),
    "record_not_found": lambda p: _tr("This record no longer exists."),
    "record_not_editable": lambda p: _tr("This record cannot be changed in its present state."),
    "record_not_deletable": lambda p: _tr("Only drafts that were never finalised can be deleted."),
    "record_closed": lambda p: _tr("This record was closed; open it again to change it."),
    "cannot_finalise": lambda p: _tr(
        "This record cannot be finalised yet: {0} problem(s) remain.").format(
            len(p.get("issues", ()))),
    "answer_invalid": lambda p: _tr("This answer does not fit the question."),
    "attachment_too_large": lambda p: _tr("This file is too large to attach."),
    "form_unknown": lambda p: _tr("This form is not in the profile."),
    "recovery_key_invalid": lambda p: _tr("That is not a valid recovery key."),
    "sync_folder_unavailable": lambda p: _tr(
        "The folder {0} cannot be used: {1}. Nothing was marked as sent; your records are "
        "safe on this laptop.").format(p.get("folder", ""), p.get("detail", "")),
    "sync_disk_full": lambda p: _tr(
        "The folder {0} is full, so the bundle was not written and nothing was marked as "
        "sent. Free some space (or use another folder) and sync again.").format(
            p.get("folder", "")),
    "no_study_pack": lambda p: _tr(
        "No study pack is installed yet, so there is no one to send records to. Import the "
        "study pack your study's admin gave you (File > Import study pack) first."),
    "pack_unreadable": lambda p: _tr("That file cannot be read ({0}).").format(
        p.get("reason", "")),
    "pack_invalid": lambda p: _tr(
        "That file is not a valid QI Capture study pack ({0}).").format(p.get("detail", "")),
    "pack_bad_signature": lambda p: _tr(
        "This study pack has been changed since the study's admin signed it, so it was "
        "refused. Ask the admin for a fresh copy."),
    "pack_signed_by_other_key": lambda p: _tr(
        "This study is already installed from packs signed by another admin key, so this "
        "pack was refused. If the study's admin really changed keys, ask them what to do."),
    "form_invalid": lambda p: _tr("A form in this study pack cannot be used."),
    # The admin console.
    "central_not_found": lambda p: _tr(
        "There is no central store in {0}. Choose the folder made with “qi-capture admin "
        "init” (it holds a folder named admin); nothing was opened.").format(
            p.get("target", "")),
    "bundle_source_missing": lambda p: _tr(
        "The folder {0} is not there (a USB stick may have been removed). Plug it in or "
        "remove it from the list; nothing was merged from it.").format(p.get("path", "")),
    "admin_keys_needed": lambda p: _tr(
        "To {0}, the admin keys are needed: open the store again with the admin folder "
        "that holds them.").format(p.get("action", "")),
    "device_key_unknown": lambda p: _tr(
        "This device's key is not known yet: none of its bundles has reached the "
        "quarantine. Merge one of its bundles first, then enrol it."),
    "device_already_enrolled": lambda p: _tr(
        "This device is already {0}; a revoked device is not enrolled again.").format(
            p.get("status", "")),
    "device_not_found": lambda p: _tr("This device is no longer in the central store."),
}

_WEAK: dict[str, Callable[[], str]] = {
    "too_short": lambda: _tr(
        "The passphrase must be at least 12 characters long. A few unrelated words work well."),
    "surrounding_space": lambda: _tr("The passphrase must not start or end with spaces."),
    "too_few_distinct": lambda: _tr("The passphrase uses too few different characters."),
    "repeated": lambda: _tr(
        "The passphrase is the same short piece repeated; choose unrelated words."),
    "sequence": lambda: _tr(
        "The passphrase is a run of keys or letters (like 'abcdef' or 'qwerty'), "
        "which is guessed first."),
    "common": lambda: _tr(
        "The passphrase is one of the most commonly used ones; choose something else."),
    "guessable": lambda: _tr(
        "The passphrase is too easy to guess. Add another word or two; uncommon words "
        "are better."),
}


def weak_passphrase_message(reason: str) -> str:
    """What to change, for the core's ``weak_passphrase`` reason code."""
    make = _WEAK.get(reason)
    return make() if make is not None else _tr("Choose a longer passphrase.")


def error_code(error: object) -> str:
    return error.code if isinstance(error, QICaptureError) else "unexpected"


def message_for(error: BaseException) -> str:
    """The sentence to show for ``error``."""
    if isinstance(error, QICaptureError):
        make = _MESSAGES.get(error.code)
        text = make(error.params) if make is not None else ""
        return text or error.message
    if isinstance(error, OSError):
        return _tr("The file could not be read or written: {0}").format(
            error.strerror or type(error).__name__)
    # Never show (or log) the text of an unexpected error: it may hold an answer.
    log.error("unexpected %s", type(error).__name__, exc_info=error)
    return _tr("Something unexpected went wrong ({0}). Your saved answers are safe.").format(
        type(error).__name__)
